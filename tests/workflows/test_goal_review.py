"""Goal declaration and review (workflows/goal_review.bpmn) end to end: the department declares, its head submits,
the bureau reviews (优/良 approve, 中 returns, 差 blocks), major projects also go to a drawn expert panel."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import update

from service import clock, db
from service.models import Expert
from tests.workflows import stages

GOAL: dict[str, Any] = {
    "goal_summary": "完成 12 所义务教育学校标准化改造，惠及 5 万名学生",
    "indicators": [
        {"library_code": None, "name": "标准化改造学校数", "category": "quantity", "unit": "所", "comparator": ">=",
         "target": 12, "weight": 30, "standard_source": "plan", "evidence_required": True},
        {"name": "工程验收合格率", "category": "quality", "unit": "%", "comparator": ">=", "target": 100,
         "weight": 20, "standard_source": "industry"},
        {"name": "受益学生数", "category": "social", "unit": "万人", "comparator": ">=", "target": 5, "weight": 30,
         "standard_source": "plan"},
        {"name": "家长满意度", "category": "satisfaction", "unit": "%", "comparator": "range", "target": "85..100",
         "weight": 20, "standard_source": "history"},
    ],
}
REVIEW = {"completeness": "良", "relevance": "优", "appropriateness": "良", "feasibility": "良"}


def _declare_and_submit(cycle: Any, iid: str, goal: dict[str, Any] = GOAL) -> None:
    cycle.complete(iid, "declare_goal", goal, user="staff_a")
    cycle.complete(iid, "submit_goal", {"head_approved": True}, user="head_a")


def _data(cycle: Any, iid: str) -> dict[str, Any]:
    return dict(cycle.instance(iid)["data"])


def test_approved_goal_is_issued_with_its_indicators(cycle):
    pid = cycle.project()
    iid = cycle.start(pid, process_id="goal_review")
    [task] = cycle.tasks(iid, "staff_a")
    # 10 working days from Monday 2 March 2015, to the end of that day in Wuhan.
    assert (task["bpmn_id"], task["due_at"][:19]) == ("declare_goal", "2015-03-16T15:59:59")
    assert cycle.tasks(iid, "staff_b") == []  # another department's staff do not see it
    cycle.complete(iid, "declare_goal", GOAL, user="staff_a")
    assert cycle.rows("projects", id=pid)[0].status == "under_review"
    cycle.complete(iid, "submit_goal", {"head_approved": True, "head_comment": "同意报送"}, user="head_a")
    cycle.complete(iid, "finance_review", {**REVIEW, "review_outcome": "优"}, user="reviewer")

    data = _data(cycle, iid)
    assert cycle.instance(iid)["status"] == "completed"
    assert data["goal_status"] == "approved" and data["revisions"] == 0
    assert [(i["name"], i["target"]) for i in data["indicators"]] == [
        ("标准化改造学校数", 12), ("工程验收合格率", 100), ("受益学生数", 5), ("家长满意度", "85..100")]
    assert cycle.rows("projects", id=pid)[0].status == "approved"
    [goal] = cycle.rows("goals", project_id=pid)
    assert (goal.revision, goal.status, goal.review_outcome) == (1, "approved", "优")
    assert json.loads(goal.review)["relevance"] == "优"
    # Indicators the library lacked are proposed to it as the department's individual (个性) indicators.
    proposed = {r.name: r for r in cycle.rows("library_indicators", proposed_by="dept-a")}
    assert set(proposed) >= {"标准化改造学校数", "受益学生数"}
    assert all(r.status == "proposed" and r.scope == "individual" for r in proposed.values())
    stored = {r.name: r.library_code for r in cycle.rows("goal_indicators", goal_id=goal.id)}
    assert stored["标准化改造学校数"] == proposed["标准化改造学校数"].code
    assert data["indicators"][0]["library_code"] == proposed["标准化改造学校数"].code


@pytest.mark.parametrize("outcome, goal_status, project_status", [("良", "approved", "approved"),
                                                                   ("差", "blocked", "blocked")])
def test_review_outcomes(cycle, outcome, goal_status, project_status):
    pid = cycle.project()
    iid = cycle.start(pid, process_id="goal_review")
    _declare_and_submit(cycle, iid)
    cycle.complete(iid, "finance_review", {**REVIEW, "review_outcome": outcome, "review_comment": "意见"},
                   user="reviewer")
    assert cycle.instance(iid)["status"] == "completed"
    assert _data(cycle, iid)["goal_status"] == goal_status
    assert cycle.rows("projects", id=pid)[0].status == project_status
    assert cycle.rows("goals", project_id=pid)[0].status == goal_status


def test_medium_returns_for_revision_then_approved(cycle):
    pid = cycle.project()
    iid = cycle.start(pid, process_id="goal_review")
    _declare_and_submit(cycle, iid)
    cycle.complete(iid, "finance_review", {**REVIEW, "review_outcome": "中", "review_comment": "指标不可衡量"},
                   user="reviewer")
    assert cycle.rows("projects", id=pid)[0].status == "declaring"
    revised = {**GOAL, "goal_summary": "2015 年底前完成 12 所学校标准化改造"}
    _declare_and_submit(cycle, iid, revised)
    cycle.complete(iid, "finance_review", {**REVIEW, "review_outcome": "优"}, user="reviewer")
    data = _data(cycle, iid)
    assert cycle.instance(iid)["status"] == "completed" and data["revisions"] == 1
    assert data["goal_summary"] == revised["goal_summary"] and data["goal_status"] == "approved"
    revisions = {g.revision: (g.status, g.review_outcome, g.summary) for g in cycle.rows("goals", project_id=pid)}
    assert revisions == {1: ("returned", "中", GOAL["goal_summary"]), 2: ("approved", "优", revised["goal_summary"])}


def test_head_can_send_the_declaration_back(cycle):
    pid = cycle.project()
    iid = cycle.start(pid, process_id="goal_review")
    cycle.complete(iid, "declare_goal", GOAL, user="staff_a")
    cycle.complete(iid, "submit_goal", {"head_approved": False, "head_comment": "权重需调整"}, user="head_a")
    assert [t["bpmn_id"] for t in cycle.tasks(iid, "staff_a")] == ["declare_goal"]
    [goal] = cycle.rows("goals", project_id=pid)
    assert goal.status == "returned" and json.loads(goal.review)["comment"] == "权重需调整"
    assert _data(cycle, iid)["revisions"] == 1


def test_review_overdue_reminder_keeps_the_review_open(cycle):
    iid = cycle.start(cycle.project(), process_id="goal_review")
    _declare_and_submit(cycle, iid)
    [review] = [t for t in cycle.tasks(iid, "reviewer") if t["bpmn_id"] == "finance_review"]
    assert review["due_at"][:19] == "2015-03-16T15:59:59"
    clock.set_now(datetime(2015, 3, 16, 15, 59, tzinfo=clock.UTC))
    cycle.work()
    assert _data(cycle, iid)["review_overdue"] is False
    cycle.advance(minutes=1)
    assert _data(cycle, iid)["review_overdue"] is True
    assert [t["bpmn_id"] for t in cycle.tasks(iid, "reviewer")] == ["finance_review"]


@pytest.mark.parametrize("indicators, field", [
    (GOAL["indicators"][:1], "indicators"),  # one indicator only
    ([i for i in GOAL["indicators"] if i["category"] != "social"], "indicators"),  # no effect indicator
    ([i for i in GOAL["indicators"] if i["category"] not in ("quantity", "quality")], "indicators"),  # no output
    ([*GOAL["indicators"][:3], {**GOAL["indicators"][3], "target": "85 to 100"}], "indicators/3/target"),
    ([{**GOAL["indicators"][0], "category": "output"}, *GOAL["indicators"][1:]], "indicators/0/category"),
])
def test_declarations_that_break_the_rules_are_refused(cycle, indicators, field):
    iid = cycle.start(cycle.project(), process_id="goal_review")
    body = cycle.complete(iid, "declare_goal", {**GOAL, "indicators": indicators}, user="staff_a", expect=422)
    assert field in [e["field"] for e in body["errors"]]
    assert [t["bpmn_id"] for t in cycle.tasks(iid, "staff_a")] == ["declare_goal"]


def test_major_project_goes_to_experts_drawn_outside_its_department(cycle):
    with db.write(cycle.rt.engine) as conn:  # two education experts must never review dept-a (回避)
        conn.execute(update(Expert).where(Expert.name.in_(["张明远", "李静"])).values(conflicts='["dept-a"]'))
    pid = cycle.project(amount=6_000_000)
    iid = cycle.start(pid, process_id="goal_review")
    assert _data(cycle, iid)["is_major"] is True
    _declare_and_submit(cycle, iid)
    cycle.complete(iid, "finance_review", {**REVIEW, "review_outcome": "良"}, user="reviewer")

    panel = cycle.rows("expert_engagements", project_id=pid)
    experts = {e.id: e for e in cycle.rows("experts")}
    assert len(panel) == 3
    assert all("dept-a" not in json.loads(experts[p.expert_id].conflicts) for p in panel)
    assert not {"张明远", "李静"} & {experts[p.expert_id].name for p in panel}
    # The drawn panel (all signed in as the test user "expert") reviews; the department cannot decide for it.
    [review] = cycle.tasks(iid, "expert")
    assert review["bpmn_id"] == "expert_review" and set(review["candidate_users"]) == {"expert"}
    cycle.complete(iid, "expert_review", {"expert_outcome": "pass"}, user="staff_a", expect=403)

    # The panel asks for a revision: the department revises and resubmits, the same panel reviews again.
    cycle.complete(iid, "expert_review", {"expert_outcome": "revise", "expert_comment": "成本指标缺失"}, user="expert")
    assert [t["bpmn_id"] for t in cycle.tasks(iid, "staff_a")] == ["declare_goal"]
    assert cycle.tasks(iid, "expert") == []
    _declare_and_submit(cycle, iid)
    cycle.complete(iid, "finance_review", {**REVIEW, "review_outcome": "优"}, user="reviewer")
    assert len(cycle.rows("expert_engagements", project_id=pid)) == 3
    cycle.complete(iid, "expert_review", {"expert_outcome": "pass", "expert_comment": "目标合理可行"}, user="expert")
    data = _data(cycle, iid)
    assert cycle.instance(iid)["status"] == "completed" and data["goal_status"] == "approved"
    goals = {g.revision: g for g in cycle.rows("goals", project_id=pid)}
    assert json.loads(goals[1].experts)["outcome"] == "revise" and goals[1].status == "returned"
    assert sorted(json.loads(goals[2].experts)["experts"]) == sorted(p.expert_id for p in panel)
    assert goals[2].status == "approved"


def test_expert_form_requires_a_comment_to_ask_for_revision(cycle):
    iid = cycle.start(cycle.project(amount=6_000_000), process_id="goal_review")
    _declare_and_submit(cycle, iid)
    cycle.complete(iid, "finance_review", {**REVIEW, "review_outcome": "优"}, user="reviewer")
    body = cycle.complete(iid, "expert_review", {"expert_outcome": "revise"}, user="expert", expect=422)
    assert body["errors"]


def test_the_heads_review_has_its_own_due_date(cycle):
    pid = cycle.project()
    iid = cycle.start(pid, process_id="goal_review")
    cycle.complete(iid, "declare_goal", GOAL, user="staff_a")  # Monday 2 March 2015
    [task] = cycle.tasks(iid, "head_a")
    # 5 working days (rule goal.submission_working_days), to the end of that day in Wuhan.
    assert (task["bpmn_id"], task["due_at"][:19], task["overdue"]) == ("submit_goal", "2015-03-09T15:59:59", False)
    clock.set_now(datetime.fromisoformat("2015-03-10T00:00:00+08:00"))
    [late] = cycle.tasks(iid, "head_a")
    assert late["overdue"] is True  # at once, in the inbox list and in the task itself
    assert cycle.as_user("head_a").get(f"/api/tasks/{late['id']}").get_json()["overdue"] is True


def _escalations(cycle: Any) -> list[dict[str, Any]]:
    found = cycle.as_user("supervisor").get("/api/escalations?per_page=100").get_json()["items"]
    return sorted(found, key=lambda e: e["id"])


def test_a_missed_declaration_climbs_from_the_supervisors_to_the_bureau_leadership(cycle):
    from service.bpm.verify import verify

    pid = cycle.project()
    iid = cycle.start(pid, process_id="goal_review")  # due Monday 16 March 2015
    stages.at(cycle, "2015-03-17T09:00:00+08:00")
    [late] = cycle.tasks(iid, "staff_a")
    assert (late["bpmn_id"], late["overdue"]) == ("declare_goal", True)  # overdue at once, not escalated yet
    assert _escalations(cycle) == []

    stages.at(cycle, "2015-03-19T23:59:00+08:00")  # 3 working days of grace (escalation.grace_working_days)
    assert _escalations(cycle) == []
    stages.at(cycle, "2015-03-20T00:00:00+08:00")
    [esc] = _escalations(cycle)
    assert (esc["kind"], esc["element_id"], esc["state"], esc["department_id"], esc["level"]) == \
        ("deadline", "declaration_slipped", "open", "dept-a", "supervisor")
    supervise = cycle.task(iid, "supervise_declaration", "supervisor")
    assert (supervise["id"], supervise["due_at"][:19]) == (esc["task_id"], "2015-03-26T15:59:59")  # 5 working days
    assert [t["bpmn_id"] for t in cycle.tasks(iid, "staff_a")] == ["supervise_declaration"]  # visible, not theirs

    stages.at(cycle, "2015-03-27T00:00:00+08:00")  # the supervisors let it lie: the same escalation goes one level up
    [handed] = _escalations(cycle)
    lead = [t for t in cycle.tasks(iid) if t["bpmn_id"] == "lead_declaration"]
    assert [(t["candidate_groups"], t["due_at"][:19]) for t in lead] == [(["bureau_leader"], "2015-04-02T15:59:59")]
    assert (handed["id"], handed["state"], handed["level"], handed["task_id"], handed["escalated_at"] is not None) == \
        (esc["id"], "open", "leadership", lead[0]["id"], True)

    # Now only the leadership decides it, through the escalation's own command.
    path = f"/api/escalations/{esc['id']}/resolve"
    refused = cycle.as_user("supervisor").post(path, json={"decision": "order_rectification"})
    assert refused.status_code == 403, refused.get_json()
    resolved = cycle.as_user("leader").post(path, json={"decision": "order_rectification", "comment": "限期编报"})
    assert resolved.status_code == 200, resolved.get_json()
    cycle.work()
    [done] = _escalations(cycle)
    assert (done["state"], done["decision"], done["resolved_by"]) == ("resolved", "order_rectification", "leader")
    [again] = cycle.tasks(iid, "staff_a")
    # Ordered within 10 working days (escalation.order_working_days) of Friday 27 March; 6 April is Qingming.
    assert (again["bpmn_id"], again["due_at"][:19], again["overdue"]) == \
        ("declare_goal", "2015-04-13T15:59:59", False)
    report = verify(cycle.rt.engine, cycle.rt.specs, cycle.rt.settings)  # the ladder is on the hash chain
    assert report.ok and report.checked, [str(f) for f in report.findings]


def test_a_supervisor_who_extends_the_review_reissues_it_with_the_new_deadline(cycle):
    pid = cycle.project()
    iid = cycle.start(pid, process_id="goal_review")
    _declare_and_submit(cycle, iid)  # Monday 2 March: the review is due on 16 March
    stages.at(cycle, "2015-03-20T00:00:00+08:00")
    # The review is withdrawn from the reviewers; the supervisors' task is what they see of the instance now.
    assert [t["bpmn_id"] for t in cycle.tasks(iid, "reviewer")] == ["supervise_review"]
    [esc] = _escalations(cycle)
    assert esc["element_id"] == "review_slipped"
    resolved = cycle.as_user("supervisor").post(f"/api/escalations/{esc['id']}/resolve",
                                                json={"decision": "extend_deadline", "comment": "材料较多"})
    assert resolved.status_code == 200, resolved.get_json()
    cycle.work()
    [again] = cycle.tasks(iid, "reviewer")
    assert (again["bpmn_id"], again["due_at"][:19]) == ("finance_review", "2015-04-04T15:59:59")  # 15 calendar days
    cycle.complete(iid, "finance_review", {**REVIEW, "review_outcome": "优"}, user="reviewer")
    assert cycle.instance(iid)["status"] == "completed" and _data(cycle, iid)["goal_status"] == "approved"


@pytest.mark.parametrize("decision", ["extend_deadline", "order_rectification", "open_accountability"])
def test_a_slipped_expert_review_climbs_to_the_leadership_whose_decision_reissues_it(cycle, decision):
    pid = cycle.project(amount=6_000_000)
    iid = cycle.start(pid, process_id="goal_review")
    stages.approve_goal(cycle, iid)  # Monday 2 March: the drawn panel's review is due on 16 March
    esc = stages.slip(cycle, iid, "expert_review", "expert_review")  # from 20 March, after 3 working days of grace
    stages.refused(cycle, iid, esc, "stop")
    handed = stages.climb(cycle, iid, "expert_review", esc)  # 27 March: the supervisors let 5 working days pass
    stages.decide(cycle, handed, decision, user="leader")
    # An order (or a case) gives 10 working days from Friday 27 March, over Qingming (Monday 6 April): 13 April.
    stages.reissued(cycle, iid, "expert_review", "expert_review", decision, date(2015, 3, 27), date(2015, 4, 13),
                    user="expert")
    cycle.complete(iid, "expert_review", {"expert_outcome": "pass", "expert_comment": "目标合理可行"}, user="expert")
    assert _data(cycle, iid)["goal_status"] == "approved"
    stages.verified(cycle)


@pytest.mark.parametrize("task, name, user, reach", [
    ("submit_goal", "submission", "head_a",
     lambda cycle, iid: cycle.complete(iid, "declare_goal", GOAL, user="staff_a")),  # due Monday 9 March
    ("finance_review", "review", "reviewer", _declare_and_submit),  # due Monday 16 March
])
def test_a_case_opened_on_a_late_review_reissues_it_within_the_order_deadline(cycle, task, name, user, reach):
    pid = cycle.project()
    iid = cycle.start(pid, process_id="goal_review")
    reach(cycle, iid)
    esc = stages.slip(cycle, iid, task, name)
    stages.decide(cycle, esc, "open_accountability")
    decided_on = {"submission": date(2015, 3, 13), "review": date(2015, 3, 20)}[name]
    order_due = {"submission": date(2015, 3, 27), "review": date(2015, 4, 3)}[name]  # 10 working days on
    stages.reissued(cycle, iid, task, name, "open_accountability", decided_on, order_due, user=user)
    # the task is back with its owner and the case is handled beside it, not after it
    assert {task, "handle_accountability"} <= set(stages.ready(cycle, iid))
    stages.verified(cycle)
