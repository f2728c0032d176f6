"""When a sub-unit evaluation (service/cycle/subunit_evaluations_records.py) is overdue — pure."""

from __future__ import annotations

from datetime import date


def overdue(status: str, due_on: date | None, today: date) -> bool:
    """Still open after its due day (the day itself is not late); one opened before due dates existed never is."""
    return status == "open" and due_on is not None and today > due_on


def days_overdue(status: str, due_on: date | None, today: date) -> int:
    """Calendar days past the due day (0 when not overdue)."""
    return (today - due_on).days if due_on is not None and overdue(status, due_on, today) else 0
