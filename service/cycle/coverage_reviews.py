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

from sqlalchemy import Connection

from service.cycle import start_claims
from service.models import CoverageReview

REVIEWS = CoverageReview.__table__


def claim(conn: Connection, now: datetime, *, year: int, level: str, department_id: str,
          missed: list[dict[str, Any]], lease: timedelta) -> bool:
    """Claim the department's review of `year`: True if the caller is to start its instance now."""
    missed_json = json.dumps(missed, ensure_ascii=False, sort_keys=True, default=str)
    return start_claims.claim(conn, REVIEWS, {"fiscal_year": year, "department_id": department_id},
                              {"level": level, "instance_id": None, "missed": missed_json}, now, lease)


def started(conn: Connection, *, year: int, department_id: str, instance_id: str) -> None:
    """Link the claimed review to the instance that was started for it."""
    start_claims.started(conn, REVIEWS, {"fiscal_year": year, "department_id": department_id}, instance_id)


def release(conn: Connection, *, year: int, department_id: str) -> None:
    """Give a claim back when its instance could not start (the next run tries again)."""
    start_claims.release(conn, REVIEWS, {"fiscal_year": year, "department_id": department_id})
