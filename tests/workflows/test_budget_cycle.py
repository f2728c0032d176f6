"""The whole cycle (workflows/budget_cycle.bpmn) of a project and fiscal year: goal → monitoring → (next year)
evaluation → rectification → budget linkage; a blocked goal and a stopped project end early with a cancel decision."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from service import clock
from service.bpm.replay import replay
from tests.workflows import stages
from tests.workflows.stages import FEEDBACK, PLAN, approve_goal, self_evaluate, unsampled_id

CONFIRM = {"budget_confirmation": "confirm"}
DISCLOSE = {"disclosure_channel": "portal", "disclosed_items": ["goals", "evaluation_report", "results"]}


def _at(cycle: Any, *when: int) -> None:
    """Move the clock to a Wuhan wall-clock time and let the workers catch up."""
    clock.set_now(datetime(*when, tzinfo=clock.LOCAL))
    cycle.work()


def _report(cycle: Any, iid: str, executed: float, can_meet: str, schools: float, pupils: float) -> None:
    reasons = {} if can_meet == "certain" else {"deviation_reasons": "征地拆迁滞后，工程无法按期开工"}
    cycle.complete(iid, "file_report", {
        "executed_amount": executed, "can_meet": can_meet, **reasons,
        "indicator_actuals": [{"name": "标准化改造学校数", "actual": schools, "expected": 12},
                              {"name": "受益学生数", "actual": pupils, "expected": 5},
                              {"name": "家长满意度", "actual": 90, "expected": 90}]}, user="staff_a")


def _link(cycle: Any, iid: str) -> None:
    cycle.complete(iid, "confirm_budget", CONFIRM, user="reviewer")
    cycle.complete(iid, "disclose_results", DISCLOSE, user="reviewer")


def _project_status(cycle: Any, pid: str) -> str:
    return str(cycle.rows("projects", id=pid)[0].status)


def test_whole_cycle_from_goal_to_budget_linkage(cycle):
    pid = cycle.project(unsampled_id("2015-dept-a"), amount=1_200_000)
    iid = cycle.start(pid)
    assert cycle.rows("projects", id=pid)[0].instance_id == iid
    approve_goal(cycle, iid)
    assert [g.status for g in cycle.rows("goals", project_id=pid)] == ["approved"]

    _at(cycle, 2015, 8, 3, 10, 0)  # the checkpoint as of 31 July opens in August
    _report(cycle, iid, executed=700_000, can_meet="certain", schools=7, pupils=3)
    [report] = cycle.rows("monitoring_reports", project_id=pid)
    assert report.warning_level == "green"
    data = cycle.instance(iid)["data"]
    assert (data["monitoring_outcome"], data["project_stopped"]) == ("completed", False)
    assert cycle.tasks(iid) == []  # waiting for the year to end

    _at(cycle, 2016, 1, 11, 10, 0)  # the evaluation opens on 10 January of the following year
    # execution 900,000 / 1,200,000 → 7.5; schools 8/12 → 33.33; pupils 4/5 → 24; satisfaction 80/90 → 8.89: 中
    self_evaluate(cycle, iid, executed=900_000, schools=8, pupils=4, satisfied=80)
    data = cycle.instance(iid)["data"]
    assert data["final_grade"] == "中"
    assert [e.grade for e in cycle.rows("evaluations", project_id=pid)] == ["中"]

    cycle.complete(iid, "feed_back_results", FEEDBACK, user="reviewer")
    cycle.complete(iid, "submit_rectification", PLAN, user="staff_a")
    cycle.complete(iid, "verify_rectification", {"verification_verdict": "done"}, user="supervisor")
    assert cycle.rows("rectifications", project_id=pid)[0].status == "done"

    [decision] = cycle.rows("budget_decisions", project_id=pid)
    assert (decision.proposal, decision.for_year, decision.proposed_amount) == ("cut", 2017, Decimal("1080000.00"))
    _link(cycle, iid)
    inst = cycle.instance(iid)
    assert inst["status"] == "completed"
    assert (inst["data"]["rectification_status"], inst["data"]["budget_proposal"]) == ("done", "cut")
    [decision] = cycle.rows("budget_decisions", project_id=pid)
    assert decision.confirmed_amount == Decimal("1080000.00") and decision.disclosed_at is not None
    assert _project_status(cycle, pid) == "closed"
    assert cycle.rows("accountability_cases") == []
    assert replay(cycle.rt.engine, cycle.rt.specs, cycle.rt.settings, iid).ok  # auditors can replay the whole cycle
    stages.verified(cycle)


def test_blocked_goal_ends_the_cycle_with_a_cancel_decision(cycle):
    pid = cycle.project()
    iid = cycle.start(pid)
    approve_goal(cycle, iid, outcome="差")
    [decision] = cycle.rows("budget_decisions", project_id=pid)
    assert (decision.proposal, decision.grade, decision.proposed_amount) == ("cancel", None, Decimal("0.00"))
    _link(cycle, iid)
    inst = cycle.instance(iid)
    assert inst["status"] == "completed" and inst["data"]["goal_status"] == "blocked"
    assert cycle.rows("monitoring_reports", project_id=pid) == [] and cycle.rows("evaluations", project_id=pid) == []
    assert _project_status(cycle, pid) == "blocked"
    stages.verified(cycle)


def test_project_stopped_for_serious_deviation_is_cancelled_and_accountable(cycle):
    pid = cycle.project(amount=1_200_000)
    iid = cycle.start(pid)
    approve_goal(cycle, iid)
    _at(cycle, 2015, 8, 3, 10, 0)
    _report(cycle, iid, executed=200_000, can_meet="impossible", schools=1, pupils=0.5)  # red, cannot be met
    supervisor = cycle.as_user("supervisor")
    # Suspended first, then stopped when the new report is still seriously off course (the plan 二(一)2).
    [esc] = supervisor.get("/api/escalations?state=open").get_json()["items"]
    assert supervisor.post(f"/api/escalations/{esc['id']}/resolve",
                           json={"decision": "suspend", "comment": "暂缓执行"}).status_code == 200
    cycle.work()
    _report(cycle, iid, executed=250_000, can_meet="impossible", schools=1, pupils=0.5)
    [esc] = supervisor.get("/api/escalations?state=open").get_json()["items"]
    decided = supervisor.post(f"/api/escalations/{esc['id']}/resolve",
                              json={"decision": "stop", "comment": "严重偏离，停止执行"})
    assert decided.status_code == 200, decided.get_json()
    cycle.work()
    data = cycle.instance(iid)["data"]
    assert (data["project_stopped"], data["last_warning_level"]) == (True, "red")

    [case] = cycle.rows("accountability_cases", project_id=pid)
    assert (case.reason, case.status, case.key.rsplit(":", 1)[0]) == ("stopped", "open", f"{iid}:stopped")
    cycle.complete(iid, "handle_accountability", {"responsible_party": "市教育局基建处", "sanction": "notice",
                                                  "accountability_outcome": "通报批评，收回未执行资金"},
                   user="supervisor")
    assert json.loads(cycle.rows("accountability_cases", project_id=pid)[0].outcome)["sanction"] == "notice"
    [decision] = cycle.rows("budget_decisions", project_id=pid)
    assert (decision.proposal, decision.proposed_amount) == ("cancel", Decimal("0.00"))
    _link(cycle, iid)
    inst = cycle.instance(iid)
    assert inst["status"] == "completed" and "final_grade" in inst["data"] and inst["data"]["final_grade"] is None
    assert cycle.rows("evaluations", project_id=pid) == []  # a stopped project skips evaluation
    stages.verified(cycle)


def test_a_project_its_department_cancels_after_a_red_warning_is_not_accountable(cycle):
    pid = cycle.project(amount=1_200_000)
    iid = cycle.start(pid)
    approve_goal(cycle, iid)
    _at(cycle, 2015, 8, 3, 10, 0)
    _report(cycle, iid, executed=200_000, can_meet="possible", schools=1, pupils=0.5)  # red; still possible
    assert [r.warning_level for r in cycle.rows("monitoring_reports", project_id=pid)] == ["red"]
    cycle.complete(iid, "corrective_measures", {"corrective_measure": "cancel",
                                                "corrective_explanation": "上级政策调整，项目不再实施"}, user="staff_a")
    data = cycle.instance(iid)["data"]
    assert (data["project_stopped"], data["project_cancelled"], data["monitoring_outcome"],
            data["last_warning_level"]) == (False, True, "cancelled", "red")
    assert cycle.rows("accountability_cases") == []  # the department's own choice: no 问责
    assert [t["bpmn_id"] for t in cycle.tasks(iid)] == ["confirm_budget"]  # straight to the cancel decision
    [decision] = cycle.rows("budget_decisions", project_id=pid)
    assert (decision.proposal, decision.proposed_amount) == ("cancel", Decimal("0.00"))
    assert "stopped" not in [a.action for a in cycle.rows("project_actions", project_id=pid)]
    _link(cycle, iid)
    assert cycle.instance(iid)["status"] == "completed"
    assert cycle.rows("evaluations", project_id=pid) == []
    assert replay(cycle.rt.engine, cycle.rt.specs, cycle.rt.settings, iid).ok
    stages.verified(cycle)
