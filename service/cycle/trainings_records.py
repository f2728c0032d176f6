"""Recording training sessions and their attendance (the plan 三(四)): administrators and finance reviewers write
them; the coverage measure and the scorecard's training indicator read them (service/queries/trainings_queries.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from service import clock
from service.domain.training import GROUPS
from service.errors import InvalidInput, NotFound
from service.models import Department, TrainingAttendance, TrainingSession
from service.rules.store import LEVELS

SESSIONS = TrainingSession.__table__
ATTENDANCE = TrainingAttendance.__table__
DEPARTMENTS = Department.__table__


def record_session(conn: Connection, *, level: str, title: str, held_on: date, organiser: str, actor: str,
                   now: datetime) -> int:
    """Record a session held; it counts for the year it was held in. Returns its id."""
    errors = []
    if level not in LEVELS:
        errors.append({"field": "level", "message": f"one of {', '.join(LEVELS)}"})
    if not title.strip():
        errors.append({"field": "title", "message": "a title is required"})
    if not organiser.strip():
        errors.append({"field": "organiser", "message": "the organiser is required"})
    if held_on > clock.local_today(now):
        errors.append({"field": "held_on", "message": "a session is recorded once held, not before"})
    if errors:
        raise InvalidInput("the training session cannot be recorded", errors)
    return int(conn.execute(insert(SESSIONS).values(
        year=held_on.year, level=level, title=title.strip(), held_on=held_on, organiser=organiser.strip(),
        recorded_by=actor, recorded_at=clock.to_db(now)).returning(SESSIONS.c.id)).scalar_one())


def record_attendance(conn: Connection, session_id: int, *, group: str, head_count: int,
                      department_id: str | None, actor: str, now: datetime) -> int:
    """Record a group's attendance of a session: departments by department, the other groups as a whole; a
    second record for the same group (and department) replaces nothing — it is refused. Returns its id."""
    if conn.execute(select(SESSIONS.c.id).where(SESSIONS.c.id == session_id)).first() is None:
        raise NotFound(f"no training session {session_id}")
    errors = []
    if group not in GROUPS:
        errors.append({"field": "group", "message": f"one of {', '.join(GROUPS)}"})
    if head_count < 1:
        errors.append({"field": "head_count", "message": "at least one attendee"})
    if group == "departments":
        if department_id is None:
            errors.append({"field": "department_id", "message": "a department's attendance names the department"})
        elif conn.execute(select(DEPARTMENTS.c.id).where(DEPARTMENTS.c.id == department_id)).first() is None:
            errors.append({"field": "department_id", "message": f"no department {department_id}"})
    elif department_id is not None:
        errors.append({"field": "department_id", "message": "only the departments group names a department"})
    if not errors:
        same = select(ATTENDANCE.c.id).where(ATTENDANCE.c.session_id == session_id,
                                             ATTENDANCE.c.attendee_group == group)
        same = same.where(ATTENDANCE.c.department_id.is_(None) if department_id is None
                          else ATTENDANCE.c.department_id == department_id)
        if conn.execute(same).first() is not None:
            errors.append({"field": "group", "message": "this attendance is recorded already"})
    if errors:
        raise InvalidInput("the attendance cannot be recorded", errors)
    values: dict[str, Any] = {"session_id": session_id, "attendee_group": group, "department_id": department_id,
                              "head_count": head_count, "recorded_by": actor, "recorded_at": clock.to_db(now)}
    return int(conn.execute(insert(ATTENDANCE).values(**values).returning(ATTENDANCE.c.id)).scalar_one())
