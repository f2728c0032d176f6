"""The evaluation stage's handlers (绩效评价): score the self-evaluation, choose key evaluation or spot-check,
record the agency's key evaluation and the bureau's spot-check, settle the stage's result.

Every number comes from a rule row of the project's fiscal year and level; the arithmetic is in
service/domain/scoring.py and grades.py. Records are upserts per project and kind (jobs are at-least-once).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from service.cycle import evaluations
from service.domain import evaluation_selection as selection
from service.domain.grades import final_result, grade, round_score
from service.domain.scoring import key_score, parse_indicators, parse_results, self_score
from service.errors import InvalidInput
from service.rules import store as rules
from workers.handlers import TaskContext, handler

# Errors the department can fix in its own form; anything else (rules, the approved indicators) is an incident.
_FORM_FIELDS = ("indicator_results", "executed_amount")


def _rule(conn: Connection, variables: dict[str, Any], key: str) -> Any:
    return rules.get(conn, int(variables["fiscal_year"]), str(variables.get("level") or "*"), key)


def _project_id(ctx: TaskContext, variables: dict[str, Any]) -> str:
    project_id = variables.get("project_id") or ctx.business_key
    if not project_id:
        raise InvalidInput("project_id is required", [{"field": "project_id", "message": "required"}])
    return str(project_id)


@handler("evaluation.self_score")
def score_self_evaluation(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Score and grade the department's self-evaluation and record it; form problems go back to the department."""
    project_id = _project_id(ctx, variables)
    with ctx.read() as conn:
        weights = _rule(conn, variables, "evaluation.weights")
        bands = _rule(conn, variables, "evaluation.qualitative_bands")
        empty_group = _rule(conn, variables, "evaluation.empty_group_points")
        floors = _rule(conn, variables, "evaluation.grade_floors")
    indicators = parse_indicators(variables.get("indicators") or [])
    try:
        results = parse_results(variables.get("indicator_results") or [], indicators, bands)
        scored = self_score(indicators, results, executed_amount=variables.get("executed_amount"),
                            budget_amount=variables.get("budget_amount"), weights=weights, empty_group=empty_group)
    except InvalidInput as exc:
        if not all(str(e.get("field") or "").startswith(_FORM_FIELDS) for e in exc.errors):
            raise
        return {"self_evaluation_errors": exc.errors}
    self_grade = grade(scored["score"], floors)
    detail = {"parts": scored["parts"], "executed_amount": variables.get("executed_amount"),
              "indicator_results": variables.get("indicator_results"), "summary": variables.get("summary"),
              "satisfaction_survey": variables.get("satisfaction_survey"), "evidence": variables.get("evidence", [])}
    subject_kind, subject = selection.evaluation_kind(variables)
    with ctx.write() as conn:
        evaluations.record(conn, ctx.now, project_id=project_id, kind="self", score=scored["score"],
                           grade=self_grade, evaluated_amount=variables.get("budget_amount"), detail=detail,
                           evaluation_kind=subject_kind, evaluated_subject=subject)
    return {"self_evaluation_errors": [], "self_score": scored["score"], "self_grade": self_grade,
            "execution_rate": scored["parts"]["execution"]["rate"]}


@handler("evaluation.select")
def select_evaluation(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Key evaluation for key projects and major ones in focus sectors; otherwise maybe a spot-check."""
    project_id = _project_id(ctx, variables)
    with ctx.read() as conn:
        focus = _rule(conn, variables, "evaluation.key_focus_sectors")
        share = _rule(conn, variables, "evaluation.spot_check_share")
    kind, _subject = selection.evaluation_kind(variables)
    key = selection.key_selected(is_key=bool(variables.get("is_key")), is_major=bool(variables.get("is_major")),
                                 sector=str(variables.get("sector") or ""), focus_sectors=focus, kind=kind)
    spot = not key and selection.spot_check_selected(project_id, share)
    return {"key_selected": key, "spot_check_selected": spot}


@handler("evaluation.key_record")
def record_key_evaluation(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Score the agency's key evaluation report (决策/过程/产出/效益) and record it with the agency."""
    project_id = _project_id(ctx, variables)
    with ctx.read() as conn:
        weights = _rule(conn, variables, "evaluation.key_weights")
        floors = _rule(conn, variables, "evaluation.grade_floors")
    scored = key_score(variables.get("framework") or {}, weights)
    key_grade = grade(scored["score"], floors)
    detail = {"parts": scored["parts"], "framework": variables.get("framework"),
              "findings": variables.get("findings"), "recommendations": variables.get("recommendations"),
              "report_refs": variables.get("report_refs", []), "agency_name": variables.get("agency_name")}
    agency_id = variables.get("agency_id")
    subject_kind, subject = selection.evaluation_kind(variables)
    with ctx.write() as conn:
        evaluations.record(conn, ctx.now, project_id=project_id, kind="key", score=scored["score"], grade=key_grade,
                           evaluated_amount=variables.get("budget_amount"), detail=detail,
                           agency_id=int(agency_id) if agency_id is not None else None,
                           evaluation_kind=subject_kind, evaluated_subject=subject)
    return {"key_score": scored["score"], "key_grade": key_grade}


@handler("evaluation.spot_check_record")
def record_spot_check(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Record the bureau's spot-check: the self-evaluation's score agreed, or adjusted with a reason."""
    project_id = _project_id(ctx, variables)
    decision = variables.get("spot_check_decision")
    if decision == "adjust":
        checked = variables.get("adjusted_score")
    elif decision == "agree":
        checked = variables.get("self_score")
    else:
        raise InvalidInput("spot_check_decision must be agree or adjust",
                           [{"field": "spot_check_decision", "message": "agree or adjust"}])
    with ctx.read() as conn:
        floors = _rule(conn, variables, "evaluation.grade_floors")
    checked = float(round_score(checked))  # as stored: 2 decimals, so the record and the variables agree
    checked_grade = grade(checked, floors)
    detail = {"decision": decision, "self_score": variables.get("self_score"),
              "self_grade": variables.get("self_grade"), "reason": variables.get("adjust_reason"),
              "comment": variables.get("spot_check_comment")}
    # No evaluated_amount: a spot-check reviews the self-evaluation, it does not evaluate the money again.
    with ctx.write() as conn:
        evaluations.record(conn, ctx.now, project_id=project_id, kind="spot_check", score=checked,
                           grade=checked_grade, detail=detail)
    return {"spot_check_score": checked, "spot_check_grade": checked_grade}


@handler("evaluation.finalize")
def finalize_evaluation(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The stage's result for the cycle: final_score, final_grade, key_evaluated (see grades.final_result)."""
    key = (variables["key_score"], variables["key_grade"]) if variables.get("key_selected") else None
    spot = ((variables["spot_check_score"], variables["spot_check_grade"])
            if variables.get("spot_check_selected") else None)
    return final_result((variables["self_score"], variables["self_grade"]), spot_check=spot, key=key)
