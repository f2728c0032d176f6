"""Gather the facts of the coverage report (projects, goals, evaluations, departments, target rules)."""

from __future__ import annotations

from decimal import Decimal
from operator import attrgetter

from sqlalchemy import BigInteger, Connection, case, cast, func, literal, or_, select

from service.domain import coverage_rules
from service.errors import InvalidInput
from service.models import Department, FiscalFigure, Project, SubunitEvaluation
from service.rules import store

PROJECTS = Project.__table__
DEPARTMENTS = Department.__table__
FISCAL_FIGURES = FiscalFigure.__table__
SUBUNIT_EVALUATIONS = SubunitEvaluation.__table__


_NONE: frozenset[str] = frozenset()
_ID = attrgetter("id")


def _kinds(kept: str) -> frozenset[str]:
    """A project's evaluation kinds as its row keeps them (service/models/project_facts.py)."""
    return frozenset(kept.split()) if kept else _NONE


def _projects(conn: Connection, years: tuple[int, ...],
              level: str) -> dict[int, tuple[coverage_rules.ProjectFact, ...]]:
    """The level's projects of each of `years` (the report reads three), each with the facts its row keeps: the
    latest goal's status, whether a report names it, its evaluations' kinds; by id. Sorted once here, in Python's order
    of the ids, which the measures list their lines in (each measure's own sort then takes one pass over them); not by
    the database, whose sort took longer than the rest of the statement (72 ms with it, 27 without, for 33,400
    projects)."""
    rows = conn.execute(
        select(PROJECTS.c.id, PROJECTS.c.fiscal_year, PROJECTS.c.name, PROJECTS.c.department_id,
               DEPARTMENTS.c.name.label("department_name"), PROJECTS.c.kind, PROJECTS.c.amount, PROJECTS.c.status,
               PROJECTS.c.goal_status, PROJECTS.c.sector, PROJECTS.c.warning_level, PROJECTS.c.evaluation_kinds)
        .join(DEPARTMENTS, DEPARTMENTS.c.id == PROJECTS.c.department_id)
        .where(PROJECTS.c.fiscal_year.in_(years), PROJECTS.c.level == level)
    ).all()
    found: dict[int, list[coverage_rules.ProjectFact]] = {year: [] for year in years}
    fact = coverage_rules.ProjectFact._make  # from a tuple: no Python frame per project, as calling the class makes
    kinds_of: dict[str | None, frozenset[str]] = {}  # a few distinct texts for thousands of projects
    for (pid, year, name, department_id, department_name, kind, amount, status, goal_status, sector, warning,
         kept) in rows:
        kinds = kinds_of.get(kept)
        if kinds is None:
            kinds = kinds_of[kept] = _kinds(kept)
        found[year].append(fact((pid, name, department_id, department_name, kind, Decimal(amount), status,
                                 goal_status, kinds, sector, warning is not None)))
    return {year: tuple(sorted(facts, key=_ID)) for year, facts in found.items()}


def _summed(conn: Connection, years: tuple[int, ...],
            level: str) -> dict[int, tuple[coverage_rules.ProjectFact, ...]]:
    """The level's projects of each of `years` summed by what the measures look at (kind, status, goal, sector,
    monitoring, evaluation kinds; whole-department items also by department): one statement over the projects' rows
    alone, whose answer has as many rows as those combinations, however many projects there are. The money is summed
    in cents as integers (exact on SQLite, whose sum of decimals is a float's)."""
    dept = case((PROJECTS.c.kind == "department", PROJECTS.c.department_id), else_=literal("")).label("dept")
    monitored = case((PROJECTS.c.warning_level.is_not(None), 1), else_=0).label("monitored")
    keys = [PROJECTS.c.fiscal_year, PROJECTS.c.kind, PROJECTS.c.status, PROJECTS.c.sector, dept,
            PROJECTS.c.goal_status, monitored, PROJECTS.c.evaluation_kinds]
    found: dict[int, list[coverage_rules.ProjectFact]] = {year: [] for year in years}
    summed = (select(*keys, func.sum(cast(func.round(PROJECTS.c.amount * 100), BigInteger)))
              .where(PROJECTS.c.fiscal_year.in_(years), PROJECTS.c.level == level).group_by(*keys))
    for row in conn.execute(summed):
        year, kind, status, sector, dept_id, goal_status, is_monitored, kinds, cents = tuple(row)
        found[year].append(coverage_rules.ProjectFact(
            "", "", dept_id, "", kind, Decimal(int(cents)) / 100, status, goal_status, _kinds(kinds), sector,
            bool(is_monitored)))
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
    projects = _projects(conn, years, level) if lines else _summed(conn, years, level)
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
