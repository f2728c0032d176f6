"""Choosing the whole-department evaluation pilots (service/domain/pilots_rules.py) and starting them
(service/scorecard/pilots_launch.py): never below the plan's share, rotating, larger spending first; the coverage
report counts them once evaluated."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service import clock
from service.cycle import projects_records
from service.domain import pilots_rules
from service.queries.coverage_queries import coverage_report
from service.scorecard.pilots_launch import select_pilots
from tests.service.api.test_reports_api import base_departments  # noqa: F401  (a fixture)
from tests.workflows.conftest import cycle  # noqa: F401  (a fixture)


def _select(cycle, year: int, level: str, now) -> dict:  # noqa: F811
    with cycle.rt.unit_of_work() as conn:
        return select_pilots(conn, cycle.rt.workflows, year, level, now)


SHARES = st.one_of(st.integers(0, 100), st.decimals(0, 100, places=2), st.sampled_from([5, 10, 12.5, 33.3, 100]))


@st.composite
def departments(draw: st.DrawFn) -> list[pilots_rules.Candidate]:
    n = draw(st.integers(0, 120))
    return [pilots_rules.Candidate(f"d{i:03d}", f"部门{i}", Decimal(draw(st.integers(0, 10**9))),
                             piloted_before=draw(st.booleans()), piloted_now=draw(st.integers(0, 9)) == 0)
            for i in range(n)]


@given(departments(), SHARES)
def test_the_selection_never_falls_below_the_share(candidates, share):
    chosen = pilots_rules.select(candidates, share)
    n = len(candidates)
    assert chosen.target == math.ceil(Decimal(str(share)) * n / 100)
    # every department is active here, so the share is always reached: count / n ≥ share / 100
    assert len(chosen.chosen) >= chosen.target and chosen.shortfall == 0
    assert len(chosen.chosen) * 100 >= Decimal(str(share)) * n
    existing = {c.department_id for c in candidates if c.piloted_now}
    picked = [c.department_id for c in chosen.chosen]
    assert existing <= set(picked) and len(picked) == len(set(picked))
    # nothing beyond what the share needs, except the existing pilots that are kept
    assert len(picked) == max(len(existing), chosen.target)


@given(departments(), SHARES)
def test_new_pilots_rotate_then_follow_the_money(candidates, share):
    chosen = pilots_rules.select(candidates, share)
    new = [c for c in chosen.chosen if c.reason != "existing"]
    by_id = {c.department_id: c for c in candidates}
    keys = [(by_id[c.department_id].piloted_before, -c.spending, c.department_id) for c in new]
    assert keys == sorted(keys)
    left = [c for c in candidates if not c.piloted_now and c.department_id not in {x.department_id for x in new}]
    if new and left:  # everyone left out ranks after the last one chosen
        assert min((c.piloted_before, -c.spending, c.department_id) for c in left) > keys[-1]


def test_inactive_departments_count_but_are_not_chosen():
    candidates = [pilots_rules.Candidate("a", "A", Decimal(5), active=False), pilots_rules.Candidate("b", "B", Decimal(1))]
    chosen = pilots_rules.select(candidates, 100)
    assert [c.department_id for c in chosen.chosen] == ["b"] and (chosen.target, chosen.shortfall) == (2, 1)


def test_pilots_rotate_and_a_second_run_changes_nothing(cycle, base_departments):  # noqa: F811
    # The pilots of 2016 evaluate 2015's whole spending. 2015 project money: dept-a 3,000,000 + its unit's
    # 1,000,000 = 4,000,000; dept-b 5,000,000. dept-b piloted the year before (a whole-department item of 2014).
    cycle.project("2015-dept-a-001", amount=3_000_000)
    cycle.project("2015-dept-a-unit-001", department_id="dept-a-unit", amount=1_000_000)
    cycle.project("2015-dept-b-001", department_id="dept-b", amount=5_000_000, sector="health")
    cycle.project("2014-dept-b-whole", department_id="dept-b", kind="department", amount=1, sector="health",
                  fiscal_year=2014)
    first = _select(cycle, 2016, "municipal", clock.now())
    cycle.work()
    # rule of 2016 (the 2015 row, 10 %) over 2 first-level departments: ceil(0.2) = 1 pilot
    assert (first["share"], first["departments"], first["target"], first["spending_year"]) == (10, 2, 1, 2015)
    # rotation first: dept-a, though dept-b spends more
    [pilot] = first["pilots"]
    assert (pilot["department_id"], pilot["reason"], pilot["action"]) == ("dept-a", "rotation", "created_started")
    assert Decimal(str(pilot["spending"])) == 4_000_000
    assert [t["bpmn_id"] for t in cycle.tasks(pilot["instance_id"], "staff_a")] == ["declare_goal"]

    again = _select(cycle, 2016, "municipal", clock.now())
    assert [(p["department_id"], p["reason"], p["action"]) for p in again["pilots"]] == [
        ("dept-a", "existing", "existing")]
    assert len(cycle.rows("projects", kind="department", fiscal_year=2015)) == 1
    assert len(cycle.rows("instances", process_id="department_pilot")) == 1


def test_a_new_pilot_item_runs_department_pilot_and_counts_in_coverage(cycle, base_departments):  # noqa: F811
    cycle.project("2014-dept-a-001", amount=3_000_000, fiscal_year=2014)
    cycle.project("2014-dept-b-001", department_id="dept-b", amount=4_500_000, sector="health", fiscal_year=2014)
    result = _select(cycle, 2015, "municipal", clock.now())
    cycle.work()
    [pilot] = result["pilots"]
    # the larger spender, not piloted before: dept-b, its whole-department item of 2014 created and started (its
    # money is its 2014 projects', below the major-project threshold, so no expert panel reviews the goal)
    assert (pilot["department_id"], pilot["reason"], pilot["action"]) == ("dept-b", "rotation", "created_started")
    assert pilot["project_id"] == "2014-dept-b-whole" and Decimal(str(pilot["spending"])) == 4_500_000
    [item] = cycle.rows("projects", id="2014-dept-b-whole")
    assert (item.kind, item.fiscal_year, item.status, item.instance_id) == (
        "department", 2014, "declaring", pilot["instance_id"])
    assert cycle.instance(pilot["instance_id"])["process_id"] == "department_pilot"

    measure = _pilot_measure(cycle)
    assert (measure.numerator, measure.denominator) == (0, 2)  # chosen, not yet evaluated
    # dept-b declares its whole-department goal; 2014 is over, so the pilot goes straight on to the evaluation
    iid = pilot["instance_id"]
    cycle.complete(iid, "declare_goal", _GOAL, user="staff_b")
    cycle.complete(iid, "submit_goal", {"head_approved": True}, user="head_b")
    cycle.complete(iid, "finance_review", {**_REVIEW, "review_outcome": "优"}, user="reviewer")
    cycle.work()
    cycle.complete(iid, "self_evaluation", _self_evaluation(), user="staff_b")
    measure = _pilot_measure(cycle)
    assert (measure.numerator, measure.denominator, measure.met) == (1, 2, True)  # 50 % ≥ 10 %
    assert [d.projects for d in measure.departments if d.id == "dept-b"] == [("2014-dept-b-whole",)]


def _pilot_measure(cycle):  # noqa: F811
    with cycle.rt.reading() as conn:
        report = coverage_report(conn, 2015, "municipal")
    return next(m for m in report.measures if m.key == "whole_department_evaluation_share")


_GOAL = {"goal_summary": "卫健委部门整体支出绩效目标", "indicators": [
    {"name": "基层医疗机构覆盖率", "category": "quantity", "unit": "%", "comparator": ">=", "target": 95, "weight": 60,
     "standard_source": "plan"},
    {"name": "居民健康水平", "category": "social", "unit": "岁", "comparator": ">=", "target": 78, "weight": 40,
     "standard_source": "history"}]}
_REVIEW = {"completeness": "优", "relevance": "优", "appropriateness": "良", "feasibility": "良"}


def _self_evaluation() -> dict:
    return {"executed_amount": 4_200_000, "summary": "整体支出按计划执行。",
            "indicator_results": [{"name": "基层医疗机构覆盖率", "actual": 96}, {"name": "居民健康水平", "actual": 78.2}]}



def test_pilots_whose_link_fails_leave_neither_item_nor_instance(cycle, base_departments, monkeypatch):  # noqa: F811
    # One unit of work: the item is created, claimed and its pilot process started; then linking the item to its
    # instance fails. The entry point rolls back all of it: no item, no instance, the pilot can be chosen again.
    cycle.project("2014-dept-b-001", department_id="dept-b", amount=4_500_000, sector="health", fiscal_year=2014)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patched:
        patched.setattr(projects_records, "set_status", broken)
        with pytest.raises(RuntimeError):
            _select(cycle, 2015, "municipal", clock.now())
    assert cycle.rows("projects", id="2014-dept-b-whole") == []
    assert cycle.rows("instances", process_id="department_pilot") == []
    [pilot] = _select(cycle, 2015, "municipal", clock.now())["pilots"]
    assert (pilot["project_id"], pilot["action"]) == ("2014-dept-b-whole", "created_started")


def test_the_pilots_api_commits_once_or_not_at_all(cycle, base_departments, monkeypatch):  # noqa: F811
    cycle.project("2014-dept-b-001", department_id="dept-b", amount=4_500_000, sector="health", fiscal_year=2014)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(projects_records, "set_status", broken)
    answer = cycle.as_user("admin").post("/api/reports/pilots?year=2015&level=municipal")
    assert answer.status_code == 500
    assert cycle.rows("projects", id="2014-dept-b-whole") == []
    assert cycle.rows("instances", process_id="department_pilot") == []
