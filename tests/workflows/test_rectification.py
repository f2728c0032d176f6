"""Results feedback and rectification (workflows/rectification.bpmn) through the engine, the workers and the clock:
feedback, plan and evidence, verification; missed deadlines escalate to a supervisor; failures end in 问责."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from service import clock
from service.bpm.replay import replay
from tests.workflows import stages
from tests.workflows.stages import FEEDBACK, PLAN, start_stage


def _row(cycle: Any, table: str, **where: Any) -> Any:
    [row] = cycle.rows(table, **where)
    return row


def _due_at(cycle: Any, iid: str, bpmn_id: str) -> datetime:
    return datetime.fromisoformat(cycle.task(iid, bpmn_id)["due_at"].replace("Z", "+00:00"))


def _open_escalation(cycle: Any) -> dict[str, Any]:
    [esc] = cycle.as_user("supervisor").get("/api/escalations?state=open").get_json()["items"]
    return dict(esc)


def test_rectification_submitted_and_verified(cycle):
    pid = cycle.project()
    iid = start_stage(cycle, pid, "rectification", final_grade="中", final_score=72.5)
    feedback = cycle.task(iid, "feed_back_results", "reviewer")
    assert feedback["candidate_groups"] == ["finance_reviewer"]
    assert _due_at(cycle, iid, "feed_back_results").astimezone(clock.LOCAL).date() == date(2015, 3, 22)  # 20 days
    cycle.complete(iid, "feed_back_results", FEEDBACK, user="reviewer")

    rect = _row(cycle, "rectifications", project_id=pid)
    assert (rect.status, rect.due_on) == ("open", date(2015, 4, 1))  # rule rectification.days: 30 days
    assert _due_at(cycle, iid, "submit_rectification").astimezone(clock.LOCAL) == \
        datetime(2015, 4, 1, 23, 59, 59, tzinfo=clock.LOCAL)
    assert cycle.tasks(iid, "staff_b") == []  # another department's staff do not see the unit's task
    cycle.advance(days=20)
    cycle.complete(iid, "submit_rectification", PLAN, user="staff_a")
    rect = _row(cycle, "rectifications", project_id=pid)
    assert rect.status == "submitted" and json.loads(rect.plan)["evidence"][0]["title"] == "满意度调查报告"

    verify = cycle.task(iid, "verify_rectification", "supervisor")
    assert verify["candidate_groups"] == ["supervisor"]
    cycle.complete(iid, "verify_rectification", {"verification_verdict": "done"}, user="supervisor")
    rect = _row(cycle, "rectifications", project_id=pid)
    assert (rect.status, rect.verdict) == ("done", "done") and rect.verified_at is not None
    inst = cycle.instance(iid)
    assert inst["status"] == "completed" and inst["data"]["rectification_status"] == "done"
    assert cycle.rows("accountability_cases") == []


def test_excellent_result_needs_no_rectification_unless_the_reviewer_asks(cycle):
    pid = cycle.project()
    iid = start_stage(cycle, pid, "rectification", final_grade="优", final_score=93)
    cycle.complete(iid, "feed_back_results", {"feedback_summary": "目标全面完成"}, user="reviewer")
    inst = cycle.instance(iid)
    assert inst["status"] == "completed" and inst["data"]["rectification_status"] == "not_required"
    assert _row(cycle, "rectifications", project_id=pid).status == "not_required"

    other = cycle.project("2015-dept-a-002")
    iid = start_stage(cycle, other, "rectification", final_grade="优", final_score=91)
    cycle.complete(iid, "feed_back_results", {**FEEDBACK, "rectification_required": True}, user="reviewer")
    assert cycle.task(iid, "submit_rectification", "staff_a")
    assert _row(cycle, "rectifications", project_id=other).status == "open"


def test_overdue_rectification_escalates_to_accountability(cycle):
    pid = cycle.project()
    iid = start_stage(cycle, pid, "rectification", final_grade="差", final_score=52)
    cycle.complete(iid, "feed_back_results", FEEDBACK, user="reviewer")
    cycle.advance(days=29)
    assert cycle.as_user("supervisor").get("/api/escalations").get_json()["total"] == 0
    cycle.advance(days=2)  # 1 April 23:59:59 has passed without a report

    esc = _open_escalation(cycle)
    assert (esc["kind"], esc["element_id"], esc["name"], esc["department_id"]) == \
        ("deadline", "rectification_overdue", "整改逾期", "dept-a")
    assert _row(cycle, "rectifications", project_id=pid).status == "overdue"
    assert [t["bpmn_id"] for t in cycle.tasks(iid)] == ["supervise_rectification"]  # the unit's task was withdrawn
    # The supervisor decides within 5 working days of the missed deadline (rule escalation.supervisor_decision_
    # working_days): 2, 3, 7, 8, 9 April 2015 (6 April is the Qingming holiday).
    assert cycle.task(iid, "supervise_rectification")["due_at"][:19] == "2015-04-09T15:59:59"
    refused = cycle.as_user("supervisor").post(f"/api/escalations/{esc['id']}/resolve", json={"decision": "suspend"})
    assert refused.status_code == 422  # the form offers extend / order / accountability only
    decided = cycle.as_user("supervisor").post(f"/api/escalations/{esc['id']}/resolve",
                                               json={"decision": "open_accountability", "comment": "逾期未整改"})
    assert decided.status_code == 200 and decided.get_json()["state"] == "resolved"
    cycle.work()

    case = _row(cycle, "accountability_cases", project_id=pid)
    assert (case.reason, case.status, case.department_id, case.key.rsplit(":", 1)[0]) == \
        ("rectification_overdue", "open", "dept-a", f"{iid}:rectification_overdue")
    # A case is handled within 30 calendar days of its opening (rule accountability.handling_days).
    handle_by = clock.local_today(clock.now()) + timedelta(days=30)
    assert _due_at(cycle, iid, "handle_accountability") == datetime.combine(handle_by, time(23, 59, 59), clock.LOCAL)
    cycle.complete(iid, "handle_accountability", {"responsible_party": "市教育局计财处", "sanction": "interview",
                                                  "accountability_outcome": "约谈分管负责人，限期补报整改报告"},
                   user="supervisor")
    case = _row(cycle, "accountability_cases", project_id=pid)
    assert case.status == "closed" and json.loads(case.outcome)["sanction"] == "interview"
    assert _row(cycle, "rectifications", project_id=pid).status == "failed"
    inst = cycle.instance(iid)
    assert inst["status"] == "completed" and inst["data"]["rectification_status"] == "failed"
    assert replay(cycle.rt.engine, cycle.rt.specs, cycle.rt.settings, iid).ok


def test_extended_deadline_then_insufficient_rectification_is_accountable(cycle):
    pid = cycle.project()
    iid = start_stage(cycle, pid, "rectification", final_grade="中", final_score=65)
    cycle.complete(iid, "feed_back_results", FEEDBACK, user="reviewer")
    cycle.advance(days=31)  # 2 April: overdue
    esc = _open_escalation(cycle)
    cycle.as_user("supervisor").post(f"/api/escalations/{esc['id']}/resolve",
                                     json={"decision": "extend_deadline", "comment": "同意延期"})
    cycle.work()
    rect = _row(cycle, "rectifications", project_id=pid)
    assert (rect.status, rect.due_on) == ("open", date(2015, 4, 17))  # rule escalation.extension_days: 15 days
    assert _due_at(cycle, iid, "submit_rectification").astimezone(clock.LOCAL).date() == date(2015, 4, 17)

    cycle.complete(iid, "submit_rectification", PLAN, user="staff_a")
    missing = cycle.as_user("supervisor")
    task = cycle.task(iid, "verify_rectification", "supervisor")
    resp = missing.post(f"/api/tasks/{task['id']}/complete", json={"data": {"verification_verdict": "insufficient"}})
    assert resp.status_code == 422  # an insufficient verdict must say why
    cycle.complete(iid, "verify_rectification", {"verification_verdict": "insufficient",
                                                 "verification_comment": "佐证材料不能证明问题已整改"}, user="supervisor")
    rect = _row(cycle, "rectifications", project_id=pid)
    assert (rect.status, rect.verdict) == ("failed", "insufficient")
    case = _row(cycle, "accountability_cases", project_id=pid)
    assert (case.reason, case.status) == ("rectification_failed", "open")
    cycle.complete(iid, "handle_accountability", {"responsible_party": "市教育局", "sanction": "notice",
                                                  "accountability_outcome": "全市通报"}, user="supervisor")
    inst = cycle.instance(iid)
    assert inst["status"] == "completed" and inst["data"]["rectification_status"] == "failed"


def test_late_feedback_is_escalated_and_ordered_within_working_days(cycle):
    pid = cycle.project()
    iid = start_stage(cycle, pid, "rectification", final_grade="良", final_score=84)
    cycle.advance(days=21)  # 23 March: the results were not fed back within 20 days
    esc = _open_escalation(cycle)
    assert (esc["element_id"], esc["name"]) == ("feedback_overdue", "反馈逾期")
    cycle.as_user("supervisor").post(f"/api/escalations/{esc['id']}/resolve",
                                     json={"decision": "order_rectification", "comment": "限期反馈"})
    cycle.work()
    # rule escalation.order_working_days: 10 working days from Monday 23 March, over 清明 (Monday 6 April) → 7 April
    assert _due_at(cycle, iid, "feed_back_results").astimezone(clock.LOCAL).date() == date(2015, 4, 7)
    cycle.complete(iid, "feed_back_results", FEEDBACK, user="reviewer")
    assert cycle.task(iid, "submit_rectification", "staff_a")


def test_an_undecided_feedback_escalation_climbs_to_the_bureau_leadership(cycle):
    from service.domain.roles import Principal

    pid = cycle.project()
    iid = start_stage(cycle, pid, "rectification", final_grade="良", final_score=84)
    cycle.advance(days=21)  # the feedback deadline passed: the supervisors have 5 working days to decide
    first = _open_escalation(cycle)
    assert cycle.task(iid, "supervise_feedback", "supervisor")["id"] == first["task_id"]
    cycle.advance(days=10)  # nobody decided: the same escalation is handed up, not closed beside a new one
    second = _open_escalation(cycle)
    assert (second["id"], second["element_id"], second["level"], second["escalated_by"]) == \
        (first["id"], "feedback_overdue", "leadership", "timer")
    lead = [t for t in cycle.tasks(iid) if t["bpmn_id"] == "lead_feedback"]
    assert [t["candidate_groups"] for t in lead] == [["bureau_leader"]] and lead[0]["id"] == second["task_id"]
    leader = Principal("leader", None, frozenset({"bureau_leader"}))
    cycle.rt.workflows.complete_task(lead[0]["id"], {"decision": "extend_deadline", "decision_comment": "延期"},
                                     actor=leader, now=clock.now())
    cycle.work()
    # The leadership's decision drives the model like the supervisor's would: 15 more calendar days to feed back.
    due = _due_at(cycle, iid, "feed_back_results").astimezone(clock.LOCAL).date()
    assert due == clock.local_today(clock.now()) + timedelta(days=15)
    assert cycle.as_user("supervisor").get("/api/escalations?state=open").get_json()["total"] == 0


@pytest.mark.parametrize("decision", ["extend_deadline", "order_rectification", "open_accountability"])
def test_a_slipped_verification_climbs_to_the_leadership_whose_decision_reissues_it(cycle, decision):
    pid = cycle.project()
    iid = start_stage(cycle, pid, "rectification", final_grade="中", final_score=72.5)
    cycle.complete(iid, "feed_back_results", FEEDBACK, user="reviewer")
    cycle.complete(iid, "submit_rectification", PLAN, user="staff_a")  # Monday 2 March: verify by 17 March
    esc = stages.slip(cycle, iid, "verify_rectification", "verification")  # from 21 March, after the grace period
    stages.refused(cycle, iid, esc, "suspend")
    handed = stages.climb(cycle, iid, "verification", esc)  # Saturday 28 March: the supervisors let it lie
    stages.decide(cycle, handed, decision, user="leader")
    # An order (or a case) gives 10 working days from Saturday 28 March, over Qingming (Monday 6 April): 13 April.
    stages.reissued(cycle, iid, "verify_rectification", "verification", decision, date(2015, 3, 28),
                    date(2015, 4, 13))
    cycle.complete(iid, "verify_rectification", {"verification_verdict": "done"}, user="supervisor")
    assert _row(cycle, "rectifications", project_id=pid).status == "done"
    stages.verified(cycle)


def test_a_case_opened_on_late_feedback_runs_beside_the_ordered_feedback(cycle):
    pid = cycle.project()
    iid = start_stage(cycle, pid, "rectification", final_grade="良", final_score=84)
    cycle.advance(days=21)  # 23 March: the results were not fed back within 20 days (no grace on this ladder)
    esc = _open_escalation(cycle)
    stages.decide(cycle, esc, "open_accountability")
    [case] = cycle.rows("accountability_cases", project_id=pid)
    assert (case.reason, case.status) == ("feedback_overdue", "open")
    # ordered within 10 working days of Monday 23 March, over Qingming (Monday 6 April): 7 April
    assert _due_at(cycle, iid, "feed_back_results").astimezone(clock.LOCAL).date() == date(2015, 4, 7)
    assert stages.ready(cycle, iid) == ["feed_back_results", "handle_accountability"]
    cycle.complete(iid, "feed_back_results", FEEDBACK, user="reviewer")
    assert cycle.task(iid, "submit_rectification", "staff_a")
    stages.verified(cycle)
