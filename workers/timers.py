"""Firing due BPMN timers: a sweep over the indexed next-timer column, never over waiting instances."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select

from service import clock, db
from service.bpm.commands import FireTimers
from service.bpm.service import INSTANCES, WorkflowService
from service.domain.roles import TIMER
from service.errors import Conflict, EngineFailure, InvalidTransition, NotFound

# Strictly earlier: SpiffWorkflow fires a timer only once its due time has passed, so an instance swept at the very
# instant would be "fired" without progressing, again and again.
_DUE = (
    select(INSTANCES.c.id).where(INSTANCES.c.next_timer_at < bindparam("now"), INSTANCES.c.status == "running")
    .order_by(INSTANCES.c.next_timer_at).limit(bindparam("limit"))
)


@dataclass
class SweepResult:
    fired: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def due_instances(service: WorkflowService, now: datetime, limit: int = 500) -> list[str]:
    with db.read(service.engine) as conn:
        return [r[0] for r in conn.execute(_DUE, {"now": clock.to_db(now), "limit": limit})]


def fire_due(service: WorkflowService, now: datetime | None = None, limit: int = 500) -> SweepResult:
    """Fire every timer due at `now` (one command per instance); failures mark that instance `error`."""
    now = now or clock.now()
    result = SweepResult()
    for instance_id in due_instances(service, now, limit):
        try:
            service.apply(instance_id, FireTimers(), actor=TIMER, now=now)
            result.fired.append(instance_id)
        except (Conflict, InvalidTransition, NotFound):
            # Someone else moved it first (the engine refuses a FireTimers whose timer is no longer due).
            result.conflicts.append(instance_id)
        except EngineFailure as exc:
            result.failed[instance_id] = exc.detail
    return result
