"""Year-end coverage reviews (workflows/coverage_review.bpmn): a department missing the plan's coverage targets is
escalated to the bureau once per fiscal year.

A review is claimed (a row per year and department, unique) before its instance starts, so that two workers
running the year-end job start one; a claim left without an instance for longer than the worker lease (its worker
died between claim and start) is taken over, as the annual cycle launch does with its projects.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from service import clock
from service.models import CoverageReview

REVIEWS = CoverageReview.__table__


def claim(conn: Connection, now: datetime, *, year: int, level: str, department_id: str,
          missed: list[dict[str, Any]], lease: timedelta) -> bool:
    """Claim the department's review of `year`: True if the caller is to start its instance now."""
    at = clock.to_db(now)
    where = (REVIEWS.c.fiscal_year == year, REVIEWS.c.department_id == department_id)
    row = conn.execute(select(REVIEWS.c.instance_id, REVIEWS.c.claimed_at).where(*where)).first()
    if row is None:
        values = {"fiscal_year": year, "level": level, "department_id": department_id, "instance_id": None,
                  "missed": json.dumps(missed, ensure_ascii=False, sort_keys=True, default=str), "claimed_at": at}
        index = ["fiscal_year", "department_id"]
        if conn.dialect.name == "postgresql":
            stmt: Any = postgresql.insert(REVIEWS).values(**values).on_conflict_do_nothing(index_elements=index)
        elif conn.dialect.name == "sqlite":
            stmt = sqlite.insert(REVIEWS).values(**values).on_conflict_do_nothing(index_elements=index)
        else:  # pragma: no cover - the two supported databases are above
            stmt = insert(REVIEWS).values(**values)
        return conn.execute(stmt.returning(REVIEWS.c.id)).first() is not None
    if row.instance_id is not None or (clock.from_db(row.claimed_at) or now) + lease >= now:
        return False  # started already, or claimed by a worker that may still be at work
    taken = update(REVIEWS).where(*where, REVIEWS.c.instance_id.is_(None), REVIEWS.c.claimed_at == row.claimed_at)
    return conn.execute(taken.values(claimed_at=at)).rowcount == 1


def started(conn: Connection, *, year: int, department_id: str, instance_id: str) -> None:
    """Link the claimed review to the instance that was started for it."""
    conn.execute(update(REVIEWS).where(REVIEWS.c.fiscal_year == year, REVIEWS.c.department_id == department_id)
                 .values(instance_id=instance_id))


def release(conn: Connection, *, year: int, department_id: str) -> None:
    """Give a claim back when its instance could not start (the next run tries again)."""
    conn.execute(REVIEWS.delete().where(REVIEWS.c.fiscal_year == year, REVIEWS.c.department_id == department_id,
                                        REVIEWS.c.instance_id.is_(None)))
