"""Budget decisions (结果应用, the plan 二(一)4): proposal, the budget officer's confirmation, disclosure, report.

One row per project (the decision for `for_year` = fiscal year + 1); written by the `budget.*`,
`disclosure.record` and `results.report` handlers as idempotent upserts.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, update

from service import clock
from service.bpm.statements import TASKS
from service.cycle import disclosures
from service.domain.linkage_rules import CITY_GOVERNMENT, government_of
from service.errors import NotFound
from service.libraries.common import DEPARTMENTS, district_of
from service.models import BudgetDecision, Project

DECISIONS = BudgetDecision.__table__
PROJECTS = Project.__table__


def get(conn: Connection, project_id: str) -> Any:
    return conn.execute(select(DECISIONS).where(DECISIONS.c.project_id == project_id)).first()


def propose(conn: Connection, project_id: str, *, for_year: int, grade: str | None, proposal: str,
            base_amount: Decimal, proposed_amount: Decimal) -> None:
    """Record the proposal; a new proposal clears an earlier confirmation (it must be confirmed again)."""
    values = {"for_year": for_year, "grade": grade, "proposal": proposal, "base_amount": base_amount,
              "proposed_amount": proposed_amount, "confirmed_amount": None, "confirmed_by": None,
              "confirmed_at": None}
    row = get(conn, project_id)
    if row is None:
        conn.execute(insert(DECISIONS).values(project_id=project_id, disclosed_at=None, reported_at=None, **values))
    elif (row.for_year, row.grade, row.proposal, row.proposed_amount) != (for_year, grade, proposal,
                                                                           proposed_amount):
        conn.execute(update(DECISIONS).where(DECISIONS.c.project_id == project_id).values(**values))


def confirm(conn: Connection, project_id: str, now: datetime, amount: Decimal, by: str | None) -> None:
    """The budget officer's confirmation (the proposal as it is, or adjusted with a reason)."""
    _require(conn, project_id)
    conn.execute(update(DECISIONS).where(DECISIONS.c.project_id == project_id).values(
        confirmed_amount=amount, confirmed_by=by, confirmed_at=clock.to_db(now)))


def disclose(conn: Connection, project_id: str, now: datetime) -> datetime:
    """Record the disclosure (公开) of the final report and results; the first time counts."""
    row = _require(conn, project_id)
    disclosures.disclose(conn, project_id, "results", now)
    if row.disclosed_at is None:
        conn.execute(update(DECISIONS).where(DECISIONS.c.project_id == project_id)
                     .values(disclosed_at=clock.to_db(now)))
        return now
    return clock.from_db(row.disclosed_at) or now


def report(conn: Connection, project_id: str, now: datetime) -> tuple[datetime, str]:
    """Record that the key results were reported to the same-level government (a district project's to its
    district's, the city's to the city's); the first time counts. Answers when and to whom."""
    row = _require(conn, project_id)
    if row.reported_at is None:
        to = government_of(_district_bureau_name(conn, project_id))
        conn.execute(update(DECISIONS).where(DECISIONS.c.project_id == project_id)
                     .values(reported_at=clock.to_db(now), reported_to=to))
        return now, to
    return clock.from_db(row.reported_at) or now, row.reported_to or CITY_GOVERNMENT


def _district_bureau_name(conn: Connection, project_id: str) -> str | None:
    """The name of the finance bureau of the project's district (None for a city project)."""
    department = conn.execute(select(PROJECTS.c.department_id).where(PROJECTS.c.id == project_id)).scalar()
    district = district_of(conn, department)
    if district is None:
        return None
    return conn.execute(select(DEPARTMENTS.c.name).where(DEPARTMENTS.c.id == district)).scalar()


def completed_by(conn: Connection, instance_id: str, bpmn_id: str) -> str | None:
    """Who completed the latest `bpmn_id` task of the instance (the engine's task rows, not form data)."""
    return conn.execute(select(TASKS.c.completed_by).where(
        TASKS.c.instance_id == instance_id, TASKS.c.bpmn_id == bpmn_id, TASKS.c.state == "completed")
        .order_by(TASKS.c.ended_at.desc()).limit(1)).scalar()


def _require(conn: Connection, project_id: str) -> Any:
    row = get(conn, project_id)
    if row is None:
        raise NotFound(f"no budget decision for project {project_id!r}")
    return row
