"""Gather the facts of the coverage report (projects, goals, evaluations, departments, target rules)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import Connection, func, or_, select

from service.domain import coverage_rules
from service.errors import InvalidInput, NotFound
from service.models import Department, Evaluation, FiscalFigure, Goal, MonitoringReport, Project, SubunitEvaluation
from service.rules import store

PROJECTS = Project.__table__
GOALS = Goal.__table__
EVALUATIONS = Evaluation.__table__
DEPARTMENTS = Department.__table__
FISCAL_FIGURES = FiscalFigure.__table__
MONITORING_REPORTS = MonitoringReport.__table__
SUBUNIT_EVALUATIONS = SubunitEvaluation.__table__


def _projects(conn: Connection, year: int, level: str) -> tuple[coverage_rules.ProjectFact, ...]:
    latest = (select(GOALS.c.project_id, func.max(GOALS.c.revision).label("revision"))
              .group_by(GOALS.c.project_id).subquery())
    goal = (select(GOALS.c.project_id, GOALS.c.status)
            .join(latest, (GOALS.c.project_id == latest.c.project_id) & (GOALS.c.revision == latest.c.revision))
            .subquery())
    rows = conn.execute(
        select(PROJECTS.c.id, PROJECTS.c.name, PROJECTS.c.department_id, DEPARTMENTS.c.name.label("department_name"),
               PROJECTS.c.kind, PROJECTS.c.amount,
               PROJECTS.c.status, goal.c.status.label("goal_status"), PROJECTS.c.sector)
        .join(DEPARTMENTS, DEPARTMENTS.c.id == PROJECTS.c.department_id)
        .outerjoin(goal, goal.c.project_id == PROJECTS.c.id)
        .where(PROJECTS.c.fiscal_year == year, PROJECTS.c.level == level)
        .order_by(PROJECTS.c.id)
    ).all()
    kinds: dict[str, set[str]] = defaultdict(set)
    evaluated = conn.execute(
        select(EVALUATIONS.c.project_id, EVALUATIONS.c.kind).join(PROJECTS, PROJECTS.c.id == EVALUATIONS.c.project_id)
        .where(PROJECTS.c.fiscal_year == year, PROJECTS.c.level == level, EVALUATIONS.c.completed_at.is_not(None)))
    for project_id, kind in evaluated:
        kinds[project_id].add(kind)
    monitored = set(conn.execute(
        select(MONITORING_REPORTS.c.project_id).distinct().join(PROJECTS, PROJECTS.c.id
                                                                == MONITORING_REPORTS.c.project_id)
        .where(PROJECTS.c.fiscal_year == year, PROJECTS.c.level == level)).scalars())
    return tuple(coverage_rules.ProjectFact(r.id, r.name, r.department_id, r.department_name, r.kind, Decimal(r.amount),
                                 r.status, r.goal_status, frozenset(kinds[r.id]), r.sector, r.id in monitored)
                 for r in rows)


def figures(conn: Connection, level: str, years: tuple[int, ...]) -> dict[int, coverage_rules.FiscalFigure]:
    """The level's fiscal figures of those years that the bureau has entered."""
    rows = conn.execute(select(FISCAL_FIGURES).where(FISCAL_FIGURES.c.level == level,
                                                     FISCAL_FIGURES.c.fiscal_year.in_(years))).all()
    return {r.fiscal_year: coverage_rules.FiscalFigure(r.fiscal_year, Decimal(r.public_spending),
                                            Decimal(r.livelihood_spending), r.source) for r in rows}


def _departments(conn: Connection, level: str, years: tuple[int, ...]) -> tuple[coverage_rules.DepartmentFact, ...]:
    # Active first-level departments, and those deactivated since that had projects in the years measured.
    had_projects = select(PROJECTS.c.department_id).where(PROJECTS.c.fiscal_year.in_(years))
    rows = conn.execute(
        select(DEPARTMENTS.c.id, DEPARTMENTS.c.name)
        .where(DEPARTMENTS.c.level == level, DEPARTMENTS.c.kind == "department", DEPARTMENTS.c.parent_id.is_(None),
               or_(DEPARTMENTS.c.active.is_(True), DEPARTMENTS.c.id.in_(had_projects)))
        .order_by(DEPARTMENTS.c.id)
    ).all()
    return tuple(coverage_rules.DepartmentFact(r.id, r.name) for r in rows)


