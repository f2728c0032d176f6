"""Budget linkage (workflows/budget_linkage.bpmn + budget_proposal.dmn) through the engine and the workers: each
grade's proposal and amount for the next year, the officer's confirmation, disclosure and the report of key results."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from service import clock, db
from service.cycle import projects_records
from tests.workflows import ladder, stages
from tests.workflows.stages import start_stage

CONFIRM = {"budget_confirmation": "confirm"}
DISCLOSE = {"disclosure_channel": "portal", "disclosed_items": ["goals", "evaluation_report", "results"]}


def _decision(cycle, pid):
    [row] = cycle.rows("budget_decisions", project_id=pid)
    return row


def _status(cycle, pid):
    with db.read(cycle.rt.engine) as conn:
        return projects_records.get(conn, pid).status


@pytest.mark.parametrize("grade, rectification, proposal, amount", [
    ("优", "not_required", "priority", "1200000.00"),
    ("良", "done", "maintain", "1200000.00"),
    ("中", "done", "cut", "1080000.00"),  # rule linkage.proposals: 中 → cut 10 %
    ("差", "done", "cancel", "0.00"),
    ("差", "failed", "cancel", "0.00"),  # 差 is cancelled whether or not it was rectified
    ("良", "failed", "hold", "1200000.00"),  # unrectified: funded only after rectification
    ("中", "failed", "hold", "1080000.00"),
])
def test_each_grade_gets_its_proposal(cycle, grade, rectification, proposal, amount):
    pid = cycle.project(amount=1_200_000)
    iid = start_stage(cycle, pid, "budget_linkage", final_grade=grade, rectification_status=rectification)
    row = _decision(cycle, pid)
    assert (row.proposal, row.grade, row.for_year) == (proposal, grade, 2017)  # results of 2015 → budget of 2017
    assert (row.base_amount, row.proposed_amount) == (Decimal("1200000.00"), Decimal(amount))
    assert row.confirmed_amount is None  # not before the budget officer confirms
    data = cycle.instance(iid)["data"]
    assert (data["budget_proposal"], data["proposed_amount"]) == (proposal, float(amount))
    task = cycle.task(iid, "confirm_budget", "reviewer")
    assert task["candidate_groups"] == ["finance_reviewer"]


def test_confirmed_disclosed_and_closed(cycle):
    pid = cycle.project(amount=2_000_000)
    iid = start_stage(cycle, pid, "budget_linkage", final_grade="中", rectification_status="done")
    cycle.complete(iid, "confirm_budget", CONFIRM, user="reviewer")
    row = _decision(cycle, pid)
    assert (row.confirmed_amount, row.confirmed_by) == (Decimal("1800000.00"), "reviewer")
    assert row.disclosed_at is None
    cycle.complete(iid, "disclose_results", DISCLOSE, user="reviewer")
    row = _decision(cycle, pid)
    assert row.disclosed_at is not None and row.reported_at is None  # not a key project
    inst = cycle.instance(iid)
    assert inst["status"] == "completed" and inst["data"]["confirmed_amount"] == 1_800_000
    assert _status(cycle, pid) == "closed"


def test_adjustment_needs_a_reason_and_key_results_go_to_the_city_government(cycle):
    pid = cycle.project(amount=6_000_000, is_key=True)
    iid = start_stage(cycle, pid, "budget_linkage", final_grade="良", rectification_status="done")
    task = cycle.task(iid, "confirm_budget", "reviewer")
    refused = cycle.as_user("reviewer").post(f"/api/tasks/{task['id']}/complete", json={"data": {
        "budget_confirmation": "adjust", "confirmed_amount": 5_500_000}})
    assert refused.status_code == 422
    assert cycle.as_user("staff_a").post(f"/api/tasks/{task['id']}/complete",
                                         json={"data": CONFIRM}).status_code == 403
    cycle.complete(iid, "confirm_budget", {"budget_confirmation": "adjust", "confirmed_amount": 5_500_000,
                                           "adjustment_reason": "统筹压减一般性支出"}, user="reviewer")
    assert _decision(cycle, pid).confirmed_amount == Decimal("5500000.00")
    cycle.complete(iid, "disclose_results", DISCLOSE, user="reviewer")
    row = _decision(cycle, pid)
    assert row.reported_at is not None and row.disclosed_at is not None
    assert cycle.instance(iid)["data"]["reported_at"]


def test_a_blocked_goal_is_cancelled_and_stays_blocked(cycle):
    pid = cycle.project()
    with db.write(cycle.rt.engine) as conn:
        projects_records.set_status(conn, pid, "blocked", clock.now())
    iid = start_stage(cycle, pid, "budget_linkage", linkage_basis="blocked", final_grade=None,
                      rectification_status="not_required")
    row = _decision(cycle, pid)
    assert (row.proposal, row.grade, row.proposed_amount) == ("cancel", None, Decimal("0.00"))
    cycle.complete(iid, "confirm_budget", CONFIRM, user="reviewer")
    cycle.complete(iid, "disclose_results", {**DISCLOSE, "disclosed_items": ["budget_decision"]}, user="reviewer")
    assert cycle.instance(iid)["status"] == "completed"
    assert _status(cycle, pid) == "blocked"



# --- the escalation ladder (supervisor, then leadership): a budget officer's confirmation or the disclosure left lying ---------------------

def _linkage(cycle):
    pid = cycle.project(amount=2_000_000)
    return pid, start_stage(cycle, pid, "budget_linkage", final_grade="良", rectification_status="done")


def _at_disclosure(cycle, iid):
    cycle.complete(iid, "confirm_budget", CONFIRM, user="reviewer")


# task, its deadline's name, how to get there, the officer's completion, the next step after it
LADDERS = [
    ("confirm_budget", "confirmation", lambda cycle, iid: None, CONFIRM, "disclose_results"),
    ("disclose_results", "disclosure", _at_disclosure, DISCLOSE, None),
]


@pytest.mark.parametrize("task, name, reach, done, after", LADDERS, ids=[t[0] for t in LADDERS])
@pytest.mark.parametrize("decision", ["extend_deadline", "order_rectification", "open_accountability"])
def test_a_slip_climbs_to_the_leadership_whose_decision_reissues_the_task(cycle, task, name, reach, done, after,
                                                                          decision):
    _, iid = _linkage(cycle)
    reach(cycle, iid)
    esc = stages.slip(cycle, iid, task, name)
    assert esc["department_id"] == "dept-a"
    stages.refused(cycle, iid, esc, "suspend")
    handed = stages.climb(cycle, iid, name, esc)
    refused = cycle.as_user("supervisor").post(f"/api/escalations/{esc['id']}/resolve", json={"decision": decision})
    assert refused.status_code == 403  # the leadership's now
    stages.decide(cycle, handed, decision, user="leader")
    stages.reissued(cycle, iid, task, name, decision, ladder.today(), ladder.order_due(cycle, ladder.today()))
    cycle.complete(iid, task, done, user="reviewer")
    case = ["handle_accountability"] if decision == "open_accountability" else []
    assert stages.ready(cycle, iid) == sorted([*([after] if after else []), *case])
    stages.verified(cycle)


@pytest.mark.parametrize("task, name, reach, done, after", LADDERS, ids=[t[0] for t in LADDERS])
def test_a_case_opened_on_a_slip_runs_beside_the_reissued_task_and_the_stage_ends_with_it(cycle, task, name, reach,
                                                                                          done, after):
    pid, iid = _linkage(cycle)
    reach(cycle, iid)
    case = ladder.open_case(cycle, iid, task, name)
    assert (case.reason, case.project_id, case.department_id) == (f"{name}_slipped", pid, "dept-a")
    due = cycle.instance(iid)["data"][f"{name}_due_at"]
    cycle.complete(iid, task, done, user="reviewer")
    if after:
        cycle.complete(iid, after, DISCLOSE, user="reviewer")
    assert stages.ready(cycle, iid) == ["handle_accountability"]
    assert cycle.instance(iid)["status"] == "running" and _status(cycle, pid) == "closed"
    ladder.close_case(cycle, iid)
    inst = cycle.instance(iid)
    assert inst["status"] == "completed" and cycle.rows("accountability_cases")[0].status == "closed"
    # the case's branch hands back its case number only: not its own deadline, nor the data it forked with
    assert (inst["data"][f"{name}_due_at"], inst["data"]["accountability_case_id"]) == (due, case.id)
    assert inst["data"]["confirmed_amount"] == 2_000_000 and "accountability_due_at" not in inst["data"]
    stages.verified(cycle)


def test_two_slips_of_one_stage_open_two_cases_that_run_side_by_side(cycle):
    _, iid = _linkage(cycle)
    first = ladder.open_case(cycle, iid, "confirm_budget", "confirmation")
    cycle.complete(iid, "confirm_budget", CONFIRM, user="reviewer")
    escalate = cycle.instance(iid)["data"]["disclosure_escalate_at"]
    stages.at(cycle, datetime.fromisoformat(escalate) + timedelta(seconds=1))
    # meanwhile the first case slipped in its turn: straight to the leadership (workflows/accountability.bpmn)
    found = {e["code"]: e for e in stages.open_escalations(cycle)}
    assert {code: e["level"] for code, e in found.items()} == \
        {"accountability_slipped": "leadership", "disclosure_slipped": "supervisor"}
    lying, slipped = found["accountability_slipped"], found["disclosure_slipped"]
    stages.decide(cycle, slipped, "open_accountability")
    [second] = [c for c in cycle.rows("accountability_cases", reason="disclosure_slipped")
                if c.key.startswith(f"{iid}:")]
    assert second.id != first.id
    assert stages.ready(cycle, iid) == ["disclose_results", "handle_accountability", "lead_accountability"]
    stages.decide(cycle, lying, "order_rectification", user="leader")
    assert stages.ready(cycle, iid) == ["disclose_results", "handle_accountability", "handle_accountability"]
    cycle.complete(iid, "disclose_results", DISCLOSE, user="reviewer")
    ladder.close_case(cycle, iid)
    assert cycle.instance(iid)["status"] == "running"
    ladder.close_case(cycle, iid)
    inst = cycle.instance(iid)
    assert inst["status"] == "completed"
    assert sorted(c.status for c in cycle.rows("accountability_cases")) == ["closed", "closed"]
    assert inst["data"]["accountability_case_id"] in (first.id, second.id)
    stages.verified(cycle)
