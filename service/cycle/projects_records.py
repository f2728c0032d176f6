"""Projects (项目) of a fiscal year, and the variables a cycle instance starts with."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, update

from service import clock
from service.errors import InvalidInput, NotFound
from service.models import Department, Project
from service.rules import store as rules

PROJECTS = Project.__table__
SECTORS = ("agriculture", "education", "health", "social_security", "environment", "housing", "transfer",
           "enterprise", "transport", "culture", "science", "public_safety", "administration", "urban")


def create(conn: Connection, now: datetime, *, id: str, fiscal_year: int, department_id: str, name: str,
           sector: str, amount: Decimal | float | int, kind: str = "project", is_key: bool = False,
           predecessor_id: str | None = None) -> dict[str, Any]:
    """Add a project; whether it is major follows the year's threshold rule for the department's level.

    `predecessor_id` names the same project of an earlier year of the department, continued in this one (its
    grades and budget decisions are shown to the reviewers of this one's goals)."""
    dept = conn.execute(select(Department.level).where(Department.id == department_id)).first()
    if dept is None:
        raise InvalidInput("unknown department", [{"field": "department_id", "message": "no such department"}])
    if sector not in SECTORS:
        raise InvalidInput("unknown sector", [{"field": "sector", "message": f"one of {', '.join(SECTORS)}"}])
    if predecessor_id is not None:
        before = conn.execute(select(PROJECTS.c.department_id, PROJECTS.c.fiscal_year)
                              .where(PROJECTS.c.id == predecessor_id)).first()
        if before is None or before.department_id != department_id or before.fiscal_year >= fiscal_year:
            raise InvalidInput("the predecessor is not an earlier project of the department",
                               [{"field": "predecessor_project_id",
                                 "message": "an earlier year's project of the same department"}])
    amount = Decimal(str(amount))
    threshold = Decimal(str(rules.get(conn, fiscal_year, dept.level, "goal.major_threshold")))
    row = {"id": id, "fiscal_year": fiscal_year, "department_id": department_id, "level": dept.level, "kind": kind,
           "name": name, "sector": sector, "amount": amount, "is_major": amount >= threshold, "is_key": is_key,
           "status": "planned", "budget_cut": None, "predecessor_project_id": predecessor_id, "instance_id": None,
           "created_at": clock.to_db(now), "updated_at": clock.to_db(now)}
    conn.execute(insert(PROJECTS).values(**row))
    return row


def get(conn: Connection, project_id: str) -> Any:
    row = conn.execute(select(PROJECTS).where(PROJECTS.c.id == project_id)).first()
    if row is None:
        raise NotFound(f"no project {project_id!r}")
    return row


def set_status(conn: Connection, project_id: str, status: str, now: datetime, **extra: Any) -> None:
    conn.execute(update(PROJECTS).where(PROJECTS.c.id == project_id)
                 .values(status=status, updated_at=clock.to_db(now), **extra))


def cycle_variables(row: Any) -> dict[str, Any]:
    """The data a cycle (or any stage process started alone) begins with: the contract of workflows/."""
    return {"project_id": row.id, "fiscal_year": row.fiscal_year, "level": row.level,
            "department_id": row.department_id, "project_name": row.name, "project_kind": row.kind,
            "sector": row.sector, "budget_amount": float(row.amount), "is_major": bool(row.is_major),
            "is_key": bool(row.is_key)}