def _units(conn: Connection, year: int, level: str) -> tuple[coverage_rules.UnitFact, ...]:
    """The level's budget units (active, or evaluated for year − 1), each with whether its own department graded its
    whole spending of year − 1."""
    graded = set(
        conn.execute(
            select(SUBUNIT_EVALUATIONS.c.unit_id)
            .join(DEPARTMENTS, DEPARTMENTS.c.id == SUBUNIT_EVALUATIONS.c.unit_id)
            .where(
                SUBUNIT_EVALUATIONS.c.fiscal_year == year - 1,
                SUBUNIT_EVALUATIONS.c.status == "graded",
                SUBUNIT_EVALUATIONS.c.department_id == DEPARTMENTS.c.parent_id,
            )
        ).scalars()
    )
    rows = conn.execute(
        select(DEPARTMENTS.c.id, DEPARTMENTS.c.name, DEPARTMENTS.c.active)
        .where(DEPARTMENTS.c.level == level, DEPARTMENTS.c.kind == "unit", DEPARTMENTS.c.parent_id.is_not(None))
        .order_by(DEPARTMENTS.c.id)
    ).all()
    return tuple(coverage_rules.UnitFact(r.id, r.name, r.id in graded) for r in rows if r.active or r.id in graded)


def _target(conn: Connection, year: int, level: str, key: str) -> coverage_rules.Target:
    try:
        row = store.get_row(conn, year, level, key)
    except NotFound:  # the plan sets no target before its first year for this measure
        return coverage_rules.Target(None)
    if row.value is None:
        return coverage_rules.Target(None, row.source, row.fiscal_year)
    return coverage_rules.Target(Decimal(str(row.value)), row.source, row.fiscal_year)


def gather(conn: Connection, year: int, level: str) -> coverage_rules.CoverageFacts:
    """The facts of one fiscal year and level, read in one transaction."""
    try:
        evaluated_kinds = store.get(conn, year, level, coverage_rules.EVALUATED_KINDS_KEY)
    except NotFound:
        raise InvalidInput(
            f"no rules for fiscal year {year}: seed the rules first (jixiao rules seed)",
            [{"field": "year", "message": "no rules for this fiscal year"}],
        ) from None
    try:
        livelihood = store.get(conn, year, level, coverage_rules.LIVELIHOOD_SECTORS_KEY)
    except NotFound:
        raise InvalidInput(
            f"no rule {coverage_rules.LIVELIHOOD_SECTORS_KEY} for fiscal year {year}: seed the rules first",
            [{"field": "year", "message": "no rules for this fiscal year"}],
        ) from None
    return coverage_rules.CoverageFacts(
        year=year,
        level=level,
        projects=_projects(conn, year, level),
        previous=_projects(conn, year - 1, level),
        departments=_departments(conn, level, (year - 1, year)),
        evaluated_kinds=frozenset(evaluated_kinds),
        targets={m: _target(conn, year, level, key) for m, key in coverage_rules.TARGET_KEYS.items()},
        earlier=_projects(conn, year - 2, level),
        figures=figures(conn, level, (year - 2, year - 1)),
        livelihood_sectors=frozenset(livelihood),
        units=_units(conn, year, level),
    )


def coverage_report(conn: Connection, year: int, level: str) -> coverage_rules.CoverageReport:
    """The coverage of the plan's targets for a fiscal year and level (municipal | district)."""
    if level not in store.LEVELS:
        raise InvalidInput("level must be municipal or district", [{"field": "level", "message": "invalid"}])
    return coverage_rules.coverage(gather(conn, year, level))
