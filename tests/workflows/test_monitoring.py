"""Runtime monitoring (workflows/monitoring.bpmn) end to end at the test clock: checkpoint reports, the warning
table, corrective measures within working days, automatic pause, serious deviation → suspend → stop."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from service import clock, db
from service.cycle import goals_records
from service.rules import store

INDICATORS = [
    {"name": "新建校舍面积", "category": "quantity", "unit": "平方米", "comparator": ">=", "target": 10000, "weight": 40,
     "standard_source": "plan"},
    {"name": "工程验收合格率", "category": "quality", "unit": "%", "comparator": ">=", "target": 100, "weight": 20,
     "standard_source": "industry"},
    {"name": "受益学生数", "category": "social", "unit": "万人", "comparator": ">=", "target": 5, "weight": 40,
     "standard_source": "plan"},
]
# Budget 1,200,000: on 31 July time progress is 7/12 = 58.33 %.
ON_TRACK = [{"name": "新建校舍面积", "actual": 6000, "expected": 10000},
            {"name": "工程验收合格率", "actual": 100, "expected": 100},
            {"name": "受益学生数", "actual": 3, "expected": 5}]  # goal progress 68 %


def _approved(cycle: Any, **project: Any) -> str:
    pid = cycle.project(**project)
    with db.write(cycle.rt.engine) as conn:
        goals_records.record_declaration(conn, clock.now(), project_id=pid, revision=1, summary="标准化建设",
                                 indicators=INDICATORS)
        goals_records.approve(conn, clock.now(), project_id=pid, revision=1)
    return pid


def _at(cycle: Any, local: str) -> None:
    """Move the clock to a Wuhan wall-clock time and let the workers catch up."""
    clock.set_now(datetime.fromisoformat(local))
    cycle.work()


def _report(cycle: Any, iid: str, executed: float, can_meet: str = "certain",
            actuals: list[dict[str, Any]] = ON_TRACK, **extra: Any) -> None:
    data = {"executed_amount": executed, "indicator_actuals": actuals, "can_meet": can_meet, **extra}
    if can_meet != "certain":
        data.setdefault("deviation_reasons", "施工许可延迟")
    cycle.complete(iid, "file_report", data, user="staff_a")


def _data(cycle: Any, iid: str) -> dict[str, Any]:
    return dict(cycle.instance(iid)["data"])


def _actions(cycle: Any, pid: str) -> list[str]:
    return [a.action for a in sorted(cycle.rows("project_actions", project_id=pid), key=lambda a: a.id)]


def _open_escalations(cycle: Any) -> list[dict[str, Any]]:
    return list(cycle.as_user("supervisor").get("/api/escalations?state=open").get_json()["items"])


def test_on_track_project_reports_once_and_stays_green(cycle):
    pid = _approved(cycle)
    iid = cycle.start(pid, process_id="monitoring")
    assert cycle.rows("projects", id=pid)[0].status == "running"
    _at(cycle, "2015-07-31T23:59:00+08:00")
    assert cycle.tasks(iid, "staff_a") == []  # the report window opens the day after 31 July
    _at(cycle, "2015-08-01T00:01:00+08:00")
    [task] = cycle.tasks(iid, "staff_a")
    assert (task["bpmn_id"], task["due_at"][:19]) == ("file_report", "2015-08-31T15:59:59")
    _report(cycle, iid, executed=700_000)

    data = _data(cycle, iid)
    assert cycle.instance(iid)["status"] == "completed"
    assert (data["monitoring_outcome"], data["project_stopped"], data["last_warning_level"]) == \
        ("completed", False, "green")
    [report] = cycle.rows("monitoring_reports", project_id=pid)
    assert (str(report.checkpoint), report.warning_level, report.can_meet) == ("2015-07-31", "green", "certain")
    assert (float(report.execution_rate), float(report.time_progress), float(report.goal_progress)) == \
        (58.33, 58.33, 68.0)
    assert cycle.rows("projects", id=pid)[0].status == "running"
    assert _actions(cycle, pid) == []


def test_red_warning_unanswered_pauses_the_project_after_ten_working_days(cycle):
    pid = _approved(cycle)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-08-31T10:00:00+08:00")  # Monday: the report comes on its last day
    _report(cycle, iid, executed=300_000, can_meet="possible")  # 25 % spent at 58.33 % of the year: red
    assert _data(cycle, iid)["last_warning_level"] == "red"
    # A red warning reaches the supervisors at once (tests/workflows/test_monitoring_targets.py); they order the
    # department's measures done within their deadline.
    cycle.complete(iid, "review_red_warning", {"decision": "order_rectification"}, user="supervisor")
    [task] = cycle.tasks(iid, "staff_a")
    # 10 working days: 3–5 September 2015 are holidays (Victory Day) and Sunday 6 September is worked (调休).
    assert (task["bpmn_id"], task["due_at"][:19]) == ("corrective_measures", "2015-09-15T15:59:59")
    requested, ordered = sorted(cycle.rows("project_actions", project_id=pid), key=lambda a: a.id)
    assert (requested.action, str(requested.due_on)) == ("corrective_requested", "2015-09-15")
    assert (ordered.action, ordered.actor) == ("corrective_ordered", "supervisor")

    _at(cycle, "2015-09-15T23:59:00+08:00")
    assert [t["bpmn_id"] for t in cycle.tasks(iid, "staff_a")] == ["corrective_measures"]
    _at(cycle, "2015-09-16T00:00:00+08:00")
    assert [t["bpmn_id"] for t in cycle.tasks(iid, "staff_a")] == ["deviation_decision"]  # visible, not theirs
    assert cycle.rows("projects", id=pid)[0].status == "paused"
    assert _actions(cycle, pid) == ["corrective_requested", "corrective_ordered", "paused"]
    [esc] = _open_escalations(cycle)
    assert (esc["kind"], esc["element_id"], esc["department_id"]) == ("deadline", "corrective_overdue", "dept-a")

    # The supervisor lets the project resume.
    cycle.complete(iid, "deviation_decision", {"decision": "resume", "decision_comment": "部门已说明原因"},
                   user="supervisor")
    assert cycle.rows("projects", id=pid)[0].status == "running"
    assert _actions(cycle, pid) == ["corrective_requested", "corrective_ordered", "paused", "resumed"]
    assert _open_escalations(cycle) == []
    data = _data(cycle, iid)
    assert cycle.instance(iid)["status"] == "completed" and data["monitoring_outcome"] == "completed"


def test_serious_deviation_is_suspended_then_stopped_with_the_budget_cut(cycle):
    pid = _approved(cycle)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-08-10T09:00:00+08:00")
    _report(cycle, iid, executed=200_000, can_meet="impossible")
    [esc] = _open_escalations(cycle)
    assert (esc["kind"], esc["code"], esc["business_key"]) == ("escalation", "SERIOUS_DEVIATION", pid)
    supervisor = cycle.as_user("supervisor")
    resolved = supervisor.post(f"/api/escalations/{esc['id']}/resolve",
                               json={"decision": "suspend", "comment": "暂缓执行，限期重新报告"})
    assert resolved.status_code == 200, resolved.get_json()
    cycle.work()
    assert cycle.rows("projects", id=pid)[0].status == "suspended"
    [again] = cycle.tasks(iid, "staff_a")
    assert (again["bpmn_id"], again["due_at"][:19]) == ("file_report", "2015-08-24T15:59:59")  # 10 working days

    _at(cycle, "2015-08-20T09:00:00+08:00")
    _report(cycle, iid, executed=250_000, can_meet="impossible")  # still seriously off course
    [esc2] = _open_escalations(cycle)
    assert esc2["id"] != esc["id"]
    stopped = supervisor.post(f"/api/escalations/{esc2['id']}/resolve",
                              json={"decision": "stop", "comment": "停止执行，核减预算统筹使用"})
    assert stopped.status_code == 200, stopped.get_json()
    cycle.work()

    project = cycle.rows("projects", id=pid)[0]
    assert (project.status, float(project.budget_cut)) == ("stopped", 950_000.0)  # the unexecuted budget
    assert _actions(cycle, pid) == ["suspended", "stopped"]
    stop = [a for a in cycle.rows("project_actions", project_id=pid) if a.action == "stopped"][0]
    assert float(stop.budget_cut) == 950_000.0 and stop.report_id is not None
    data = _data(cycle, iid)
    assert cycle.instance(iid)["status"] == "completed"
    assert (data["monitoring_outcome"], data["project_stopped"], data["last_warning_level"]) == \
        ("stopped", True, "red")
    assert sorted(str(r.checkpoint) for r in cycle.rows("monitoring_reports", project_id=pid)) == \
        ["2015-07-31", "2015-08-20"]  # a report asked for after the suspension is as of its filing


def test_a_project_is_not_stopped_before_it_was_suspended(cycle):
    pid = _approved(cycle)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-08-10T09:00:00+08:00")
    _report(cycle, iid, executed=200_000, can_meet="impossible")
    [esc] = _open_escalations(cycle)
    assert [(d["decision"], d["label"]) for d in esc["allowed_decisions"]] == \
        [("resume", "恢复执行"), ("suspend", "暂缓执行"), ("stop", "停止执行并核减预算")]
    version = cycle.instance(iid)["lock_version"]
    supervisor = cycle.as_user("supervisor")
    refused = supervisor.post(f"/api/escalations/{esc['id']}/resolve", json={"decision": "stop", "comment": "停止"})
    assert refused.status_code == 409
    assert refused.get_json()["detail"] == "此类督办不可作出该决定：停止执行须先暂缓执行（方案二(一)2：“情况严重,暂缓后停止该项目的执行。”）"
    not_this_kind = supervisor.post(f"/api/escalations/{esc['id']}/resolve", json={"decision": "extend_deadline"})
    assert not_this_kind.status_code == 422 and "可作出的决定：恢复执行、暂缓执行、停止执行并核减预算" in \
        not_this_kind.get_json()["detail"]
    # Completing the supervisor's task directly obeys the same rule.
    body = cycle.complete(iid, "deviation_decision", {"decision": "stop", "decision_comment": None}, user="supervisor",
                          expect=409)
    assert body["errors"][0]["reason"] == "suspend_first"
    cycle.work()
    assert [t["bpmn_id"] for t in cycle.tasks(iid, "supervisor")] == ["deviation_decision"]
    assert cycle.rows("projects", id=pid)[0].status == "running" and _actions(cycle, pid) == []
    assert [e["id"] for e in _open_escalations(cycle)] == [esc["id"]]
    assert cycle.instance(iid)["lock_version"] == version  # no event, no new version


def test_the_rule_row_may_let_a_supervisor_stop_at_once(cycle):
    with db.write(cycle.rt.engine) as conn:  # an administrator waives suspend-then-stop for 2015
        store.set_rule(conn, 2015, "municipal", "escalation.stop_requires_suspension", False, "test: waived",
                       "admin", clock.now())
    pid = _approved(cycle)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-08-10T09:00:00+08:00")
    _report(cycle, iid, executed=200_000, can_meet="impossible")
    [esc] = _open_escalations(cycle)
    stopped = cycle.as_user("supervisor").post(f"/api/escalations/{esc['id']}/resolve", json={"decision": "stop"})
    assert stopped.status_code == 200, stopped.get_json()
    cycle.work()
    assert cycle.rows("projects", id=pid)[0].status == "stopped"


def test_a_suspended_project_that_recovers_resumes(cycle):
    pid = _approved(cycle)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-08-10T09:00:00+08:00")
    _report(cycle, iid, executed=200_000, can_meet="impossible")
    cycle.complete(iid, "deviation_decision", {"decision": "suspend", "decision_comment": None, "budget_cut": None},
                   user="supervisor")
    _report(cycle, iid, executed=700_000)  # as of 10 August: 58.33 % spent at 61.02 % of the year, on track
    assert cycle.rows("projects", id=pid)[0].status == "running"
    assert _actions(cycle, pid) == ["suspended", "resumed"]
    levels = {str(r.checkpoint): r.warning_level for r in cycle.rows("monitoring_reports", project_id=pid)}
    assert levels == {"2015-07-31": "red", "2015-08-10": "green"}
    assert _data(cycle, iid)["monitoring_outcome"] == "completed"


def test_yellow_warning_answered_in_time_continues(cycle):
    pid = _approved(cycle)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-08-05T09:00:00+08:00")
    _report(cycle, iid, executed=500_000, can_meet="possible")  # 41.67 % at 58.33 %: 16.67 points behind
    data = _data(cycle, iid)
    assert (data["last_warning_level"], data["warning_reason"]) == ("yellow", "execution_behind")
    cycle.complete(iid, "corrective_measures", {"corrective_measure": "reallocate", "reallocate_amount": 100_000,
                                                "corrective_explanation": "部分资金调整用于设备购置"}, user="staff_a")
    assert cycle.instance(iid)["status"] == "completed"
    assert _data(cycle, iid)["monitoring_outcome"] == "completed"
    assert cycle.rows("projects", id=pid)[0].status == "running"
    reallocated = [a for a in cycle.rows("project_actions", project_id=pid) if a.action == "reallocate"]
    assert [float(a.budget_cut) for a in reallocated] == [100_000.0]
    assert _open_escalations(cycle) == []


def test_a_department_cancelling_after_a_red_warning_cancels_the_project_not_stops_it(cycle):
    pid = _approved(cycle)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-08-05T09:00:00+08:00")
    _report(cycle, iid, executed=300_000, can_meet="possible")  # red, but the goal may still be met: not serious
    assert _data(cycle, iid)["last_warning_level"] == "red"
    assert [e["code"] for e in _open_escalations(cycle)] == ["RED_WARNING"]  # no SERIOUS_DEVIATION
    cycle.complete(iid, "corrective_measures", {"corrective_measure": "cancel",
                                                "corrective_explanation": "政策调整，项目不再实施"}, user="staff_a")
    project = cycle.rows("projects", id=pid)[0]
    assert (project.status, float(project.budget_cut)) == ("cancelled", 900_000.0)  # the unexecuted budget
    assert _actions(cycle, pid) == ["corrective_requested", "cancel"]  # the department's own; no "stopped"
    [cancel] = [a for a in cycle.rows("project_actions", project_id=pid) if a.action == "cancel"]
    assert (cancel.actor, float(cancel.budget_cut)) == ("department", 900_000.0)
    data = _data(cycle, iid)
    assert (data["monitoring_outcome"], data["project_stopped"], data["project_cancelled"]) == \
        ("cancelled", False, True)


def test_thresholds_are_rule_rows(cycle):
    with db.write(cycle.rt.engine) as conn:  # an administrator widens the yellow band for 2015
        store.set_rule(conn, 2015, "municipal", "monitoring.yellow_gap", 20, "test: wider band", "admin", clock.now())
    pid = _approved(cycle)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-08-05T09:00:00+08:00")
    _report(cycle, iid, executed=500_000, can_meet="possible")  # 16.67 points behind: no longer a warning
    assert _data(cycle, iid)["last_warning_level"] == "green"
    assert cycle.instance(iid)["status"] == "completed"


def test_key_project_gets_a_midterm_review(cycle):
    pid = _approved(cycle, is_key=True)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-06-30T23:00:00+08:00")
    assert cycle.tasks(iid, "reviewer") == []
    _at(cycle, "2015-07-01T00:01:00+08:00")
    cycle.complete(iid, "midterm_review", {
        "midterm_executed_amount": 480_000, "midterm_conclusion": "attention", "midterm_comment": "进度偏慢",
        "midterm_indicator_actuals": [{"name": "新建校舍面积", "actual": 3000, "expected": 10000}]}, user="reviewer")
    [midterm] = cycle.rows("evaluations", project_id=pid, kind="midterm")
    assert midterm.score is None and midterm.evaluated_amount is None
    data = _data(cycle, iid)
    assert (data["midterm_execution_rate"], data["midterm_time_progress"], data["midterm_goal_progress"]) == \
        (40.0, 50.0, 12.0)  # 3000/10000 on the one reported indicator, nothing reported on the others
    assert cycle.tasks(iid, "staff_a") == []  # the checkpoint report waits for August
    _at(cycle, "2015-08-01T09:00:00+08:00")
    assert [t["bpmn_id"] for t in cycle.tasks(iid, "staff_a")] == ["file_report"]


@pytest.mark.parametrize("data, field", [
    ({"executed_amount": -1, "indicator_actuals": [], "can_meet": "certain"}, "executed_amount"),
    ({"executed_amount": 1, "indicator_actuals": [], "can_meet": "maybe"}, "can_meet"),
    ({"executed_amount": 1, "indicator_actuals": [{"name": "x", "actual": 1}], "can_meet": "certain"},
     "indicator_actuals/0/expected"),
])
def test_bad_reports_are_refused_naming_the_field(cycle, data, field):
    iid = cycle.start(_approved(cycle), process_id="monitoring")
    _at(cycle, "2015-08-03T09:00:00+08:00")
    body = cycle.complete(iid, "file_report", data, user="staff_a", expect=422)
    assert field in [e["field"] for e in body["errors"]]


def test_a_reason_is_required_when_the_goal_may_be_missed(cycle):
    iid = cycle.start(_approved(cycle), process_id="monitoring")
    _at(cycle, "2015-08-03T09:00:00+08:00")
    body = cycle.complete(iid, "file_report", {"executed_amount": 1, "indicator_actuals": [], "can_meet": "possible"},
                          user="staff_a", expect=422)
    assert any("deviation_reasons" in e["message"] for e in body["errors"])


# --- the warning table itself (workflows/warning_level.dmn), run by the engine's parser and script engine ---

_DECIDE = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="decide" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:businessRuleTask id="level" camunda:decisionRef="warning_level">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:businessRuleTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="level" />
    <bpmn:sequenceFlow id="f2" sourceRef="level" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"""
