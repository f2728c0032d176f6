"""The escalation ladder of workflows/ on the one path: a slipped deadline opens one escalation; when the supervisors
leave it undecided, the model's timer hands that same escalation up to the bureau's leadership (level, time and who
handed it up recorded), the leadership decides it through the escalation commands, and `jixiao audit verify`
derives every step from the chain — an edited hand-up is reported."""

from __future__ import annotations

from typing import Any

from tests.service.bpm.test_verify_derived_rows import _findings, _tamper
from tests.workflows.stages import REVIEW, approve_goal, at, decide, open_escalations, ready, verified
from tests.workflows.test_goal_review import GOAL, _declare_and_submit


def _open(cycle: Any) -> dict[str, Any]:
    [esc] = open_escalations(cycle)
    return esc


def test_an_escalation_a_supervisor_handed_up_follows_to_the_leaderships_task_when_the_timer_fires(cycle):
    pid = cycle.project()
    iid = cycle.start(pid, process_id="goal_review")  # the declaration is due on Monday 16 March 2015
    at(cycle, "2015-03-20T00:00:00+08:00")  # after the grace period: with the supervisors
    esc = _open(cycle)
    up = cycle.as_user("supervisor").post(f"/api/escalations/{esc['id']}/escalate", json={"reason": "请局领导决定"})
    assert up.status_code == 200, up.get_json()
    handed = _open(cycle)
    assert (handed["level"], handed["escalated_by"], handed["task_id"]) == ("leadership", "supervisor",
                                                                            esc["task_id"])

    at(cycle, "2015-03-27T00:00:00+08:00")  # the supervisors' task times out for the leadership's own
    moved = _open(cycle)
    [lead] = [t for t in cycle.tasks(iid) if t["bpmn_id"] == "lead_declaration"]
    assert (moved["id"], moved["task_id"], moved["level"], moved["escalated_by"], moved["escalated_at"]) == \
        (esc["id"], lead["id"], "leadership", "supervisor", handed["escalated_at"])  # handed up once, by them
    verified(cycle)

    decided = cycle.as_user("leader").post(f"/api/escalations/{esc['id']}/resolve",
                                           json={"decision": "extend_deadline", "comment": "延期至月底"})
    assert decided.status_code == 200, decided.get_json()
    cycle.work()
    assert [t["bpmn_id"] for t in cycle.tasks(iid, "staff_a")] == ["declare_goal"]
    verified(cycle)


def test_a_review_left_undecided_is_handed_up_by_the_timer_and_verify_reports_an_edited_hand_up(cycle):
    pid = cycle.project()
    iid = cycle.start(pid, process_id="goal_review")
    _declare_and_submit(cycle, iid)  # Monday 2 March: the finance review is due on 16 March
    at(cycle, "2015-03-20T00:00:00+08:00")
    esc = _open(cycle)
    assert (esc["element_id"], esc["level"]) == ("review_slipped", "supervisor")
    at(cycle, "2015-03-27T00:00:00+08:00")
    handed = _open(cycle)
    assert (handed["id"], handed["level"], handed["escalated_by"]) == (esc["id"], "leadership", "timer")
    assert [e["state"] for e in cycle.as_user("supervisor").get("/api/escalations").get_json()["items"]] == ["open"]
    verified(cycle)

    _tamper(cycle.rt, "UPDATE escalations SET level = 'supervisor', escalated_at = NULL WHERE id = :e", e=esc["id"])
    found = {(f.table, f.column) for f in _findings(cycle.rt, iid)}
    assert {("escalations", "level"), ("escalations", "escalated_at")} <= found


def test_opening_a_case_on_a_missed_declaration_runs_the_case_and_reissues_the_declaration(cycle):
    """The shape of the `open_accountability` decision (workflows/goal_review.bpmn, `gw_declaration_accountability`):
    the case opens under the kind's code and runs beside the reissued task, which does not wait for it; the case's
    close, after the goal was approved, leaves the process's data as the main branch left it."""
    pid = cycle.project()
    iid = cycle.start(pid, process_id="goal_review")  # the declaration is due on Monday 16 March 2015
    at(cycle, "2015-03-20T00:00:00+08:00")
    esc = _open(cycle)
    assert (esc["element_id"], [d["decision"] for d in esc["allowed_decisions"]]) == \
        ("declaration_slipped", ["extend_deadline", "order_rectification", "open_accountability"])
    decided = cycle.as_user("supervisor").post(f"/api/escalations/{esc['id']}/resolve",
                                               json={"decision": "open_accountability", "comment": "屡催不报"})
    assert decided.status_code == 200, decided.get_json()
    cycle.work()

    [case] = cycle.rows("accountability_cases", project_id=pid)
    assert (case.reason, case.status, case.key.rsplit(":", 1)[0]) == \
        ("declaration_slipped", "open", f"{iid}:declaration_slipped")
    assert ready(cycle, iid) == ["declare_goal", "handle_accountability"]
    again = cycle.task(iid, "declare_goal", "staff_a")
    # Ordered within 10 working days (escalation.order_working_days) of Friday 20 March: Friday 3 April.
    assert (again["bpmn_id"], again["due_at"][:19], again["overdue"]) == ("declare_goal", "2015-04-03T15:59:59", False)

    cycle.complete(iid, "declare_goal", GOAL, user="staff_a")
    cycle.complete(iid, "submit_goal", {"head_approved": True}, user="head_a")
    cycle.complete(iid, "finance_review", {**REVIEW, "review_outcome": "优"}, user="reviewer")
    assert cycle.instance(iid)["status"] == "running"  # the stage ends with its case
    assert ready(cycle, iid) == ["handle_accountability"]
    cycle.complete(iid, "handle_accountability", {"responsible_party": "市教育局计财处", "sanction": "interview",
                                                  "accountability_outcome": "约谈分管负责人"}, user="supervisor")
    inst = cycle.instance(iid)
    assert inst["status"] == "completed"
    assert (inst["data"]["goal_status"], inst["data"]["accountability_case_id"]) == ("approved", case.id)
    assert inst["data"]["declaration_due_at"].startswith("2015-04-03T23:59:59")  # not the case's deadline variables
    [closed] = cycle.rows("accountability_cases", project_id=pid)
    assert closed.status == "closed"
    verified(cycle)


def test_in_the_whole_cycle_a_case_on_the_declaration_holds_the_goal_stage_until_it_closes(cycle):
    """goal_review as the cycle's call activity: its case runs inside it, so the stage (and the cycle after it)
    waits for the case; the cycle then goes on with the approved goal, not with the case's fork-time data."""
    pid = cycle.project()
    iid = cycle.start(pid)
    at(cycle, "2015-03-20T00:00:00+08:00")
    [esc] = open_escalations(cycle)
    decide(cycle, esc, "open_accountability")
    approve_goal(cycle, iid)
    assert ready(cycle, iid) == ["handle_accountability"] and cycle.rows("projects", id=pid)[0].status == "approved"
    checkpoint = "2015-07-31T16:00:00+00:00"  # monitoring's first checkpoint opens on 1 August (Wuhan time)
    assert cycle.instance(iid)["next_timer_at"] != checkpoint  # the cycle has not reached monitoring
    cycle.complete(iid, "handle_accountability", {"responsible_party": "市教育局", "sanction": "interview",
                                                  "accountability_outcome": "约谈"}, user="supervisor")
    inst = cycle.instance(iid)
    assert (inst["status"], inst["next_timer_at"], inst["data"]["goal_status"]) == ("running", checkpoint, "approved")
    assert [c.status for c in cycle.rows("accountability_cases", project_id=pid)] == ["closed"]
    verified(cycle)
