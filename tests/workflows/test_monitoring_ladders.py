"""open_accountability on monitoring's deadline ladders (the shared ladder shape, docs/CYCLE.md "User tasks"): a
supervisor who opens a case on a late checkpoint report or mid-term review gets an accountability case under the
kind's code, and the slipped task is reissued at once within escalation.order_working_days — it does not wait for
the case, and the case closing later does not overwrite how monitoring ended."""

from __future__ import annotations

from tests.workflows import stages
from tests.workflows.test_monitoring import MIDTERM, _approved, _at, _data, _open_escalations, _report
from tests.workflows.test_monitoring_targets import MIDTERM_BEHIND

OUTCOME = {"responsible_party": "项目单位", "sanction": "interview", "accountability_outcome": "约谈项目负责人"}


def test_a_late_report_opens_a_case_and_is_reissued_at_once(cycle):
    pid = _approved(cycle)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-09-07T00:00:00+08:00")  # due 31 August, 3 working days of grace have passed
    [esc] = _open_escalations(cycle)
    assert esc["element_id"] == "report_slipped"
    assert [d["decision"] for d in esc["allowed_decisions"]] == \
        ["extend_deadline", "order_rectification", "open_accountability"]
    opened = cycle.as_user("supervisor").post(f"/api/escalations/{esc['id']}/resolve",
                                              json={"decision": "open_accountability", "comment": "逾期未报"})
    assert opened.status_code == 200, opened.get_json()
    cycle.work()
    [case] = cycle.rows("accountability_cases")
    assert (case.reason, case.project_id, case.department_id, case.status) == ("report_slipped", pid, "dept-a", "open")
    assert stages.ready_rows(cycle, iid) == ["file_report", "handle_accountability"]
    [again] = [t for t in cycle.tasks(iid, "staff_a") if t["bpmn_id"] == "file_report"]
    assert again["due_at"][:19] == "2015-09-21T15:59:59"  # 10 working days (escalation.order_working_days)

    _report(cycle, iid, executed=800_000)  # the report comes in; the case is still being handled
    assert stages.ready_rows(cycle, iid) == ["handle_accountability"] and cycle.instance(iid)["status"] == "running"
    cycle.complete(iid, "handle_accountability", OUTCOME, user="supervisor")
    assert cycle.rows("accountability_cases")[0].status == "closed"
    data = _data(cycle, iid)
    assert cycle.instance(iid)["status"] == "completed"
    assert (data["monitoring_outcome"], data["last_warning_level"], data["project_stopped"]) == \
        ("completed", "green", False)
    stages.verified(cycle)


def test_a_late_midterm_review_opens_a_case_beside_the_reissued_review(cycle):
    pid = _approved(cycle, is_key=True)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-08-01T09:00:00+08:00")  # the review slipped in July
    cycle.complete(iid, "supervise_midterm", {"decision": "open_accountability", "decision_comment": "未按期评估"},
                   user="supervisor")
    [case] = cycle.rows("accountability_cases")
    assert (case.reason, case.project_id) == ("midterm_slipped", pid)
    [review] = [t for t in cycle.tasks(iid, "reviewer") if t["bpmn_id"] == "midterm_review"]
    assert review["due_at"][:19] == "2015-08-14T15:59:59"  # 10 working days
    cycle.complete(iid, "midterm_review", MIDTERM, user="reviewer")
    _report(cycle, iid, executed=700_000)
    assert stages.ready_rows(cycle, iid) == ["handle_accountability"]
    cycle.complete(iid, "handle_accountability", OUTCOME, user="supervisor")
    data = _data(cycle, iid)
    assert cycle.instance(iid)["status"] == "completed"
    assert (data["monitoring_outcome"], data["last_warning_level"]) == ("completed", "green")
    stages.verified(cycle)


def test_late_corrective_measures_after_the_midterm_review_climb_the_same_ladder(cycle):
    pid = _approved(cycle, is_key=True)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-07-01T09:00:00+08:00")
    cycle.complete(iid, "midterm_review", MIDTERM_BEHIND, user="reviewer")  # off track: measures due 15 July
    _at(cycle, "2015-07-20T23:59:00+08:00")  # 3 working days of grace: 16, 17, 20 July
    assert _open_escalations(cycle) == []
    _at(cycle, "2015-07-21T00:00:00+08:00")
    [esc] = _open_escalations(cycle)
    assert (esc["element_id"], esc["department_id"]) == ("midterm_corrective_slipped", "dept-a")
    assert stages.ready_rows(cycle, iid) == ["supervise_midterm_corrective"]
    cycle.complete(iid, "supervise_midterm_corrective", {"decision": "open_accountability"}, user="supervisor")
    [case] = cycle.rows("accountability_cases")
    assert (case.reason, case.project_id) == ("midterm_corrective_slipped", pid)
    [again] = [t for t in cycle.tasks(iid, "staff_a") if t["bpmn_id"] == "midterm_corrective"]
    assert again["due_at"][:19] == "2015-08-04T15:59:59"  # 10 working days from 21 July
    cycle.complete(iid, "midterm_corrective", {"midterm_corrective_plan": "压缩工期"}, user="staff_a")
    cycle.complete(iid, "handle_accountability", OUTCOME, user="supervisor")
    _at(cycle, "2015-08-03T09:00:00+08:00")
    _report(cycle, iid, executed=700_000)
    assert cycle.instance(iid)["status"] == "completed"
    assert _data(cycle, iid)["monitoring_outcome"] == "completed"
    stages.verified(cycle)