RULES = {"red_gap": 20, "yellow_gap": 10, "execution_floor": 40}  # the seeded rule values at 31 July


def _level(**inputs: Any) -> tuple[str, str]:
    from SpiffWorkflow.bpmn import BpmnWorkflow

    from service.bpm.parsing import JixiaoParser, safe_xml
    from service.bpm.scripting import JixiaoScriptEngine
    from service.config import ROOT

    parser = JixiaoParser()
    parser.add_dmn_xml(safe_xml("warning_level.dmn", (ROOT / "workflows" / "warning_level.dmn").read_bytes())
                       .getroot(), filename="warning_level.dmn")
    parser.add_bpmn_xml(safe_xml("decide.bpmn", _DECIDE), filename="decide.bpmn")
    wf = BpmnWorkflow(parser.get_spec("decide"), parser.get_subprocess_specs("decide"),
                      script_engine=JixiaoScriptEngine())
    wf.task_tree.data.update({"can_meet": "certain", "execution_gap": 0, "goal_gap": 0, "execution_rate": 58.33,
                              **RULES, **inputs})
    wf.do_engine_steps()
    assert wf.is_completed()
    return wf.data["warning_level"], wf.data["warning_reason"]


@pytest.mark.parametrize("inputs, expected", [
    ({}, ("green", "on_track")),
    ({"execution_gap": 10}, ("green", "on_track")),  # "more than 10 points": 10 itself is no warning
    ({"execution_gap": 10.01}, ("yellow", "execution_behind")),
    ({"execution_gap": 20}, ("yellow", "execution_behind")),
    ({"execution_gap": 20.01}, ("red", "execution_behind")),
    ({"goal_gap": 10}, ("green", "on_track")),
    ({"goal_gap": 10.01}, ("yellow", "goal_behind")),
    ({"goal_gap": 20}, ("yellow", "goal_behind")),
    ({"goal_gap": 20.01}, ("red", "goal_behind")),
    ({"execution_gap": -30, "goal_gap": -30}, ("green", "on_track")),  # ahead of time and of spending
    ({"execution_rate": 40}, ("green", "on_track")),  # at the floor
    ({"execution_rate": 39.99}, ("yellow", "below_floor")),
    ({"can_meet": "impossible"}, ("red", "cannot_meet")),
    ({"can_meet": "possible"}, ("green", "on_track")),
    ({"execution_gap": 16, "red_gap": 15}, ("red", "execution_behind")),  # thresholds are inputs, not literals
])
def test_warning_table_at_its_boundaries(inputs, expected):
    assert _level(**inputs) == expected


