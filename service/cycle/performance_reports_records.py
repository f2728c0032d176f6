"""Departments' periodic performance management reports (the plan 二(一)4, workflows/performance_report.bpmn).

A report is claimed (a row per department and period, unique) before its instance starts, so that two workers
running the calendar job start one; a claim left without an instance for longer than the worker lease is taken
over, as the year-end coverage review does. The process's handlers then keep the row: due (with the filing
deadline in force), filed, returned, submitted to the bureau, accepted.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from service import clock
from service.cycle import start_claims
from service.errors import NotFound
from service.models import PerformanceReport

REPORTS = PerformanceReport.__table__
SECTIONS = ("report_summary", "goal_management", "monitoring_summary", "evaluation_summary", "results_use",
            "problems")  # the fields of forms/performance_report.schema.json


def claim(conn: Connection, now: datetime, *, department_id: str, level: str, fiscal_year: int,
          period_start: date, period_end: date, period_label: str, lease: timedelta) -> bool:
    """Claim the department's report of the period: True if the caller is to start its instance now."""
    return start_claims.claim(conn, REPORTS, {"department_id": department_id, "period_start": period_start},
                              {"level": level, "fiscal_year": fiscal_year, "period_end": period_end,
                               "period_label": period_label, "status": "claimed"}, now, lease)


def started(conn: Connection, *, department_id: str, period_start: date, instance_id: str) -> None:
    """Link the claimed report to the instance started for it."""
    start_claims.started(conn, REPORTS, {"department_id": department_id, "period_start": period_start}, instance_id)


def release(conn: Connection, *, department_id: str, period_start: date) -> None:
    """Give a claim back when its instance could not start (the next run tries again)."""
    start_claims.release(conn, REPORTS, {"department_id": department_id, "period_start": period_start})


def _where(department_id: str, period_start: str | date) -> tuple[Any, ...]:
    start = period_start if isinstance(period_start, date) else date.fromisoformat(str(period_start)[:10])
    return REPORTS.c.department_id == department_id, REPORTS.c.period_start == start


def _set(conn: Connection, department_id: str, period_start: str | date, **values: Any) -> None:
    if conn.execute(update(REPORTS).where(*_where(department_id, period_start)).values(**values)).rowcount != 1:
        raise NotFound(f"no performance report of {department_id} for the period from {period_start}")


def due(conn: Connection, department_id: str, period_start: str | date, due_on: date | None) -> None:
    """The filing deadline now in force (first set, reissued by a supervisor, or set again for a report returned
    for revision, which stays "returned" until refiled); the report is to be filed."""
    status = conn.execute(select(REPORTS.c.status).where(*_where(department_id, period_start))).scalar()
    _set(conn, department_id, period_start, status="returned" if status == "returned" else "due", due_on=due_on)


def filed(conn: Connection, department_id: str, period_start: str | date, now: datetime,
          variables: dict[str, Any]) -> None:
    """The department filed its report: its sections kept, awaiting the head."""
    content = {k: variables.get(k) for k in SECTIONS}
    _set(conn, department_id, period_start, status="filed", filed_at=clock.to_db(now),
         content=json.dumps(content, ensure_ascii=False, sort_keys=True))


def returned(conn: Connection, department_id: str, period_start: str | date) -> None:
    """The head (or the bureau) sent the report back for revision."""
    _set(conn, department_id, period_start, status="returned")


def submitted(conn: Connection, department_id: str, period_start: str | date) -> None:
    """The head approved it: with the bureau for review."""
    _set(conn, department_id, period_start, status="submitted")


def reviewed(conn: Connection, department_id: str, period_start: str | date, now: datetime, decision: str,
             comment: str | None) -> None:
    """The bureau's decision: accepted, or returned for revision (refiled then)."""
    _set(conn, department_id, period_start, status="accepted" if decision == "accept" else "returned",
         reviewed_at=clock.to_db(now), decision=decision, review_comment=comment)
