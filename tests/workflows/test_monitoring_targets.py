"""Targets, not only dates (workflows/monitoring.bpmn): a yellow warning asks the department for corrective measures;
a red one also reaches the supervisors at once (RED_WARNING) without holding the measures up; a mid-term review
concluding off_track asks for corrective measures and, when seriously off track, escalates (MIDTERM_OFF_TRACK) —
beside the checkpoint reports, never in front of them."""

from __future__ import annotations

from tests.workflows import stages
from tests.workflows.test_monitoring import MIDTERM, _actions, _approved, _at, _data, _open_escalations, _report

CONTINUE = {"corrective_measure": "continue", "corrective_explanation": "加快施工进度"}
# 40 % spent on 30 June (50 % of the year), goals at 52 %: behind on time, not on goals.
MIDTERM_BEHIND = {**MIDTERM, "midterm_conclusion": "off_track", "midterm_indicator_actuals": [
    {"name": "新建校舍面积", "actual": 4000, "expected": 9000}, {"name": "工程验收合格率", "actual": 100, "expected": 100},
    {"name": "受益学生数", "actual": 2, "expected": 4}]}
# 40 % spent but goals at 12 %: goal achievement lags execution by 28 points, more than the red gap (20).
MIDTERM_SERIOUS = {**MIDTERM, "midterm_conclusion": "off_track"}


def test_a_yellow_warning_asks_for_corrective_measures_and_reaches_no_supervisor(cycle):
    pid = _approved(cycle)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-08-05T09:00:00+08:00")
    _report(cycle, iid, executed=500_000, can_meet="possible")  # 16.67 points behind: yellow
    assert _data(cycle, iid)["last_warning_level"] == "yellow"
    [task] = cycle.tasks(iid, "staff_a")
    assert (task["bpmn_id"], task["due_at"][:19]) == ("corrective_measures", "2015-08-19T15:59:59")  # 10 working days
    assert _actions(cycle, pid) == ["corrective_requested"]
    assert _open_escalations(cycle) == []


def test_a_red_warning_reaches_the_supervisors_while_the_department_corrects(cycle):
    pid = _approved(cycle)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-08-05T09:00:00+08:00")
    _report(cycle, iid, executed=300_000, can_meet="possible")  # red, the goal still possible: not serious
    [esc] = _open_escalations(cycle)
    assert (esc["kind"], esc["code"], esc["element_id"], esc["business_key"]) == \
        ("escalation", "RED_WARNING", "on_red", pid)
    assert [d["decision"] for d in esc["allowed_decisions"]] == ["order_rectification", "suspend"]
    assert stages.ready_rows(cycle, iid) == ["corrective_measures", "review_red_warning"]
    [review] = [t for t in cycle.tasks(iid, "supervisor") if t["bpmn_id"] == "review_red_warning"]
    assert review["due_at"][:19] == "2015-08-12T15:59:59"  # 5 working days after the report
    refused = cycle.as_user("supervisor").post(f"/api/escalations/{esc['id']}/resolve", json={"decision": "stop"})
    assert refused.status_code == 422

    # The department's measures are not held up by the supervisors' review, nor the review by them.
    cycle.complete(iid, "corrective_measures", CONTINUE, user="staff_a")
    assert stages.ready_rows(cycle, iid) == ["review_red_warning"] and cycle.instance(iid)["status"] == "running"
    decided = cycle.as_user("supervisor").post(f"/api/escalations/{esc['id']}/resolve",
                                               json={"decision": "order_rectification", "comment": "限期纠偏到位"})
    assert decided.status_code == 200, decided.get_json()
    cycle.work()
    assert _actions(cycle, pid) == ["corrective_requested", "continue", "corrective_ordered"]
    assert _open_escalations(cycle) == []
    data = _data(cycle, iid)
    assert cycle.instance(iid)["status"] == "completed"
    # The supervisors' branch ended last: it does not overwrite how monitoring ended.
    assert (data["monitoring_outcome"], data["project_stopped"], data["last_warning_level"]) == \
        ("completed", False, "red")
    stages.verified(cycle)


def test_a_supervisor_may_suspend_a_project_on_a_red_warning(cycle):
    pid = _approved(cycle)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-08-05T09:00:00+08:00")
    _report(cycle, iid, executed=300_000, can_meet="possible")
    cycle.complete(iid, "review_red_warning", {"decision": "suspend", "decision_comment": "暂缓执行"},
                   user="supervisor")
    assert cycle.rows("projects", id=pid)[0].status == "suspended"
    assert _actions(cycle, pid) == ["corrective_requested", "suspended"]
    assert stages.ready_rows(cycle, iid) == ["corrective_measures"]  # the department still owes its measures
    cycle.complete(iid, "corrective_measures", CONTINUE, user="staff_a")
    assert cycle.instance(iid)["status"] == "completed"
    assert _data(cycle, iid)["monitoring_outcome"] == "completed"


def test_a_red_warning_left_undecided_climbs_to_the_leadership(cycle):
    pid = _approved(cycle)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-08-05T09:00:00+08:00")
    _report(cycle, iid, executed=300_000, can_meet="possible")
    [esc] = _open_escalations(cycle)
    _at(cycle, "2015-08-13T00:00:00+08:00")
    assert stages.ready_rows(cycle, iid) == ["corrective_measures", "lead_red_warning"]
    [moved] = _open_escalations(cycle)
    assert (moved["id"], moved["level"], moved["escalated_by"]) == (esc["id"], "leadership", "timer")
    [lead] = [t for t in cycle.tasks(iid, "leader") if t["bpmn_id"] == "lead_red_warning"]
    assert lead["due_at"][:19] == "2015-08-19T15:59:59"  # 5 more working days
    decided = cycle.as_user("leader").post(f"/api/escalations/{esc['id']}/resolve",
                                           json={"decision": "order_rectification"})
    assert decided.status_code == 200, decided.get_json()
    cycle.work()
    assert "corrective_ordered" in _actions(cycle, pid)
    stages.verified(cycle)