@pytest.mark.parametrize("executed, expected", [
    (600.0, "green"),  # 60 % spent at 50 % of the year: ahead
    (400.0, "green"),  # 10 points behind
    (399.0, "yellow"),  # 10.1 points behind
    (300.0, "yellow"),  # 20 points behind
    (299.0, "red"),  # 20.1 points behind
])
def test_assessed_gaps_fed_to_the_table(executed, expected):
    from datetime import date

    from service.domain.warnings import assess

    a = assess(as_of=date(2015, 6, 30), budget=1000, executed=executed, floors={"04-30": 25, "06-30": 30},
               indicators=[{"name": "n", "comparator": ">=", "target": 10, "weight": 100}],
               actuals=[{"name": "n", "actual": executed / 100, "expected": 10}])
    level, _ = _level(execution_gap=a.execution_gap, goal_gap=a.goal_gap, execution_rate=a.execution_rate,
                      execution_floor=a.execution_floor)
    assert level == expected


def test_handlers_run_twice_write_once(cycle):
    # Jobs are at-least-once: a worker that dies after the handler's commit runs it again with the same input.
    from workers.handlers import TaskContext, lookup

    pid = _approved(cycle)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-08-05T09:00:00+08:00")
    _report(cycle, iid, executed=300_000, can_meet="possible")
    variables = _data(cycle, iid)
    ctx = TaskContext(cycle.rt.engine, cycle.rt.settings, clock.now(), iid, None, "x", "dept-a", pid)
    for topic in ("monitoring.record", "monitoring.request_corrective", "monitoring.pause", "monitoring.pause"):
        lookup(topic)(ctx, variables)
    assert len(cycle.rows("monitoring_reports", project_id=pid)) == 1
    assert _actions(cycle, pid) == ["corrective_requested", "paused"]
    with db.write(cycle.rt.engine) as conn:
        goals_records.record_declaration(conn, clock.now(), project_id=pid, revision=1, summary="标准化建设",
                                 indicators=INDICATORS)
    [goal] = cycle.rows("goals", project_id=pid)
    assert len(cycle.rows("goal_indicators", goal_id=goal.id)) == len(INDICATORS)


