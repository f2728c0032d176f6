"""Handlers of the feedback and rectification stage (workflows/rectification.bpmn) and of accountability
(workflows/accountability.bpmn): they keep the rectifications and accountability_cases rows."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from service.cycle import accountability, inspections_records, rectifications
from workers.handlers import TaskContext, handler


def _inspection(ctx: TaskContext, variables: dict[str, Any]) -> str | None:
    """The instance of the inspection whose findings are rectified here (workflows/supervision_inspection.bpmn
    calls this model without a project), else None: a project's rectification."""
    return ctx.instance_id if variables.get("inspection_id") and not variables.get("project_id") else None


def _due_on(variables: dict[str, Any]) -> date | None:
    value = variables.get("rectification_due_on")
    return date.fromisoformat(value) if value else None


@handler("rectification.open")
def open_rectification(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Results fed back: the unit must rectify by `rectification_due_on` (the plan 二(一)4, rule rectification.days;
    again after a supervisor extended the deadline or ordered rectification)."""
    with ctx.write() as conn:
        if (inspected := _inspection(ctx, variables)) is not None:
            inspections_records.rectification_fed_back(conn, inspected, _due_on(variables), "open")
        else:
            rectifications.fed_back(conn, variables["project_id"], ctx.now, _due_on(variables), "open")
    return {}


@handler("rectification.not_required")
def not_required(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Results fed back with nothing to rectify (a 优 result without findings)."""
    with ctx.write() as conn:
        if (inspected := _inspection(ctx, variables)) is not None:
            inspections_records.rectification_fed_back(conn, inspected, None, "not_required")
        else:
            rectifications.fed_back(conn, variables["project_id"], ctx.now, None, "not_required")
    return {"rectification_status": "not_required"}


@handler("rectification.overdue")
def overdue(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The deadline passed without a rectification report: overdue while a supervisor decides."""
    with ctx.write() as conn:
        if (inspected := _inspection(ctx, variables)) is not None:
            inspections_records.rectification_mark(conn, inspected, "overdue")
        else:
            rectifications.mark(conn, variables["project_id"], "overdue")
    return {}


@handler("rectification.submit")
def submit(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Keep the unit's rectification report: the plan, the measures taken and the evidence."""
    plan = {"plan": variables.get("rectification_plan"), "measures": variables.get("rectification_measures", []),
            "evidence": variables.get("evidence", [])}
    text = json.dumps(plan, ensure_ascii=False, sort_keys=True)
    with ctx.write() as conn:
        if (inspected := _inspection(ctx, variables)) is not None:
            inspections_records.rectification_submit(conn, ctx.now, inspected, text)
        else:
            rectifications.submit(conn, variables["project_id"], ctx.now, text)
    return {}


@handler("rectification.verify")
def verify(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Supervision's verdict: done, or insufficient (failed, which leads to accountability)."""
    verdict = variables["verification_verdict"]
    with ctx.write() as conn:
        if (inspected := _inspection(ctx, variables)) is not None:
            status = inspections_records.rectification_verify(conn, ctx.now, inspected, verdict)
        else:
            status = rectifications.verify(conn, variables["project_id"], ctx.now, verdict)
    return {"rectification_status": status}


@handler("rectification.fail")
def fail(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """No rectification: the supervisor opened accountability instead of granting more time."""
    with ctx.write() as conn:
        if (inspected := _inspection(ctx, variables)) is not None:
            inspections_records.rectification_mark(conn, inspected, "failed")
        else:
            rectifications.mark(conn, variables["project_id"], "failed")
    return {"rectification_status": "failed"}


@handler("rectification.verifiers")
def verifiers(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Members of the supervision library (监督指导库) who follow the project's sector verify its rectification."""
    with ctx.read() as conn:
        members = rectifications.supervision_members(conn, variables.get("sector"), variables.get("department_id"))
    return {"verifiers": [{"id": m.id, "name": m.name, "organisation": m.organisation} for m in members],
            "verifier_users": [m.username for m in members if m.username]}


@handler("accountability.open")
def open_case(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Open an accountability case (问责) of this instance for `accountability_reason`: one per opening service task
    (a job run twice opens it once; a second case of the same reason is a case of its own)."""
    reason = variables["accountability_reason"]
    key = accountability.case_key(ctx.instance_id or "", reason, ctx.task_id)
    with ctx.write() as conn:
        case_id = accountability.open_case(conn, ctx.now, key=key, project_id=variables.get("project_id"),
                                           department_id=variables.get("department_id") or ctx.department_id or "",
                                           reason=reason)
    return {"accountability_case_id": case_id, "accountability_key": key}


@handler("accountability.close")
def close_case(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Close the case with the supervisor's outcome."""
    outcome = {"sanction": variables.get("sanction"), "outcome": variables.get("accountability_outcome"),
               "responsible": variables.get("responsible_party")}
    with ctx.write() as conn:
        accountability.close_case(conn, ctx.now, variables["accountability_key"], outcome)
    return {"accountability_status": "closed"}
