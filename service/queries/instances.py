"""Instance lists and details from the instance rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from service.domain.roles import SYSTEM, Principal
from service.engine.jsonutil import loads
from service.errors import NotFound
from service.models import Event, Instance
from service.queries.visibility import instances_visible

I = Instance.__table__  # noqa: E741
E = Event.__table__

_COLUMNS = (I.c.id, I.c.process_id, I.c.version_hash, I.c.business_key, I.c.department_id, I.c.status,
            I.c.next_timer_at, I.c.error, I.c.started_by, I.c.created_at, I.c.updated_at, I.c.ended_at,
            I.c.serializer_version, I.c.lock_version)


def list_instances(conn: Connection, *, page: int, per_page: int, viewer: Principal = SYSTEM,
                   process_id: str | None = None, status: str | None = None, business_key: str | None = None,
                   department_id: str | None = None) -> dict[str, Any]:
    """The instances `viewer` may see, newest first."""
    where = instances_visible(viewer)
    if department_id:
        where.append(I.c.department_id == department_id)
    if process_id:
        where.append(I.c.process_id == process_id)
    if status:
        where.append(I.c.status == status)
    if business_key:
        where.append(I.c.business_key == business_key)
    total = conn.execute(select(func.count()).select_from(I).where(*where)).scalar_one()
    rows = conn.execute(select(*_COLUMNS).where(*where).order_by(I.c.created_at.desc(), I.c.id)
                        .limit(per_page).offset((page - 1) * per_page)).mappings().all()
    return {"items": [_item(r) for r in rows], "total": total}


def get(conn: Connection, instance_id: str, viewer: Principal = SYSTEM) -> dict[str, Any]:
    """One instance with its data; NotFound also when `viewer` may not see it (existence is not leaked)."""
    row = conn.execute(select(*_COLUMNS, I.c.data).where(I.c.id == instance_id, *instances_visible(viewer))
                       ).mappings().first()
    if row is None:
        raise NotFound(f"instance {instance_id} not found")
    return detail(row)


def detail(row: Any) -> dict[str, Any]:
    """An instance row (as read, or as just written by the engine) with its data decoded."""
    item = _item({c.name: row[c.name] for c in _COLUMNS})
    item["data"] = loads(row["data"]) or {}
    return item


def _item(r: Any) -> dict[str, Any]:
    d = dict(r)
    d["version"] = d.pop("version_hash")
    return d


def history(conn: Connection, instance_id: str, viewer: Principal, *, page: int, per_page: int,
            command: str | None = None, actor: str | None = None) -> dict[str, Any]:
    """The instance's events in order (the audit log), for anyone who may see the instance."""
    get(conn, instance_id, viewer)
    where = [E.c.instance_id == instance_id]
    if command:
        where.append(E.c.command == command)
    if actor:
        where.append(E.c.actor == actor)
    total = conn.execute(select(func.count()).select_from(E).where(*where)).scalar_one()
    rows = conn.execute(select(E.c.seq, E.c.at, E.c.actor, E.c.command, E.c.input, E.c.tasks, E.c.fingerprint,
                               E.c.prev_hash, E.c.hash).where(*where).order_by(E.c.seq)
                        .limit(per_page).offset((page - 1) * per_page)).mappings().all()
    items = [{**dict(r), "input": loads(r["input"]), "tasks": loads(r["tasks"])} for r in rows]
    return {"items": items, "total": total}
