"""Routing messages from outside to the instances waiting for them (POST /api/messages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from service import clock, db
from service.bpm import statements as sql
from service.bpm.commands import DeliverMessage
from service.bpm.service import WorkflowService
from service.domain.roles import Principal
from service.errors import Conflict, Forbidden, NotFound


def deliver(service: WorkflowService, actor: Principal, name: str, body: dict[str, Any], *,
            business_key: str | None = None, instance_id: str | None = None, variable: str | None = None,
            now: datetime | None = None) -> list[str]:
    """Deliver a message to every running instance waiting for it (narrowed by business key or instance);
    returns the instances that caught it. NotFound when none could."""
    now = now or clock.now()
    query = (select(sql.WAITS.c.instance_id).join(sql.INSTANCES, sql.INSTANCES.c.id == sql.WAITS.c.instance_id)
             .where(sql.WAITS.c.name == name, sql.INSTANCES.c.status == "running")
             .order_by(sql.INSTANCES.c.created_at, sql.INSTANCES.c.id))
    if business_key is not None:
        query = query.where(sql.INSTANCES.c.business_key == business_key)
    if instance_id is not None:
        query = query.where(sql.INSTANCES.c.id == instance_id)
    with db.read(service.engine) as conn:
        candidates = list(conn.execute(query).scalars())
    delivered = []
    for iid in candidates:
        try:
            service.apply(iid, DeliverMessage(name, body, variable), actor=actor, now=now)
        except (NotFound, Conflict):
            continue  # not visible to the sender, or no longer waiting (another sender was first)
        except Forbidden:
            raise
        delivered.append(iid)
    if not delivered:
        raise NotFound(f"no running instance you can see waits for message {name!r}")
    return delivered
