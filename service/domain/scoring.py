"""Evaluation scores (绩效评价) — pure: the self-evaluation score out of 100 and the key evaluation score.

Self-evaluation (DOMAIN.md, Evaluation; rule `evaluation.weights`: execution 10, outputs 50, effects 30,
satisfaction 10). Choices made here, each also stated where it is applied:
- execution part = weight × min(executed / budget, 100 %): spending more than the budget earns no extra points.
- a group's points are split over its indicators by their declared weights, normalised within the group
  (all weights 0 → equal shares). A group without indicators (e.g. no satisfaction indicator where nobody is
  served) follows rule `evaluation.empty_group_points`: "redistribute" its points over the other indicator
  groups in proportion to their weights, or "zero" (the group scores nothing).
- quantitative indicators: met → full points; otherwise points × actual/target for ≥, target/actual for ≤
  (the same proportion, inverted, since smaller is better), for = the proportion on the side missed, for a
  range full inside and the proportion to the nearer bound outside. Fractions are kept within 0–1.
- qualitative indicators score in the bands of rule `evaluation.qualitative_bands`; the assessor gives a
  percentage inside the band, by default the band's top.
- the weights of rule `evaluation.weights` (and `evaluation.key_weights`) are scaled to sum to 100, so a score
  is always out of 100 even if an administrator's weights do not add up.
Arithmetic is exact (Decimal); only the final score is rounded (grades.round_score).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from service.domain.grades import round_score, to_decimal
from service.errors import InvalidInput

# DOMAIN.md 1: outputs 数量/质量/时效/成本, effects 经济/社会/生态/可持续影响, satisfaction 满意度.
GROUPS: dict[str, tuple[str, ...]] = {
    "outputs": ("quantity", "quality", "timeliness", "cost"),
    "effects": ("economic", "social", "ecological", "sustainability"),
    "satisfaction": ("satisfaction",),
}
GROUP_OF = {category: group for group, categories in GROUPS.items() for category in categories}
COMPARATORS = (">=", "<=", "=", "range", "qualitative")
KEY_DIMENSIONS = ("decision", "process", "output", "effect")  # 决策 过程 产出 效益
EMPTY_GROUP_POLICIES = ("redistribute", "zero")
ZERO, ONE, HUNDRED = Decimal(0), Decimal(1), Decimal(100)


@dataclass(frozen=True)
class Indicator:
    """An approved indicator (the `indicators` variable of goal_review), as scoring needs it."""

    name: str
    category: str
    comparator: str
    target: Any  # a number; "low..high" / [low, high] for a range; free text for a qualitative one
    weight: Decimal

    @property
    def qualitative(self) -> bool:
        return self.comparator == "qualitative"


@dataclass(frozen=True)
class Result:
    """What the department reports for one indicator: an actual value, or a band and a percentage in it."""

    actual: Decimal | None = None
    band: str | None = None
    percent: Decimal | None = None


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", [{"field": field, "message": message}])


def parse_indicators(raw: Sequence[Mapping[str, Any]]) -> list[Indicator]:
    """The `indicators` variable as Indicators; refuse unknown categories or comparators and negative weights."""
    out: list[Indicator] = []
    for i, item in enumerate(raw):
        field = f"indicators/{i}"
        category, comparator = item.get("category"), item.get("comparator")
        if category not in GROUP_OF:
            raise _invalid(f"{field}/category", f"unknown category {category!r}")
        if comparator not in COMPARATORS:
            raise _invalid(f"{field}/comparator", f"unknown comparator {comparator!r}")
        weight = to_decimal(item.get("weight", 0), f"{field}/weight")
        if weight < 0:
            raise _invalid(f"{field}/weight", "must not be negative")
        out.append(Indicator(str(item.get("name", "")), category, comparator, item.get("target"), weight))
    names = [ind.name for ind in out]
    if len(set(names)) != len(names):
        raise _invalid("indicators", "indicator names must be unique: results are matched by name")
    return out


def parse_results(raw: Sequence[Mapping[str, Any]], indicators: Sequence[Indicator],
                  bands: Mapping[str, Sequence[Any]]) -> dict[str, Result]:
    """The form's `indicator_results` matched by name: exactly one per indicator, of the right kind."""
    by_name = {ind.name: ind for ind in indicators}
    out: dict[str, Result] = {}
    for i, item in enumerate(raw):
        field = f"indicator_results/{i}"
        name = item.get("name")
        ind = by_name.get(name)  # type: ignore[arg-type]
        if ind is None:
            raise _invalid(f"{field}/name", f"{name!r} is not an approved indicator")
        if name in out:
            raise _invalid(f"{field}/name", f"{name!r} is reported twice")
        if ind.qualitative:
            band = item.get("band")
            if not isinstance(band, str) or band not in bands:
                raise _invalid(f"{field}/band", f"a qualitative indicator needs a band: one of {sorted(bands)}")
            low, high = (to_decimal(v, "evaluation.qualitative_bands") for v in bands[band])
            percent = item.get("percent")
            value = high if percent is None else to_decimal(percent, f"{field}/percent")
            if not low <= value <= high:
                raise _invalid(f"{field}/percent", f"must lie in the band {band} ({low}–{high} %)")
            out[name] = Result(band=band, percent=value)  # type: ignore[index]
        else:
            if item.get("actual") is None:
                raise _invalid(f"{field}/actual", "a quantitative indicator needs its actual value")
            out[name] = Result(actual=to_decimal(item["actual"], f"{field}/actual"))  # type: ignore[index]
    missing = [ind.name for ind in indicators if ind.name not in out]
    if missing:
        raise _invalid("indicator_results", f"no result for {', '.join(missing)}")
    return out


