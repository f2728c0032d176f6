"""The supervisors' queue: escalations (deadlines passed, targets slipped) and their resolution."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select, update

from service import clock, db
from service.domain.roles import SUPERVISORS, Principal
from service.engine.commands import Suspend, Terminate
from service.engine.service import WorkflowService
from service.engine.statements import ESCALATIONS as X
from service.engine.statements import INSTANCES as I  # noqa: N811
from service.engine.statements import TASKS
from service.errors import Conflict, Forbidden, NotFound
from service.queries.visibility import instances_visible

# The supervisor task's own form decides which of these apply to it (a monitoring deviation: resume, suspend, stop).
DECISIONS = ("extend_deadline", "order_rectification", "open_accountability", "resume", "suspend", "stop", "dismiss")

_COLUMNS = (X.c.id, X.c.instance_id, X.c.department_id, X.c.kind, X.c.code, X.c.name, X.c.element_id, X.c.task_id,
            X.c.state, X.c.decision, X.c.comment, X.c.opened_at, X.c.resolved_at, X.c.resolved_by,
            I.c.process_id, I.c.business_key)


def list_escalations(engine: Engine, viewer: Principal, *, page: int, per_page: int,
                     state: str | None = None) -> dict[str, Any]:
    """Escalations of the instances `viewer` may see, oldest open first."""
    where = instances_visible(viewer)
    if state:
        where.append(X.c.state == state)
    base = select(*_COLUMNS).join(I, I.c.id == X.c.instance_id).where(*where)
    with db.read(engine) as conn:
        total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
        rows = conn.execute(base.order_by(X.c.state, X.c.opened_at, X.c.id).limit(per_page)
                            .offset((page - 1) * per_page)).mappings().all()
    return {"items": [dict(r) for r in rows], "total": total}


def get(engine: Engine, viewer: Principal, escalation_id: int) -> dict[str, Any]:
    with db.read(engine) as conn:
        row = conn.execute(select(*_COLUMNS).join(I, I.c.id == X.c.instance_id)
                           .where(X.c.id == escalation_id, *instances_visible(viewer))).mappings().first()
    if row is None:
        raise NotFound(f"no escalation {escalation_id}")
    return dict(row)


def resolve(service: WorkflowService, viewer: Principal, escalation_id: int, decision: str, comment: str | None,
            data: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """A supervisor's decision: it completes the escalation's supervisor task (driving the BPMN), or, without
    one, suspends or stops the instance or dismisses the escalation."""
    now = now or clock.now()
    esc = get(service.engine, viewer, escalation_id)
    if not viewer.has(*SUPERVISORS):
        raise Forbidden("only supervisors decide escalations")
    if esc["state"] != "open":
        raise Conflict(f"escalation {escalation_id} is already resolved")
    with db.read(service.engine) as conn:
        task_state = conn.execute(select(TASKS.c.state).where(TASKS.c.id == esc["task_id"])).scalar() \
            if esc["task_id"] else None
    if task_state == "ready":
        service.complete_task(esc["task_id"], {**data, "decision": decision, "decision_comment": comment},
                              actor=viewer, now=now)
        return get(service.engine, viewer, escalation_id)
    if decision in ("suspend", "stop"):
        command = Suspend(reason=comment) if decision == "suspend" else Terminate(reason=comment)
        service.apply(esc["instance_id"], command, actor=viewer, now=now)
    elif decision != "dismiss":
        raise Conflict("this escalation has no open supervisor task: decide suspend, stop or dismiss")
    with db.write(service.engine) as conn:
        conn.execute(update(X).where(X.c.id == escalation_id, X.c.state == "open").values(
            state="resolved", decision=decision, comment=comment, resolved_at=clock.to_db(now),
            resolved_by=viewer.username))
    return get(service.engine, viewer, escalation_id)
