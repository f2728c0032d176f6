"""`deadline.compute`: a due date a number of (working or calendar) days ahead, from a rule row.

Inputs: `deadline_name` (e.g. "corrective"), `deadline_rule` (a rule key whose value is a number of days),
`deadline_unit` ("working" over the administrators' holiday calendar, or "calendar"), optional `deadline_from`
(ISO date; default today in the local zone). Returns `{name}_due_on` (ISO date) and `{name}_due_at` (23:59:59
local time of that day, with its offset), usable as a boundary timer's timeDate and as a user task's dueDate.

Optional, for the escalation ladder (docs/CYCLE.md, "Deadlines"): `deadline_grace_rule` (working days after the due
day before a slip escalates) returns `{name}_escalate_on` / `{name}_escalate_at`; `deadline_decision_rule` (working
days a supervisor has to decide, counted from the escalation — the due day itself without a grace rule) returns
`{name}_decide_on` / `{name}_decide_at`; with it, `deadline_leadership_rule` (working days the bureau leadership has,
once the supervisors let the decision deadline pass) returns `{name}_leader_on` / `{name}_leader_at`. Computed with
the due date, so the timers and the supervisor task's due
date are known before the slip happens.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

from service import clock
from service.domain.workdays import Calendar, add_working_days
from service.errors import InvalidInput, NotFound
from service.rules import store as rules
from workers.handlers import TaskContext, handler

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
# Working days stretch over weekends and holidays: a window this much wider than n always holds the due date
# (the longest official holiday is 8 days, so n working days fit within 3n + 60 calendar days).
_SPAN_FACTOR, _SPAN_EXTRA = 3, 60


def end_of_day(day: date) -> datetime:
    """23:59:59 Wuhan time of `day`: a deadline "within n days" ends when the day does."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=clock.LOCAL)


def due_on(ctx: TaskContext, start: date, days: int, unit: str) -> date:
    """The due date `days` working or calendar days after `start`."""
    if unit == "calendar":
        return start + timedelta(days=days)
    with ctx.read() as conn:
        cal = rules.calendar(conn, start, _span_end(start, days))
    return add_working_days(cal, start, days)


@handler("deadline.compute")
def compute_deadline(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Due date (and end-of-day due time) from the rule named by `deadline_rule`."""
    name = str(variables.get("deadline_name") or "")
    rule = str(variables.get("deadline_rule") or "")
    unit = str(variables.get("deadline_unit") or "working")
    problems = []
    if not _NAME.match(name):
        problems.append({"field": "deadline_name", "message": "a lower-case identifier such as 'corrective'"})
    if not rule:
        problems.append({"field": "deadline_rule", "message": "the key of a rule holding a number of days"})
    if unit not in ("working", "calendar"):
        problems.append({"field": "deadline_unit", "message": "working or calendar"})
    if problems:
        raise InvalidInput("deadline.compute needs deadline_name, deadline_rule and deadline_unit", problems)
    start = date.fromisoformat(str(variables["deadline_from"])[:10]) if variables.get("deadline_from") \
        else clock.local_today(ctx.now)
    year = int(variables.get("fiscal_year") or start.year)
    level = str(variables.get("level") or "*")
    steps = _ladder_rules(variables.get("deadline_grace_rule"), variables.get("deadline_decision_rule"),
                          variables.get("deadline_leadership_rule"))
    days, cal = _read(ctx, year, level, start, {"deadline_rule": rule, **steps})
    day = start + timedelta(days=days["deadline_rule"]) if unit == "calendar" \
        else add_working_days(cal, start, days["deadline_rule"])
    result = {f"{name}_due_on": day.isoformat(), f"{name}_due_at": end_of_day(day).isoformat()}
    return result | _ladder(days, cal, name, day)


def ladder(ctx: TaskContext, year: int, level: str, name: str, due: date, *, grace: Any, decision: Any,
           leadership: Any) -> dict[str, str]:
    """The escalation ladder's times after a due day: escalate (due + grace), decide, and the leadership's deadline."""
    steps = _ladder_rules(grace, decision, leadership)
    if not steps:
        return {}
    days, cal = _read(ctx, year, level, due, steps)
    return _ladder(days, cal, name, due)


def _ladder_rules(grace: Any, decision: Any, leadership: Any) -> dict[str, str]:
    """The ladder's rule keys by the field that names them (the leadership's only with a decision deadline)."""
    steps = {"deadline_grace_rule": grace, "deadline_decision_rule": decision,
             "deadline_leadership_rule": leadership if decision else None}
    return {field: str(key) for field, key in steps.items() if key}


def _ladder(days: dict[str, int], cal: Calendar, name: str, due: date) -> dict[str, str]:
    result: dict[str, str] = {}
    escalated = due
    if "deadline_grace_rule" in days:
        escalated = add_working_days(cal, due, days["deadline_grace_rule"])
        result |= {f"{name}_escalate_on": escalated.isoformat(),
                   f"{name}_escalate_at": end_of_day(escalated).isoformat()}
    if "deadline_decision_rule" in days:
        decide = add_working_days(cal, escalated, days["deadline_decision_rule"])
        result |= {f"{name}_decide_on": decide.isoformat(), f"{name}_decide_at": end_of_day(decide).isoformat()}
        if "deadline_leadership_rule" in days:
            lead = add_working_days(cal, decide, days["deadline_leadership_rule"])
            result |= {f"{name}_leader_on": lead.isoformat(), f"{name}_leader_at": end_of_day(lead).isoformat()}
    return result


def _read(ctx: TaskContext, year: int, level: str, start: date, keys: dict[str, str]) -> tuple[dict[str, int],
                                                                                           Calendar]:
    """The days of each rule of `keys` (by the field that names it) and the calendar from `start` over all of them
    in turn: two statements. A rule missing or not a number of days is refused as `_days` refuses it, in order."""
    with ctx.read() as conn:
        rows = rules.get_rows(conn, year, level, set(keys.values()))
        days: dict[str, int] = {}
        for field, key in keys.items():
            if key not in rows:
                raise NotFound(f"no rule {key!r} for {year} ({level})")
            days[field] = _checked(rows[key].value, key, field)
        # each step's window starts where the one before it may end at the latest
        cal = rules.calendar(conn, start, start + timedelta(days=sum(days.values()) * _SPAN_FACTOR
                                                            + len(days) * _SPAN_EXTRA))
    return days, cal


def _days(ctx: TaskContext, year: int, level: str, rule: str, field: str) -> int:
    with ctx.read() as conn:
        days = rules.get(conn, year, level, rule)
    return _checked(days, rule, field)


def _checked(days: Any, rule: str, field: str) -> int:
    if isinstance(days, bool) or not isinstance(days, int | float) or days < 0:
        raise InvalidInput(f"rule {rule} is not a number of days", [{"field": field, "message": str(days)}])
    return int(days)


def _span_end(start: date, days: int) -> date:
    return start + timedelta(days=days * _SPAN_FACTOR + _SPAN_EXTRA)


def working_days_after(ctx: TaskContext, year: int, level: str, start: date, rule: str) -> date:
    """The day a rule's number of working days after `start` (for handlers that set a deadline themselves)."""
    return due_on(ctx, start, _days(ctx, year, level, rule, "rule"), "working")


def start_of_day(day: date) -> datetime:
    """00:00 Wuhan time of `day`: when a reporting window opens."""
    return datetime.combine(day, time(0, 0), tzinfo=clock.LOCAL)