def _range(target: Any) -> tuple[Decimal, Decimal]:
    if isinstance(target, str) and ".." in target:
        parts: Sequence[Any] = target.split("..", 1)
    elif isinstance(target, Mapping):
        parts = (target.get("low"), target.get("high"))
    elif isinstance(target, list | tuple) and len(target) == 2:
        parts = target
    else:
        raise _invalid("target", f"a range target is 'low..high', [low, high] or {{low, high}}, not {target!r}")
    low, high = (to_decimal(p, "target") for p in parts)
    return (low, high) if low <= high else (high, low)


def _at_least(actual: Decimal, target: Decimal) -> Decimal:
    """≥: met → 1, else actual/target (kept in 0–1; a target ≤ 0 that is missed scores 0)."""
    if actual >= target:
        return ONE
    return max(ZERO, actual / target) if target > 0 else ZERO


def _at_most(actual: Decimal, target: Decimal) -> Decimal:
    """≤: met → 1, else target/actual: the same proportion inverted, since smaller is better."""
    if actual <= target:
        return ONE
    return max(ZERO, target / actual) if target > 0 else ZERO


def indicator_fraction(ind: Indicator, result: Result) -> Decimal:
    """The share (0–1) of an indicator's points that a result earns."""
    if ind.qualitative:
        return (result.percent if result.percent is not None else ZERO) / HUNDRED
    actual = result.actual if result.actual is not None else ZERO
    if ind.comparator == "range":
        low, high = _range(ind.target)
        return _at_least(actual, low) if actual < low else _at_most(actual, high)
    target = to_decimal(ind.target, "target")
    if ind.comparator == ">=":
        return _at_least(actual, target)
    if ind.comparator == "<=":
        return _at_most(actual, target)
    return _at_least(actual, target) if actual < target else _at_most(actual, target)  # "=": the side missed


def execution_rate(executed_amount: Any, budget_amount: Any) -> Decimal:
    """Budget execution rate in percent (executed / budget × 100), unrounded."""
    budget = to_decimal(budget_amount, "budget_amount")
    executed = to_decimal(executed_amount, "executed_amount")
    if budget <= 0:
        raise _invalid("budget_amount", "must be positive to compute an execution rate")
    if executed < 0:
        raise _invalid("executed_amount", "must not be negative")
    return executed / budget * HUNDRED


def _scaled(weights: Mapping[str, Any], names: Sequence[str], rule: str) -> dict[str, Decimal]:
    values = {n: to_decimal(weights.get(n, 0), f"{rule}.{n}") for n in names}
    total = sum(values.values(), ZERO)
    if total <= 0 or any(v < 0 for v in values.values()):
        raise _invalid(rule, "weights must be non-negative and not all zero")
    return {n: v * HUNDRED / total for n, v in values.items()}


