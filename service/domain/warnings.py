"""Double monitoring (双监控, DOMAIN.md 2): execution rate, time progress, goal progress and the gaps that the
warning-level table (workflows/warning_level.dmn) compares with the rule thresholds. Pure: inputs passed in.

All figures are percentages rounded to two decimals, as monitoring_reports stores them.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

PERCENT = 100.0
MONTHS = 12


def _pct(value: float) -> float:
    return round(value, 2)


def execution_rate(executed: float, budget: float) -> float:
    """Executed / budget in percent (budget execution rate, 预算执行率)."""
    if budget <= 0:
        raise ValueError("the budget must be positive to compute an execution rate")
    if executed < 0:
        raise ValueError("the executed amount cannot be negative")
    return _pct(executed / budget * PERCENT)


def time_progress(as_of: date) -> float:
    """Months elapsed / 12 in percent at the end of `as_of` (a month-end gives whole months: 31 July → 7/12)."""
    days = calendar.monthrange(as_of.year, as_of.month)[1]
    months = as_of.month - 1 + as_of.day / days
    return _pct(months / MONTHS * PERCENT)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def parse_range(target: Any) -> tuple[float, float] | None:
    """`"80..95"` → (80, 95): a range target as the declaration form writes it."""
    if not isinstance(target, str) or ".." not in target:
        return None
    low, high = (_number(p) for p in target.split("..", 1))
    if low is None or high is None or low > high:
        return None
    return low, high


def indicator_progress(comparator: str, target: Any, actual: Any) -> float | None:
    """How far an indicator's target is achieved, 0–100 %; None for qualitative indicators (no number to compare).

    ≥ (more is better): actual / target. ≤ (less is better): met while actual ≤ target, else target / actual.
    = : the smaller over the larger of actual and target. range: met inside, else the ratio to the nearer bound.
    Above 100 % counts as 100 %: over-achieving one indicator does not hide another one's shortfall.
    """
    if comparator == "qualitative":
        return None
    value = _number(actual)
    if comparator == "range":
        bounds = parse_range(target)
        if bounds is None:
            return None
        low, high = bounds
        if value is None or value <= 0:
            return 0.0
        ratio = 1.0 if low <= value <= high else (value / low if value < low else high / value)
        return _pct(min(ratio, 1.0) * PERCENT)
    goal = _number(target)
    if goal is None:
        return None
    if value is None:
        return 0.0  # not reported: nothing achieved yet
    if comparator == ">=":
        ratio = value / goal if goal > 0 else 1.0
    elif comparator == "<=":
        ratio = 1.0 if value <= goal else (goal / value if value > 0 else 0.0)
    elif comparator == "=":
        ratio = 1.0 if value == goal else (min(value, goal) / max(value, goal) if max(value, goal) > 0 else 0.0)
    else:
        raise ValueError(f"unknown comparator {comparator!r}")
    return _pct(max(0.0, min(ratio, 1.0)) * PERCENT)


@dataclass(frozen=True)
class IndicatorStatus:
    """One indicator at a checkpoint: achieved so far and forecast for the year, in percent of its target."""

    name: str
    weight: float
    progress: float | None
    forecast: float | None
    reported: bool


def indicator_statuses(indicators: Iterable[Mapping[str, Any]],
                       actuals: Iterable[Mapping[str, Any]]) -> list[IndicatorStatus]:
    """Match the report's actuals to the approved indicators by name (an unreported indicator achieved nothing)."""
    by_name = {str(a.get("name", "")).strip(): a for a in actuals}
    out = []
    for ind in indicators:
        name = str(ind.get("name", "")).strip()
        row = by_name.get(name)
        comparator = str(ind.get("comparator", ">="))
        out.append(IndicatorStatus(
            name=name, weight=float(_number(ind.get("weight")) or 0.0),
            progress=indicator_progress(comparator, ind.get("target"), row.get("actual") if row else None),
            forecast=indicator_progress(comparator, ind.get("target"), row.get("expected") if row else None),
            reported=row is not None))
    return out


def weighted_progress(statuses: Iterable[IndicatorStatus], forecast: bool = False) -> float | None:
    """Weighted mean over the quantitative indicators (plain mean if no weights); None if there are none."""
    pairs = [(s.weight, p) for s in statuses
             if (p := s.forecast if forecast else s.progress) is not None]
    if not pairs:
        return None
    total = sum(w for w, _ in pairs)
    if total <= 0:
        return _pct(sum(p for _, p in pairs) / len(pairs))
    return _pct(sum(w * p for w, p in pairs) / total)


def execution_floor(floors: Mapping[str, float], as_of: date) -> float:
    """The execution floor in force at `as_of`: the latest "MM-DD" floor on or before it (0 before the first)."""
    passed = [(key, float(v)) for key, v in floors.items() if (as_of.month, as_of.day) >= _month_day(key)]
    return max(passed, key=lambda kv: _month_day(kv[0]))[1] if passed else 0.0


def _month_day(key: str) -> tuple[int, int]:
    month, day = key.split("-")
    return int(month), int(day)


@dataclass(frozen=True)
class Assessment:
    """What `monitoring.assess` hands to the warning-level table and stores with the report."""

    as_of: str
    execution_rate: float
    time_progress: float
    goal_progress: float | None
    forecast_progress: float | None
    execution_floor: float
    execution_gap: float  # points execution lags time progress (negative: ahead)
    goal_gap: float  # points goal achievement lags execution (negative: ahead)
    indicators: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def assess(*, as_of: date, budget: float, executed: float, indicators: Iterable[Mapping[str, Any]],
           actuals: Iterable[Mapping[str, Any]], floors: Mapping[str, float]) -> Assessment:
    """Execution against time (执行进度) and goal achievement against execution (目标实现) at a checkpoint.

    Without a quantitative indicator, goal achievement cannot lag execution: the goal gap is 0 and the
    department's own answer (can the goal be met) carries the goal side of the warning.
    """
    rate = execution_rate(executed, budget)
    progress = time_progress(as_of)
    statuses = indicator_statuses(indicators, actuals)
    goal = weighted_progress(statuses)
    return Assessment(
        as_of=as_of.isoformat(), execution_rate=rate, time_progress=progress, goal_progress=goal,
        forecast_progress=weighted_progress(statuses, forecast=True), execution_floor=execution_floor(floors, as_of),
        execution_gap=_pct(progress - rate), goal_gap=_pct(rate - goal) if goal is not None else 0.0,
        indicators=[asdict(s) for s in statuses])


def unexecuted_budget(budget: float, executed: float) -> float:
    """The money not yet spent: what stopping a project cuts for reallocation unless the supervisor says otherwise."""
    return round(max(0.0, budget - executed), 2)


def day_of_year(year: int, month_day: str) -> date:
    """`"07-31"` in fiscal year 2015 → 31 July 2015 (rule rows name dates without the year)."""
    month, day = _month_day(month_day)
    return date(year, month, day)


@dataclass(frozen=True)
class Checkpoint:
    """A monitoring checkpoint of the year: data as of one date, reported by another."""

    as_of: date
    report_by: date


def checkpoints(year: int, rows: Iterable[Mapping[str, str]]) -> list[Checkpoint]:
    """The year's checkpoints from the `monitoring.checkpoints` rule, in date order (a report date before its
    as-of date falls in the next year)."""
    out = []
    for row in rows:
        as_of = day_of_year(year, row["as_of"])
        report_by = day_of_year(year, row["report_by"])
        if report_by < as_of:
            report_by = day_of_year(year + 1, row["report_by"])
        out.append(Checkpoint(as_of, report_by))
    return sorted(out, key=lambda c: c.as_of)
