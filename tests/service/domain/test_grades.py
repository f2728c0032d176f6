"""Grades from scores (DOMAIN.md: 优 ≥ 90, 良 80–89, 中 60–79, 差 < 60), with the rounding decided in grades.py."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.domain.grades import grade, round_score
from service.errors import InvalidInput

FLOORS = {"优": 90, "良": 80, "中": 60}  # seeds/rules.json evaluation.grade_floors


@pytest.mark.parametrize("score, expected", [
    (100, "优"), (90, "优"), (89.995, "优"),  # 89.995 rounds (half up) to 90.00 before grading
    (89.994, "良"), (89.5, "良"), (89.99, "良"), (80, "良"),
    (79.99, "中"), (79.995, "良"), (60, "中"),
    (59.99, "差"), (59.994, "差"), (0, "差"),
])
def test_each_grade_and_its_boundaries(score, expected):
    assert grade(score, FLOORS) == expected


def test_scores_are_stored_with_two_decimals_half_up():
    assert round_score(89.995) == Decimal("90.00")
    assert round_score(89.994) == Decimal("89.99")
    assert round_score(Decimal("72.125")) == Decimal("72.13")


def test_floors_from_the_rule_row_are_honoured_when_an_administrator_changes_them():
    assert grade(85, {"优": 85, "良": 75, "中": 50}) == "优"
    assert grade(55, {"优": 85, "良": 75, "中": 50}) == "中"


def test_floors_out_of_order_or_unknown_grades_are_refused():
    with pytest.raises(InvalidInput):
        grade(70, {"优": 60, "良": 80, "中": 70})
    with pytest.raises(InvalidInput):
        grade(70, {"A": 90})


@given(st.decimals(min_value=0, max_value=100, places=3), st.decimals(min_value=0, max_value=100, places=3))
def test_a_higher_score_never_gets_a_lower_grade(a, b):
    order = ["差", "中", "良", "优"]
    low, high = sorted((a, b))
    assert order.index(grade(low, FLOORS)) <= order.index(grade(high, FLOORS))
