"""Whole-department evaluation of a sub-unit by its own department (预算部门对下属预算单位整体支出绩效评价试点, the
plan 二(三)3二是): the department's staff open it for one of their own sub-units (a department whose parent is
theirs) and the department's head records the score, graded by the year's rule `evaluation.grade_floors`.

The bureau does not run these (its own pilots are `department_pilot`); a department never evaluates another
department's unit. Each step is recorded on the global audit chain. An evaluation is due (graded) within rule
`evaluation.subunit_working_days` working days of its opening; one still open after that day is overdue
(`service/domain/subunit_evaluation.py`), shown so on /subunit-evaluations and counted on the dashboard.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, update

from service import clock, policy
from service.bpm.event_log import append_global
from service.domain.grades import grade, round_score
from service.domain.roles import Principal
from service.domain.workdays import add_working_days
from service.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from service.models import Department, SubunitEvaluation
from service.rules import store

SUBUNITS = SubunitEvaluation.__table__
DEPARTMENTS = Department.__table__


def _get(conn: Connection, evaluation_id: int) -> dict[str, Any]:
    row = conn.execute(select(SUBUNITS).where(SUBUNITS.c.id == evaluation_id)).first()
    if row is None:
        raise NotFound(f"no sub-unit evaluation {evaluation_id}")
    return row._asdict()


def open_evaluation(conn: Connection, actor: Principal, now: datetime, *, unit_id: str, fiscal_year: int,
                    scope: str) -> dict[str, Any]:
    """The actor's department opens the whole-department evaluation of its sub-unit `unit_id` for `fiscal_year`."""
    policy.require(actor, policy.OPEN_SUBUNIT_EVALUATIONS)
    scope = scope.strip()
    if not scope:
        raise InvalidInput("say what the evaluation covers", [{"field": "scope", "message": "required"}])
    unit = conn.execute(select(DEPARTMENTS.c.id, DEPARTMENTS.c.kind, DEPARTMENTS.c.parent_id, DEPARTMENTS.c.level)
                        .where(DEPARTMENTS.c.id == unit_id)).first()
    if unit is None or unit.kind != "unit":
        raise InvalidInput("no such sub-unit", [{"field": "unit_id", "message": "a budget unit (预算单位)"}])
    if unit.parent_id != actor.department_id:
        raise Forbidden(f"{unit_id!r} is not a sub-unit of your department: a department evaluates only its "
                        "own sub-units", [{"field": "unit_id", "message": "not a sub-unit of your department"}])
    if conn.execute(select(SUBUNITS.c.id).where(SUBUNITS.c.fiscal_year == fiscal_year,
                                                SUBUNITS.c.unit_id == unit_id)).first() is not None:
        raise Conflict(f"{unit_id!r} already has an evaluation of fiscal year {fiscal_year}")
    row = {"fiscal_year": fiscal_year, "level": unit.level, "department_id": actor.department_id,
           "unit_id": unit_id, "scope": scope, "status": "open", "started_by": actor.username,
           "started_at": clock.to_db(now), "due_on": _due_on(conn, now, fiscal_year, unit.level)}
    new_id = conn.execute(insert(SUBUNITS).values(**row).returning(SUBUNITS.c.id)).scalar_one()
    append_global(conn, now, actor.username, "subunit_evaluation_opened",
                  {"id": new_id, "fiscal_year": fiscal_year, "department_id": actor.department_id,
                   "unit_id": unit_id})
    return _get(conn, new_id)


def _due_on(conn: Connection, now: datetime, fiscal_year: int, level: str) -> date:
    """The day the head grades it by: rule evaluation.subunit_working_days working days after the day it opens
    (the holiday calendar's exceptions counted)."""
    try:
        days = int(store.get(conn, fiscal_year, level, "evaluation.subunit_working_days"))
    except NotFound:
        raise InvalidInput(f"no rules for fiscal year {fiscal_year}: seed the rules first (jixiao rules seed)",
                           [{"field": "fiscal_year", "message": "no rules for this fiscal year"}]) from None
    opened = clock.local_today(now)
    return add_working_days(store.calendar(conn, opened, opened + timedelta(days=days * 3 + 30)), opened, days)


def record_grade(conn: Connection, actor: Principal, now: datetime, evaluation_id: int, *, score: Any,
                 findings: str) -> dict[str, Any]:
    """The evaluating department's head records the score (0–100) and findings; the grade follows the rule."""
    row = _get(conn, evaluation_id)
    policy.require(actor, policy.GRADE_SUBUNIT_EVALUATIONS, {"department_id": row["department_id"]})
    if row["status"] != "open":
        raise InvalidTransition("the evaluation is already graded", state=row["status"])
    value = Decimal(str(score))
    problems = []
    if not 0 <= value <= 100:
        problems.append({"field": "score", "message": "0 to 100"})
    if not findings.strip():
        problems.append({"field": "findings", "message": "required"})
    if problems:
        raise InvalidInput("the grade is not valid", problems)
    floors = store.get(conn, row["fiscal_year"], row["level"], "evaluation.grade_floors")
    value = round_score(value)
    conn.execute(update(SUBUNITS).where(SUBUNITS.c.id == evaluation_id).values(
        score=value, grade=grade(value, floors), findings=findings.strip(), status="graded",
        graded_by=actor.username, graded_at=clock.to_db(now)))
    append_global(conn, now, actor.username, "subunit_evaluation_graded",
                  {"id": evaluation_id, "score": str(value), "grade": grade(value, floors)})
    return _get(conn, evaluation_id)