MIDTERM = {"midterm_executed_amount": 480_000, "midterm_conclusion": "attention", "midterm_comment": "进度偏慢",
           "midterm_indicator_actuals": [{"name": "新建校舍面积", "actual": 3000, "expected": 10000}]}


def test_midterm_review_is_due_and_never_blocks_the_checkpoint_report(cycle):
    pid = _approved(cycle, is_key=True)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-07-01T00:01:00+08:00")
    [review] = cycle.tasks(iid, "reviewer")
    # 20 working days (rule monitoring.midterm_review_working_days) after the 30 June as-of date.
    assert (review["bpmn_id"], review["due_at"][:19]) == ("midterm_review", "2015-07-28T15:59:59")

    _at(cycle, "2015-08-01T09:00:00+08:00")  # the review is left lying: the report window opens regardless
    # 3 working days after its due date the late review went to the supervisors; the report is not held up.
    assert sorted(t["bpmn_id"] for t in cycle.tasks(iid, "staff_a")) == ["file_report", "supervise_midterm"]
    assert [(e["element_id"], e["state"]) for e in _open_escalations(cycle)] == [("midterm_slipped", "open")]
    _report(cycle, iid, executed=700_000)
    assert cycle.instance(iid)["status"] == "running"  # monitoring waits for the review, the report did not

    cycle.complete(iid, "supervise_midterm", {"decision": "order_rectification"}, user="supervisor")
    [again] = cycle.tasks(iid, "reviewer")
    assert (again["bpmn_id"], again["due_at"][:19]) == ("midterm_review", "2015-08-14T15:59:59")  # 10 working days
    cycle.complete(iid, "midterm_review", MIDTERM, user="reviewer")
    data = _data(cycle, iid)
    assert cycle.instance(iid)["status"] == "completed"
    assert (data["monitoring_outcome"], data["last_warning_level"]) == ("completed", "green")
    assert len(cycle.rows("evaluations", project_id=pid, kind="midterm")) == 1


