"""Handlers of the periodic performance management report (workflows/performance_report.bpmn): they keep the
performance_reports row of the department and period."""

from __future__ import annotations

from datetime import date
from typing import Any

from service.cycle import performance_reports_records
from workers.handlers import TaskContext, handler


def _key(variables: dict[str, Any]) -> tuple[str, str]:
    return str(variables["department_id"]), str(variables["period_start"])


@handler("report.due")
def report_due(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The filing deadline computed (again after a return or a supervisor's decision): the report is due."""
    value = variables.get("perf_report_due_on")
    with ctx.write() as conn:
        performance_reports_records.due(conn, *_key(variables), date.fromisoformat(value) if value else None)
    return {}


@handler("report.filed")
def report_filed(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The department filed the report: its sections kept."""
    with ctx.write() as conn:
        performance_reports_records.filed(conn, *_key(variables), ctx.now, variables)
    return {}


@handler("report.returned")
def report_returned(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The department head sent it back for revision."""
    with ctx.write() as conn:
        performance_reports_records.returned(conn, *_key(variables))
    return {}


@handler("report.submitted")
def report_submitted(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The head approved it: with the bureau."""
    with ctx.write() as conn:
        performance_reports_records.submitted(conn, *_key(variables))
    return {}


@handler("report.reviewed")
def report_reviewed(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The bureau's decision: accepted, or returned for revision."""
    with ctx.write() as conn:
        performance_reports_records.reviewed(conn, *_key(variables), ctx.now, str(variables["review_decision"]),
                         variables.get("review_comment"))
    return {}
