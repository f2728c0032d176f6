"""Routing messages from outside to the instances waiting for them (POST /api/messages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from service import clock
from service.bpm import statements as sql
from service.bpm.commands import DeliverMessage
from service.bpm.service import WorkflowService
from service.domain.roles import Principal
from service.errors import Conflict, NotFound, StaleVersion


def deliver(conn: Connection, service: WorkflowService, actor: Principal, name: str, body: dict[str, Any], *,
            business_key: str | None = None, instance_id: str | None = None, variable: str | None = None,
            now: datetime | None = None) -> list[str]:
    """Deliver a message to every running instance waiting for it (narrowed by business key or instance), all of
    them in the caller's unit of work `conn`; returns the instances that caught it. NotFound when none could.

    All or nothing: an instance is passed over only when it is not visible to the sender (NotFound) or no longer
    waits for the message (Conflict) — both found before anything of that instance is written. Any other failure
    propagates and the caller's unit of work rolls back every delivery made before it.

    A concurrent writer that bumped an instance's lock_version between its read and its write (PostgreSQL, read
    committed; on SQLite the unit of work holds the write lock from its BEGIN IMMEDIATE, so none can) makes the
    mutation path re-read and deliver on the newer state inside this same transaction: a version check that finds
    no row is no failed statement, the transaction stays usable. Should that still lose after every attempt
    (StaleVersion), the instance may be waiting yet: that is not passed over but refused (409) as a whole, and the
    sender sends again, rather than told of a delivery that silently missed an instance.
    """
    now = now or clock.now()
    query = (select(sql.WAITS.c.instance_id).join(sql.INSTANCES, sql.INSTANCES.c.id == sql.WAITS.c.instance_id)
             .where(sql.WAITS.c.name == name, sql.INSTANCES.c.status == "running")
             .order_by(sql.INSTANCES.c.created_at, sql.INSTANCES.c.id))
    if business_key is not None:
        query = query.where(sql.INSTANCES.c.business_key == business_key)
    if instance_id is not None:
        query = query.where(sql.INSTANCES.c.id == instance_id)
    delivered = []
    for iid in list(conn.execute(query).scalars()):
        try:
            service.apply(iid, DeliverMessage(name, body, variable), actor=actor, now=now, conn=conn)
        except StaleVersion:
            raise
        except (NotFound, Conflict):
            continue  # not visible to the sender, or no longer waiting (another sender was first)
        delivered.append(iid)
    if not delivered:
        raise NotFound(f"no running instance you can see waits for message {name!r}")
    return delivered
