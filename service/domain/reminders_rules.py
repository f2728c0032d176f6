"""Reminder days before a due date and monitoring checkpoint windows: pure, calendar and rules passed in."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from service.domain.workdays import Calendar, subtract_working_days


def reminder_day(calendar: Calendar, due_day: date, lead: int) -> date:
    """The day a reminder `lead` working days ahead of `due_day` goes out (the due day itself for lead 0)."""
    return subtract_working_days(calendar, due_day, lead)


def leads_of(value: object) -> list[int]:
    """The lead times of rule `reminders.lead_working_days` (a list of working-day counts), validated."""
    if not isinstance(value, list) or not value or not all(isinstance(v, int) and v >= 0 for v in value):
        raise ValueError(f"reminders.lead_working_days must be a list of whole numbers ≥ 0, not {value!r}")
    return sorted(set(value), reverse=True)


def current_lead(calendar: Calendar, due_day: date, today: date, leads: Iterable[int]) -> int | None:
    """The most urgent lead time whose reminder day has come by `today` (None before the first, after the due day).

    One reminder per lead time and a sweep that may have missed days: a task that becomes ready, or a worker
    that comes back, after the 5-day reminder day and on the 1-day one sends only the 1-day reminder, not a
    stale "5 working days left" beside it.
    """
    if today > due_day:
        return None
    come = [lead for lead in leads if reminder_day(calendar, due_day, lead) <= today]
    return min(come) if come else None


def _month_day(value: str, year: int) -> date:
    month, day = (int(part) for part in value.split("-"))
    return date(year, month, day)


def checkpoint_window(year: int, checkpoint: dict[str, str]) -> tuple[date, date]:
    """(as of, report by) of a rule `monitoring.checkpoints` entry in fiscal year `year` ("MM-DD" each).

    A report-by day earlier in the calendar than the as-of day falls in the next year (as of 12-31, by 01-31).
    """
    as_of = _month_day(checkpoint["as_of"], year)
    report_by = _month_day(checkpoint["report_by"], year)
    if report_by < as_of:
        report_by = _month_day(checkpoint["report_by"], year + 1)
    return as_of, report_by
