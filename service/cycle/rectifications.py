"""Results feedback and rectification records (结果反馈与整改, the plan 二(一)4): one row per project.

Written by the `rectification.*` task handlers; every write is an idempotent upsert by project, because jobs
run at least once. Status: open → submitted → done | failed; overdue while a supervisor decides on a missed
deadline; not_required when the results call for no rectification (优 without findings).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from service import clock
from service.errors import InvalidInput
from service.libraries.common import district_of, drawn_from
from service.models import Rectification, SupervisionMember

RECTIFICATIONS = Rectification.__table__
MEMBERS = SupervisionMember.__table__
STATUSES = ("open", "submitted", "done", "overdue", "failed", "not_required")
VERDICTS = ("done", "insufficient")


def get(conn: Connection, project_id: str) -> Any:
    return conn.execute(select(RECTIFICATIONS).where(RECTIFICATIONS.c.project_id == project_id)).first()


def _upsert(conn: Connection, project_id: str, **values: Any) -> None:
    if conn.execute(update(RECTIFICATIONS).where(RECTIFICATIONS.c.project_id == project_id)
                    .values(**values)).rowcount == 0:
        conn.execute(insert(RECTIFICATIONS).values(project_id=project_id, **values))


def fed_back(conn: Connection, project_id: str, now: datetime, due_on: date | None, status: str) -> None:
    """Results fed back: the rectification is open until `due_on` (or not required). A later call (a deadline
    extended by a supervisor) keeps the first feedback time."""
    if status not in ("open", "not_required"):
        raise InvalidInput("feedback opens a rectification or finds none required",
                           [{"field": "status", "message": status}])
    row = get(conn, project_id)
    first = row.fed_back_at if row is not None and row.fed_back_at is not None else clock.to_db(now)
    _upsert(conn, project_id, fed_back_at=first, due_on=due_on, status=status)


def mark(conn: Connection, project_id: str, status: str) -> None:
    """Set the status alone (overdue while a supervisor decides; failed when it ends in accountability)."""
    if status not in STATUSES:
        raise InvalidInput("unknown rectification status", [{"field": "status", "message": status}])
    _upsert(conn, project_id, status=status)


def submit(conn: Connection, project_id: str, now: datetime, plan: str) -> None:
    """The unit's rectification report (measures and evidence) was submitted."""
    _upsert(conn, project_id, plan=plan, submitted_at=clock.to_db(now), status="submitted")


def verify(conn: Connection, project_id: str, now: datetime, verdict: str) -> str:
    """Supervision verified the rectification: done, or insufficient (the rectification failed)."""
    if verdict not in VERDICTS:
        raise InvalidInput("unknown verdict", [{"field": "verification_verdict", "message": verdict}])
    status = "done" if verdict == "done" else "failed"
    _upsert(conn, project_id, verdict=verdict, verified_at=clock.to_db(now), status=status)
    return status


def supervision_members(conn: Connection, sector: str | None, department_id: str | None = None) -> list[Any]:
    """Active members of the supervision library who follow `sector` (all active members when none does), drawn
    from the city's members and those of the district of `department_id` (the project's)."""
    district = district_of(conn, department_id)
    active = [m for m in conn.execute(select(MEMBERS).where(MEMBERS.c.active.is_(True)).order_by(MEMBERS.c.id))
              if drawn_from(m.district_id, district)]
    matching = [m for m in active if sector and sector in json.loads(m.fields or "[]")]
    return matching or active
