"""Instance lists and details from the instance rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from service.bpm.jsonutil import loads
from service.domain.roles import SYSTEM, Principal
from service.errors import NotFound
from service.models import Event, Instance
from service.queries.visibility import instances_visible

INSTANCES = Instance.__table__
EVENTS = Event.__table__

_COLUMNS = (INSTANCES.c.id, INSTANCES.c.process_id, INSTANCES.c.version_hash, INSTANCES.c.business_key,
            INSTANCES.c.department_id, INSTANCES.c.status,
            INSTANCES.c.next_timer_at, INSTANCES.c.error, INSTANCES.c.started_by, INSTANCES.c.created_at,
            INSTANCES.c.updated_at, INSTANCES.c.ended_at,
            INSTANCES.c.serializer_version, INSTANCES.c.lock_version)


def list_instances(conn: Connection, *, page: int, per_page: int, viewer: Principal = SYSTEM,
                   process_id: str | None = None, status: str | None = None, business_key: str | None = None,
                   department_id: str | None = None) -> dict[str, Any]:
    """The instances `viewer` may see, newest first."""
    where = instances_visible(viewer)
    if department_id:
        where.append(INSTANCES.c.department_id == department_id)
    if process_id:
        where.append(INSTANCES.c.process_id == process_id)
    if status:
        where.append(INSTANCES.c.status == status)
    if business_key:
        where.append(INSTANCES.c.business_key == business_key)
    total = conn.execute(select(func.count()).select_from(INSTANCES).where(*where)).scalar_one()
    rows = conn.execute(select(*_COLUMNS).where(*where).order_by(INSTANCES.c.created_at.desc(), INSTANCES.c.id)
                        .limit(per_page).offset((page - 1) * per_page)).mappings().all()
    return {"items": [_item(r) for r in rows], "total": total}


def get(conn: Connection, instance_id: str, viewer: Principal = SYSTEM) -> dict[str, Any]:
    """One instance with its data; NotFound also when `viewer` may not see it (existence is not leaked)."""
    row = conn.execute(select(*_COLUMNS, INSTANCES.c.data).where(INSTANCES.c.id == instance_id,
                                                                 *instances_visible(viewer))
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
    where = [EVENTS.c.instance_id == instance_id]
    if command:
        where.append(EVENTS.c.command == command)
    if actor:
        where.append(EVENTS.c.actor == actor)
    total = conn.execute(select(func.count()).select_from(EVENTS).where(*where)).scalar_one()
    rows = conn.execute(select(EVENTS.c.seq, EVENTS.c.at, EVENTS.c.actor, EVENTS.c.command, EVENTS.c.input,
                               EVENTS.c.tasks, EVENTS.c.fingerprint,
                               EVENTS.c.prev_hash, EVENTS.c.hash).where(*where).order_by(EVENTS.c.seq)
                        .limit(per_page).offset((page - 1) * per_page)).mappings().all()
    items = [{**dict(r), "input": loads(r["input"]), "tasks": loads(r["tasks"])} for r in rows]
    return {"items": items, "total": total}
