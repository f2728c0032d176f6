"""Double-monitoring arithmetic (service/domain/warnings.py): execution rate, time progress, goal progress, gaps."""

from __future__ import annotations

from datetime import date

import pytest

from service.domain import warnings as w

FLOORS = {"04-30": 25, "06-30": 40, "08-31": 60, "10-31": 80}  # the seeded monitoring.execution_floors


def test_execution_rate():
    assert w.execution_rate(700_000, 1_200_000) == 58.33
    assert w.execution_rate(0, 1_000) == 0.0
    assert w.execution_rate(1_300, 1_000) == 130.0  # overspending shows as such
    with pytest.raises(ValueError):
        w.execution_rate(1, 0)
    with pytest.raises(ValueError):
        w.execution_rate(-1, 100)


@pytest.mark.parametrize("as_of, expected", [
    (date(2015, 7, 31), 58.33),  # the default checkpoint: 7 months of 12
    (date(2015, 6, 30), 50.0),
    (date(2015, 12, 31), 100.0),
    (date(2015, 1, 31), 8.33),
    (date(2015, 2, 14), 12.5),  # half of February (28 days)
    (date(2016, 2, 29), 16.67),  # a leap year's February ends a whole month
    (date(2015, 8, 10), 61.02),
])
def test_time_progress_is_months_elapsed_over_twelve(as_of, expected):
    assert w.time_progress(as_of) == expected


@pytest.mark.parametrize("comparator, target, actual, expected", [
    (">=", 10_000, 6_000, 60.0),
    (">=", 10_000, 12_000, 100.0),  # over-achievement is capped
    (">=", 0, 5, 100.0),
    (">=", 10, None, 0.0),  # not reported: nothing achieved
    (">=", 10, "7.5", 75.0),
    ("<=", 50, 40, 100.0),  # less is better and within target
    ("<=", 50, 80, 62.5),
    ("=", 10, 8, 80.0),
    ("=", 10, 12.5, 80.0),
    ("=", 10, 10, 100.0),
    ("range", "85..100", 90, 100.0),
    ("range", "85..100", 80, 94.12),
    ("range", "85..100", 110, 90.91),
    ("range", "85..100", 0, 0.0),
    ("range", "bad", 90, None),
    ("qualitative", "按期完工", "achieved", None),
    (">=", "n/a", 3, None),
])
def test_indicator_progress(comparator, target, actual, expected):
    assert w.indicator_progress(comparator, target, actual) == expected


def test_unknown_comparator_is_an_error():
    with pytest.raises(ValueError):
        w.indicator_progress("~", 1, 1)


def test_goal_progress_is_weighted_over_quantitative_indicators():
    indicators = [{"name": "a", "comparator": ">=", "target": 10, "weight": 60},
                  {"name": "b", "comparator": ">=", "target": 10, "weight": 40},
                  {"name": "c", "comparator": "qualitative", "target": "好", "weight": 50}]
    statuses = w.indicator_statuses(indicators, [{"name": "a", "actual": 5, "expected": 10},
                                                 {"name": " b ", "actual": 10, "expected": 8}])
    assert [s.progress for s in statuses] == [50.0, 100.0, None]
    assert w.weighted_progress(statuses) == 70.0  # (60×50 + 40×100) / 100; the qualitative one is left out
    assert w.weighted_progress(statuses, forecast=True) == 92.0
    unweighted = w.indicator_statuses([{"name": "a", "comparator": ">=", "target": 10, "weight": 0},
                                       {"name": "b", "comparator": ">=", "target": 10, "weight": 0}],
                                      [{"name": "a", "actual": 2}, {"name": "b", "actual": 4}])
    assert w.weighted_progress(unweighted) == 30.0
    assert w.weighted_progress(w.indicator_statuses(indicators[2:], [])) is None


@pytest.mark.parametrize("as_of, floor", [
    (date(2015, 4, 29), 0.0), (date(2015, 4, 30), 25.0), (date(2015, 7, 31), 40.0), (date(2015, 8, 31), 60.0),
    (date(2015, 12, 31), 80.0),
])
def test_execution_floor_in_force(as_of, floor):
    assert w.execution_floor(FLOORS, as_of) == floor


def test_assessment_gaps_at_the_default_checkpoint():
    indicators = [{"name": "校舍", "comparator": ">=", "target": 10_000, "weight": 50},
                  {"name": "学生", "comparator": ">=", "target": 5, "weight": 50}]
    a = w.assess(as_of=date(2015, 7, 31), budget=1_200_000, executed=300_000, indicators=indicators,
                 actuals=[{"name": "校舍", "actual": 1_000, "expected": 8_000}], floors=FLOORS)
    assert (a.execution_rate, a.time_progress, a.execution_floor) == (25.0, 58.33, 40.0)
    assert (a.goal_progress, a.forecast_progress) == (5.0, 40.0)  # 学生 not reported
    assert (a.execution_gap, a.goal_gap) == (33.33, 20.0)
    assert [i["reported"] for i in a.indicators] == [True, False]
    assert a.as_dict()["as_of"] == "2015-07-31"


def test_without_quantitative_indicators_goal_does_not_lag():
    a = w.assess(as_of=date(2015, 6, 30), budget=100, executed=30, floors=FLOORS,
                 indicators=[{"name": "q", "comparator": "qualitative", "target": "好", "weight": 100}], actuals=[])
    assert (a.goal_progress, a.goal_gap, a.execution_gap) == (None, 0.0, 20.0)


def test_exact_boundaries_survive_rounding():
    # 20 points exactly must stay 20.0 (the table says "more than 20" is red), not 19.999… or 20.000…1.
    a = w.assess(as_of=date(2015, 6, 30), budget=3, executed=0.9, indicators=[], actuals=[], floors={})
    assert a.execution_gap == 20.0


def test_checkpoints_of_a_year():
    rows = [{"as_of": "10-31", "report_by": "11-30"}, {"as_of": "07-31", "report_by": "08-31"},
            {"as_of": "12-31", "report_by": "01-31"}]
    assert w.checkpoints(2015, rows) == [
        w.Checkpoint(date(2015, 7, 31), date(2015, 8, 31)), w.Checkpoint(date(2015, 10, 31), date(2015, 11, 30)),
        w.Checkpoint(date(2015, 12, 31), date(2016, 1, 31))]
    assert w.day_of_year(2015, "06-30") == date(2015, 6, 30)


def test_unexecuted_budget():
    assert w.unexecuted_budget(1_200_000, 250_000) == 950_000.0
    assert w.unexecuted_budget(100, 130) == 0.0
