"""Comprehensive evaluation of how a department runs budget performance management (部门预算绩效管理工作综合评价,
the plan 二(三)3): pure scoring over plain facts.

A scorecard has the plan's six dimensions; each is a weighted set of indicators, the rule rows
`scorecard.indicators` (per level). An indicator is either *measured* — computed here from the cycle's records of
the fiscal year's projects — or *entered* by the bureau's performance office through the comprehensive_evaluation
process. Each measured score keeps the records behind it (Evidence), each entered one the task it was entered in.

Points rules (the indicator row's `formula`):
- "ratio": weight × passed / counted, 2 decimals half up;
- "deduct": weight − per_item × failed, never below 0;
- "entered": the points the bureau entered, 0 ≤ points ≤ weight.
With no record to count, the row's `no_data` decides: "full" where records only arise when something went wrong
(warnings, spot-checks, rectifications), "zero" where every department produces them (declarations, reports).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from service.domain.grades import grade, to_decimal
from service.domain.scorecard_facts import (  # noqa: F401  (the facts are part of this module's interface)
    EFFECTS,
    ENTERED,
    EVALUATION_DUE,
    MEASURES,
    OUTPUTS,
    PASSING_REVIEW,
    BudgetDecisionRecord,
    CorrectiveRequest,
    Declaration,
    Evidence,
    Indicator,
    MonitoringFiling,
    ProjectRecord,
    RectificationRecord,
    Review,
    SubjectFacts,
    TrainingRecord,
)
from service.errors import InvalidInput

# The plan's six dimensions, in its order: code → (Chinese, English).
DIMENSIONS: dict[str, tuple[str, str]] = {
    "basic": ("基础工作", "Basic work"),
    "goals": ("目标管理", "Goal setting"),
    "monitoring": ("运行监控", "Monitoring"),
    "evaluation": ("评价实施", "Evaluation"),
    "results": ("结果应用", "Result application"),
    "reform": ("改革创新", "Reform and innovation"),
}
FORMULAS = ("ratio", "deduct", "entered")
INDICATORS_KEY = "scorecard.indicators"
FLOORS_KEY = "scorecard.grade_floors"
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class EnteredScore:
    """Points the bureau entered for an indicator, with the task they were entered in."""

    code: str
    points: Decimal
    task_id: str
    by: str | None = None
    comment: str | None = None
    self_points: Decimal | None = None
    self_task_id: str | None = None


@dataclass(frozen=True)
class Entry:
    code: str
    dimension: str
    name: str
    name_en: str
    formula: str
    measure: str
    max_points: Decimal
    points: Decimal | None  # None: an entered indicator not scored yet
    counted: int = 0
    passed: int = 0
    no_data: bool = False
    evidence: tuple[Evidence, ...] = ()
    rule: str = ""
    comment: str | None = None


@dataclass(frozen=True)
class DimensionScore:
    code: str
    name: str
    name_en: str
    points: Decimal | None
    max_points: Decimal


def _points(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _optional_decimal(row: Mapping[str, Any], name: str, field: str) -> Decimal | None:
    return None if row.get(name) is None else to_decimal(row[name], f"{field}.{name}")


def parse_indicators(rows: Any) -> tuple[Indicator, ...]:
    """The indicator rows of rule `scorecard.indicators`, checked: known dimensions, measures and formulas, unique
    codes, positive weights adding up to 100 (the scorecard is out of 100, graded in the plan's bands)."""
    if not isinstance(rows, list) or not rows:
        raise InvalidInput("scorecard.indicators must be a list of indicators",
                           [{"field": INDICATORS_KEY, "message": "a non-empty list"}])
    out: list[Indicator] = []
    errors: list[dict[str, str]] = []
    for i, row in enumerate(rows):
        field = f"{INDICATORS_KEY}[{i}]"
        if not isinstance(row, Mapping):
            errors.append({"field": field, "message": "an object"})
            continue
        ind = Indicator(code=str(row.get("code") or ""), dimension=str(row.get("dimension") or ""),
                        name=str(row.get("name") or ""), name_en=str(row.get("name_en") or ""),
                        weight=to_decimal(row.get("weight"), f"{field}.weight"),
                        measure=str(row.get("measure") or ""), formula=str(row.get("formula") or ""),
                        no_data=str(row.get("no_data") or "zero"),
                        per_item=_optional_decimal(row, "per_item", field),
                        tolerance=_optional_decimal(row, "tolerance", field), rule=str(row.get("rule") or ""))
        problems = [
            (not ind.code, "code", "required"), (ind.dimension not in DIMENSIONS, "dimension", "unknown dimension"),
            (ind.weight <= 0, "weight", "must be positive"), (ind.formula not in FORMULAS, "formula", "unknown"),
            (ind.no_data not in ("full", "zero"), "no_data", "full or zero"),
            (ind.entered != (ind.measure == ENTERED), "measure", "entered indicators use formula entered"),
            (not ind.entered and ind.measure not in MEASURES, "measure", "unknown measure"),
            (ind.formula == "deduct" and (ind.per_item is None or ind.per_item <= 0), "per_item", "required"),
            (ind.measure == "spot_check_agreement" and ind.tolerance is None, "tolerance", "required"),
        ]
        errors += [{"field": f"{field}.{name}", "message": message} for bad, name, message in problems if bad]
        out.append(ind)
    codes = [i.code for i in out]
    errors += [{"field": INDICATORS_KEY, "message": f"code {c} twice"}
               for c in sorted(set(codes)) if codes.count(c) > 1]
    if not errors and sum(i.weight for i in out) != 100:
        errors.append({"field": INDICATORS_KEY, "message": "weights must add up to 100"})
    if errors:
        raise InvalidInput("the scorecard's indicator rule is not valid", errors)
    return tuple(out)


# --- scoring ---------------------------------------------------------------------------------------------------
def measured_entry(ind: Indicator, evidence: Iterable[Evidence]) -> Entry:
    """The indicator's points from its records, by its points rule."""
    records = tuple(sorted(evidence, key=lambda e: (e.table, e.project_id or "", e.id)))
    passed = sum(1 for e in records if e.ok)
    if not records:
        points = ind.weight if ind.no_data == "full" else Decimal(0)
    elif ind.formula == "deduct":
        points = max(Decimal(0), ind.weight - (ind.per_item or Decimal(0)) * (len(records) - passed))
    else:
        points = ind.weight * passed / len(records)
    return Entry(ind.code, ind.dimension, ind.name, ind.name_en, ind.formula, ind.measure, ind.weight,
                 _points(points), len(records), passed, not records, records, ind.rule)


def entered_entry(ind: Indicator, score: EnteredScore | None) -> Entry:
    """An entered indicator: the bureau's points (None until scored), linked to the scoring task."""
    if score is None:
        return Entry(ind.code, ind.dimension, ind.name, ind.name_en, ind.formula, ind.measure, ind.weight, None,
                     rule=ind.rule)
    evidence = [Evidence("tasks", score.task_id, None, True, f"scored {score.points} by {score.by or '—'}", None,
                         "scored", (("points", str(score.points)), ("by", score.by or "—")))]
    if score.self_task_id:
        self_points = str(score.self_points) if score.self_points is not None else "—"
        evidence.append(Evidence("tasks", score.self_task_id, None, True, f"self-report {self_points}", None,
                                 "self_report", (("points", self_points),)))
    return Entry(ind.code, ind.dimension, ind.name, ind.name_en, ind.formula, ind.measure, ind.weight,
                 _points(score.points), evidence=tuple(evidence), rule=ind.rule, comment=score.comment)


def score(facts: SubjectFacts, indicators: Iterable[Indicator],
          entered: Mapping[str, EnteredScore] | None = None) -> tuple[Entry, ...]:
    """Every indicator's entry: measured ones from the facts, entered ones from the bureau's scores."""
    return tuple(entered_entry(ind, (entered or {}).get(ind.code)) if ind.entered
                 else measured_entry(ind, MEASURES[ind.measure](facts, ind)) for ind in indicators)


def check_entered(indicators: Iterable[Indicator], items: Any, field: str = "scores") -> list[dict[str, str]]:
    """Problems with entered points from a form: each entered indicator exactly once, 0 ≤ points ≤ its weight."""
    wanted = {i.code: i for i in indicators if i.entered}
    if not isinstance(items, list):
        return [{"field": field, "message": "a list of {code, points}"}]
    errors: list[dict[str, str]] = []
    seen: set[str] = set()
    for n, item in enumerate(items):
        code = item.get("code") if isinstance(item, Mapping) else None
        if code not in wanted:
            errors.append({"field": f"{field}[{n}].code", "message": f"not an entered indicator: {code}"})
            continue
        if code in seen:
            errors.append({"field": f"{field}[{n}].code", "message": f"{code} twice"})
        seen.add(code)
        points = item.get("points")
        try:
            value = to_decimal(points, f"{field}[{n}].points")
        except InvalidInput:
            errors.append({"field": f"{field}[{n}].points", "message": "a number"})
            continue
        if not 0 <= value <= wanted[code].weight:
            errors.append({"field": f"{field}[{n}].points", "message": f"between 0 and {wanted[code].weight}"})
    errors += [{"field": field, "message": f"missing {code}"} for code in wanted if code not in seen]
    return errors


def dimensions(entries: Iterable[Entry]) -> tuple[DimensionScore, ...]:
    """Points per dimension, in the plan's order (None while an entered indicator of it is unscored)."""
    items = list(entries)
    out = []
    for code, (name, name_en) in DIMENSIONS.items():
        mine = [e for e in items if e.dimension == code]
        if not mine:
            continue
        scored = [e.points for e in mine if e.points is not None]
        points = sum(scored, Decimal(0)) if len(scored) == len(mine) else None
        out.append(DimensionScore(code, name, name_en, points, sum((e.max_points for e in mine), Decimal(0))))
    return tuple(out)


def total(entries: Iterable[Entry]) -> Decimal | None:
    """The scorecard's total (None while any indicator is unscored)."""
    items = list(entries)
    if any(e.points is None for e in items):
        return None
    return _points(sum((e.points for e in items if e.points is not None), Decimal(0)))


def grade_of(points: Decimal | None, floors: Mapping[str, Any]) -> str | None:
    """The total's grade in the bands of rule `scorecard.grade_floors`."""
    return None if points is None else grade(points, floors)


def ranks(totals: Mapping[str, Decimal]) -> dict[str, int]:
    """Competition ranking by total, highest first: equal totals share a rank, the next rank skips (1, 2, 2, 4)."""
    ordered = sorted(totals.values(), reverse=True)
    return {key: ordered.index(value) + 1 for key, value in totals.items()}


@dataclass(frozen=True)
class Card:
    """One department's (or district bureau's) scorecard of a year, as the ranked table and drill-down show it."""

    department_id: str
    name: str
    name_en: str | None
    status: str  # not_started | notified | self_reported | scoring | scored | acknowledged
    entries: tuple[Entry, ...]
    total: Decimal | None = None
    grade: str | None = None
    rank: int | None = None
    previous_total: Decimal | None = None
    previous_rank: int | None = None
    delta: Decimal | None = None
    scorecard_id: int | None = None
    instance_id: str | None = None

    @property
    def dimensions(self) -> tuple[DimensionScore, ...]:
        return dimensions(self.entries)


FINAL = frozenset({"scored", "acknowledged"})


def ranked(cards: Iterable[Card], totals: Mapping[str, Decimal],
           previous: Mapping[str, tuple[Decimal, int]]) -> tuple[Card, ...]:
    """Rank the cards among the final scorecards of the year (`totals`, by department) and add the trend against
    the previous year's (total, rank); cards not final stay unranked. Order: rank, then department id."""
    order = ranks(totals)
    out = []
    for c in cards:
        before = previous.get(c.department_id)
        rank = order.get(c.department_id) if c.status in FINAL else None
        delta = None if before is None or rank is None or c.total is None else _points(c.total - before[0])
        out.append(replace(c, rank=rank, previous_total=before[0] if before else None,
                           previous_rank=before[1] if before else None, delta=delta))
    return tuple(sorted(out, key=lambda c: (c.rank is None, c.rank or 0, c.department_id)))
