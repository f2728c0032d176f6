"""Handlers of the monitoring process (workflows/monitoring.bpmn): plan the year's checkpoints, assess a report
(execution against time, goals against execution), record it, and act on warnings (corrective measures, pause,
a supervisor's resume / suspend / stop with the budget cut).

Thresholds come from rule rows; the warning level itself is decided by workflows/warning_level.dmn.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from service import clock
from service.cycle import adjustments_records, goals_records, monitoring_records
from service.domain import warnings
from service.domain.adjustments_rules import checked_amount
from service.errors import InvalidInput
from service.rules import store as rules
from workers.handlers import TaskContext, handler
from workers.tasks.deadlines import end_of_day, ladder, start_of_day, working_days_after

MIDTERM_RULE = "monitoring.midterm_review_working_days"
DECISION_RULE = "escalation.supervisor_decision_working_days"
LEADERSHIP_RULE = "escalation.leadership_decision_working_days"
# The escalation ladder of a late mid-term review or checkpoint report (docs/CYCLE.md, "Deadlines").
LADDER = {"grace": "escalation.grace_working_days", "decision": DECISION_RULE, "leadership": LEADERSHIP_RULE}


def _project(variables: dict[str, Any], ctx: TaskContext) -> str:
    project_id = variables.get("project_id") or ctx.business_key
    if not isinstance(project_id, str) or not project_id:
        raise InvalidInput("project_id is required", [{"field": "project_id", "message": "required"}])
    return project_id


def _year_level(variables: dict[str, Any]) -> tuple[int, str]:
    return int(variables["fiscal_year"]), str(variables.get("level") or "*")


def _number(variables: dict[str, Any], name: str) -> float:
    value = variables.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{name} must be a number", [{"field": name, "message": "a number"}])
    return float(value)


def _key(ctx: TaskContext, variables: dict[str, Any], action: str) -> str:
    """Idempotency key of a project action: the instance, the report round and the action."""
    return f"{ctx.instance_id}:{int(variables.get('report_round') or 0)}:{action}"


def _report(ctx: TaskContext, variables: dict[str, Any], project_id: str) -> int | None:
    as_of = variables.get("report_as_of")
    if not as_of:
        return None
    with ctx.read() as conn:
        return monitoring_records.report_id(conn, project_id, date.fromisoformat(str(as_of)))


def _assessment(ctx: TaskContext, variables: dict[str, Any], *, as_of: date, executed: float,
                actuals: list[dict[str, Any]]) -> tuple[warnings.Assessment, dict[str, Any]]:
    year, level = _year_level(variables)
    project_id = _project(variables, ctx)
    with ctx.read() as conn:
        floors = rules.get(conn, year, level, "monitoring.execution_floors")
        thresholds = {"red_gap": float(rules.get(conn, year, level, "monitoring.red_gap")),
                      "yellow_gap": float(rules.get(conn, year, level, "monitoring.yellow_gap"))}
        indicators = variables.get("indicators") or goals_records.approved_indicators(conn, project_id)
    assessment = warnings.assess(as_of=as_of, budget=_number(variables, "budget_amount"), executed=executed,
                                 indicators=indicators, actuals=actuals, floors=floors)
    return assessment, thresholds


@handler("monitoring.plan")
def plan(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The year's checkpoints, the mid-term date and the mid-term review's due date from the rules; the project
    starts running."""
    year, level = _year_level(variables)
    with ctx.read() as conn:
        rows = rules.get(conn, year, level, "monitoring.checkpoints")
        midterm = warnings.day_of_year(year, str(rules.get(conn, year, level, "monitoring.midterm_as_of")))
    # The mid-term review is due a number of working days after its as-of date (rule MIDTERM_RULE, local practice).
    midterm_due = working_days_after(ctx, year, level, midterm, MIDTERM_RULE)
    with ctx.write() as conn:
        monitoring_records.start_running(conn, _project(variables, ctx), ctx.now)
    # A reporting window opens the day after its as-of date and closes at the end of its report date.
    schedule = [{"as_of": c.as_of.isoformat(), "opens_at": start_of_day(c.as_of + timedelta(days=1)).isoformat(),
                 "due_on": c.report_by.isoformat(), "due_at": end_of_day(c.report_by).isoformat(),
                 **{k.removeprefix("report_"): v
                    for k, v in ladder(ctx, year, level, "report", c.report_by, **LADDER).items()}}
                for c in warnings.checkpoints(year, rows)]
    return {"checkpoints": schedule, "checkpoint_no": 0, "report_round": 0, "midterm_as_of": midterm.isoformat(),
            "midterm_at": start_of_day(midterm + timedelta(days=1)).isoformat(),
            "midterm_due_on": midterm_due.isoformat(), "midterm_due_at": end_of_day(midterm_due).isoformat(),
            **ladder(ctx, year, level, "midterm", midterm_due, **LADDER),
            "project_stopped": False, "project_cancelled": False,
            "monitoring_outcome": "running"}


