"""Working-day arithmetic over a holiday calendar (DESIGN.md, Time): pure functions, the calendar passed in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class Calendar:
    """Monday–Friday, minus official holidays, plus weekend days adjusted to working days (调休)."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


def add_working_days(calendar: Calendar, start: date, n: int) -> date:
    """The n-th working day after `start` (n ≥ 1); n = 0 gives `start` itself, or the next working day."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    if n == 0:
        while not calendar.is_working_day(day):
            day += timedelta(days=1)
        return day
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return day


def subtract_working_days(calendar: Calendar, end: date, n: int) -> date:
    """The n-th working day before `end` (a reminder n working days ahead of a due date)."""
    if n < 0:
        raise ValueError("n must not be negative")
    day, counted = end, 0
    while counted < n:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return day


def working_days_between(calendar: Calendar, start: date, end: date) -> int:
    """Working days in (start, end]; negative when end is before start."""
    if end < start:
        return -working_days_between(calendar, end, start)
    return sum(1 for i in range(1, (end - start).days + 1) if calendar.is_working_day(start + timedelta(days=i)))
