"""Reads of the training records (the plan 三(四)): sessions with their attendance, the yearly sessions measure of
a level, and which departments attended in a year (the scorecard's training indicator)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, func, select

from service.domain import training
from service.errors import NotFound
from service.models import Department, TrainingAttendance, TrainingSession
from service.rules import store

TRAINING_SESSIONS = TrainingSession.__table__
TRAINING_ATTENDANCE = TrainingAttendance.__table__
DEPARTMENTS = Department.__table__


def _attendance(conn: Connection, session_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not session_ids:
        return out
    rows = conn.execute(select(TRAINING_ATTENDANCE.c.id, TRAINING_ATTENDANCE.c.session_id,
                               TRAINING_ATTENDANCE.c.attendee_group, TRAINING_ATTENDANCE.c.department_id,
                               DEPARTMENTS.c.name.label("department_name"), TRAINING_ATTENDANCE.c.head_count)
                        .outerjoin(DEPARTMENTS, DEPARTMENTS.c.id == TRAINING_ATTENDANCE.c.department_id)
                        .where(TRAINING_ATTENDANCE.c.session_id.in_(session_ids))
                        .order_by(TRAINING_ATTENDANCE.c.session_id, TRAINING_ATTENDANCE.c.id))
    for r in rows:
        out[r.session_id].append({"id": r.id, "group": r.attendee_group, "department_id": r.department_id,
                                  "department_name": r.department_name, "head_count": r.head_count})
    return out


def _session(row: Any, attendance: list[dict[str, Any]]) -> dict[str, Any]:
    by_group = {g: sum(a["head_count"] for a in attendance if a["group"] == g) for g in training.GROUPS}
    return {"id": row.id, "year": row.year, "level": row.level, "title": row.title, "held_on": row.held_on,
            "organiser": row.organiser, "attendance": attendance, "head_count": sum(by_group.values()),
            "by_group": by_group}


def list_sessions(conn: Connection, *, year: int | None = None, level: str | None = None) -> list[dict[str, Any]]:
    """Sessions (newest first) with their attendance and head counts by group."""
    q = select(TRAINING_SESSIONS)
    if year is not None:
        q = q.where(TRAINING_SESSIONS.c.year == year)
    if level is not None:
        q = q.where(TRAINING_SESSIONS.c.level == level)
    rows = conn.execute(q.order_by(TRAINING_SESSIONS.c.held_on.desc(), TRAINING_SESSIONS.c.id.desc())).all()
    attendance = _attendance(conn, [r.id for r in rows])
    return [_session(r, attendance.get(r.id, [])) for r in rows]


def get_session(conn: Connection, session_id: int) -> dict[str, Any]:
    row = conn.execute(select(TRAINING_SESSIONS).where(TRAINING_SESSIONS.c.id == session_id)).first()
    if row is None:
        raise NotFound(f"no training session {session_id}")
    return _session(row, _attendance(conn, [session_id]).get(session_id, []))


def sessions_measure(conn: Connection, year: int, level: str) -> training.SessionsMeasure:
    """Sessions held at the level in the year against rule training.sessions_per_year (NotFound without it)."""
    rule = store.get_row(conn, year, level, training.RULE)
    held = conn.execute(select(func.count()).select_from(TRAINING_SESSIONS).where(TRAINING_SESSIONS.c.year == year,
                                                                                  TRAINING_SESSIONS.c.level
                                                                                  == level)).scalar_one()
    return training.sessions_measure(year, level, int(held), rule.value, rule.source)


def attended(conn: Connection, year: int, department_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each department's attendance records of sessions held in the year (any level), oldest first."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if not department_ids:
        return out
    rows = conn.execute(select(TRAINING_ATTENDANCE.c.id, TRAINING_ATTENDANCE.c.department_id,
                               TRAINING_ATTENDANCE.c.head_count, TRAINING_SESSIONS.c.id.label("session_id"),
                               TRAINING_SESSIONS.c.title,
                               TRAINING_SESSIONS.c.held_on)
                        .join(TRAINING_SESSIONS, TRAINING_SESSIONS.c.id == TRAINING_ATTENDANCE.c.session_id)
                        .where(TRAINING_SESSIONS.c.year == year,
                               TRAINING_ATTENDANCE.c.department_id.in_(department_ids))
                        .order_by(TRAINING_SESSIONS.c.held_on, TRAINING_ATTENDANCE.c.id))
    for r in rows:
        out[r.department_id].append({"id": r.id, "session_id": r.session_id, "title": r.title,
                                     "held_on": r.held_on, "head_count": r.head_count})
    return out


def training_coverage(conn: Connection, year: int, level: str) -> dict[str, Any] | None:
    """The sessions measure as plain data, None when the year has no training rule."""
    try:
        return sessions_measure(conn, year, level).as_dict()
    except NotFound:
        return None
