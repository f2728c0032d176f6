"""The financial supervision inspection (workflows/supervision_inspection.bpmn; the plan 二(三)4二是): a supervisor
starts it on a department or a special transfer fund, a team is drawn from the supervision library, the findings are
recorded per aspect and fed back to the department, and findings requiring rectification run the rectification
model, whose verification and escalation ladders are the same as for an evaluation's results."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from service import clock
from tests.workflows import stages
from tests.workflows.stages import FEEDBACK, PLAN

FUND = {"target_kind": "fund", "department_id": "dept-a", "fund_name": "农村义务教育薄弱学校改造专项转移支付",
        "fund_amount": 8_000_000, "fiscal_year": 2015, "level": "municipal", "sector": "transfer",
        "aspects": ["goal_setting", "execution", "use_of_results"]}
FINDINGS = {"inspection_summary": "目标设定偏粗，资金拨付滞后",
            "findings": [{"aspect": "goal_setting", "severity": "major", "text": "绩效目标未细化到县区"},
                         {"aspect": "execution", "severity": "minor", "text": "个别学校资金拨付滞后一个月"},
                         {"aspect": "use_of_results", "severity": "minor", "text": "上年评价结果未用于分配",
                          "rectify": True}]}


def _start(cycle: Any, data: dict[str, Any], user: str = "supervisor") -> Any:
    return cycle.as_user(user).post("/api/instances", json={"process_id": "supervision_inspection", "data": data,
                                                            "department_id": data["department_id"]})


def _inspection(cycle: Any, data: dict[str, Any] = FUND) -> str:
    resp = _start(cycle, data)
    assert resp.status_code == 201, resp.get_json()
    iid = str(resp.get_json()["id"])
    cycle.work()
    return iid


def test_a_fund_inspection_draws_its_team_and_records_the_findings(cycle):
    iid = _inspection(cycle)
    [row] = cycle.rows("inspections")
    assert (row.instance_id, row.target_kind, row.department_id, row.fund_name, row.fund_amount, row.status) == \
        (iid, "fund", "dept-a", FUND["fund_name"], Decimal("8000000.00"), "inspecting")
    # rule inspection.team_size: 3; exactly three active members follow `transfer`: they are drawn
    assert sorted(m["name"] for m in json.loads(row.members)) == ["刘德明", "杨立新", "陈国平"]
    # rule inspection.working_days: 20 working days from Monday 2 March 2015 → Monday 30 March
    assert row.due_on == date(2015, 3, 30)
    task = cycle.task(iid, "inspect", "supervisor")
    assert task["candidate_groups"] == ["supervisor"]
    assert sorted(task["candidate_users"]) == ["sup01", "sup05", "sup09"]  # the team's accounts
    refused = cycle.as_user("head_a").post(f"/api/tasks/{task['id']}/complete", json={"data": FINDINGS})
    assert refused.status_code == 403  # the department inspected does not record its own findings

    cycle.complete(iid, "inspect", FINDINGS, user="supervisor")
    found = sorted(cycle.rows("inspection_findings"), key=lambda f: f.position)
    assert [(f.aspect, f.severity, f.requires_rectification, f.rectification_instance_id) for f in found] == [
        ("goal_setting", "major", True, None), ("execution", "minor", False, None),
        ("use_of_results", "minor", True, None)]
    assert cycle.rows("inspections")[0].status == "fed_back"
    ack = cycle.task(iid, "acknowledge_findings", "head_a")
    assert ack["candidate_groups"] == ["department_head"]
    assert cycle.tasks(iid, "head_b") == []  # another department's head does not see it
    stages.verified(cycle)


def test_findings_requiring_rectification_run_the_rectification_and_its_failed_verification_is_accountable(cycle):
    iid = _inspection(cycle)
    cycle.complete(iid, "inspect", FINDINGS, user="supervisor")
    cycle.complete(iid, "acknowledge_findings", {"acknowledged": True, "acknowledgement_comment": "立即整改"},
                   user="head_a")
    [row] = cycle.rows("inspections")
    assert (row.status, row.acknowledgement) == ("rectifying", "立即整改")
    linked = {f.position: f.rectification_instance_id for f in cycle.rows("inspection_findings")}
    assert linked == {1: iid, 2: None, 3: iid}

    cycle.complete(iid, "feed_back_results", FEEDBACK, user="reviewer")
    row = cycle.rows("inspections")[0]
    # rule rectification.days: 30 calendar days from 2 March → 1 April
    assert (row.rectification_status, row.rectification_due_on) == ("open", date(2015, 4, 1))
    cycle.complete(iid, "submit_rectification", PLAN, user="staff_a")
    assert cycle.rows("inspections")[0].rectification_status == "submitted"
    cycle.complete(iid, "verify_rectification", {"verification_verdict": "insufficient",
                                                 "verification_comment": "县区目标仍未细化"}, user="supervisor")
    row = cycle.rows("inspections")[0]
    assert (row.rectification_status, row.rectification_verdict) == ("failed", "insufficient")
    [case] = cycle.rows("accountability_cases")
    assert (case.reason, case.department_id, case.project_id, case.status) == \
        ("rectification_failed", "dept-a", None, "open")
    assert cycle.rows("rectifications") == []  # no project's rectification row is touched
    cycle.complete(iid, "handle_accountability", {"responsible_party": "市教育局", "sanction": "notice",
                                                  "accountability_outcome": "全市通报"}, user="supervisor")
    inst = cycle.instance(iid)
    assert inst["status"] == "completed" and inst["data"]["rectification_status"] == "failed"
    assert cycle.rows("inspections")[0].status == "closed"
    stages.verified(cycle)


def test_a_late_rectification_of_the_findings_escalates_like_any_other(cycle):
    iid = _inspection(cycle)
    cycle.complete(iid, "inspect", FINDINGS, user="supervisor")
    cycle.complete(iid, "acknowledge_findings", {"acknowledged": True}, user="head_a")
    cycle.complete(iid, "feed_back_results", FEEDBACK, user="reviewer")
    cycle.advance(days=31)  # 2 April: the rectification was due on 1 April
    [esc] = stages.open_escalations(cycle)
    assert (esc["code"], esc["department_id"]) == ("rectification_overdue", "dept-a")
    assert cycle.rows("inspections")[0].rectification_status == "overdue"
    stages.decide(cycle, esc, "extend_deadline")
    cycle.work()
    # rule escalation.extension_days: 15 calendar days from 2 April → 17 April
    row = cycle.rows("inspections")[0]
    assert (row.rectification_status, row.rectification_due_on) == ("open", date(2015, 4, 17))
    cycle.complete(iid, "submit_rectification", PLAN, user="staff_a")
    cycle.complete(iid, "verify_rectification", {"verification_verdict": "done"}, user="supervisor")
    row = cycle.rows("inspections")[0]
    assert (row.rectification_status, row.status) == ("done", "closed")
    assert cycle.rows("accountability_cases") == []
    stages.verified(cycle)


def test_a_department_inspection_without_findings_to_rectify_closes_after_the_acknowledgement(cycle):
    data = {"target_kind": "department", "department_id": "dept-a", "fiscal_year": 2015, "level": "municipal",
            "aspects": ["evaluation_quality"]}
    iid = _inspection(cycle, data)
    cycle.complete(iid, "inspect", {"inspection_summary": "自评质量较好",
                                    "findings": [{"aspect": "evaluation_quality", "severity": "minor",
                                                  "text": "个别自评报告佐证材料不全"}]}, user="supervisor")
    cycle.complete(iid, "acknowledge_findings", {"acknowledged": True}, user="head_a")
    [row] = cycle.rows("inspections")
    assert (row.target_kind, row.fund_name, row.fund_amount, row.status) == ("department", None, None, "closed")
    assert row.rectification_status is None
    assert cycle.instance(iid)["status"] == "completed"
    stages.verified(cycle)


def test_an_unacknowledged_finding_climbs_the_ladder(cycle):
    iid = _inspection(cycle)
    cycle.complete(iid, "inspect", FINDINGS, user="supervisor")
    task = cycle.task(iid, "acknowledge_findings", "head_a")
    # rule inspection.acknowledgement_working_days: 5 working days from Monday 2 March → Monday 9 March
    assert stages.local_due(task).date() == date(2015, 3, 9)
    esc = stages.slip(cycle, iid, "acknowledge_findings", "findings_ack")
    assert esc["code"] == "findings_ack_slipped"
    stages.decide(cycle, esc, "open_accountability")
    cycle.work()
    [case] = cycle.rows("accountability_cases", reason="findings_ack_slipped")
    assert (case.department_id, case.status) == ("dept-a", "open")
    assert "acknowledge_findings" in stages.ready(cycle, iid)


def test_an_unfinished_inspection_goes_straight_to_the_leadership(cycle):
    iid = _inspection(cycle)
    clock.set_now(clock.now().replace(month=4, day=3))  # 30 March + 3 working days: 2 April has passed
    cycle.work()
    [esc] = stages.open_escalations(cycle)
    assert (esc["code"], esc["level"]) == ("inspection_slipped", "leadership")
    assert [d["decision"] for d in esc["allowed_decisions"]] == ["extend_deadline", "order_rectification"]
    assert "lead_inspection" in stages.ready(cycle, iid)


def test_a_department_cannot_start_an_inspection(cycle):
    for user in ("staff_a", "head_a", "reviewer"):
        resp = _start(cycle, FUND, user)
        assert resp.status_code == 403 and resp.content_type == "application/problem+json", user
    assert cycle.rows("inspections") == [] and cycle.rows("instances") == []