def group_points(weights: Mapping[str, Any], present: set[str], policy: str) -> dict[str, Decimal]:
    """Points of execution and of each indicator group, after rule `evaluation.empty_group_points`."""
    points = _scaled(weights, ("execution", *GROUPS), "evaluation.weights")
    if policy not in EMPTY_GROUP_POLICIES:
        raise _invalid("evaluation.empty_group_points", f"one of {EMPTY_GROUP_POLICIES}, not {policy!r}")
    empty = [g for g in GROUPS if g not in present]
    if not present:
        raise _invalid("indicators", "a self-evaluation needs at least one approved indicator")
    freed = sum((points[g] for g in empty), ZERO)
    kept = sum((points[g] for g in present), ZERO)
    for g in GROUPS:
        if g in empty:
            points[g] = ZERO
        elif policy == "redistribute" and freed and kept:
            points[g] += freed * points[g] / kept
    return points


def self_score(indicators: Sequence[Indicator], results: Mapping[str, Result], *, executed_amount: Any,
               budget_amount: Any, weights: Mapping[str, Any], empty_group: str) -> dict[str, Any]:
    """The self-evaluation score (0–100, 2 decimals) and its parts, ready to store as evaluations.detail."""
    rate = execution_rate(executed_amount, budget_amount)
    by_group: dict[str, list[Indicator]] = {g: [] for g in GROUPS}
    for ind in indicators:
        by_group[GROUP_OF[ind.category]].append(ind)
    points = group_points(weights, {g for g, inds in by_group.items() if inds}, empty_group)
    execution = points["execution"] * min(rate, HUNDRED) / HUNDRED
    total = execution
    parts: dict[str, Any] = {"execution": {"rate": _show(rate), "points": _show(points["execution"]),
                                           "score": _show(execution)}}
    for group, inds in by_group.items():
        weight_sum = sum((ind.weight for ind in inds), ZERO)
        earned = ZERO
        rows = []
        for ind in inds:
            share = ind.weight / weight_sum if weight_sum > 0 else ONE / len(inds)
            fraction = indicator_fraction(ind, results[ind.name])
            got = points[group] * share * fraction
            earned += got
            rows.append({"name": ind.name, "points": _show(points[group] * share), "fraction": _show(fraction),
                         "score": _show(got)})
        total += earned
        parts[group] = {"points": _show(points[group]), "score": _show(earned), "indicators": rows}
    return {"score": float(round_score(total)), "parts": parts}


def key_score(framework: Mapping[str, Sequence[Mapping[str, Any]]], weights: Mapping[str, Any]) -> dict[str, Any]:
    """The key evaluation score (决策/过程/产出/效益, rule `evaluation.key_weights`) from weighted sub-indicators.

    Each sub-indicator has a relative `weight` and a `score`, the percentage (0–100) of its points achieved;
    a dimension's points are split over its sub-indicators by weight, like a self-evaluation group.
    """
    points = _scaled(weights, KEY_DIMENSIONS, "evaluation.key_weights")
    total = ZERO
    parts: dict[str, Any] = {}
    for dim in KEY_DIMENSIONS:
        subs = list(framework.get(dim) or [])
        if not subs:
            raise _invalid(f"framework/{dim}", "every dimension needs at least one sub-indicator")
        ws = [to_decimal(s.get("weight", 0), f"framework/{dim}/{i}/weight") for i, s in enumerate(subs)]
        scores = [to_decimal(s.get("score"), f"framework/{dim}/{i}/score") for i, s in enumerate(subs)]
        for i, (w, s) in enumerate(zip(ws, scores, strict=True)):
            if w < 0 or not ZERO <= s <= HUNDRED:
                raise _invalid(f"framework/{dim}/{i}", "weight ≥ 0 and score between 0 and 100")
        wsum = sum(ws, ZERO)
        achieved = (sum((w * s for w, s in zip(ws, scores, strict=True)), ZERO) / wsum if wsum > 0
                    else sum(scores, ZERO) / len(scores))
        earned = points[dim] * achieved / HUNDRED
        total += earned
        parts[dim] = {"points": _show(points[dim]), "achieved": _show(achieved), "score": _show(earned)}
    return {"score": float(round_score(total)), "parts": parts}


def _show(value: Decimal) -> float:
    """A part of a score for the record (4 decimals); the total is computed from the exact values."""
    return float(value.quantize(Decimal("0.0001")))
