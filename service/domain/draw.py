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


def draw_experts(candidates: Sequence[ExpertCandidate], *, departments: Collection[str], sector: str, cap: int,
                 size: int, rng: random.Random) -> list[ExpertCandidate]:
    """Draw `size` experts at random, those whose fields cover the sector first (local practice)."""
    if size < 1:
        raise InvalidInput("the panel needs at least one expert", [{"field": "experts.panel_size",
                                                                    "message": "must be at least 1"}])
    eligible = sorted((c for c in candidates if expert_eligible(c, departments, cap)), key=lambda c: c.id)
    if len(eligible) < size:
        raise Conflict(f"not enough eligible experts: the panel needs {size}, {len(eligible)} of "
                       f"{len(candidates)} are available, free of conflicts with {sorted(departments)} "
                       f"and under the year's cap of {cap}")
    matching = [c for c in eligible if sector in c.fields]
    others = [c for c in eligible if sector not in c.fields]
    picked = rng.sample(matching, min(size, len(matching)))
    if len(picked) < size:
        picked += rng.sample(others, size - len(picked))
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
