"""Deployed process models: the latest version per process and each process's version history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from service.errors import NotFound
from service.models import ProcessDefinition, ProcessVersion

PROCESS_DEFINITIONS = ProcessDefinition.__table__


def list_latest(conn: Connection, page: int, per_page: int) -> dict[str, Any]:
    """One row per process id: its latest deployment."""
    latest = select(PROCESS_DEFINITIONS.c.process_id, func.max(PROCESS_DEFINITIONS.c.id)
                    .label("id")).group_by(PROCESS_DEFINITIONS.c.process_id).subquery()
    query = (select(PROCESS_DEFINITIONS.c.process_id, PROCESS_DEFINITIONS.c.name, PROCESS_DEFINITIONS.c.version_hash,
                    PROCESS_DEFINITIONS.c.file_name, PROCESS_DEFINITIONS.c.deployed_at)
             .join(latest, latest.c.id == PROCESS_DEFINITIONS.c.id).order_by(PROCESS_DEFINITIONS.c.process_id))
    total = conn.execute(select(func.count()).select_from(latest)).scalar_one()
    rows = conn.execute(query.limit(per_page).offset((page - 1) * per_page)).mappings().all()
    return {"items": [_item(r) for r in rows], "total": total}


def latest_names(conn: Connection) -> dict[str, str]:
    """Process id → the name its latest deployment models (its id when it has none), in one statement."""
    latest = select(func.max(PROCESS_DEFINITIONS.c.id)).group_by(PROCESS_DEFINITIONS.c.process_id)
    rows = conn.execute(select(PROCESS_DEFINITIONS.c.process_id, PROCESS_DEFINITIONS.c.name)
                        .where(PROCESS_DEFINITIONS.c.id.in_(latest)).order_by(PROCESS_DEFINITIONS.c.process_id))
    return {r.process_id: r.name or r.process_id for r in rows}


def get(conn: Connection, process_id: str) -> dict[str, Any]:
    """A process with every version it was deployed in, newest first."""
    query = (select(PROCESS_DEFINITIONS.c.process_id, PROCESS_DEFINITIONS.c.name, PROCESS_DEFINITIONS.c.version_hash,
                    PROCESS_DEFINITIONS.c.file_name, PROCESS_DEFINITIONS.c.deployed_at,
                    ProcessVersion.deployed_by)
             .join(ProcessVersion, ProcessVersion.hash == PROCESS_DEFINITIONS.c.version_hash)
             .where(PROCESS_DEFINITIONS.c.process_id == process_id).order_by(PROCESS_DEFINITIONS.c.id.desc()))
    rows = conn.execute(query).mappings().all()
    if not rows:
        raise NotFound(f"no deployed process {process_id!r}")
    head = _item(rows[0])
    head["versions"] = [{"version": r["version_hash"], "deployed_at": r["deployed_at"],
                         "deployed_by": r["deployed_by"], "file": r["file_name"]} for r in rows]
    return head


def _item(r: Any) -> dict[str, Any]:
    return {"process_id": r["process_id"], "name": r["name"], "version": r["version_hash"],
            "file": r["file_name"], "deployed_at": r["deployed_at"]}
