"""Reading sub-unit evaluations (service/cycle/subunit_evaluations_records.py): the bureau sees all of them, a
department those it runs and those of itself as a unit, each marked overdue when still open after its due day; how
many are overdue (the dashboard); and the sub-units a department may evaluate."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, or_, select
from sqlalchemy.orm import aliased

from service import clock
from service.domain.roles import Principal
from service.domain.subunit_evaluation import days_overdue, overdue
from service.errors import NotFound
from service.models import Department, SubunitEvaluation

SUBUNIT_EVALUATIONS = SubunitEvaluation.__table__
DEPARTMENTS = Department.__table__


def _query(viewer: Principal) -> Any:
    unit, dept = aliased(Department), aliased(Department)
    query = (
        select(
            SUBUNIT_EVALUATIONS,
            unit.name.label("unit_name"),
            unit.name_en.label("unit_name_en"),
            dept.name.label("department_name"),
            dept.name_en.label("department_name_en"),
        )
        .join(unit, unit.id == SUBUNIT_EVALUATIONS.c.unit_id)
        .join(dept, dept.id == SUBUNIT_EVALUATIONS.c.department_id)
    )
    if not viewer.sees_all_departments:
        query = query.where(
            or_(
                SUBUNIT_EVALUATIONS.c.department_id == viewer.department_id,
                SUBUNIT_EVALUATIONS.c.unit_id == viewer.department_id,
            )
        )
    return query


def list_evaluations(
    conn: Connection, viewer: Principal, year: int | None = None, today: date | None = None
) -> list[dict[str, Any]]:
    """The sub-unit evaluations the viewer may see, latest year first; each says whether it is overdue on `today`
    (the viewer's today by default) and by how many days."""
    query = _query(viewer)
    if year is not None:
        query = query.where(SUBUNIT_EVALUATIONS.c.fiscal_year == year)
    today = today or clock.local_today(clock.now())
    return [
        _marked(dict(r._mapping), today)
        for r in conn.execute(query.order_by(SUBUNIT_EVALUATIONS.c.fiscal_year.desc(), SUBUNIT_EVALUATIONS.c.id))
    ]


def overdue_summary(conn: Connection, viewer: Principal, today: date) -> dict[str, Any]:
    """How many of the sub-unit evaluations the viewer may see are still open after their due day, and the
    earliest such day (None when none is)."""
    query = _query(viewer).where(
        SUBUNIT_EVALUATIONS.c.status == "open",
        SUBUNIT_EVALUATIONS.c.due_on.is_not(None),
        SUBUNIT_EVALUATIONS.c.due_on < today,
    )
    due = [r.due_on for r in conn.execute(query)]
    return {"count": len(due), "oldest_due": min(due) if due else None}


def get(conn: Connection, viewer: Principal, evaluation_id: int) -> dict[str, Any]:
    """One sub-unit evaluation; NotFound when it does not exist or the viewer may not see it."""
    row = conn.execute(_query(viewer).where(SUBUNIT_EVALUATIONS.c.id == evaluation_id)).first()
    if row is None:
        raise NotFound(f"no sub-unit evaluation {evaluation_id}")
    return _marked(dict(row._mapping), clock.local_today(clock.now()))


def _marked(row: dict[str, Any], today: date) -> dict[str, Any]:
    row["overdue"] = overdue(row["status"], row["due_on"], today)
    row["days_overdue"] = days_overdue(row["status"], row["due_on"], today)
    return row


def subunits_of(conn: Connection, department_id: str | None) -> list[dict[str, Any]]:
    """The active budget units whose parent is `department_id` (none for the bureau-wide)."""
    if department_id is None:
        return []
    rows = conn.execute(
        select(DEPARTMENTS.c.id, DEPARTMENTS.c.name, DEPARTMENTS.c.name_en)
        .where(DEPARTMENTS.c.parent_id == department_id, DEPARTMENTS.c.kind == "unit", DEPARTMENTS.c.active.is_(True))
        .order_by(DEPARTMENTS.c.id)
    )
    return [dict(r._mapping) for r in rows]
