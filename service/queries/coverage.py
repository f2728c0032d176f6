"""Gather the facts of the coverage report (projects, goals, evaluations, departments, target rules)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import Connection, func, or_, select

from service.domain import coverage as cov
from service.errors import InvalidInput, NotFound
from service.models import Department, Evaluation, FiscalFigure, Goal, MonitoringReport, Project, SubunitEvaluation
from service.rules import store

P = Project.__table__
G = Goal.__table__
E = Evaluation.__table__
D = Department.__table__
F = FiscalFigure.__table__
M = MonitoringReport.__table__
S = SubunitEvaluation.__table__


def _projects(conn: Connection, year: int, level: str) -> tuple[cov.ProjectFact, ...]:
    latest = (select(G.c.project_id, func.max(G.c.revision).label("revision"))
              .group_by(G.c.project_id).subquery())
    goal = (select(G.c.project_id, G.c.status)
            .join(latest, (G.c.project_id == latest.c.project_id) & (G.c.revision == latest.c.revision))
            .subquery())
    rows = conn.execute(
        select(P.c.id, P.c.name, P.c.department_id, D.c.name.label("department_name"), P.c.kind, P.c.amount,
               P.c.status, goal.c.status.label("goal_status"), P.c.sector)
        .join(D, D.c.id == P.c.department_id)
        .outerjoin(goal, goal.c.project_id == P.c.id)
        .where(P.c.fiscal_year == year, P.c.level == level)
        .order_by(P.c.id)
    ).all()
    kinds: dict[str, set[str]] = defaultdict(set)
    evaluated = conn.execute(
        select(E.c.project_id, E.c.kind).join(P, P.c.id == E.c.project_id)
        .where(P.c.fiscal_year == year, P.c.level == level, E.c.completed_at.is_not(None)))
    for project_id, kind in evaluated:
        kinds[project_id].add(kind)
    monitored = set(conn.execute(
        select(M.c.project_id).distinct().join(P, P.c.id == M.c.project_id)
        .where(P.c.fiscal_year == year, P.c.level == level)).scalars())
    return tuple(cov.ProjectFact(r.id, r.name, r.department_id, r.department_name, r.kind, Decimal(r.amount),
                                 r.status, r.goal_status, frozenset(kinds[r.id]), r.sector, r.id in monitored)
                 for r in rows)


def figures(conn: Connection, level: str, years: tuple[int, ...]) -> dict[int, cov.FiscalFigure]:
    """The level's fiscal figures of those years that the bureau has entered."""
    rows = conn.execute(select(F).where(F.c.level == level, F.c.fiscal_year.in_(years))).all()
    return {r.fiscal_year: cov.FiscalFigure(r.fiscal_year, Decimal(r.public_spending),
                                            Decimal(r.livelihood_spending), r.source) for r in rows}


def _departments(conn: Connection, level: str, years: tuple[int, ...]) -> tuple[cov.DepartmentFact, ...]:
    # Active first-level departments, and those deactivated since that had projects in the years measured.
    had_projects = select(P.c.department_id).where(P.c.fiscal_year.in_(years))
    rows = conn.execute(
        select(D.c.id, D.c.name)
        .where(D.c.level == level, D.c.kind == "department", D.c.parent_id.is_(None),
               or_(D.c.active.is_(True), D.c.id.in_(had_projects)))
        .order_by(D.c.id)
    ).all()
    return tuple(cov.DepartmentFact(r.id, r.name) for r in rows)


def _units(conn: Connection, year: int, level: str) -> tuple[cov.UnitFact, ...]:
    """The level's budget units (active, or evaluated for year − 1), each with whether its own department graded its
    whole spending of year − 1."""
    graded = set(conn.execute(select(S.c.unit_id).join(D, D.c.id == S.c.unit_id).where(
        S.c.fiscal_year == year - 1, S.c.status == "graded", S.c.department_id == D.c.parent_id)).scalars())
    rows = conn.execute(select(D.c.id, D.c.name, D.c.active).where(
        D.c.level == level, D.c.kind == "unit", D.c.parent_id.is_not(None)).order_by(D.c.id)).all()
    return tuple(cov.UnitFact(r.id, r.name, r.id in graded) for r in rows if r.active or r.id in graded)


def _target(conn: Connection, year: int, level: str, key: str) -> cov.Target:
    try:
        row = store.get_row(conn, year, level, key)
    except NotFound:  # the plan sets no target before its first year for this measure
        return cov.Target(None)
    if row.value is None:
        return cov.Target(None, row.source, row.fiscal_year)
    return cov.Target(Decimal(str(row.value)), row.source, row.fiscal_year)


def gather(conn: Connection, year: int, level: str) -> cov.CoverageFacts:
    """The facts of one fiscal year and level, read in one transaction."""
    try:
        evaluated_kinds = store.get(conn, year, level, cov.EVALUATED_KINDS_KEY)
    except NotFound:
        raise InvalidInput(f"no rules for fiscal year {year}: seed the rules first (jixiao rules seed)",
                           [{"field": "year", "message": "no rules for this fiscal year"}]) from None
    try:
        livelihood = store.get(conn, year, level, cov.LIVELIHOOD_SECTORS_KEY)
    except NotFound:
        raise InvalidInput(f"no rule {cov.LIVELIHOOD_SECTORS_KEY} for fiscal year {year}: seed the rules first",
                           [{"field": "year", "message": "no rules for this fiscal year"}]) from None
    return cov.CoverageFacts(
        year=year, level=level,
        projects=_projects(conn, year, level), previous=_projects(conn, year - 1, level),
        departments=_departments(conn, level, (year - 1, year)),
        evaluated_kinds=frozenset(evaluated_kinds),
        targets={m: _target(conn, year, level, key) for m, key in cov.TARGET_KEYS.items()},
        earlier=_projects(conn, year - 2, level),
        figures=figures(conn, level, (year - 2, year - 1)),
        livelihood_sectors=frozenset(livelihood),
        units=_units(conn, year, level),
    )


def coverage_report(conn: Connection, year: int, level: str) -> cov.CoverageReport:
    """The coverage of the plan's targets for a fiscal year and level (municipal | district)."""
    if level not in store.LEVELS:
        raise InvalidInput("level must be municipal or district", [{"field": "level", "message": "invalid"}])
    return cov.coverage(gather(conn, year, level))
