"""Who reviews and who evaluates: the random expert draw and the agency assignment (DOMAIN.md, Libraries).

Pure rules: the candidates, their engagement counts, the caps and the random generator are passed in.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from service.errors import Conflict, InvalidInput

RATING_PARTS = ("quality", "timeliness", "compliance")


@dataclass(frozen=True)
class ExpertCandidate:
    """An expert of the library with this fiscal year's engagement count."""

    id: int
    name: str
    username: str | None
    fields: frozenset[str]
    conflicts: frozenset[str]
    available: bool
    engagements: int
    mean_rating: Decimal | None = None  # of the finance reviewers' 1–5 ratings of its engagements; None: unrated


@dataclass(frozen=True)
class AgencyCandidate:
    """An agency of the library with its average rating (None before its first rating) and this year's count."""

    id: int
    name: str
    username: str | None
    status: str
    fields: frozenset[str]
    conflicts: frozenset[str]
    average_rating: Decimal | None
    engagements: int


def seed_for(project_id: str, fiscal_year: int) -> str:
    """The draw's random seed: the same project and year always draw the same way (audit replay)."""
    return f"{project_id}:{fiscal_year}"


def expert_eligible(expert: ExpertCandidate, departments: Collection[str], cap: int) -> bool:
    """回避 and spreading: available, not conflicted with the project's department chain, under the year's cap."""
    return expert.available and not (expert.conflicts & set(departments)) and expert.engagements < cap


def expert_weight(expert: ExpertCandidate, unrated_weight: object) -> Decimal:
    """An expert's weight in the draw: the mean of its engagement ratings (1–5), or `unrated_weight` (rule
    experts.unrated_weight) before its first rating (local practice)."""
    return expert.mean_rating if expert.mean_rating is not None else Decimal(str(unrated_weight))


def weighted_sample(candidates: Sequence[ExpertCandidate], count: int, rng: random.Random,
                    unrated_weight: object) -> list[ExpertCandidate]:
    """Draw `count` candidates without replacement, each pick in proportion to its weight: one rng.random() per
    pick, laid on the remaining candidates' weights in their order (deterministic for a seeded rng)."""
    pool = list(candidates)
    picked: list[ExpertCandidate] = []
    while pool and len(picked) < count:
        weights = [expert_weight(c, unrated_weight) for c in pool]
        point = Decimal(str(rng.random())) * sum(weights, Decimal(0))
        index, reached = len(pool) - 1, Decimal(0)
        for i, weight in enumerate(weights):
            reached += weight
            if point < reached:
                index = i
                break
        picked.append(pool.pop(index))
    return picked


def draw_experts(candidates: Sequence[ExpertCandidate], *, departments: Collection[str], sector: str, cap: int,
                 size: int, rng: random.Random, unrated_weight: object = 3) -> list[ExpertCandidate]:
    """Draw `size` experts at random, those whose fields cover the sector first, each weighed by its mean rating
    (local practice)."""
    if size < 1:
        raise InvalidInput("the panel needs at least one expert", [{"field": "experts.panel_size",
                                                                    "message": "must be at least 1"}])
    if Decimal(str(unrated_weight)) <= 0:
        raise InvalidInput("the weight of an unrated expert must be above 0",
                           [{"field": "experts.unrated_weight", "message": "must be above 0"}])
    eligible = sorted((c for c in candidates if expert_eligible(c, departments, cap)), key=lambda c: c.id)
    if len(eligible) < size:
        raise Conflict(f"not enough eligible experts: the panel needs {size}, {len(eligible)} of "
                       f"{len(candidates)} are available, free of conflicts with {sorted(departments)} "
                       f"and under the year's cap of {cap}")
    matching = [c for c in eligible if sector in c.fields]
    others = [c for c in eligible if sector not in c.fields]
    picked = weighted_sample(matching, size, rng, unrated_weight)
    if len(picked) < size:
        picked += weighted_sample(others, size - len(picked), rng, unrated_weight)
    return picked


def agency_order(candidates: Sequence[AgencyCandidate], *, departments: Collection[str],
                 sector: str) -> list[AgencyCandidate]:
    """Active agencies free of conflicts, best first: covering the sector, best average rating, fewest
    engagements this year (spreading the commissions), then the library's order. Unrated agencies follow the
    rated ones of the same sector coverage."""
    eligible = [c for c in candidates if c.status == "active" and not (c.conflicts & set(departments))]
    return sorted(eligible, key=lambda c: (sector not in c.fields, c.average_rating is None,
                                           -(c.average_rating or Decimal(0)), c.engagements, c.id))


def assign_agency(candidates: Sequence[AgencyCandidate], *, departments: Collection[str],
                  sector: str) -> AgencyCandidate:
    """The agency commissioned for a key evaluation (the first of agency_order)."""
    ordered = agency_order(candidates, departments=departments, sector=sector)
    if not ordered:
        raise Conflict(f"no active agency is free of conflicts with {sorted(departments)}")
    return ordered[0]


def agency_score(rating: Mapping[str, object], weights: Mapping[str, object]) -> Decimal:
    """The weighted score of an agency's report (local practice; the plan 二(三)4一是), 0–100."""
    errors = []
    parts: dict[str, Decimal] = {}
    for part in RATING_PARTS:
        value = rating.get(part)
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
            errors.append({"field": f"agency_rating.{part}", "message": "a number from 0 to 100 is required"})
            continue
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            number = Decimal(-1)
        if not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
            errors.append({"field": f"agency_rating.{part}", "message": "must be from 0 to 100"})
        parts[part] = number
    if errors:
        raise InvalidInput("the agency rating is incomplete or out of range", errors)
    weight = {part: Decimal(str(weights[part])) for part in RATING_PARTS}
    total = sum(weight.values(), Decimal(0))
    if total <= 0:
        raise InvalidInput("the rating weights must add up to more than 0",
                           [{"field": "agency.rating_weights", "message": "invalid"}])
    score = sum((parts[p] * weight[p] for p in RATING_PARTS), Decimal(0)) / total
    return score.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def suspends(score: Decimal, threshold: object) -> bool:
    """An agency whose report rates below the threshold is suspended from new commissions (rule
    agency.suspend_below)."""
    return score < Decimal(str(threshold))
