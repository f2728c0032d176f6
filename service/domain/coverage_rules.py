"""Coverage of the plan's targets (DOMAIN.md, "Coverage targets of the plan"): pure maths over plain facts.

What is counted, and why (the plan, 《武汉市预算绩效管理工作方案(2014—2015年)》 二(三)1 and 二(三)3):
- Money measures look at projects of kind "project" only: a kind "department" row stands for a department's
  whole spending, which already contains its projects, so adding both would count money twice.
- The evaluated-money share divides by the level's public spending (公共财政支出) of year − 1, a figure the bureau
  enters from its final accounts (service/models FiscalFigure): the plan 二(三)3一是 “占上一年度公共财政支出的比例”.
  While that figure is not entered the measure says so (status not_entered) and gives no share: a share over
  project money would look like the plan's and be a different, larger number.
- The 民生 share (the plan 二(三)3 “开展绩效评价的资金总量占民生支出的比例要逐年提高”) divides the evaluated money of
  projects in the 民生 sectors (rule `coverage.livelihood_sectors`) by the level's 民生 spending of year − 1, and is
  compared with the year before: the plan's target is the direction (rising), not a floor.
- Monitoring coverage (the plan 一(二) “逐步扩大绩效监控覆盖范围”) is the share of the year's project money whose
  project has at least one monitoring report filed, compared with the year before (the target is, again, rising).
- A project is under goal management when its latest goal revision is approved, or its status shows the
  goal was approved (approved and every later status). Blocked and undeclared projects stay in the
  denominator: that is what makes the share honest.
- Evaluation in year N looks back at year N − 1's spending (evaluation comes after the year), so both
  evaluation measures of year N count evaluations of year N − 1's projects; which evaluation kinds count is
  the rule `coverage.evaluated_kinds`.
- Whole-department measures count first-level departments (kind department, no parent) whose own
  kind "department" project qualifies; a unit's whole-unit goal does not make its parent count.
- Sub-unit evaluations (the plan 二(三)3二是 “预算部门对下属预算单位整体支出绩效评价试点”) count the level's
  budget units (kind unit, with a parent department) whose whole-spending evaluation of year − 1 their own
  department graded (service/cycle/subunit_evaluations_records.py). The plan asks for pilots and names no share, so the
  measure has no target.
- Targets are floors (the plan's "≥ 50 %", "100 %", "10 %"): met when actual ≥ target. A target row holds
  from its year until a later row replaces it (as every rule row does), so a year after the plan is measured
  against the plan's last target; an administrator sets a later year's row to null to say "no target".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter
from typing import Any, NamedTuple

# Project statuses (service/cycle/projects_records.py) that a project only reaches with an approved goal.
APPROVED_AND_LATER = frozenset({"approved", "running", "paused", "suspended", "stopped", "cancelled", "evaluated",
                                "closed"})

GOAL_MONEY = "goal_money_share"
WHOLE_DEPARTMENT_GOALS = "whole_department_goal_share"
EVALUATED_MONEY = "evaluated_money_share"
WHOLE_DEPARTMENT_EVALUATIONS = "whole_department_evaluation_share"
LIVELIHOOD_MONEY = "livelihood_evaluated_share"
MONITORING = "monitoring_coverage"
SUBUNIT_EVALUATIONS = "subunit_evaluations"
MEASURES = (GOAL_MONEY, WHOLE_DEPARTMENT_GOALS, EVALUATED_MONEY, WHOLE_DEPARTMENT_EVALUATIONS, LIVELIHOOD_MONEY,
            MONITORING, SUBUNIT_EVALUATIONS)
# The rule row holding a floor measure's target; a null value means the plan sets none for that year. The 民生 share
# and monitoring coverage have no floor: the plan asks them to rise year on year (Measure.direction).
TARGET_KEYS = {m: f"coverage.{m}" for m in MEASURES[:4]}
EVALUATED_KINDS_KEY = "coverage.evaluated_kinds"
LIVELIHOOD_SECTORS_KEY = "coverage.livelihood_sectors"
# What a measure's number is: measured; not_entered — its denominator is a fiscal figure the bureau has not entered.
MEASURED, NOT_ENTERED = "measured", "not_entered"
RISING, NOT_RISING = "rising", "not_rising"

LABELS = {
    SUBUNIT_EVALUATIONS: ("由本部门开展整体支出绩效评价的下属预算单位占比",
                          "Sub-units whose whole spending their department evaluated"),
    GOAL_MONEY: ("纳入绩效目标管理的项目资金占比", "Project money under goal management"),
    WHOLE_DEPARTMENT_GOALS: ("编报部门整体支出绩效目标的一级预算部门占比",
                             "First-level departments with whole-department goals"),
    EVALUATED_MONEY: ("开展绩效评价的资金总量占上一年度公共财政支出的比例",
                      "Evaluated money / previous year's public spending"),
    WHOLE_DEPARTMENT_EVALUATIONS: ("部门整体支出绩效评价试点部门占比",
                                   "First-level departments piloting whole-department evaluation"),
    LIVELIHOOD_MONEY: ("开展绩效评价的资金总量占民生支出的比例",
                       "Evaluated 民生 money / previous year's 民生 spending"),
    MONITORING: ("纳入绩效监控的项目资金占比", "Project money under performance monitoring"),
}
_CENT = Decimal("0.01")
_ID = attrgetter("id")


class ProjectFact(NamedTuple):
    """A project (or whole-department item) as far as coverage is concerned; or, for a report without lines (the
    dashboard's), every project of a year that agrees on all the fields below but id, name and amount, with their
    amounts summed (the id and names empty, and the department only for whole-department items).

    A named tuple, not a dataclass: a province's report reads one per project of three years, and a frozen dataclass
    costs several times as much to make."""

    id: str
    name: str
    department_id: str
    department_name: str
    kind: str  # project | department
    amount: Decimal
    status: str
    goal_status: str | None  # the latest goal revision's status, None when no goal was declared
    evaluation_kinds: frozenset[str] = frozenset()  # kinds of completed evaluations
    sector: str = ""
    monitored: bool = False  # at least one monitoring report filed

    @property
    def goal_managed(self) -> bool:
        return self.goal_status == "approved" or self.status in APPROVED_AND_LATER


@dataclass(frozen=True)
class DepartmentFact:
    """A first-level budget department of the level."""

    id: str
    name: str


@dataclass(frozen=True)
class UnitFact:
    """A budget unit of the level (预算单位, kind unit): did its own department grade its whole spending of year − 1?"""

    id: str
    name: str
    evaluated_by_department: bool


@dataclass(frozen=True)
class FiscalFigure:
    """A level's spending of a fiscal year as the bureau entered it (CNY)."""

    year: int
    public_spending: Decimal
    livelihood_spending: Decimal
    source: str


@dataclass(frozen=True)
class Target:
    """A measure's target percent from its rule row (value None: no target that year)."""

    value: Decimal | None
    source: str | None = None
    year: int | None = None  # the fiscal year of the rule row in force


@dataclass(frozen=True)
class CoverageFacts:
    """Everything the coverage of one fiscal year and level depends on."""

    year: int
    level: str
    projects: tuple[ProjectFact, ...]  # of the year and level, both kinds
    previous: tuple[ProjectFact, ...]  # of year − 1 and the level, both kinds
    departments: tuple[DepartmentFact, ...]  # first-level departments of the level
    evaluated_kinds: frozenset[str]
    targets: dict[str, Target]
    earlier: tuple[ProjectFact, ...] = ()  # of year − 2 and the level (the 民生 share's year before)
    figures: dict[int, FiscalFigure] = field(default_factory=dict)  # the level's fiscal figures by year
    livelihood_sectors: frozenset[str] = frozenset()
    units: tuple[UnitFact, ...] = ()  # budget units of the level (the sub-unit evaluation pilots)


class ProjectLine(NamedTuple):
    """A project in a money measure (a named tuple for the same reason as ProjectFact: one per project per measure)."""

    id: str
    name: str
    department_id: str
    department_name: str
    amount: Decimal
    counted: bool


@dataclass(frozen=True)
class DepartmentLine:
    id: str
    name: str
    counted: bool
    projects: tuple[str, ...] = ()  # the whole-department items that made it count


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    label_en: str
    unit: str  # CNY | departments
    numerator: Decimal
    denominator: Decimal
    actual: Decimal | None  # percent, 2 decimals; None when the denominator is 0
    target: Decimal | None
    target_year: int | None
    met: bool | None
    source: str | None
    projects: tuple[ProjectLine, ...] = ()
    departments: tuple[DepartmentLine, ...] = ()
    status: str = MEASURED  # measured | not_entered (the fiscal figure of figure_year is missing)
    figure_year: int | None = None  # the year of the fiscal figure divided by, for the spending shares
    figure_source: str | None = None
    previous_actual: Decimal | None = None  # the same measure a year earlier, for the year-on-year measures
    change: Decimal | None = None  # actual − previous_actual, percentage points
    direction: str | None = None  # rising | not_rising; None when either year has no share


@dataclass(frozen=True)
class CoverageReport:
    year: int
    level: str
    evaluated_kinds: tuple[str, ...]
    measures: tuple[Measure, ...] = field(default_factory=tuple)


def percent(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """numerator / denominator in percent with 2 decimals (half up); None when there is nothing to divide by."""
    if denominator == 0:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(_CENT, rounding=ROUND_HALF_UP)


def _measure(key: str, unit: str, numerator: Decimal, denominator: Decimal, target: Target,
             projects: tuple[ProjectLine, ...] = (), departments: tuple[DepartmentLine, ...] = ()) -> Measure:
    actual = percent(numerator, denominator)
    met = None if actual is None or target.value is None else actual >= target.value
    label, label_en = LABELS[key]
    return Measure(key, label, label_en, unit, numerator, denominator, actual, target.value,
                   target.year if target.value is not None else None, met,
                   target.source if target.value is not None else None, projects, departments)


Counts = Callable[[ProjectFact], bool]  # whether a project is in a measure's numerator


def _money(key: str, projects: tuple[ProjectFact, ...], counts: Counts, target: Target, lines: bool) -> Measure:
    if not lines:
        money = [(p.amount, counts(p)) for p in projects if p.kind == "project"]
        return _measure(key, "CNY", sum((amount for amount, counted in money if counted), Decimal(0)),
                        sum((amount for amount, _ in money), Decimal(0)), target)
    line = ProjectLine._make  # from a tuple: no Python frame per line, as calling the class makes
    found = tuple(line((p.id, p.name, p.department_id, p.department_name, p.amount, counts(p)))
                  for p in sorted(projects, key=_ID) if p.kind == "project")
    numerator = sum((line.amount for line in found if line.counted), Decimal(0))
    return _measure(key, "CNY", numerator, sum((line.amount for line in found), Decimal(0)), target, projects=found)


def _departments(key: str, departments: tuple[DepartmentFact, ...], projects: tuple[ProjectFact, ...],
                 qualifies: Counts, target: Target, lines: bool) -> Measure:
    # Each department's qualifying whole-department items, by id: those items sorted once and grouped (sorting them
    # for every department grew with departments × projects: 150 ms of a 5,000-project province's report).
    ids = {d.id for d in departments}
    own_of: dict[str, list[str]] = {}
    for p in sorted((p for p in projects if p.kind == "department" and p.department_id in ids), key=_ID):
        if qualifies(p):
            own_of.setdefault(p.department_id, []).append(p.id)
    found = [DepartmentLine(d.id, d.name, d.id in own_of, tuple(own_of.get(d.id, ())))
             for d in sorted(departments, key=_ID)]
    counted = sum(1 for line in found if line.counted)
    return _measure(key, "departments", Decimal(counted), Decimal(len(found)), target,
                    departments=tuple(found) if lines else ())


def _spending_share(key: str, projects: tuple[ProjectFact, ...], evaluated: Counts, figure_year: int,
                    figures: dict[int, FiscalFigure], livelihood: bool, target: Target, lines: bool) -> Measure:
    """Evaluated project money over the level's public (or 民生) spending of `figure_year`, as the bureau entered it;
    not_entered, with no share and no verdict, while that figure is missing."""
    money = _money(key, projects, evaluated, target, lines)
    figure = figures.get(figure_year)
    if figure is None:
        return replace(money, denominator=Decimal(0), actual=None, met=None, status=NOT_ENTERED,
                       figure_year=figure_year)
    spending = figure.livelihood_spending if livelihood else figure.public_spending
    return replace(_measure(key, "CNY", money.numerator, spending, target, projects=money.projects),
                   figure_year=figure_year, figure_source=figure.source)


def _units(units: tuple[UnitFact, ...], lines: bool) -> Measure:
    """Sub-units evaluated by their own department over the level's sub-units; the plan names no share (试点)."""
    found = tuple(DepartmentLine(u.id, u.name, u.evaluated_by_department) for u in sorted(units, key=_ID))
    counted = sum(1 for line in found if line.counted)
    return _measure(SUBUNIT_EVALUATIONS, "departments", Decimal(counted), Decimal(len(found)), Target(None),
                    departments=found if lines else ())


def _year_on_year(measure: Measure, before: Measure) -> Measure:
    """The measure with the year before's share beside it, and whether it rose (the plan's “逐年提高”, “逐步扩大”)."""
    change = None if measure.actual is None or before.actual is None else measure.actual - before.actual
    direction = None if change is None else RISING if change > 0 else NOT_RISING
    return replace(measure, previous_actual=before.actual, change=change, direction=direction)


def coverage(facts: CoverageFacts, lines: bool = True) -> CoverageReport:
    """The plan's coverage measures for one fiscal year and level; without `lines`, the measures' numbers only (no
    project and department lines: what the dashboard shows, from facts that may be projects summed by kind)."""
    evaluated_kinds = facts.evaluated_kinds
    missing = Target(None)

    def evaluated(p: ProjectFact) -> bool:
        return bool(p.evaluation_kinds & evaluated_kinds)

    def managed(p: ProjectFact) -> bool:
        return p.goal_managed

    def monitored(p: ProjectFact) -> bool:
        return p.monitored

    def livelihood(projects: tuple[ProjectFact, ...]) -> tuple[ProjectFact, ...]:
        return tuple(p for p in projects if p.sector in facts.livelihood_sectors)

    measures = (
        _money(GOAL_MONEY, facts.projects, managed, facts.targets.get(GOAL_MONEY, missing), lines),
        _departments(WHOLE_DEPARTMENT_GOALS, facts.departments, facts.projects, managed,
                     facts.targets.get(WHOLE_DEPARTMENT_GOALS, missing), lines),
        _spending_share(EVALUATED_MONEY, facts.previous, evaluated, facts.year - 1, facts.figures, False,
                        facts.targets.get(EVALUATED_MONEY, missing), lines),
        _departments(WHOLE_DEPARTMENT_EVALUATIONS, facts.departments, facts.previous, evaluated,
                     facts.targets.get(WHOLE_DEPARTMENT_EVALUATIONS, missing), lines),
        # The year before of a year-on-year measure gives its share only: its lines are not made.
        _year_on_year(
            _spending_share(LIVELIHOOD_MONEY, livelihood(facts.previous), evaluated, facts.year - 1, facts.figures,
                            True, missing, lines),
            _spending_share(LIVELIHOOD_MONEY, livelihood(facts.earlier), evaluated, facts.year - 2, facts.figures,
                            True, missing, False)),
        _year_on_year(_money(MONITORING, facts.projects, monitored, missing, lines),
                      _money(MONITORING, facts.previous, monitored, missing, False)),
        _units(facts.units, lines),
    )
    return CoverageReport(facts.year, facts.level, tuple(sorted(facts.evaluated_kinds)), measures)


def as_dict(report: CoverageReport) -> dict[str, Any]:
    """The report as plain data (for the API's schema and the CLI's JSON): what dataclasses.asdict answers, without
    deep-copying values that are immutable already (a province's report holds a line per project per measure)."""
    return {"year": report.year, "level": report.level, "evaluated_kinds": report.evaluated_kinds,
            "measures": tuple(_measure_dict(m) for m in report.measures)}


def _measure_dict(measure: Measure) -> dict[str, Any]:
    out = dict(measure.__dict__)
    out["projects"] = tuple(line._asdict() for line in measure.projects)
    out["departments"] = tuple(dict(line.__dict__) for line in measure.departments)
    return out


# --- a department's own shortfall (the year-end coverage review, workflows/coverage_review.bpmn) ------------------
# The plan sets its money targets for a level as a whole (二(三)1 "本级项目支出预算资金"; 二(三)3 the evaluated
# share of the previous year's spending). Local practice: at year end the bureau holds each first-level department
# to the same floor over its own money, and escalates a department below it to the bureau's supervisors, since a
# level meets its share only through its departments. The department-count measures (whole-department goals and
# evaluation pilots) are shares of departments that the bureau selects: one department cannot miss them alone.
PER_DEPARTMENT = (GOAL_MONEY, EVALUATED_MONEY)


@dataclass(frozen=True)
class Shortfall:
    """A money measure a department's own projects fall short of: its share against the level's target."""

    measure: str
    label: str
    label_en: str
    numerator: Decimal
    denominator: Decimal
    actual: Decimal
    target: Decimal
    target_year: int | None
    source: str | None


def department_shortfalls(report: CoverageReport) -> dict[str, tuple[Shortfall, ...]]:
    """Department id → the money measures whose target its own projects miss (departments that miss none are left
    out; a measure without a target that year, or not measured for want of the level's fiscal figure, or a department
    with no money in it, misses nothing)."""
    found: dict[str, list[Shortfall]] = {}
    for m in report.measures:
        if m.key not in PER_DEPARTMENT or m.target is None or m.status != MEASURED:
            continue  # a share whose fiscal figure is not entered is not held against anyone: the figure is asked for
        totals: dict[str, tuple[Decimal, Decimal]] = {}
        for line in m.projects:
            counted, total = totals.get(line.department_id, (Decimal(0), Decimal(0)))
            totals[line.department_id] = (counted + (line.amount if line.counted else 0), total + line.amount)
        for department_id, (counted, total) in sorted(totals.items()):
            actual = percent(counted, total)
            if actual is not None and actual < m.target:
                found.setdefault(department_id, []).append(Shortfall(
                    m.key, m.label, m.label_en, counted, total, actual, m.target, m.target_year, m.source))
    return {d: tuple(s) for d, s in found.items()}
