"""A 差 grade opens an accountability case unless rectified (workflows/rectification.bpmn, docs/CYCLE.md "Targets"):
every grade below 优 is rectified; a 差 whose rectification is verified done ends without a case, one whose
rectification fails — or is overdue and sent to accountability — ends with exactly one case, handled by the
supervisors."""

from __future__ import annotations

from typing import Any

from tests.workflows.stages import FEEDBACK, PLAN, start_stage

CASE = {"responsible_party": "市教育局", "sanction": "notice", "accountability_outcome": "全市通报"}


def _rectify(cycle: Any, verdict: dict[str, Any]) -> tuple[str, str]:
    pid = cycle.project()
    iid = start_stage(cycle, pid, "rectification", final_grade="差", final_score=52)
    cycle.complete(iid, "feed_back_results", FEEDBACK, user="reviewer")
    cycle.complete(iid, "submit_rectification", PLAN, user="staff_a")
    cycle.complete(iid, "verify_rectification", verdict, user="supervisor")
    return pid, iid


def test_a_poor_grade_rectified_opens_no_case(cycle):
    pid, iid = _rectify(cycle, {"verification_verdict": "done"})
    inst = cycle.instance(iid)
    assert inst["status"] == "completed" and inst["data"]["rectification_status"] == "done"
    assert cycle.rows("accountability_cases") == []


def test_a_poor_grade_not_rectified_opens_one_case(cycle):
    pid, iid = _rectify(cycle, {"verification_verdict": "insufficient", "verification_comment": "问题未整改"})
    [case] = cycle.rows("accountability_cases")
    assert (case.project_id, case.reason, case.status) == (pid, "rectification_failed", "open")
    assert [t["bpmn_id"] for t in cycle.tasks(iid, "supervisor")] == ["handle_accountability"]
    cycle.complete(iid, "handle_accountability", CASE, user="supervisor")
    inst = cycle.instance(iid)
    assert inst["status"] == "completed" and inst["data"]["rectification_status"] == "failed"
    assert [c.status for c in cycle.rows("accountability_cases")] == ["closed"]


def test_a_poor_grade_is_never_let_off_rectification(cycle):
    pid = cycle.project()
    iid = start_stage(cycle, pid, "rectification", final_grade="差", final_score=40)
    cycle.complete(iid, "feed_back_results", {"feedback_summary": "目标基本未完成"}, user="reviewer")
    assert [t["bpmn_id"] for t in cycle.tasks(iid, "staff_a")] == ["submit_rectification"]
