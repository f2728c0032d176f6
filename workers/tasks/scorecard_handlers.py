"""Handlers of the comprehensive evaluation (workflows/comprehensive_evaluation.bpmn, the plan 二(三)3): the notice
opens the department's scorecard, the self-report is checked and kept, the measured indicators are computed, the
bureau's scores are checked, totalled, graded and ranked, and the department's acknowledgement is recorded.

Indicators, weights and points rules are the rule rows `scorecard.indicators` of the year and level; the grade
bands `scorecard.grade_floors`. Form problems go back to the form's task (self_report_errors / scoring_errors);
anything else is an incident.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from service.domain import scorecard_rules
from service.errors import InvalidInput
from service.scorecard import records
from workers.handlers import TaskContext, handler


def _card(ctx: TaskContext, variables: dict[str, Any], conn: Any) -> Any:
    scorecard_id = variables.get("scorecard_id")
    if not isinstance(scorecard_id, int) or isinstance(scorecard_id, bool):
        raise InvalidInput("scorecard_id is required", [{"field": "scorecard_id", "message": "required"}])
    return records.get(conn, scorecard_id)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _summary(entries: tuple[scorecard_rules.Entry, ...]) -> list[dict[str, Any]]:
    return [{"code": e.code, "name": e.name, "dimension": e.dimension, "points": _number(e.points),
             "max_points": float(e.max_points), "counted": e.counted, "passed": e.passed} for e in entries]


@handler("scorecard.notify")
def notify(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The evaluation notice: open the scorecard and list the indicators the department reports on."""
    department_id = variables.get("department_id") or ctx.department_id
    if not department_id:
        raise InvalidInput("department_id is required", [{"field": "department_id", "message": "required"}])
    year, level = int(variables["fiscal_year"]), str(variables["level"])
    due = variables.get("self_report_due_on")
    with ctx.write() as conn:
        scorecard_id = records.open_card(conn, ctx.now, department_id=str(department_id), year=year, level=level,
                                         instance_id=ctx.instance_id or "",
                                         due_on=date.fromisoformat(str(due)) if due else None)
        inds = records.indicators_of(conn, records.get(conn, scorecard_id))
    entered = [{"code": i.code, "name": i.name, "name_en": i.name_en, "dimension": i.dimension,
                "max_points": float(i.weight), "rule": i.rule} for i in inds if i.entered]
    return {"scorecard_id": scorecard_id, "entered_indicators": entered}


@handler("scorecard.self_report")
def self_report(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Keep the department's self-report; self-assessed points outside an indicator's range go back to it."""
    items = variables.get("self_scores") or []
    with ctx.read() as conn:
        row = _card(ctx, variables, conn)
        inds = records.indicators_of(conn, row)
    claimed = [{"code": i.get("code"), "points": i.get("self_points")} for i in items if isinstance(i, dict)]
    errors = [{**e, "field": e["field"].replace(".points", ".self_points")}
              for e in scorecard_rules.check_entered(inds, claimed, "self_scores")]
    if errors:
        return {"self_report_errors": errors}
    with ctx.write() as conn:
        task = records.task_of(conn, ctx.instance_id or "", "self_report")
        records.record_self_report(conn, ctx.now, row.id, {
            "summary": variables.get("self_summary"), "items": items,
            "evidence_files": variables.get("evidence_files") or [],
            "task_id": task.id if task else None, "by": task.completed_by if task else None})
    return {"self_report_errors": []}


@handler("scorecard.measure")
def measure(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The measured indicators as the records stand, for the bureau's scoring (kept as the scorecard's entries)."""
    with ctx.write() as conn:
        row = _card(ctx, variables, conn)
        entries = tuple(e for e in records.compute(conn, ctx.now, row) if e.formula != scorecard_rules.ENTERED)
        records.write_entries(conn, ctx.now, row.id, entries)
    return {"measured_scores": _summary(entries),
            "measured_points": float(sum((e.points or Decimal(0) for e in entries), Decimal(0)))}


@handler("scorecard.score")
def score(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Check the bureau's points, measure again, total, grade and rank; the result goes to the department."""
    items = variables.get("scores") or []
    with ctx.read() as conn:
        row = _card(ctx, variables, conn)
        inds = records.indicators_of(conn, row)
    errors = scorecard_rules.check_entered(inds, items, "scores")
    if errors:
        return {"scoring_errors": errors}
    with ctx.write() as conn:
        task = records.task_of(conn, ctx.instance_id or "", "bureau_scoring")
        own = records.task_of(conn, ctx.instance_id or "", "self_report")
        if task is None:
            raise InvalidInput("no completed scoring task", [{"field": "bureau_scoring", "message": "not found"}])
        claimed = {i.get("code"): i.get("self_points") for i in variables.get("self_scores") or []
                   if isinstance(i, dict)}
        entered = {str(i["code"]): scorecard_rules.EnteredScore(
            str(i["code"]), Decimal(str(i["points"])), task.id, task.completed_by, i.get("comment"),
            Decimal(str(claimed[i["code"]])) if claimed.get(i["code"]) is not None else None,
            own.id if own else None) for i in items}
        entries = records.compute(conn, ctx.now, row, entered)
        feedback = {"feedback": variables.get("feedback"), "improvements": variables.get("improvements") or [],
                    "by": task.completed_by, "task_id": task.id}
        result = records.finalize(conn, ctx.now, row.id, entries, feedback)
    dims = [{"dimension": d.code, "name": d.name, "name_en": d.name_en, "points": _number(d.points),
             "max_points": float(d.max_points)} for d in scorecard_rules.dimensions(entries)]
    return {"scoring_errors": [], "scorecard_total": float(result["total"]), "scorecard_grade": result["grade"],
            "scorecard_rank": result["rank"], "scorecard_ranked": result["of"], "scorecard_dimensions": dims}


@handler("scorecard.acknowledge")
def acknowledge(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The department confirmed it received the result and the feedback."""
    with ctx.write() as conn:
        row = _card(ctx, variables, conn)
        task = records.task_of(conn, ctx.instance_id or "", "acknowledge_result")
        records.acknowledge(conn, ctx.now, row.id, task.completed_by if task else None,
                            variables.get("acknowledge_comment"))
    return {"scorecard_status": "acknowledged"}
