"""A project's past (the plan 二(一)4 budget linkage): the grades and budget decisions of the project and of the
projects it continues, and the in-year budget adjustments (the plan 二(三)2) of a project or a fiscal year.

A project continues another when it names it as `predecessor_project_id` (followed back through the chain) or,
for a project recorded without the link, when the same department ran a project of the same name in an earlier
year. Reads only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from service.models import BudgetAdjustment, BudgetDecision, Department, Evaluation, Project

PROJECTS = Project.__table__
EVALUATIONS = Evaluation.__table__
DECISIONS = BudgetDecision.__table__
ADJUSTMENTS = BudgetAdjustment.__table__
DEPARTMENTS = Department.__table__
_CHAIN_LIMIT = 20  # a continued project's chain back through the years; a loop in bad data stops here


def lineage(conn: Connection, project_id: str) -> list[str]:
    """The project and the projects it continues, the project first: its predecessor chain when it names one,
    else the department's same-named projects of earlier years (latest first)."""
    project = conn.execute(select(PROJECTS.c.id, PROJECTS.c.name, PROJECTS.c.department_id, PROJECTS.c.fiscal_year,
                                  PROJECTS.c.predecessor_project_id).where(PROJECTS.c.id == project_id)).first()
    if project is None:
        return []
    found = [project.id]
    link = project.predecessor_project_id
    while link and link not in found and len(found) < _CHAIN_LIMIT:
        found.append(link)
        link = conn.execute(select(PROJECTS.c.predecessor_project_id).where(PROJECTS.c.id == link)).scalar()
    if len(found) > 1:  # an explicit chain says which projects these are
        return found
    same_named = conn.execute(select(PROJECTS.c.id).where(
        PROJECTS.c.department_id == project.department_id, PROJECTS.c.name == project.name,
        PROJECTS.c.fiscal_year < project.fiscal_year).order_by(PROJECTS.c.fiscal_year.desc())).scalars()
    found.extend(pid for pid in same_named if pid not in found)
    return found


def history(conn: Connection, project_id: str) -> dict[str, Any]:
    """The grades (fiscal year, kind, score, grade) and budget decisions of the project and the projects it
    continues, oldest year first; `predecessors` names the continued projects, nearest first."""
    ids = lineage(conn, project_id)
    if not ids:
        return {"project_id": project_id, "predecessors": [], "evaluations": [], "decisions": []}
    predecessors = [dict(r) for r in conn.execute(
        select(PROJECTS.c.id, PROJECTS.c.fiscal_year, PROJECTS.c.name).where(PROJECTS.c.id.in_(ids[1:]))
        .order_by(PROJECTS.c.fiscal_year.desc())).mappings()]
    evaluations = conn.execute(
        select(EVALUATIONS.c.project_id, EVALUATIONS.c.kind, EVALUATIONS.c.score, EVALUATIONS.c.grade,
               EVALUATIONS.c.completed_at, PROJECTS.c.fiscal_year)
        .join(PROJECTS, PROJECTS.c.id == EVALUATIONS.c.project_id)
        .where(EVALUATIONS.c.project_id.in_(ids))
        .order_by(PROJECTS.c.fiscal_year, EVALUATIONS.c.completed_at, EVALUATIONS.c.id)).mappings().all()
    decisions = conn.execute(
        select(DECISIONS, PROJECTS.c.fiscal_year).join(PROJECTS, PROJECTS.c.id == DECISIONS.c.project_id)
        .where(DECISIONS.c.project_id.in_(ids)).order_by(PROJECTS.c.fiscal_year, DECISIONS.c.id)).mappings().all()
    return {"project_id": project_id, "predecessors": predecessors, "evaluations": [dict(r) for r in evaluations],
            "decisions": [dict(r) for r in decisions]}


def adjustments_of(conn: Connection, project_id: str) -> list[dict[str, Any]]:
    """The project's in-year budget adjustments, in the order they were decided."""
    rows = conn.execute(select(ADJUSTMENTS).where(ADJUSTMENTS.c.project_id == project_id)
                        .order_by(ADJUSTMENTS.c.decided_at, ADJUSTMENTS.c.id)).mappings().all()
    return [dict(r) for r in rows]


def adjustments_in(conn: Connection, year: int, level: str | None = None) -> dict[str, Any]:
    """The in-year budget adjustments of a fiscal year (of one level's projects, or all): each with its project,
    their count and the total moved toward the year's urgent spending."""
    where = [ADJUSTMENTS.c.fiscal_year == year]
    if level:
        where.append(PROJECTS.c.level == level)
    base = (select(ADJUSTMENTS, PROJECTS.c.name.label("project_name"), PROJECTS.c.department_id,
                   DEPARTMENTS.c.name.label("department_name"))
            .join(PROJECTS, PROJECTS.c.id == ADJUSTMENTS.c.project_id)
            .join(DEPARTMENTS, DEPARTMENTS.c.id == PROJECTS.c.department_id).where(*where))
    rows = conn.execute(base.order_by(ADJUSTMENTS.c.decided_at, ADJUSTMENTS.c.id)).mappings().all()
    total = conn.execute(select(func.coalesce(func.sum(ADJUSTMENTS.c.amount), 0))
                         .join_from(ADJUSTMENTS, PROJECTS, PROJECTS.c.id == ADJUSTMENTS.c.project_id)
                         .where(*where)).scalar_one()
    return {"year": year, "level": level, "count": len(rows), "total": Decimal(total).quantize(Decimal("0.01")),
            "items": [dict(r) for r in rows]}
