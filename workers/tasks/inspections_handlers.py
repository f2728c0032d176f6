"""Handlers of the financial supervision inspection (workflows/supervision_inspection.bpmn; the plan 二(三)4二是):
they keep the inspections and inspection_findings rows. The rectification of the findings is the rectification
model's, called from the inspection (its handlers in workers/tasks/rectification.py write to the inspection)."""

from __future__ import annotations

from datetime import date
from typing import Any

from service.cycle import inspections_records
from service.domain import inspection
from service.errors import InvalidInput
from workers.handlers import TaskContext, handler


def _instance(ctx: TaskContext) -> str:
    if not ctx.instance_id:
        raise InvalidInput("an inspection runs in an instance", [{"field": "instance_id", "message": "required"}])
    return ctx.instance_id


@handler("inspection.open")
def open_inspection(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Record the inspection of a department or of a special transfer fund; returns inspection_id."""
    with ctx.write() as conn:
        inspection_id = inspections_records.open_inspection(
            conn, ctx.now, instance_id=_instance(ctx), fiscal_year=int(variables["fiscal_year"]),
            department_id=str(variables["department_id"]), target_kind=str(variables["target_kind"]),
            fund_name=variables.get("fund_name"), fund_amount=variables.get("fund_amount"),
            aspects=list(variables.get("aspects") or inspection.ASPECTS))
    return {"inspection_id": inspection_id}


@handler("inspection.draw")
def draw_team(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Draw the inspection team from the supervision library (监督指导库); returns inspectors, inspector_users."""
    with ctx.write() as conn:
        team = inspections_records.draw_team(conn, _instance(ctx), fiscal_year=int(variables["fiscal_year"]),
                                     level=str(variables.get("level") or "*"), sector=variables.get("sector"))
    return {"inspectors": [{k: m[k] for k in ("id", "name", "organisation")} for m in team],
            "inspector_users": [m["username"] for m in team if m["username"]]}


@handler("inspection.due")
def due(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Keep the inspection's due day (set again when a leader extends it)."""
    value = variables.get("inspection_due_on")
    with ctx.write() as conn:
        inspections_records.due(conn, _instance(ctx), date.fromisoformat(value) if value else None)
    return {}


@handler("inspection.findings")
def record_findings(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Keep the findings per aspect and severity; returns findings_count and rectification_needed."""
    findings = inspection.findings_of(variables.get("findings") or [])
    with ctx.write() as conn:
        inspections_records.record_findings(conn, ctx.now, _instance(ctx), findings)
    return {"findings_count": len(findings), "rectification_needed": inspection.needs_rectification(findings)}


@handler("inspection.acknowledged")
def acknowledged(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The inspected department acknowledged the findings fed back to it."""
    with ctx.write() as conn:
        inspections_records.acknowledged(conn, ctx.now, _instance(ctx), variables.get("acknowledgement_comment"))
    return {}


@handler("inspection.rectifying")
def rectifying(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The findings requiring rectification go to the rectification model (called within this instance)."""
    with ctx.write() as conn:
        inspections_records.rectifying(conn, _instance(ctx))
    return {}


@handler("inspection.close")
def close(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The inspection is over: no rectification was needed, or the rectification ended (done or failed)."""
    with ctx.write() as conn:
        inspections_records.closed(conn, ctx.now, _instance(ctx))
    return {"inspection_status": "closed"}
