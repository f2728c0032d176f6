"""Report periods of the departments' performance management reports (rule report.period_months): pure.

Periods of m months (m divides 12) start on 1 January: with 12, the calendar year; with 6, the halves; with 3,
the quarters. The calendar job launches the reports of the last period that has ended.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

ALLOWED = (1, 2, 3, 4, 6, 12)


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def label(self) -> str:
        """"2015" for a calendar year, else "2015-01/2015-06" (months, ASCII: the pages name it in their language)."""
        if (self.start.month, self.end.month, self.end.day) == (1, 12, 31):
            return str(self.start.year)
        return f"{self.start:%Y-%m}/{self.end:%Y-%m}"


def period_of(day: date, months: int) -> Period:
    """The period of `months` months that holds `day`."""
    if months not in ALLOWED:
        raise ValueError(f"rule report.period_months must be one of {ALLOWED}, not {months!r}")
    first = (day.month - 1) // months * months + 1
    start = date(day.year, first, 1)
    after = date(day.year + 1, 1, 1) if first + months > 12 else date(day.year, first + months, 1)
    return Period(start, after - timedelta(days=1))


def last_ended(today: date, months_of: Callable[[int], int]) -> Period:
    """The latest period that ended before `today` (`months_of(year)`: the rule in force that year)."""
    yesterday = today - timedelta(days=1)
    period = period_of(yesterday, months_of(yesterday.year))
    if period.end >= today:
        before = period.start - timedelta(days=1)
        period = period_of(before, months_of(before.year))
    return period
