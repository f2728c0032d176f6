"""The escalation ladder of workflows/ on the one path: a slipped deadline opens one escalation; when the supervisors
leave it undecided, the model's timer hands that same escalation up to the bureau's leadership (level, time and who
handed it up recorded), the leadership decides it through the escalation commands, and `jixiao audit verify`
derives every step from the chain — an edited hand-up is reported."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from service import clock
from service.engine.verify import verify
from tests.service.engine.test_verify_derived_rows import _findings, _tamper
from tests.workflows.test_goal_review import _declare_and_submit


def _at(cycle: Any, local: str) -> None:
    clock.set_now(datetime.fromisoformat(local))
    cycle.work()


def _open(cycle: Any) -> dict[str, Any]:
    [esc] = cycle.as_user("supervisor").get("/api/escalations?state=open").get_json()["items"]
    return dict(esc)


def _clean(cycle: Any) -> None:
    report = verify(cycle.rt.engine, cycle.rt.specs, cycle.rt.settings)
    assert report.ok and report.checked, [str(f) for f in report.findings]


def test_an_escalation_a_supervisor_handed_up_follows_to_the_leaderships_task_when_the_timer_fires(cycle):
    pid = cycle.project()
    iid = cycle.start(pid, process_id="goal_review")  # the declaration is due on Monday 16 March 2015
    _at(cycle, "2015-03-20T00:00:00+08:00")  # after the grace period: with the supervisors
    esc = _open(cycle)
    up = cycle.as_user("supervisor").post(f"/api/escalations/{esc['id']}/escalate", json={"reason": "请局领导决定"})
    assert up.status_code == 200, up.get_json()
    handed = _open(cycle)
    assert (handed["level"], handed["escalated_by"], handed["task_id"]) == ("leadership", "supervisor",
                                                                            esc["task_id"])

    _at(cycle, "2015-03-27T00:00:00+08:00")  # the supervisors' task times out for the leadership's own
    moved = _open(cycle)
    [lead] = [t for t in cycle.tasks(iid) if t["bpmn_id"] == "lead_declaration"]
    assert (moved["id"], moved["task_id"], moved["level"], moved["escalated_by"], moved["escalated_at"]) == \
        (esc["id"], lead["id"], "leadership", "supervisor", handed["escalated_at"])  # handed up once, by them
    _clean(cycle)

    decided = cycle.as_user("leader").post(f"/api/escalations/{esc['id']}/resolve",
                                           json={"decision": "extend_deadline", "comment": "延期至月底"})
    assert decided.status_code == 200, decided.get_json()
    cycle.work()
    assert [t["bpmn_id"] for t in cycle.tasks(iid, "staff_a")] == ["declare_goal"]
    _clean(cycle)


def test_a_review_left_undecided_is_handed_up_by_the_timer_and_verify_reports_an_edited_hand_up(cycle):
    pid = cycle.project()
    iid = cycle.start(pid, process_id="goal_review")
    _declare_and_submit(cycle, iid)  # Monday 2 March: the finance review is due on 16 March
    _at(cycle, "2015-03-20T00:00:00+08:00")
    esc = _open(cycle)
    assert (esc["element_id"], esc["level"]) == ("review_slipped", "supervisor")
    _at(cycle, "2015-03-27T00:00:00+08:00")
    handed = _open(cycle)
    assert (handed["id"], handed["level"], handed["escalated_by"]) == (esc["id"], "leadership", "timer")
    assert [e["state"] for e in cycle.as_user("supervisor").get("/api/escalations").get_json()["items"]] == ["open"]
    _clean(cycle)

    _tamper(cycle.rt, "UPDATE escalations SET level = 'supervisor', escalated_at = NULL WHERE id = :e", e=esc["id"])
    found = {(f.table, f.column) for f in _findings(cycle.rt, iid)}
    assert {("escalations", "level"), ("escalations", "escalated_at")} <= found
