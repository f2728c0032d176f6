"""Reads of the departments' periodic performance management reports (the plan 二(一)4): the bureau's list of
filed and missing reports by department, and one report with its sections."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from service.models import Department, PerformanceReport

PERFORMANCE_REPORTS = PerformanceReport.__table__
DEPARTMENTS = Department.__table__
# Statuses before the department has filed (a "returned" report was filed once and is being revised).
UNFILED = ("claimed", "due")
STATUSES = ("claimed", "due", "filed", "submitted", "returned", "accepted")
SECTIONS = ("report_summary", "goal_management", "monitoring_summary", "evaluation_summary", "results_use",
            "problems")


def _row(r: Any, today: date) -> dict[str, Any]:
    return {"id": r.id, "department_id": r.department_id, "department_name": r.department_name, "level": r.level,
            "period_start": r.period_start, "period_end": r.period_end, "period_label": r.period_label,
            "status": r.status, "due_on": r.due_on, "filed_at": r.filed_at, "reviewed_at": r.reviewed_at,
            "decision": r.decision, "review_comment": r.review_comment, "instance_id": r.instance_id,
            "missing": r.status in UNFILED and r.due_on is not None and r.due_on < today,
            "content": json.loads(r.content) if r.content else None}


def _select() -> Any:
    return (select(PERFORMANCE_REPORTS, DEPARTMENTS.c.name.label("department_name"))
            .join(DEPARTMENTS, DEPARTMENTS.c.id == PERFORMANCE_REPORTS.c.department_id))


def list_reports(conn: Connection, today: date, *, year: int | None = None, level: str | None = None,
                 department_id: str | None = None, status: str | None = None,
                 missing: bool | None = None) -> list[dict[str, Any]]:
    """Reports by period (newest first) and department; `missing`: not filed by the deadline in force (`today`,
    Asia/Shanghai)."""
    q = _select()
    if year is not None:
        q = q.where(PERFORMANCE_REPORTS.c.fiscal_year == year)
    if level is not None:
        q = q.where(PERFORMANCE_REPORTS.c.level == level)
    if department_id is not None:
        q = q.where(PERFORMANCE_REPORTS.c.department_id == department_id)
    if status is not None:
        q = q.where(PERFORMANCE_REPORTS.c.status == status)
    rows = [
        _row(r, today)
        for r in conn.execute(
            q.order_by(PERFORMANCE_REPORTS.c.period_start.desc(), PERFORMANCE_REPORTS.c.department_id)
        )
    ]
    return rows if missing is None else [r for r in rows if r["missing"] == missing]
