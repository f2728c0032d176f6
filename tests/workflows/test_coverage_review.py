"""The year-end coverage review (workflows/coverage_review.bpmn, workers/calendar_jobs.py `review_coverage`): a
department whose own project money misses the plan's coverage targets for the year is escalated to the bureau once,
with the missed targets and their sources; the supervisors order rectification, open an accountability case, or
dismiss with a reason, and a review left undecided climbs to the leadership."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from service import clock, db
from service.cycle import goals_records
from tests.workflows import stages
from workers.calendar_jobs import review_coverage

YEAR_END = datetime.fromisoformat("2016-01-04T09:00:00+08:00")  # Monday 4 January 2016


def _projects(cycle: Any) -> None:
    """dept-a: 1 of 4 million under goal management (25 %, the 2015 target is 50 %); dept-b: all of its 2 million."""
    for pid, dept, amount, approved in (("2015-a-001", "dept-a", 1_000_000, True),
                                        ("2015-a-002", "dept-a", 3_000_000, False),
                                        ("2015-b-001", "dept-b", 2_000_000, True)):
        cycle.project(pid, department_id=dept, amount=amount)
        if approved:
            with db.write(cycle.rt.engine) as conn:
                goals_records.record_declaration(conn, clock.now(), project_id=pid, revision=1, summary="目标",
                                         indicators=[{"name": "完成率", "category": "quantity", "unit": "%",
                                                      "comparator": ">=", "target": 100, "weight": 100,
                                                      "standard_source": "plan"}])
                goals_records.approve(conn, clock.now(), project_id=pid, revision=1)


def _review(cycle: Any) -> str:
    _projects(cycle)
    clock.set_now(YEAR_END)
    result = review_coverage(cycle.rt, YEAR_END)
    assert (result.year, result.started, result.failed) == (2015, ["dept-a"], {})
    cycle.work()
    [inst] = [i for i in cycle.rows("instances") if i.process_id == "coverage_review"]
    return str(inst.id)


def _open(cycle: Any) -> list[dict[str, Any]]:
    return list(cycle.as_user("supervisor").get("/api/escalations?state=open").get_json()["items"])


def test_a_department_missing_its_coverage_target_is_escalated_once_with_the_targets_it_missed(cycle):
    iid = _review(cycle)
    [esc] = _open(cycle)
    assert (esc["kind"], esc["code"], esc["element_id"], esc["department_id"]) == \
        ("escalation", "COVERAGE_MISSED", "on_coverage_missed", "dept-a")
    assert [d["decision"] for d in esc["allowed_decisions"]] == ["order_rectification", "open_accountability",
                                                                  "dismiss"]
    [task] = [t for t in cycle.tasks(iid, "supervisor") if t["bpmn_id"] == "review_coverage"]
    assert task["due_at"][:19] == "2016-01-11T15:59:59"  # 5 working days after 4 January
    [missed] = cycle.instance(iid)["data"]["missed_targets"]
    assert (missed["measure"], missed["actual"], missed["target"], missed["target_year"]) == \
        ("goal_money_share", 25.0, 50.0, 2015)
    assert missed["source"]  # the rule row's own citation of the plan
    [review] = cycle.rows("coverage_reviews")
    assert (review.fiscal_year, review.level, review.department_id, review.instance_id) == \
        (2015, "municipal", "dept-a", iid)

    again = review_coverage(cycle.rt, YEAR_END)  # a second worker, or the next start: nothing more
    assert (again.started, again.resumed) == ([], [])
    assert len([i for i in cycle.rows("instances") if i.process_id == "coverage_review"]) == 1
    stages.verified(cycle)


def test_dismissing_needs_a_reason(cycle):
    iid = _review(cycle)
    [esc] = _open(cycle)
    supervisor = cycle.as_user("supervisor")
    refused = supervisor.post(f"/api/escalations/{esc['id']}/dismiss", json={"reason": " "})
    assert refused.status_code == 422
    dismissed = supervisor.post(f"/api/escalations/{esc['id']}/dismiss", json={"reason": "部门年中撤并，目标口径调整"})
    assert dismissed.status_code == 200, dismissed.get_json()
    cycle.work()
    assert cycle.instance(iid)["status"] == "completed" and _open(cycle) == []
    assert cycle.rows("accountability_cases") == []
    stages.verified(cycle)


def test_ordered_rectification_goes_to_the_department_head(cycle):
    iid = _review(cycle)
    cycle.complete(iid, "review_coverage", {"decision": "order_rectification", "decision_comment": "限期整改"},
                   user="supervisor")
    [task] = cycle.tasks(iid, "head_a")
    assert (task["bpmn_id"], task["due_at"][:19]) == ("rectify_coverage", "2016-01-18T15:59:59")  # 10 working days
    assert cycle.tasks(iid, "head_b") == []
    cycle.complete(iid, "rectify_coverage", {"coverage_rectification_plan": "2016年起全部项目编报绩效目标"},
                   user="head_a")
    assert cycle.instance(iid)["status"] == "completed"


def test_opening_accountability_runs_a_case_for_the_department(cycle):
    iid = _review(cycle)
    [esc] = _open(cycle)
    opened = cycle.as_user("supervisor").post(f"/api/escalations/{esc['id']}/resolve",
                                              json={"decision": "open_accountability", "comment": "连续未达目标"})
    assert opened.status_code == 200, opened.get_json()
    cycle.work()
    [case] = cycle.rows("accountability_cases")
    assert (case.reason, case.department_id, case.project_id, case.status) == \
        ("COVERAGE_MISSED", "dept-a", None, "open")
    cycle.complete(iid, "handle_accountability", {"responsible_party": "部门财务处", "sanction": "notice",
                                                  "accountability_outcome": "全市通报"}, user="supervisor")
    assert cycle.rows("accountability_cases")[0].status == "closed"
    assert cycle.instance(iid)["status"] == "completed"
    stages.verified(cycle)


def test_a_review_left_undecided_climbs_to_the_leadership(cycle):
    iid = _review(cycle)
    [esc] = _open(cycle)
    clock.set_now(datetime.fromisoformat("2016-01-12T00:00:00+08:00"))
    cycle.work()
    [moved] = _open(cycle)
    assert (moved["id"], moved["level"]) == (esc["id"], "leadership")
    [lead] = [t for t in cycle.tasks(iid, "leader") if t["bpmn_id"] == "lead_coverage"]
    assert lead["due_at"][:19] == "2016-01-18T15:59:59"  # 5 more working days


@pytest.mark.parametrize("year", [2014, 2030])
def test_a_year_without_targets_or_rules_escalates_nobody(cycle, year):
    _projects(cycle)
    result = review_coverage(cycle.rt, YEAR_END, year=year)
    assert result.started == [] and result.failed == {}


def test_the_supervisor_reads_the_missed_targets_on_the_escalation(cycle):
    _review(cycle)
    [esc] = _open(cycle)
    facts = cycle.as_user("supervisor").get(f"/api/escalations/{esc['id']}/facts").get_json()
    assert facts["focus"] == "coverage" and facts["project"] is None
    [missed] = facts["coverage"]["missed"]
    assert (facts["coverage"]["department_id"], missed["measure"], missed["actual"], missed["target"]) == \
        ("dept-a", "goal_money_share", 25.0, 50.0)


def test_the_cli_runs_the_review_on_demand(cycle, monkeypatch):
    from click.testing import CliRunner

    from service.cli import main

    _projects(cycle)
    monkeypatch.setenv("DATABASE_URL", cycle.rt.settings.database_url)
    runner = CliRunner()
    first = runner.invoke(main, ["cycle", "coverage-review", "--year", "2015"])
    assert first.exit_code == 0 and "1 coverage review(s) started" in first.output, first.output
    again = runner.invoke(main, ["cycle", "coverage-review", "--year", "2015"])
    assert again.exit_code == 0 and "0 coverage review(s) started" in again.output, again.output
    assert [r.department_id for r in cycle.rows("coverage_reviews")] == ["dept-a"]


def test_without_the_public_spending_figure_nobody_is_escalated_over_it_and_the_bureau_is_asked(cycle):
    _projects(cycle)
    cycle.project("2014-b-001", department_id="dept-b", amount=4_000_000, fiscal_year=2014)  # never evaluated
    clock.set_now(YEAR_END)
    result = review_coverage(cycle.rt, YEAR_END)
    # dept-b evaluated 0 of its 4,000,000 of 2014 (0 % < the municipal 30 %), but the 2014 public spending the
    # level's share divides by is not entered: dept-b is not escalated, dept-a still is for its goals (25 % < 50 %)
    assert (result.started, result.figures_missing["municipal"]) == (["dept-a"], [2014])
    asked = [n for n in cycle.rows("notifications") if n.kind == "fiscal_figures"]
    assert {"reviewer", "admin"} <= {n.recipient for n in asked}
    assert all("2014年度" in n.subject for n in asked)

    entered = cycle.as_user("reviewer").put("/api/fiscal-figures/2014/municipal", json={
        "public_spending": 10_000_000, "livelihood_spending": 6_000_000, "source": "2014年市级财政决算"})
    assert entered.status_code == 200, entered.get_json()
    again = review_coverage(cycle.rt, YEAR_END)
    assert again.started == ["dept-b"] and "municipal" not in again.figures_missing
    [review] = [r for r in cycle.rows("coverage_reviews") if r.department_id == "dept-b"]
    [missed] = json.loads(review.missed)
    assert (missed["measure"], missed["actual"], missed["target"], missed["denominator"]) == (
        "evaluated_money_share", 0.0, 30.0, 4_000_000.0)
    assert len([n for n in cycle.rows("notifications") if n.kind == "fiscal_figures"]) == len(asked)  # asked once
