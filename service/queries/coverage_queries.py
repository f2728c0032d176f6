"""Gather the facts of the coverage report (projects, goals, evaluations, departments, target rules)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import BigInteger, Connection, case, cast, exists, func, literal, or_, select

from service.domain import coverage_rules
from service.errors import InvalidInput
from service.models import Department, Evaluation, FiscalFigure, Goal, MonitoringReport, Project, SubunitEvaluation
from service.rules import store

PROJECTS = Project.__table__
GOALS = Goal.__table__
EVALUATIONS = Evaluation.__table__
DEPARTMENTS = Department.__table__
FISCAL_FIGURES = FiscalFigure.__table__
MONITORING_REPORTS = MonitoringReport.__table__
SUBUNIT_EVALUATIONS = SubunitEvaluation.__table__


# A project's latest goal revision (uq_goals_project_revision: one index probe per project, where joining on each
# project's max(revision) aggregated every goal of the table) and whether any monitoring report names it.
_GOAL_STATUS = (select(GOALS.c.status).where(GOALS.c.project_id == PROJECTS.c.id).order_by(GOALS.c.revision.desc())
                .limit(1).correlate(PROJECTS).scalar_subquery())
_MONITORED = exists().where(MONITORING_REPORTS.c.project_id == PROJECTS.c.id).correlate(PROJECTS)


def _projects(conn: Connection, years: tuple[int, ...],
              level: str) -> dict[int, tuple[coverage_rules.ProjectFact, ...]]:
    """The level's projects of each of `years` (the report reads three): one statement for the projects with their
    goal and monitoring, one for their completed evaluations."""
    rows = conn.execute(
        select(PROJECTS.c.id, PROJECTS.c.fiscal_year, PROJECTS.c.name, PROJECTS.c.department_id,
               DEPARTMENTS.c.name.label("department_name"), PROJECTS.c.kind, PROJECTS.c.amount, PROJECTS.c.status,
               _GOAL_STATUS.label("goal_status"), PROJECTS.c.sector, _MONITORED.label("monitored"))
        .join(DEPARTMENTS, DEPARTMENTS.c.id == PROJECTS.c.department_id)
        .where(PROJECTS.c.fiscal_year.in_(years), PROJECTS.c.level == level)
        .order_by(PROJECTS.c.fiscal_year, PROJECTS.c.id)
    ).all()
    kinds: dict[str, set[str]] = defaultdict(set)
    evaluated = conn.execute(
        select(EVALUATIONS.c.project_id, EVALUATIONS.c.kind).join(PROJECTS, PROJECTS.c.id == EVALUATIONS.c.project_id)
        .where(PROJECTS.c.fiscal_year.in_(years), PROJECTS.c.level == level, EVALUATIONS.c.completed_at.is_not(None)))
    for project_id, kind in evaluated:
        kinds[project_id].add(kind)
    found: dict[int, list[coverage_rules.ProjectFact]] = {year: [] for year in years}
    none: frozenset[str] = frozenset()
    fact = coverage_rules.ProjectFact
    for pid, year, name, department_id, department_name, kind, amount, status, goal_status, sector, monitored in rows:
        evaluation_kinds = kinds.get(pid)
        found[year].append(fact(pid, name, department_id, department_name, kind, Decimal(amount), status, goal_status,
                                frozenset(evaluation_kinds) if evaluation_kinds else none, sector, bool(monitored)))
    return {year: tuple(facts) for year, facts in found.items()}


def _summed(conn: Connection, years: tuple[int, ...], level: str,
            evaluated_kinds: frozenset[str]) -> dict[int, tuple[coverage_rules.ProjectFact, ...]]:
    """The level's projects of each of `years` summed by what the measures look at (kind, status, goal, sector,
    monitoring, and which of `evaluated_kinds` they were evaluated by; whole-department items also by department):
    one statement whose rows are as many as those combinations, however many projects there are. The money is summed
    in cents as integers (exact on SQLite, whose sum of decimals is a float's)."""
    kinds = sorted(evaluated_kinds)
    of_years = select(PROJECTS.c.id).where(PROJECTS.c.fiscal_year.in_(years), PROJECTS.c.level == level)
    evaluations = (select(EVALUATIONS.c.project_id,
                          *(func.max(case((EVALUATIONS.c.kind == kind, 1), else_=0)).label(f"k{n}")
                            for n, kind in enumerate(kinds)))
                   .where(EVALUATIONS.c.completed_at.is_not(None), EVALUATIONS.c.kind.in_(kinds),
                          EVALUATIONS.c.project_id.in_(of_years))
                   .group_by(EVALUATIONS.c.project_id).subquery())
    flags = [func.coalesce(evaluations.c[f"k{n}"], 0).label(f"k{n}") for n in range(len(kinds))]
    each = (select(PROJECTS.c.fiscal_year, PROJECTS.c.kind, PROJECTS.c.status, PROJECTS.c.sector,
                   case((PROJECTS.c.kind == "department", PROJECTS.c.department_id), else_=literal("")).label("dept"),
                   _GOAL_STATUS.label("goal_status"), case((_MONITORED, 1), else_=0).label("monitored"), *flags,
                   cast(func.round(PROJECTS.c.amount * 100), BigInteger).label("cents"))
            .outerjoin(evaluations, evaluations.c.project_id == PROJECTS.c.id)
            .where(PROJECTS.c.fiscal_year.in_(years), PROJECTS.c.level == level).subquery())
    keys = [each.c.fiscal_year, each.c.kind, each.c.status, each.c.sector, each.c.dept, each.c.goal_status,
            each.c.monitored, *(each.c[f"k{n}"] for n in range(len(kinds)))]
    found: dict[int, list[coverage_rules.ProjectFact]] = {year: [] for year in years}
    for row in conn.execute(select(*keys, func.sum(each.c.cents)).group_by(*keys)):
        year, kind, status, sector, dept, goal_status, monitored, *rest = row
        *evaluated, cents = rest
        found[year].append(coverage_rules.ProjectFact(
            "", "", dept, "", kind, Decimal(int(cents)) / 100, status, goal_status,
            frozenset(k for k, flag in zip(kinds, evaluated, strict=True) if flag), sector, bool(monitored)))
    return {year: tuple(facts) for year, facts in found.items()}


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


def _target(rows: dict[str, store.RuleRow], key: str) -> coverage_rules.Target:
    row = rows.get(key)
    if row is None:  # the plan sets no target before its first year for this measure
        return coverage_rules.Target(None)
    if row.value is None:
        return coverage_rules.Target(None, row.source, row.fiscal_year)
    return coverage_rules.Target(Decimal(str(row.value)), row.source, row.fiscal_year)


def gather(conn: Connection, year: int, level: str, lines: bool = True) -> coverage_rules.CoverageFacts:
    """The facts of one fiscal year and level, read in one transaction: each project, or (without `lines`) the
    projects summed by what the measures look at."""
    rules = store.get_rows(conn, year, level, (coverage_rules.EVALUATED_KINDS_KEY,
                                               coverage_rules.LIVELIHOOD_SECTORS_KEY,
                                               *coverage_rules.TARGET_KEYS.values()))
    if coverage_rules.EVALUATED_KINDS_KEY not in rules:
        raise InvalidInput(
            f"no rules for fiscal year {year}: seed the rules first (jixiao rules seed)",
            [{"field": "year", "message": "no rules for this fiscal year"}],
        )
    if coverage_rules.LIVELIHOOD_SECTORS_KEY not in rules:
        raise InvalidInput(
            f"no rule {coverage_rules.LIVELIHOOD_SECTORS_KEY} for fiscal year {year}: seed the rules first",
            [{"field": "year", "message": "no rules for this fiscal year"}],
        )
    years = (year, year - 1, year - 2)
    evaluated_kinds = frozenset(rules[coverage_rules.EVALUATED_KINDS_KEY].value)
    projects = _projects(conn, years, level) if lines else _summed(conn, years, level, evaluated_kinds)
    return coverage_rules.CoverageFacts(
        year=year,
        level=level,
        projects=projects[year],
        previous=projects[year - 1],
        departments=_departments(conn, level, (year - 1, year)),
        evaluated_kinds=evaluated_kinds,
        targets={m: _target(rules, key) for m, key in coverage_rules.TARGET_KEYS.items()},
        earlier=projects[year - 2],
        figures=figures(conn, level, (year - 2, year - 1)),
        livelihood_sectors=frozenset(rules[coverage_rules.LIVELIHOOD_SECTORS_KEY].value),
        units=_units(conn, year, level),
    )


def coverage_report(conn: Connection, year: int, level: str, lines: bool = True) -> coverage_rules.CoverageReport:
    """The coverage of the plan's targets for a fiscal year and level (municipal | district); without `lines`, the
    measures' numbers only (the dashboard's), from the projects summed in SQL: a few dozen rows, not one per project."""
    if level not in store.LEVELS:
        raise InvalidInput("level must be municipal or district", [{"field": "level", "message": "invalid"}])
    return coverage_rules.coverage(gather(conn, year, level, lines), lines)
