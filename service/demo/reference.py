"""Reference data every deployment needs before its first cycle: rule rows, the holiday calendar, the libraries."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from service import db
from service.domain.workdays import Calendar
from service.rules import store

CALENDAR_YEARS = (2014, 2026)  # what the chinese-calendar package knows; administrators add later years


def seed_reference(engine: Engine, root: Path, now: datetime) -> dict[str, int]:
    """Seed rules, calendar and libraries; idempotent (rows administrators changed stay as they are)."""
    from service.libraries.seed import seed_libraries

    with db.write(engine) as conn:
        counts = {"rules": store.seed_rules(conn, root / "seeds" / "rules.json", "seed", now)}
        if store.calendar(conn, datetime(CALENDAR_YEARS[0], 1, 1).date(),
                          datetime(CALENDAR_YEARS[1], 12, 31).date()) == Calendar():
            counts["calendar_days"] = store.seed_calendar(conn, *CALENDAR_YEARS)
        counts.update(seed_libraries(conn, now))
    return counts