def test_a_stopped_project_drops_its_pending_midterm_review(cycle):
    pid = _approved(cycle, is_key=True)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-08-10T09:00:00+08:00")
    _report(cycle, iid, executed=200_000, can_meet="impossible")
    [decision] = [t for t in cycle.tasks(iid, "supervisor") if t["bpmn_id"] == "deviation_decision"]
    # A serious deviation is decided within 5 working days of the report (escalation.supervisor_decision_working_days).
    assert decision["due_at"][:19] == "2015-08-17T15:59:59"
    cycle.complete(iid, "deviation_decision", {"decision": "suspend", "decision_comment": None, "budget_cut": None},
                   user="supervisor")
    _report(cycle, iid, executed=250_000, can_meet="impossible")
    cycle.complete(iid, "deviation_decision", {"decision": "stop", "decision_comment": "停止执行", "budget_cut": None},
                   user="supervisor")
    assert cycle.instance(iid)["status"] == "completed"
    assert _data(cycle, iid)["monitoring_outcome"] == "stopped"
    assert cycle.tasks(iid, "reviewer") == []
    # The review slipped in July and climbed to the bureau leadership meanwhile: stopping drops it wherever it is.
    assert [t.state for t in cycle.rows("tasks", instance_id=iid, bpmn_id="lead_midterm")] == ["cancelled"]
    assert [t.bpmn_id for t in cycle.rows("tasks", instance_id=iid, state="ready")] == []
    assert _open_escalations(cycle) == []


