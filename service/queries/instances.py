"""Instance lists and details from the instance rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from service import db
from service.engine.jsonutil import loads
from service.errors import NotFound
from service.models import Instance

I = Instance.__table__  # noqa: E741

_COLUMNS = (I.c.id, I.c.process_id, I.c.version_hash, I.c.business_key, I.c.status, I.c.next_timer_at,
            I.c.error, I.c.started_by, I.c.created_at, I.c.updated_at, I.c.ended_at, I.c.serializer_version,
            I.c.lock_version)


def list_instances(engine: Engine, *, page: int, per_page: int, process_id: str | None = None,
                   status: str | None = None, business_key: str | None = None) -> dict[str, Any]:
    where = []
    if process_id:
        where.append(I.c.process_id == process_id)
    if status:
        where.append(I.c.status == status)
    if business_key:
        where.append(I.c.business_key == business_key)
    with db.read(engine) as conn:
        total = conn.execute(select(func.count()).select_from(I).where(*where)).scalar_one()
        rows = conn.execute(select(*_COLUMNS).where(*where).order_by(I.c.created_at.desc(), I.c.id)
                            .limit(per_page).offset((page - 1) * per_page)).mappings().all()
    return {"items": [_item(r) for r in rows], "total": total}


def get(engine: Engine, instance_id: str) -> dict[str, Any]:
    with db.read(engine) as conn:
        row = conn.execute(select(*_COLUMNS, I.c.data).where(I.c.id == instance_id)).mappings().first()
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