@handler("monitoring.midterm")
def record_midterm(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The mid-term review of a key project: spending progress and goal tracking at mid-year.

    A review concluding off_track is serious when its execution or goal gap exceeds the red threshold of the
    warning table (rule monitoring.red_gap): at a checkpoint those figures would be a red warning. A serious one is
    escalated to the supervisors, who decide within DECISION_RULE working days (then the leadership's
    LEADERSHIP_RULE).
    """
    assessment, thresholds = _assessment(ctx, variables, as_of=date.fromisoformat(str(variables["midterm_as_of"])),
                                         executed=_number(variables, "midterm_executed_amount"),
                                         actuals=list(variables.get("midterm_indicator_actuals") or []))
    conclusion = variables.get("midterm_conclusion")
    serious = conclusion == "off_track" and max(assessment.execution_gap, assessment.goal_gap) > thresholds["red_gap"]
    detail = {**assessment.as_dict(), "conclusion": conclusion, "serious": serious,
              "comment": variables.get("midterm_comment"), "executed_amount": variables["midterm_executed_amount"]}
    with ctx.write() as conn:
        monitoring_records.record_midterm(conn, ctx.now, project_id=_project(variables, ctx), detail=detail)
    year, level = _year_level(variables)
    decide = working_days_after(ctx, year, level, clock.local_today(ctx.now), DECISION_RULE)
    lead = working_days_after(ctx, year, level, decide, LEADERSHIP_RULE)
    return {"midterm_execution_rate": assessment.execution_rate, "midterm_time_progress": assessment.time_progress,
            "midterm_goal_progress": assessment.goal_progress, "midterm_serious": serious,
            "offtrack_decide_at": end_of_day(decide).isoformat(), "offtrack_leader_at": end_of_day(lead).isoformat()}


@handler("monitoring.midterm_corrective")
def midterm_corrective(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The department's corrective measures after an off-track mid-term review, with the budget it proposes to move
    to urgent spending of the same year (the plan 二(三)2)."""
    project_id = _project(variables, ctx)
    given = variables.get("midterm_budget_adjustment")
    amount = float(given) if isinstance(given, int | float) and not isinstance(given, bool) else None
    with ctx.write() as conn:
        monitoring_records.record_action(conn, ctx.now, key=f"{ctx.instance_id}:midterm:corrective",
                                         project_id=project_id,
                              action="midterm_corrective", report_id=None, budget_cut=amount,
                              note=str(variables.get("midterm_corrective_plan") or ""), actor="department")
    return {}


# The decision tasks whose completer is the adjustment's decider, by the handler that records it.
DEVIATION_DECIDERS = ("deviation_decision", "lead_deviation")
RED_DECIDERS = ("review_red_warning", "lead_red_warning")
OFFTRACK_DECIDERS = ("review_midterm_off_track", "lead_midterm_off_track")


def _adjust(ctx: TaskContext, conn: Any, variables: dict[str, Any], *, key: str, deciders: tuple[str, ...],
            cut: float | None = None) -> dict[str, Any]:
    """The classified handling opinion (分类处理意见, the plan 二(三)2) of a monitoring decision, and the in-year
    budget adjustment it makes toward the same year's urgent spending (a stop moves its budget cut)."""
    handling = variables.get("handling_opinion")
    if not handling:
        return {}
    amount = checked_amount(str(handling), cut if handling == "stop" else variables.get("adjustment_amount"),
                            variables.get("budget_amount") or 0)
    if amount is not None:
        adjustments_records.record(conn, ctx.now, key=key, project_id=_project(variables, ctx),
                           fiscal_year=int(variables["fiscal_year"]), handling=str(handling), amount=amount,
                           toward=str(variables.get("adjustment_toward") or ""),
                           reason=str(variables.get("adjustment_reason") or ""),
                           decided_by=adjustments_records.decided_by(conn, ctx.instance_id or "", deciders),
                           instance_id=ctx.instance_id)
    # The form's answers are cleared once recorded, so that a later decision of the instance (another report
    # round) does not find them and move the money twice; the opinion stays as `handled_as`.
    return {"handled_as": handling, "adjusted_amount": float(amount) if amount is not None else None,
            "handling_opinion": None, "adjustment_amount": None, "adjustment_toward": None, "adjustment_reason": None}


def _target_decision(ctx: TaskContext, variables: dict[str, Any], round_key: str,
                     deciders: tuple[str, ...]) -> dict[str, Any]:
    """A supervisor's decision on a slipping target (form target_escalation): order corrective measures within the
    deadline already set, or suspend the project until a report is no longer a serious deviation."""
    project_id = _project(variables, ctx)
    decision = str(variables.get("decision") or "")
    note = variables.get("decision_comment")
    key = f"{ctx.instance_id}:{round_key}:{decision}"
    with ctx.write() as conn:
        if decision == "suspend":
            monitoring_records.decide(conn, ctx.now, key=key, project_id=project_id, report_id=_report(ctx, variables,
                                                                                                       project_id),
                           decision="suspend", note=note)
        elif decision == "order_rectification":
            monitoring_records.record_action(conn, ctx.now, key=key, project_id=project_id, action="corrective_ordered",
                                  report_id=_report(ctx, variables, project_id), note=note, actor="supervisor")
        else:
            raise InvalidInput("unknown decision", [{"field": "decision", "message": "order_rectification, suspend"}])
        return _adjust(ctx, conn, variables, key=f"{ctx.instance_id}:{round_key}:adjustment", deciders=deciders)


@handler("monitoring.red_decide")
def red_decide(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The supervisor's decision on a red warning (RED_WARNING), once per report round."""
    return _target_decision(ctx, variables, f"red{int(variables.get('report_round') or 0)}", RED_DECIDERS)


@handler("monitoring.midterm_decide")
def midterm_decide(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The supervisor's decision on a mid-term review seriously off track (MIDTERM_OFF_TRACK)."""
    return _target_decision(ctx, variables, "midterm", OFFTRACK_DECIDERS)


@handler("monitoring.assess")
def assess(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Execution rate, time progress, goal progress and gaps, plus the thresholds the warning table compares."""
    # A checkpoint report is as of the checkpoint; a report asked for after a suspension is as of its filing.
    as_of = date.fromisoformat(str(variables["report_as_of"])) if variables.get("report_as_of") \
        else clock.local_today(ctx.now)
    assessment, thresholds = _assessment(ctx, variables, as_of=as_of, executed=_number(variables, "executed_amount"),
                                         actuals=list(variables.get("indicator_actuals") or []))
    year, level = _year_level(variables)
    # A serious deviation goes to the supervisor at once: the decision is due DECISION_RULE working days after the
    # report (the corrective-overdue path sets its own, counted from the corrective deadline).
    decide = working_days_after(ctx, year, level, clock.local_today(ctx.now), DECISION_RULE)
    lead = working_days_after(ctx, year, level, decide, LEADERSHIP_RULE)  # then the bureau leadership's
    return {"execution_rate": assessment.execution_rate, "time_progress": assessment.time_progress,
            "goal_progress": assessment.goal_progress, "forecast_progress": assessment.forecast_progress,
            "execution_gap": assessment.execution_gap, "goal_gap": assessment.goal_gap,
            "execution_floor": assessment.execution_floor, "indicator_progress": assessment.indicators,
            "report_round": int(variables.get("report_round") or 0) + 1, "report_as_of": as_of.isoformat(),
            "decision_due_at": end_of_day(decide).isoformat(), "decision_leader_at": end_of_day(lead).isoformat(),
            **thresholds}


@handler("monitoring.record")
def record(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Write the report with its warning level; a suspended project no longer seriously off course resumes."""
    project_id = _project(variables, ctx)
    level = str(variables.get("warning_level") or "")
    if level not in ("red", "yellow", "green"):
        raise InvalidInput("the warning table gave no level", [{"field": "warning_level", "message": str(level)}])
    can_meet = str(variables.get("can_meet") or "")
    serious = level == "red" and can_meet == "impossible"
    keys = ("execution_rate", "time_progress", "goal_progress", "forecast_progress", "execution_gap", "goal_gap",
            "execution_floor", "red_gap", "yellow_gap", "warning_reason", "indicator_actuals", "indicator_progress",
            "deviation_reasons", "report_round")
    detail = {k: variables.get(k) for k in keys}
    due = variables.get("report_due_on")
    with ctx.write() as conn:
        report_id = monitoring_records.record_report(
            conn, ctx.now, project_id=project_id, as_of=date.fromisoformat(str(variables["report_as_of"])),
            due_on=date.fromisoformat(str(due)) if due else None, executed=_number(variables, "executed_amount"),
            assessment=variables, can_meet=can_meet, warning_level=level, detail=detail)
        if not serious:
            monitoring_records.lift_suspension(conn, ctx.now, key=_key(ctx, variables, "resumed"),
                                               project_id=project_id,
                                    report_id=report_id)
    return {"last_warning_level": level, "serious_deviation": serious, "monitoring_report_id": report_id}


@handler("monitoring.request_corrective")
def request_corrective(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Note that corrective measures are due (and by when) for the report's warning."""
    project_id = _project(variables, ctx)
    report_id = _report(ctx, variables, project_id)
    with ctx.write() as conn:
        monitoring_records.record_action(conn, ctx.now, key=_key(ctx, variables, "corrective_requested"),
                                         project_id=project_id,
                              action="corrective_requested", report_id=report_id,
                              due_on=date.fromisoformat(str(variables["corrective_due_on"])),
                              note=str(variables.get("warning_reason") or ""), actor="system")
    return {}


@handler("monitoring.corrective")
def corrective(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The department's measure: continue, reallocate (amount recorded) or cancel (its unexecuted budget is cut).

    A cancellation is the department's own: the project is cancelled, not stopped, and — a warning it could still
    have met ("有可能") being no serious deviation — no accountability follows (workflows/budget_cycle.bpmn).
    """
    project_id = _project(variables, ctx)
    report_id = _report(ctx, variables, project_id)
    measure = str(variables.get("corrective_measure") or "")
    given = variables.get("reallocate_amount")
    cut = warnings.unexecuted_budget(_number(variables, "budget_amount"), _number(variables, "executed_amount")) \
        if measure == "cancel" else None
    amount = cut if measure == "cancel" else float(given) if isinstance(given, int | float) else None
    with ctx.write() as conn:
        monitoring_records.record_measure(conn, ctx.now, key=_key(ctx, variables, measure), project_id=project_id,
                               report_id=report_id, measure=measure,
                               explanation=str(variables.get("corrective_explanation") or ""), amount=amount)
        if cut is None:
            return {}
        monitoring_records.cancel(conn, ctx.now, project_id=project_id, budget_cut=cut)
    return {"project_stopped": False, "project_cancelled": True, "monitoring_outcome": "cancelled", "budget_cut": cut}


@handler("monitoring.pause")
def pause(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """No corrective measures by the deadline: pause the project."""
    project_id = _project(variables, ctx)
    due = variables.get("corrective_due_on")
    report_id = _report(ctx, variables, project_id)
    with ctx.write() as conn:
        monitoring_records.pause(conn, ctx.now, key=_key(ctx, variables, "paused"), project_id=project_id,
                                 report_id=report_id,
                      due_on=date.fromisoformat(str(due)) if due else None)
    return {"project_paused": True}


@handler("monitoring.decide")
def decide(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The supervisor's decision: resume, suspend (the department reports again, as of the day it files) or stop
    with the budget cut (by default the unexecuted budget)."""
    project_id = _project(variables, ctx)
    decision = str(variables.get("decision") or "")
    report_id = _report(ctx, variables, project_id)
    note = variables.get("decision_comment")
    with ctx.write() as conn:
        if decision == "stop":
            given = variables.get("budget_cut")
            cut = float(given) if isinstance(given, int | float) and not isinstance(given, bool) else \
                warnings.unexecuted_budget(_number(variables, "budget_amount"),
                                           float(variables.get("executed_amount") or 0))
            monitoring_records.stop(conn, ctx.now, key=_key(ctx, variables, "stopped"), project_id=project_id,
                         report_id=report_id, budget_cut=cut, note=note, actor="supervisor")
            return {"project_stopped": True, "monitoring_outcome": "stopped", "budget_cut": cut,
                    **_adjust(ctx, conn, variables, key=_key(ctx, variables, "adjustment"),
                              deciders=DEVIATION_DECIDERS, cut=cut)}
        monitoring_records.decide(
            conn,
            ctx.now,
            key=_key(ctx, variables, decision),
            project_id=project_id,
            report_id=report_id,
            decision=decision,
            note=note,
        )
        handled = _adjust(ctx, conn, variables, key=_key(ctx, variables, "adjustment"), deciders=DEVIATION_DECIDERS)
    if decision == "suspend":
        return {"report_as_of": None, "project_paused": False, **handled}
    return {"project_paused": False, **handled}