def test_a_department_cancelling_after_a_red_warning_drops_the_supervisors_review(cycle):
    pid = _approved(cycle)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-08-05T09:00:00+08:00")
    _report(cycle, iid, executed=300_000, can_meet="possible")
    cycle.complete(iid, "corrective_measures", {"corrective_measure": "cancel",
                                                "corrective_explanation": "政策调整，项目不再实施"}, user="staff_a")
    assert cycle.instance(iid)["status"] == "completed"
    data = _data(cycle, iid)
    assert (data["monitoring_outcome"], data["project_stopped"], data["project_cancelled"]) == \
        ("cancelled", False, True)
    assert stages.ready_rows(cycle, iid) == [] and _open_escalations(cycle) == []
    assert "stopped" not in _actions(cycle, pid) and cycle.rows("accountability_cases") == []


def test_a_midterm_review_off_track_asks_for_corrective_measures_without_holding_up_the_reports(cycle):
    pid = _approved(cycle, is_key=True)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-07-01T09:00:00+08:00")
    cycle.complete(iid, "midterm_review", MIDTERM_BEHIND, user="reviewer")
    assert _data(cycle, iid)["midterm_serious"] is False
    [task] = cycle.tasks(iid, "staff_a")
    assert (task["bpmn_id"], task["due_at"][:19]) == ("midterm_corrective", "2015-07-15T15:59:59")  # 10 working days
    assert _open_escalations(cycle) == []  # off track, but not seriously: no escalation

    _at(cycle, "2015-08-03T09:00:00+08:00")  # the measures are late; the checkpoint report opens regardless
    # …while the late measures climbed their own ladder (tests/workflows/test_monitoring_ladders.py) to the leadership
    assert stages.ready_rows(cycle, iid) == ["file_report", "lead_midterm_corrective"]
    _report(cycle, iid, executed=700_000)
    assert cycle.instance(iid)["status"] == "running"
    cycle.complete(iid, "lead_midterm_corrective", {"decision": "extend_deadline"}, user="leader")
    cycle.complete(iid, "midterm_corrective", {"midterm_corrective_plan": "调整施工计划，压缩工期",
                                               "midterm_budget_adjustment": 100_000}, user="staff_a")
    [measure] = [a for a in cycle.rows("project_actions", project_id=pid) if a.action == "midterm_corrective"]
    assert (measure.actor, float(measure.budget_cut), measure.note) == ("department", 100_000.0, "调整施工计划，压缩工期")
    assert cycle.instance(iid)["status"] == "completed"
    assert (_data(cycle, iid)["monitoring_outcome"], _data(cycle, iid)["last_warning_level"]) == ("completed", "green")
    stages.verified(cycle)


def test_a_midterm_review_seriously_off_track_escalates_beside_the_checkpoint_report(cycle):
    pid = _approved(cycle, is_key=True)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-07-01T09:00:00+08:00")
    cycle.complete(iid, "midterm_review", MIDTERM_SERIOUS, user="reviewer")
    [esc] = _open_escalations(cycle)
    assert (esc["kind"], esc["code"], esc["element_id"]) == ("escalation", "MIDTERM_OFF_TRACK", "on_midterm_off_track")
    assert [d["decision"] for d in esc["allowed_decisions"]] == ["order_rectification", "suspend"]
    assert stages.ready_rows(cycle, iid) == ["midterm_corrective", "review_midterm_off_track"]
    [review] = [t for t in cycle.tasks(iid, "supervisor") if t["bpmn_id"] == "review_midterm_off_track"]
    assert review["due_at"][:19] == "2015-07-08T15:59:59"  # 5 working days after the review
    [midterm] = cycle.rows("evaluations", project_id=pid, kind="midterm")
    assert '"serious": true' in midterm.detail

    suspended = cycle.as_user("supervisor").post(f"/api/escalations/{esc['id']}/resolve",
                                                 json={"decision": "suspend", "comment": "暂缓执行，待纠偏"})
    assert suspended.status_code == 200, suspended.get_json()
    cycle.work()
    assert cycle.rows("projects", id=pid)[0].status == "suspended"
    cycle.complete(iid, "midterm_corrective", {"midterm_corrective_plan": "重新核定建设内容"}, user="staff_a")
    _at(cycle, "2015-08-03T09:00:00+08:00")
    _report(cycle, iid, executed=700_000)  # back on track: the suspension is lifted
    assert cycle.rows("projects", id=pid)[0].status == "running"
    assert _actions(cycle, pid) == ["suspended", "midterm_corrective", "resumed"]
    assert cycle.instance(iid)["status"] == "completed"
    stages.verified(cycle)


def test_a_midterm_review_needing_attention_asks_for_nothing(cycle):
    pid = _approved(cycle, is_key=True)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-07-01T09:00:00+08:00")
    cycle.complete(iid, "midterm_review", MIDTERM, user="reviewer")  # "attention"
    assert cycle.tasks(iid, "staff_a") == [] and _open_escalations(cycle) == []