def test_an_unanswered_warning_gives_the_supervisor_five_working_days(cycle):
    pid = _approved(cycle)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-08-31T10:00:00+08:00")
    _report(cycle, iid, executed=300_000, can_meet="possible")
    _at(cycle, "2015-09-16T00:00:00+08:00")  # the corrective deadline (15 September) has passed
    [decision] = [t for t in cycle.tasks(iid, "supervisor") if t["bpmn_id"] == "deviation_decision"]
    assert decision["due_at"][:19] == "2015-09-22T15:59:59"  # 5 working days after the corrective deadline


def test_an_unfiled_checkpoint_report_is_escalated_after_the_grace_period(cycle):
    pid = _approved(cycle)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-09-01T09:00:00+08:00")  # due 31 August: overdue at once, not yet escalated
    [late] = cycle.tasks(iid, "staff_a")
    assert (late["bpmn_id"], late["overdue"]) == ("file_report", True) and _open_escalations(cycle) == []
    # 3 working days of grace: 1 and 2 September, then (3–4 September being holidays) Sunday 6 September, worked.
    _at(cycle, "2015-09-06T23:59:00+08:00")
    assert _open_escalations(cycle) == []
    _at(cycle, "2015-09-07T00:00:00+08:00")
    [esc] = _open_escalations(cycle)
    assert (esc["element_id"], esc["department_id"]) == ("report_slipped", "dept-a")
    assert [t["bpmn_id"] for t in cycle.tasks(iid, "staff_a")] == ["supervise_report"]
    cycle.complete(iid, "supervise_report", {"decision": "extend_deadline", "decision_comment": "补报"},
                   user="supervisor")
    [again] = cycle.tasks(iid, "staff_a")
    assert (again["bpmn_id"], again["due_at"][:19]) == ("file_report", "2015-09-22T15:59:59")  # 15 calendar days
    _report(cycle, iid, executed=800_000)
    assert cycle.instance(iid)["status"] == "completed"
