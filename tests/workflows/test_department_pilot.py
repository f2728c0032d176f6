"""The whole-department pilot (部门整体支出绩效目标与评价试点, workflows/department_pilot.bpmn): the department's
whole-spending goal is declared and reviewed, evaluated after the year and the result fed back; the goals and
evaluations rows land on the department-kind project, which the coverage report counts."""

from __future__ import annotations

from datetime import datetime

from service import clock
from tests.workflows.stages import FEEDBACK, PLAN, approve_goal, self_evaluate, unsampled_id


def _pilot(cycle) -> str:
    return cycle.project(unsampled_id("2015-dept-a-whole"), kind="department", amount=3_000_000,
                         name="市教育局部门整体支出")


def _after_the_year(cycle) -> None:
    # the pilot waits for 10 January 2016, 09:00 in Wuhan (the evaluation opens after the final accounts)
    clock.set_now(datetime(2016, 1, 10, 10, 0, tzinfo=clock.LOCAL))
    cycle.work()


def test_whole_department_goal_evaluation_and_feedback(cycle):
    pid = _pilot(cycle)
    iid = cycle.start(pid, process_id="department_pilot")
    approve_goal(cycle, iid)
    [goal] = cycle.rows("goals", project_id=pid)
    assert goal.status == "approved"
    assert cycle.rows("projects", id=pid)[0].status == "running"
    assert [t["bpmn_id"] for t in cycle.tasks(iid)] == []  # nothing to do during the year

    _after_the_year(cycle)
    self_evaluate(cycle, iid, executed=2_700_000, schools=10, pupils=5, satisfied=80)
    [evaluation] = cycle.rows("evaluations", project_id=pid)
    assert evaluation.kind in ("self", "key") and evaluation.grade == "良"
    data = cycle.instance(iid)["data"]
    assert (data["final_grade"], data["project_kind"]) == ("良", "department")

    cycle.complete(iid, "feed_back_results", FEEDBACK, user="reviewer")
    cycle.complete(iid, "submit_rectification", PLAN, user="staff_a")
    cycle.complete(iid, "verify_rectification", {"verification_verdict": "done"}, user="supervisor")
    inst = cycle.instance(iid)
    assert inst["status"] == "completed" and inst["data"]["rectification_status"] == "done"
    [rect] = cycle.rows("rectifications", project_id=pid)
    assert rect.status == "done"
    assert cycle.rows("projects", id=pid)[0].status == "closed"
    assert cycle.rows("budget_decisions", project_id=pid) == []  # the pilot evaluates; it links no project budget


def test_a_blocked_department_goal_ends_the_pilot(cycle):
    pid = _pilot(cycle)
    iid = cycle.start(pid, process_id="department_pilot")
    approve_goal(cycle, iid, outcome="差")
    inst = cycle.instance(iid)
    assert inst["status"] == "completed" and inst["data"]["goal_status"] == "blocked"
    assert cycle.rows("projects", id=pid)[0].status == "blocked"
    assert cycle.rows("evaluations", project_id=pid) == []
