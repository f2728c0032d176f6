"""The agency bulletin's periods and ranking, by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from service.domain.bulletin import RatedReport, period_dates, ranking
from service.errors import InvalidInput


def test_the_periods_of_a_year() -> None:
    assert period_dates(2015, 1, 6) == (date(2015, 1, 1), date(2015, 6, 30))
    assert period_dates(2015, 2, 6) == (date(2015, 7, 1), date(2015, 12, 31))
    assert period_dates(2016, 1, 2) == (date(2016, 1, 1), date(2016, 2, 29))  # a leap year's February
    assert period_dates(2015, 4, 3) == (date(2015, 10, 1), date(2015, 12, 31))
    for period, months in ((3, 6), (0, 6), (1, 5), (1, 0)):
        with pytest.raises(InvalidInput):
            period_dates(2015, period, months)


def test_agencies_are_ranked_by_their_mean_score_equal_means_sharing_a_rank() -> None:
    reports = [RatedReport(1, "甲评估", "p1", Decimal("90")), RatedReport(1, "甲评估", "p2", Decimal("81")),
               RatedReport(2, "乙咨询", "p3", Decimal("85.5")), RatedReport(3, "丙会计", "p4", Decimal("70")),
               RatedReport(4, "丁研究", "p5", Decimal("85.50"))]
    ranked = ranking(reports)
    # 甲: (90 + 81) / 2 = 85.50, tied with 乙 and 丁 (85.50): all rank 1, listed by name; 丙 70.00 ranks 4.
    assert [(r["agency_name"], r["mean_score"], r["rank"]) for r in ranked] == [
        ("丁研究", Decimal("85.50"), 1), ("乙咨询", Decimal("85.50"), 1), ("甲评估", Decimal("85.50"), 1),
        ("丙会计", Decimal("70.00"), 4)]
    assert ranked[2]["reports"] == [{"project_id": "p1", "score": Decimal("90")},
                                    {"project_id": "p2", "score": Decimal("81")}]
    assert ranking([]) == []


def test_the_mean_rounds_half_up_to_two_decimals() -> None:
    reports = [RatedReport(1, "甲", "p1", Decimal("80")), RatedReport(1, "甲", "p2", Decimal("80")),
               RatedReport(1, "甲", "p3", Decimal("80.01"))]
    assert ranking(reports)[0]["mean_score"] == Decimal("80.00")  # 240.01 / 3 = 80.0033…
    assert ranking([RatedReport(1, "甲", "p1", Decimal("80.005"))])[0]["mean_score"] == Decimal("80.01")
