"""The expert draw and the agency assignment: 回避, the year's cap, reproducibility, the order of agencies."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from service.domain.draw import (
    AgencyCandidate,
    ExpertCandidate,
    agency_order,
    agency_score,
    assign_agency,
    draw_experts,
    expert_eligible,
    expert_weight,
    seed_for,
    suspends,
)
from service.errors import Conflict, InvalidInput


def expert(id: int, fields: tuple[str, ...] = ("education",), conflicts: tuple[str, ...] = (),
           available: bool = True, engagements: int = 0) -> ExpertCandidate:
    return ExpertCandidate(id=id, name=f"专家{id}", username=f"expert{id:02d}", fields=frozenset(fields),
                           conflicts=frozenset(conflicts), available=available, engagements=engagements)


def agency(id: int, rating: str | None = None, engagements: int = 0, status: str = "active",
           fields: tuple[str, ...] = ("education",), conflicts: tuple[str, ...] = ()) -> AgencyCandidate:
    return AgencyCandidate(id=id, name=f"机构{id}", username=f"agency{id:02d}", status=status,
                           fields=frozenset(fields), conflicts=frozenset(conflicts),
                           average_rating=Decimal(rating) if rating is not None else None, engagements=engagements)


def draw(candidates: list[ExpertCandidate], size: int = 3, cap: int = 6, departments: tuple[str, ...] = ("jyj",),
         sector: str = "education", seed: str = "2015-jyj-001:2015") -> list[int]:
    return [e.id for e in draw_experts(candidates, departments=departments, sector=sector, cap=cap, size=size,
                                       rng=random.Random(seed))]


def test_conflicted_unavailable_and_capped_experts_are_never_drawn() -> None:
    excluded = [expert(1, conflicts=("jyj",)), expert(2, available=False), expert(3, engagements=6),
                expert(4, conflicts=("jyj-parent",))]
    eligible = [expert(i) for i in range(10, 14)]
    for n in range(30):  # whatever the seed
        picked = draw(excluded + eligible, departments=("jyj", "jyj-parent"), seed=f"p{n}:2015")
        assert set(picked) <= {10, 11, 12, 13} and len(set(picked)) == 3


def test_an_expert_below_the_cap_stays_eligible() -> None:
    assert expert_eligible(expert(1, engagements=5), ["jyj"], cap=6)
    assert not expert_eligible(expert(1, engagements=6), ["jyj"], cap=6)
    assert not expert_eligible(expert(1, conflicts=("wjw", "jyj")), ["jyj"], cap=6)


def test_the_draw_is_reproducible_from_the_project_and_year() -> None:
    pool = [expert(i) for i in range(1, 31)]
    first = draw(pool, seed=seed_for("2015-jyj-001", 2015))
    assert first == draw(list(reversed(pool)), seed=seed_for("2015-jyj-001", 2015))  # the order read doesn't matter
    others = {tuple(draw(pool, seed=seed_for(f"2015-jyj-{n:03d}", 2015))) for n in range(2, 12)}
    assert len(others) > 1  # other projects get other panels


def test_experts_of_the_project_sector_are_preferred() -> None:
    pool = [expert(i, fields=("health",)) for i in range(1, 20)] + [expert(50), expert(51)]
    for n in range(20):
        picked = draw(pool, seed=f"p{n}")
        assert {50, 51} <= set(picked)


def test_too_few_eligible_experts_is_a_clear_error() -> None:
    pool = [expert(1), expert(2, conflicts=("jyj",)), expert(3, engagements=9), expert(4)]
    with pytest.raises(Conflict, match="not enough eligible experts: the panel needs 3, 2 of 4"):
        draw(pool)
    with pytest.raises(InvalidInput):
        draw(pool, size=0)


def test_agencies_in_order_of_sector_rating_then_fewest_engagements() -> None:
    pool = [agency(1, "70", engagements=0), agency(2, "90", engagements=3), agency(3, "90", engagements=1),
            agency(4, None), agency(5, "95", status="suspended"), agency(6, "99", conflicts=("jyj",)),
            agency(7, "100", fields=("transport",)), agency(8, "80", status="removed")]
    order = [a.id for a in agency_order(pool, departments=["jyj"], sector="education")]
    assert order == [3, 2, 1, 4, 7]
    assert assign_agency(pool, departments=["jyj"], sector="education").id == 3
    # Before any rating the commissions are spread: fewest this year first.
    fresh = [agency(1, engagements=2), agency(2, engagements=1), agency(3, engagements=1)]
    assert assign_agency(fresh, departments=["jyj"], sector="education").id == 2


def test_no_agency_left_is_a_clear_error() -> None:
    with pytest.raises(Conflict, match="no active agency"):
        assign_agency([agency(1, status="suspended"), agency(2, conflicts=("jyj",))], departments=["jyj"],
                      sector="education")


def test_agency_score_is_the_weighted_mean_and_below_the_threshold_suspends() -> None:
    weights = {"quality": 50, "timeliness": 25, "compliance": 25}
    score = agency_score({"quality": 80, "timeliness": 60, "compliance": 100}, weights)
    assert score == Decimal("80.00")
    low = agency_score({"quality": 50, "timeliness": 60, "compliance": 70}, weights)
    assert low == Decimal("57.50") and suspends(low, 60)
    assert not suspends(Decimal("60"), 60)


@pytest.mark.parametrize("rating", [{"quality": 80, "timeliness": 60}, {"quality": 101, "timeliness": 1,
                                    "compliance": 1}, {"quality": "x", "timeliness": 1, "compliance": 1},
                                    {"quality": True, "timeliness": 1, "compliance": 1}])
def test_an_incomplete_or_out_of_range_rating_is_refused(rating: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        agency_score(rating, {"quality": 50, "timeliness": 25, "compliance": 25})


class _Fixed:
    """A random generator that answers the given values in turn (the weighted draw's picks, hand-computed)."""

    def __init__(self, *values: float) -> None:
        self.values = list(values)

    def random(self) -> float:
        return self.values.pop(0)


def rated(id: int, mean: str | None) -> ExpertCandidate:
    return ExpertCandidate(id=id, name=f"专家{id}", username=None, fields=frozenset({"education"}),
                           conflicts=frozenset(), available=True, engagements=0,
                           mean_rating=Decimal(mean) if mean is not None else None)


def test_an_expert_weighs_its_mean_rating_and_an_unrated_one_the_rules_weight() -> None:
    assert expert_weight(rated(1, "4.50"), 3) == Decimal("4.50")
    assert expert_weight(rated(2, None), 3) == Decimal(3)


def test_the_weighted_draw_lays_each_pick_on_the_remaining_weights() -> None:
    # weights 5, 1, 3 (unrated): total 9. 0.6 × 9 = 5.4 falls in (5, 6] → expert 2; then 5 + 3 = 8,
    # 0.5 × 8 = 4.0 falls in [0, 5) → expert 1.
    pool = [rated(1, "5"), rated(2, "1"), rated(3, None)]
    picked = draw_experts(pool, departments=(), sector="education", cap=6, size=2, rng=_Fixed(0.6, 0.5),  # type: ignore[arg-type]
                          unrated_weight=3)
    assert [e.id for e in picked] == [2, 1]
    # 0.5 × 9 = 4.5 → expert 1 (weight 5); then weights 1, 3: 0.3 × 4 = 1.2 is past expert 2's 1 → expert 3.
    picked = draw_experts(pool, departments=(), sector="education", cap=6, size=2, rng=_Fixed(0.5, 0.3),  # type: ignore[arg-type]
                          unrated_weight=3)
    assert [e.id for e in picked] == [1, 3]


def test_a_well_rated_expert_is_drawn_more_often_over_many_seeds() -> None:
    # Expert 1 weighs 5, expert 2 weighs 1: over 600 single draws expert 1 comes near 5/6 of the time.
    pool = [rated(1, "5"), rated(2, "1")]
    ones = sum(draw_experts(pool, departments=(), sector="education", cap=6, size=1,
                            rng=random.Random(f"p-{n}:2015"))[0].id == 1 for n in range(600))
    assert 450 < ones < 550


def test_the_unrated_weight_must_be_positive() -> None:
    with pytest.raises(InvalidInput):
        draw_experts([rated(1, None)], departments=(), sector="education", cap=6, size=1,
                     rng=random.Random("x"), unrated_weight=0)
