"""The bulletin (通报) of third-party agencies' report quality, the plan 二(三)4一是 “定期实施绩效评价报告质量的评审、
考核和通报” — pure: the period's dates and the ranking of the rated reports (period length: rule
agency.bulletin_months, local practice)."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from service.errors import InvalidInput


@dataclass(frozen=True)
class RatedReport:
    """One rated agency report: the agency, the project evaluated, the bureau's score (0–100)."""

    agency_id: int
    agency_name: str
    project_id: str
    score: Decimal


def period_dates(year: int, period: int, months: object) -> tuple[date, date]:
    """First and last day of bulletin period `period` (1, 2, …) of `year` when a period lasts `months` months;
    the months must divide the year (1, 2, 3, 4, 6 or 12)."""
    length = int(str(months))
    if length < 1 or 12 % length:
        raise InvalidInput("the bulletin period must divide the year",
                           [{"field": "agency.bulletin_months", "message": "1, 2, 3, 4, 6 or 12"}])
    if not 1 <= period <= 12 // length:
        raise InvalidInput("no such bulletin period",
                           [{"field": "period", "message": f"from 1 to {12 // length} for {length}-month periods"}])
    first_month = (period - 1) * length + 1
    last_month = first_month + length - 1
    return date(year, first_month, 1), date(year, last_month, calendar.monthrange(year, last_month)[1])


def ranking(reports: Iterable[RatedReport]) -> list[dict[str, object]]:
    """Agencies by their reports' mean score, best first (two decimals, half up); equal means share a rank and the
    next rank skips (1, 1, 3); equal means are listed by name."""
    by_agency: dict[int, list[RatedReport]] = {}
    for report in reports:
        by_agency.setdefault(report.agency_id, []).append(report)
    rows = []
    for agency_id, rated in by_agency.items():
        mean = (sum((r.score for r in rated), Decimal(0)) / len(rated)).quantize(Decimal("0.01"),
                                                                               rounding=ROUND_HALF_UP)
        rows.append({"agency_id": agency_id, "agency_name": rated[0].agency_name, "mean_score": mean,
                     "reports": [{"project_id": r.project_id, "score": r.score}
                                 for r in sorted(rated, key=lambda r: r.project_id)]})
    rows.sort(key=lambda r: (-r["mean_score"], r["agency_name"]))  # type: ignore[operator]
    for index, row in enumerate(rows):
        same = index > 0 and row["mean_score"] == rows[index - 1]["mean_score"]
        row["rank"] = rows[index - 1]["rank"] if same else index + 1
    return rows
