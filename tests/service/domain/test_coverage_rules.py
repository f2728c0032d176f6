"""Coverage of the plan's targets, computed by hand on a small fiscal year (DOMAIN.md, Coverage targets)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from service.domain import coverage_rules
from service.domain.coverage_rules import CoverageFacts, DepartmentFact, FiscalFigure, ProjectFact, Target


def project(id: str, amount: int, *, dept: str = "edu", kind: str = "project", status: str = "declaring",
            goal: str | None = None, evaluations: tuple[str, ...] = (), sector: str = "education",
            monitored: bool = False) -> ProjectFact:
    return ProjectFact(id, f"项目 {id}", dept, f"部门 {dept}", kind, Decimal(amount), status, goal,
                       frozenset(evaluations), sector, monitored)


DEPARTMENTS = (DepartmentFact("edu", "教育局"), DepartmentFact("health", "卫健委"), DepartmentFact("farm", "农业局"),
               DepartmentFact("env", "生态环境局"))
TARGETS = {
    coverage_rules.GOAL_MONEY: Target(Decimal(50), "the plan 二(三)1一是: ≥ 50 % in 2015", 2015),
    coverage_rules.WHOLE_DEPARTMENT_GOALS: Target(Decimal(10), "the plan 二(三)1二是: 10 % in 2015", 2015),
    coverage_rules.EVALUATED_MONEY: Target(Decimal(30), "the plan 二(三)3: municipal 30 % in 2015", 2015),
    coverage_rules.WHOLE_DEPARTMENT_EVALUATIONS: Target(Decimal(10), "the plan 二(三)3: 10 % in 2015", 2015),
}
# The level's spending as the bureau entered it: 2014 public 17,000,000 with 10,000,000 民生; 2013 民生 8,000,000.
FIGURES = {2014: FiscalFigure(2014, Decimal(17_000_000), Decimal(10_000_000), "2014年市级决算"),
           2013: FiscalFigure(2013, Decimal(15_000_000), Decimal(8_000_000), "2013年市级决算")}


def facts(**changes: object) -> CoverageFacts:
    base = {
        "year": 2015, "level": "municipal",
        "projects": (
            project("p1", 3_000_000, goal="approved", monitored=True),         # counted: goal approved
            project("p2", 1_000_000, status="running", monitored=True),        # counted: running ⇒ approved before
            project("p3", 2_000_000, goal="returned"),                         # not: returned for revision
            project("p4", 4_000_000, dept="health", status="blocked", goal="blocked"),  # not: blocked (差)
            project("d-edu", 50_000_000, kind="department", goal="approved"),  # whole-department goal of edu
            project("d-health", 80_000_000, dept="health", kind="department", goal="submitted"),  # not yet
        ),
        "previous": (
            project("q1", 6_000_000, status="evaluated", evaluations=("self",), monitored=True),
            project("q2", 2_500_000, dept="health", status="closed", evaluations=("key", "self"), sector="health"),
            project("q3", 1_500_000, status="evaluated", evaluations=("midterm", "spot_check")),  # not counted
            project("q4", 10_000_000, dept="farm", status="running", sector="transport", monitored=True),
            project("d-farm", 30_000_000, dept="farm", kind="department", evaluations=("key",)),
            project("d-env", 20_000_000, dept="env", kind="department", evaluations=("spot_check",)),
        ),
        "departments": DEPARTMENTS,
        "earlier": (
            project("r1", 4_000_000, status="closed", evaluations=("self",)),
            project("r2", 3_000_000, dept="health", status="closed", sector="health"),
            project("r3", 9_000_000, dept="farm", status="closed", evaluations=("key",), sector="transport"),
        ),
        "evaluated_kinds": frozenset({"self", "key"}),
        "targets": TARGETS,
        "figures": FIGURES,
        "livelihood_sectors": frozenset({"education", "health"}),
    }
    return CoverageFacts(**{**base, **changes})  # type: ignore[arg-type]


def by_key(report: coverage_rules.CoverageReport) -> dict[str, coverage_rules.Measure]:
    return {m.key: m for m in report.measures}


def test_goal_money_share_counts_approved_goals_of_projects_only():
    m = by_key(coverage_rules.coverage(facts()))[coverage_rules.GOAL_MONEY]
    # counted p1 3,000,000 + p2 1,000,000 = 4,000,000; all projects 3 + 1 + 2 + 4 = 10,000,000 (the two kind
    # "department" items are whole spending, which holds the projects: they stay out of both sums)
    assert (m.numerator, m.denominator) == (Decimal(4_000_000), Decimal(10_000_000))
    assert m.actual == Decimal("40.00") and m.target == Decimal(50) and m.met is False
    assert m.source == "the plan 二(三)1一是: ≥ 50 % in 2015" and m.target_year == 2015 and m.unit == "CNY"
    assert [(p.id, p.counted) for p in m.projects] == [("p1", True), ("p2", True), ("p3", False), ("p4", False)]
    assert m.label == "纳入绩效目标管理的项目资金占比" and m.departments == ()


def test_whole_department_goal_share_counts_first_level_departments_with_an_approved_goal():
    m = by_key(coverage_rules.coverage(facts()))[coverage_rules.WHOLE_DEPARTMENT_GOALS]
    # edu has an approved whole-department goal, health's is only submitted: 1 of 4 departments = 25.00 % ≥ 10 %
    assert (m.numerator, m.denominator, m.actual, m.met) == (1, 4, Decimal("25.00"), True)
    assert [(d.id, d.counted, d.projects) for d in m.departments] == [
        ("edu", True, ("d-edu",)), ("env", False, ()), ("farm", False, ()), ("health", False, ())]


def test_evaluated_money_share_looks_at_last_year_and_the_counted_kinds():
    m = by_key(coverage_rules.coverage(facts()))[coverage_rules.EVALUATED_MONEY]
    # 2014 projects: q1 6,000,000 (self) + q2 2,500,000 (key, self) = 8,500,000 counted; q3 had only a mid-term
    # review and a spot-check; over 2014's public spending as entered, 17,000,000 (not over the 20,000,000 of
    # project money) → 50.00 % ≥ 30 %
    assert (m.numerator, m.denominator, m.actual, m.met) == (Decimal(8_500_000), Decimal(17_000_000),
                                                             Decimal("50.00"), True)
    assert (m.status, m.figure_year, m.figure_source) == (coverage_rules.MEASURED, 2014, "2014年市级决算")
    assert [p.id for p in m.projects if p.counted] == ["q1", "q2"]


def test_without_the_public_spending_figure_the_share_says_not_entered_and_misses_nothing():
    report = coverage_rules.coverage(facts(figures={}))
    m = by_key(report)[coverage_rules.EVALUATED_MONEY]
    # the evaluated money is known (8,500,000), the share is not: no number, no verdict, the target still shown
    assert (m.status, m.figure_year, m.numerator, m.denominator) == (coverage_rules.NOT_ENTERED, 2014, Decimal(8_500_000), 0)
    assert (m.actual, m.met, m.target) == (None, None, Decimal(30))
    # farm's 0 of 10 million evaluated is not held against it while the level's figure is missing
    assert {d: [s.measure for s in found] for d, found in coverage_rules.department_shortfalls(report).items()} == {
        "health": [coverage_rules.GOAL_MONEY]}


def test_the_livelihood_share_divides_evaluated_livelihood_money_and_is_compared_with_the_year_before():
    m = by_key(coverage_rules.coverage(facts()))[coverage_rules.LIVELIHOOD_MONEY]
    # 2014 education and health projects: q1 6,000,000 (self) + q2 2,500,000 (key) counted, q3 1,500,000 not;
    # q4 (transport) is not 民生 → 8,500,000 / 2014's 民生 spending 10,000,000 = 85.00 %
    assert (m.numerator, m.denominator, m.actual, m.figure_year) == (Decimal(8_500_000), Decimal(10_000_000),
                                                                     Decimal("85.00"), 2014)
    assert [p.id for p in m.projects] == ["q1", "q2", "q3"]
    # the year before: 2013 r1 4,000,000 (self) of r1 + r2 (r3 is transport) / 8,000,000 = 50.00 % → +35 points
    assert (m.previous_actual, m.change, m.direction) == (Decimal("50.00"), Decimal("35.00"), coverage_rules.RISING)
    assert (m.target, m.met) == (None, None)  # the plan asks it to rise, it sets no floor


def test_a_livelihood_share_not_above_the_year_before_is_not_rising():
    lower = {**FIGURES, 2014: FiscalFigure(2014, Decimal(17_000_000), Decimal(17_000_000), "2014年市级决算")}
    m = by_key(coverage_rules.coverage(facts(figures=lower)))[coverage_rules.LIVELIHOOD_MONEY]
    # 8,500,000 / 17,000,000 = 50.00 %, the same as 2013's 50.00 %: not rising
    assert (m.actual, m.previous_actual, m.change, m.direction) == (
        Decimal("50.00"), Decimal("50.00"), Decimal("0.00"), coverage_rules.NOT_RISING)


def test_without_the_year_befores_figure_there_is_no_direction():
    m = by_key(coverage_rules.coverage(facts(figures={2014: FIGURES[2014]})))[coverage_rules.LIVELIHOOD_MONEY]
    assert (m.actual, m.status, m.previous_actual, m.direction) == (Decimal("85.00"), coverage_rules.MEASURED, None, None)
    m = by_key(coverage_rules.coverage(facts(figures={2013: FIGURES[2013]})))[coverage_rules.LIVELIHOOD_MONEY]
    assert (m.actual, m.status, m.previous_actual, m.direction) == (None, coverage_rules.NOT_ENTERED, Decimal("50.00"), None)


def test_monitoring_coverage_is_the_money_with_a_monitoring_report_year_on_year():
    m = by_key(coverage_rules.coverage(facts()))[coverage_rules.MONITORING]
    # 2015: p1 3,000,000 + p2 1,000,000 reported of 10,000,000 = 40.00 %; 2014: q1 6,000,000 + q4 10,000,000 of
    # 20,000,000 = 80.00 % → −40 points, not rising
    assert (m.numerator, m.denominator, m.actual) == (Decimal(4_000_000), Decimal(10_000_000), Decimal("40.00"))
    assert (m.previous_actual, m.change, m.direction) == (Decimal("80.00"), Decimal("-40.00"), coverage_rules.NOT_RISING)


def test_whole_department_evaluation_pilots_count_a_counted_kind_on_last_years_department_item():
    m = by_key(coverage_rules.coverage(facts()))[coverage_rules.WHOLE_DEPARTMENT_EVALUATIONS]
    # farm's 2014 whole-department item had a key evaluation; env's only a spot-check: 1 / 4 = 25.00 % ≥ 10 %
    assert (m.numerator, m.denominator, m.actual, m.met) == (1, 4, Decimal("25.00"), True)
    assert [d.id for d in m.departments if d.counted] == ["farm"]


def test_the_counted_kinds_follow_the_rule():
    report = coverage_rules.coverage(facts(evaluated_kinds=frozenset({"key"})))
    # only q2 (key) counts: 2,500,000 / 17,000,000 = 14.705… → 14.71 % < 30 %
    m = by_key(report)[coverage_rules.EVALUATED_MONEY]
    assert (m.actual, m.met) == (Decimal("14.71"), False)
    assert report.evaluated_kinds == ("key",)


def test_nothing_to_divide_by_gives_no_actual_and_no_verdict():
    report = by_key(coverage_rules.coverage(facts(projects=(), previous=(), earlier=(), departments=(), figures={})))
    for m in report.values():
        assert m.denominator == 0 and m.actual is None and m.met is None
    assert report[coverage_rules.GOAL_MONEY].target == Decimal(50)  # the target is still shown


def test_no_target_gives_no_verdict_and_no_source():
    m = by_key(coverage_rules.coverage(facts(targets={coverage_rules.GOAL_MONEY: Target(None, "set to null for 2016", 2016)})))
    assert m[coverage_rules.GOAL_MONEY].actual == Decimal("40.00")
    assert (m[coverage_rules.GOAL_MONEY].target, m[coverage_rules.GOAL_MONEY].met, m[coverage_rules.GOAL_MONEY].source) == (None, None, None)
    assert m[coverage_rules.EVALUATED_MONEY].target is None  # absent from the targets: the plan sets none


def test_a_target_exactly_reached_is_met_and_rounding_is_half_up():
    p = (project("a", 1, goal="approved"), project("b", 1), project("c", 1))
    m = by_key(coverage_rules.coverage(facts(projects=p)))[coverage_rules.GOAL_MONEY]
    assert m.actual == Decimal("33.33")  # 1/3
    p = (project("a", 2, goal="approved"), project("b", 1), project("c", 1), project("d", 2, goal="approved"),
         project("e", 0))
    m = by_key(coverage_rules.coverage(facts(projects=p, targets={coverage_rules.GOAL_MONEY: Target(Decimal("66.67"))})))[coverage_rules.GOAL_MONEY]
    assert m.actual == Decimal("66.67") and m.met is True  # 4/6 = 66.666… rounds up to the target
    assert coverage_rules.percent(Decimal(1), Decimal(8)) == Decimal("12.50")
    assert coverage_rules.percent(Decimal(1), Decimal(200)) == Decimal("0.50")  # 0.5 exactly
    assert coverage_rules.percent(Decimal(1), Decimal(400)) == Decimal("0.25")
    assert coverage_rules.percent(Decimal(1), Decimal(800)) == Decimal("0.13")  # 0.125 → half up


@given(st.lists(st.tuples(st.integers(0, 10**12), st.booleans()), max_size=20))
def test_the_share_is_between_0_and_100_and_the_sums_add_up(rows: list[tuple[int, bool]]):
    projects = tuple(project(f"p{i}", amount, goal="approved" if ok else None) for i, (amount, ok) in enumerate(rows))
    m = by_key(coverage_rules.coverage(facts(projects=projects)))[coverage_rules.GOAL_MONEY]
    assert m.numerator == sum(a for a, ok in rows if ok) and m.denominator == sum(a for a, _ in rows)
    if m.denominator:
        assert m.actual is not None and Decimal(0) <= m.actual <= Decimal(100)
    else:
        assert m.actual is None


def test_a_department_falls_short_when_its_own_money_is_below_the_levels_target():
    report = coverage_rules.coverage(facts())
    short = coverage_rules.department_shortfalls(report)
    # goal money: edu has 4 of 6 million under goals (66.67 % ≥ 50 %), health 0 of 4 million; evaluated money
    # (30 %): edu 6 of 7.5 million (80 %), health 2.5 of 2.5 million, farm 0 of 10 million.
    assert {d: [(s.measure, s.actual, s.target) for s in found] for d, found in short.items()} == {
        "health": [(coverage_rules.GOAL_MONEY, Decimal("0.00"), Decimal(50))],
        "farm": [(coverage_rules.EVALUATED_MONEY, Decimal("0.00"), Decimal(30))],
    }
    [health] = short["health"]
    assert (health.numerator, health.denominator, health.source, health.target_year) == \
        (Decimal(0), Decimal(4_000_000), TARGETS[coverage_rules.GOAL_MONEY].source, 2015)


def test_no_target_no_shortfall_and_department_shares_are_never_held_against_one_department():
    no_targets = {**TARGETS, coverage_rules.GOAL_MONEY: Target(None), coverage_rules.EVALUATED_MONEY: Target(None)}
    assert coverage_rules.department_shortfalls(coverage_rules.coverage(facts(targets=no_targets))) == {}
    everyone = {k: Target(Decimal(100), "test", 2015) for k in TARGETS}
    found = coverage_rules.department_shortfalls(coverage_rules.coverage(facts(targets=everyone)))
    assert {s.measure for shortfalls in found.values() for s in shortfalls} <= set(coverage_rules.PER_DEPARTMENT)


def test_the_report_as_plain_data_is_what_asdict_gives_with_each_project_line_a_dict_of_its_fields():
    report = coverage_rules.coverage(facts())
    plain = coverage_rules.as_dict(report)
    expected = dataclasses.asdict(report)  # a project line is a named tuple, which asdict leaves a tuple
    for measure in expected["measures"]:
        measure["projects"] = tuple(dict(zip(coverage_rules.ProjectLine._fields, line, strict=True))
                                    for line in measure["projects"])
    assert plain == expected
    assert any(m["projects"] for m in plain["measures"]) and any(m["departments"] for m in plain["measures"])
    assert isinstance(plain["measures"][0]["projects"][0], dict)
    assert plain["measures"][0]["projects"][0]["amount"] == report.measures[0].projects[0].amount


def without_lines(report: coverage_rules.CoverageReport) -> coverage_rules.CoverageReport:
    return dataclasses.replace(report, measures=tuple(dataclasses.replace(m, projects=(), departments=())
                                                      for m in report.measures))


def summed(projects: tuple[ProjectFact, ...]) -> tuple[ProjectFact, ...]:
    """The projects summed as the dashboard's query sums them: by every field but id, names and amount, keeping the
    department only for whole-department items."""
    totals: dict[tuple[object, ...], Decimal] = {}
    for p in projects:
        key = (p.department_id if p.kind == "department" else "", p.kind, p.status, p.goal_status,
               p.evaluation_kinds, p.sector, p.monitored)
        totals[key] = totals.get(key, Decimal(0)) + p.amount
    return tuple(ProjectFact("", "", dept, "", kind, amount, status, goal, evaluations, sector, monitored)
                 for (dept, kind, status, goal, evaluations, sector, monitored), amount in totals.items())


def test_without_lines_the_measures_are_the_same_numbers():
    full = coverage_rules.coverage(facts())
    bare = coverage_rules.coverage(facts(), lines=False)
    assert all(not m.projects and not m.departments for m in bare.measures)
    assert bare == without_lines(full)


_facts = st.builds(
    project, st.sampled_from(["x"]), st.integers(0, 10**9),
    dept=st.sampled_from(["edu", "health", "farm", "env", "elsewhere"]), kind=st.sampled_from(["project", "department"]),
    status=st.sampled_from(["declaring", "approved", "running", "blocked", "closed", "evaluated"]),
    goal=st.sampled_from([None, "submitted", "returned", "approved", "blocked"]),
    evaluations=st.lists(st.sampled_from(["self", "key", "midterm", "spot_check"]), max_size=3).map(tuple),
    sector=st.sampled_from(["education", "health", "transport"]), monitored=st.booleans())


@given(st.lists(_facts, max_size=12), st.lists(_facts, max_size=12), st.lists(_facts, max_size=12))
def test_projects_summed_by_what_the_measures_look_at_give_the_same_numbers(this, previous, earlier):
    def numbered(found: list[ProjectFact], prefix: str) -> tuple[ProjectFact, ...]:
        return tuple(p._replace(id=f"{prefix}{n}") for n, p in enumerate(found))

    each = facts(projects=numbered(this, "a"), previous=numbered(previous, "b"), earlier=numbered(earlier, "c"))
    bare = dataclasses.replace(each, projects=summed(each.projects), previous=summed(each.previous),
                               earlier=summed(each.earlier))
    assert coverage_rules.coverage(bare, lines=False) == without_lines(coverage_rules.coverage(each))
