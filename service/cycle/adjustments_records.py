"""In-year budget adjustments (the plan 二(三)2): the money a monitoring decision moves from a project toward the
same year's urgent spending, one row per decision (keyed by instance, round and decision: idempotent)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, insert, select

from service import clock
from service.bpm.statements import TASKS
from service.models import BudgetAdjustment

ADJUSTMENTS = BudgetAdjustment.__table__


def record(conn: Connection, now: datetime, *, key: str, project_id: str, fiscal_year: int, handling: str,
           amount: Decimal, toward: str, reason: str, decided_by: str | None, instance_id: str | None) -> bool:
    """Add the adjustment once (a repeated key changes nothing); True if it was added now."""
    if conn.execute(select(ADJUSTMENTS.c.id).where(ADJUSTMENTS.c.key == key[:120])).first() is not None:
        return False
    conn.execute(insert(ADJUSTMENTS).values(
        key=key[:120], project_id=project_id, fiscal_year=fiscal_year, handling=handling, amount=amount,
        toward=toward[:300], reason=reason, decided_by=decided_by, decided_at=clock.to_db(now),
        instance_id=instance_id))
    return True


def decided_by(conn: Connection, instance_id: str, bpmn_ids: tuple[str, ...]) -> str | None:
    """Who completed the latest of the instance's `bpmn_ids` tasks (the supervisor's or the leadership's decision):
    the engine's task rows, not form data."""
    return conn.execute(select(TASKS.c.completed_by).where(
        TASKS.c.instance_id == instance_id, TASKS.c.bpmn_id.in_(bpmn_ids), TASKS.c.state == "completed")
        .order_by(TASKS.c.ended_at.desc()).limit(1)).scalar()
