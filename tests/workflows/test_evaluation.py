"""The evaluation stage (绩效评价) of workflows/, started alone with a hand-built approved indicator list.

Self-evaluation scores are checked against hand-computed examples (one per grade); a key evaluation goes to a
commissioned agency whose report the bureau rates; other projects may have their self-evaluation spot-checked.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pytest

from service import clock, db
from service.cycle import projects_records
from service.domain.evaluation_selection import spot_check_selected
from tests.workflows import stages

FY = 2014  # evaluated after its year ends: at the test clock (2 March 2015) the stage opens at once

SCHOOL = [  # approved indicators, in goal_review's shape
    {"name": "新建校舍", "category": "quantity", "unit": "栋", "comparator": ">=", "target": 10, "weight": 30,
     "standard_source": "plan", "evidence_required": True},
    {"name": "验收合格率", "category": "quality", "unit": "%", "comparator": ">=", "target": 95, "weight": 20,
     "standard_source": "industry", "evidence_required": True},
    {"name": "受益学生", "category": "social", "unit": "人", "comparator": ">=", "target": 5000, "weight": 30,
     "standard_source": "plan", "evidence_required": False},
    {"name": "家长满意度", "category": "satisfaction", "unit": "%", "comparator": ">=", "target": 90, "weight": 10,
     "standard_source": "history", "evidence_required": True},
]
ROADS = [
    {"name": "工程完工率", "category": "quantity", "comparator": ">=", "target": 100, "weight": 20},
    {"name": "单位造价", "category": "cost", "comparator": "<=", "target": 200, "weight": 20},
    {"name": "工期", "category": "timeliness", "comparator": "range", "target": "10..12", "weight": 10},
    {"name": "群众出行改善", "category": "social", "comparator": "qualitative", "target": "明显改善", "weight": 30},
    {"name": "绿化面积", "category": "ecological", "comparator": ">=", "target": 50, "weight": 10},
]


def school_results(built: float, passed: float, pupils: float, satisfied: float) -> list[dict[str, Any]]:
    return [{"name": "新建校舍", "actual": built}, {"name": "验收合格率", "actual": passed},
            {"name": "受益学生", "actual": pupils}, {"name": "家长满意度", "actual": satisfied}]


def self_evaluation(executed: float, results: list[dict[str, Any]]) -> dict[str, Any]:
    return {"executed_amount": executed, "indicator_results": results, "summary": "项目按计划实施，详见自评报告。",
            "satisfaction_survey": {"method": "问卷", "respondents": 400, "rate": 85}, "evidence": ["附件1 验收报告"]}


def project_id(want_spot_check: bool, start: int = 0) -> str:
    """A project id the hash-based draw (rule evaluation.spot_check_share, 20 %) does or does not pick."""
    for i in range(start, start + 1000):
        pid = f"{FY}-dept-a-{i:03d}"
        if spot_check_selected(pid, 20) is want_spot_check:
            return pid
    raise AssertionError("no such id")


def start(cycle: Any, pid: str, indicators: list[dict[str, Any]]) -> str:
    with db.read(cycle.rt.engine) as conn:
        row = projects_records.get(conn, pid)
    data = {**projects_records.cycle_variables(row), "indicators": indicators}
    iid = cycle.rt.workflows.start("evaluation", data, business_key=pid, department_id=row.department_id,
                                   now=clock.now())["id"]
    cycle.work()
    return str(iid)


def evaluation_row(cycle: Any, pid: str, kind: str) -> Any:
    [row] = cycle.rows("evaluations", project_id=pid, kind=kind)
    return row


# execution 900,000 / 1,000,000 → 9; 新建校舍 8/10 → 30 × 0.8 = 24; 合格率 met → 20; 受益学生 met → 30;
# 满意度 85/90 → 10 × 0.9444 = 9.4444; 9 + 24 + 20 + 30 + 9.4444 = 92.44 → 优
EXCELLENT = (900_000, school_results(8, 98, 5000, 85), 92.44, "优")
# execution 8; 新建校舍 6/10 → 18; 合格率 76/95 → 16; 受益学生 4000/5000 → 24; 满意度 72/90 → 8; total 74 → 中
MEDIUM = (800_000, school_results(6, 76, 4000, 72), 74.0, "中")
# execution 5; 新建校舍 4/10 → 12; 合格率 57/95 → 12; 受益学生 2500/5000 → 15; 满意度 45/90 → 5; total 49 → 差
POOR = (500_000, school_results(4, 57, 2500, 45), 49.0, "差")


@pytest.mark.parametrize("executed, results, score, grade", [EXCELLENT, MEDIUM, POOR], ids=["优", "中", "差"])
def test_self_evaluation_score_and_grade_settle_the_stage(cycle, executed, results, score, grade):
    pid = cycle.project(project_id(want_spot_check=False), amount=1_000_000, fiscal_year=FY)
    iid = start(cycle, pid, SCHOOL)
    task = cycle.task(iid, "self_evaluation", user="staff_a")
    assert task["candidate_groups"] == ["department_staff"] and task["form_key"] == "self_evaluation"
    # 20 working days (rule evaluation.self_working_days) from Monday 2 March 2015: Monday 30 March, end of day
    assert datetime.fromisoformat(task["due_at"]) == datetime.fromisoformat("2015-03-30T23:59:59+08:00")
    assert cycle.tasks(iid, user="staff_b") == []  # another department's staff does not see it

    cycle.complete(iid, "self_evaluation", self_evaluation(executed, results), user="staff_a")

    inst = cycle.instance(iid)
    assert inst["status"] == "completed"
    data = inst["data"]
    assert (data["final_score"], data["final_grade"], data["key_evaluated"]) == (score, grade, False)
    row = evaluation_row(cycle, pid, "self")
    assert (float(row.score), row.grade, float(row.evaluated_amount)) == (score, grade, 1_000_000)
    assert json.loads(row.detail)["summary"] == "项目按计划实施，详见自评报告。"
    assert cycle.rows("projects", id=pid)[0].status == "evaluated"


def test_qualitative_range_and_at_most_indicators_without_satisfaction_grade_good(cycle):
    # no satisfaction indicator: its 10 points go to outputs and effects 50:30 → 56.25 and 33.75 (rule
    # evaluation.empty_group_points = redistribute); execution 1,300,000 / 1,200,000 capped at 100 % → 10;
    # outputs: 22.5 × 0.9 + 22.5 × 200/250 + 11.25 × 12/15 = 20.25 + 18 + 9 = 47.25;
    # effects: 25.3125 × 70 % (partly) + 8.4375 × 40/50 = 17.71875 + 6.75 = 24.46875; total 81.72 → 良
    pid = cycle.project(project_id(want_spot_check=False), amount=1_200_000, fiscal_year=FY)
    iid = start(cycle, pid, ROADS)
    results = [{"name": "工程完工率", "actual": 90}, {"name": "单位造价", "actual": 250}, {"name": "工期", "actual": 15},
               {"name": "群众出行改善", "band": "partly", "percent": 70}, {"name": "绿化面积", "actual": 40}]
    over = {**self_evaluation(1_300_000, results), "deviation_reasons": "追加预算 100,000 元已批复"}  # above the budget: explained
    cycle.complete(iid, "self_evaluation", over, user="staff_a")
    data = cycle.instance(iid)["data"]
    assert (data["final_score"], data["final_grade"], data["execution_rate"]) == (81.72, "良", 108.3333)
    parts = json.loads(evaluation_row(cycle, pid, "self").detail)["parts"]
    assert parts["satisfaction"]["points"] == 0 and parts["outputs"]["points"] == 56.25


def test_the_stage_waits_for_the_end_of_the_fiscal_year(cycle):
    pid = cycle.project("2015-dept-a-900", amount=1_000_000, fiscal_year=2015)
    iid = start(cycle, pid, SCHOOL)
    assert cycle.tasks(iid) == []  # 2 March 2015: year 2015 is still running
    cycle.advance(days=305)  # 1 January 2016, 09:00 in Wuhan
    assert [t["bpmn_id"] for t in cycle.tasks(iid)] == ["self_evaluation"]


def test_an_incomplete_self_evaluation_goes_back_to_the_department(cycle):
    pid = cycle.project(project_id(want_spot_check=False), amount=1_000_000, fiscal_year=FY)
    iid = start(cycle, pid, SCHOOL)
    cycle.complete(iid, "self_evaluation", self_evaluation(900_000, school_results(8, 98, 5000, 85)[:3]),
                   user="staff_a")
    task = cycle.task(iid, "self_evaluation", user="staff_a")  # back again, with the reason
    task = cycle.as_user("staff_a").get(f"/api/tasks/{task['id']}").get_json()
    assert task["data"]["self_evaluation_errors"] == [{"field": "indicator_results", "message": "no result for 家长满意度"}]
    assert cycle.rows("evaluations", project_id=pid) == []
    cycle.complete(iid, "self_evaluation", self_evaluation(*EXCELLENT[:2]), user="staff_a")
    assert cycle.instance(iid)["data"]["final_grade"] == "优"


@pytest.mark.parametrize("results, field", [
    ([{"name": "新建校舍", "actual": 8, "band": "partly", "percent": 120}], "indicator_results/0/percent"),
    ([{"name": "新建校舍", "actual": "八"}], "indicator_results/0/actual"),
])
def test_the_form_is_checked_on_the_server(cycle, results, field):
    pid = cycle.project(project_id(want_spot_check=False), amount=1_000_000, fiscal_year=FY)
    iid = start(cycle, pid, SCHOOL)
    body = cycle.complete(iid, "self_evaluation", self_evaluation(900_000, results), user="staff_a", expect=422)
    assert field in [e["field"] for e in body["errors"]]


def test_a_major_education_project_gets_a_key_evaluation_by_an_agency(cycle):
    # 6,000,000 ≥ the major threshold and education is a focus sector (rule evaluation.key_focus_sectors)
    pid = cycle.project(f"{FY}-dept-a-key", amount=6_000_000, fiscal_year=FY)
    iid = start(cycle, pid, SCHOOL)
    cycle.complete(iid, "self_evaluation", self_evaluation(5_400_000, school_results(8, 98, 5000, 85)),
                   user="staff_a")  # self-evaluation 92.44 优, as in EXCELLENT (execution 90 %)
    [engagement] = cycle.rows("agency_engagements", project_id=pid)
    report = cycle.task(iid, "key_report", user="agency")
    assert report["candidate_users"] == ["agency"]
    resp = cycle.as_user("staff_a").post(f"/api/tasks/{report['id']}/complete", json={"data": {}})
    assert resp.status_code == 403  # the department sees the task but only the agency may submit the report
    # 决策 20 × 80 % = 16; 过程 20 × 100 % = 20; 产出 30 × (60×90 + 40×80)/100 % = 25.8; 效益 30 × 75 % = 22.5
    # total 84.3 → 良: the key evaluation's grade replaces the department's 优
    framework = {
        "decision": [{"name": "立项依据", "weight": 10, "score": 90}, {"name": "目标设定", "weight": 10, "score": 70}],
        "process": [{"name": "资金管理", "weight": 1, "score": 100}],
        "output": [{"name": "数量", "weight": 60, "score": 90}, {"name": "质量", "weight": 40, "score": 80}],
        "effect": [{"name": "社会效益", "weight": 1, "score": 75}],
    }
    cycle.complete(iid, "key_report", {"framework": framework, "findings": "资金拨付滞后", "report_refs": ["报告.pdf"]},
                   user="agency")
    key = evaluation_row(cycle, pid, "key")
    assert (float(key.score), key.grade, key.agency_id) == (84.3, "良", engagement.agency_id)

    rating = cycle.task(iid, "rate_agency", user="reviewer")
    assert rating["candidate_groups"] == ["finance_reviewer"]
    # agency.rating_weights 50/25/25: 0.5 × 90 + 0.25 × 80 + 0.25 × 100 = 90
    cycle.complete(iid, "rate_agency", {"agency_rating": {"quality": 90, "timeliness": 80, "compliance": 100}},
                   user="reviewer")
    [engagement] = cycle.rows("agency_engagements", project_id=pid)
    assert float(engagement.rating) == 90 and engagement.rated_at is not None

    data = cycle.instance(iid)["data"]
    assert (data["final_score"], data["final_grade"], data["key_evaluated"]) == (84.3, "良", True)
    assert data["self_grade"] == "优" and float(evaluation_row(cycle, pid, "self").score) == 92.44
    assert cycle.rows("evaluations", project_id=pid, kind="spot_check") == []
    assert cycle.rows("projects", id=pid)[0].status == "evaluated"


def test_a_spot_checked_self_evaluation_can_be_adjusted_with_a_reason(cycle):
    pid = cycle.project(project_id(want_spot_check=True), amount=1_000_000, fiscal_year=FY)
    iid = start(cycle, pid, SCHOOL)
    cycle.complete(iid, "self_evaluation", self_evaluation(*EXCELLENT[:2]), user="staff_a")
    assert cycle.task(iid, "spot_check", user="reviewer")["candidate_groups"] == ["finance_reviewer"]
    body = cycle.complete(iid, "spot_check", {"spot_check_decision": "adjust", "adjusted_score": 150,
                                              "adjust_reason": "x"}, user="reviewer", expect=422)
    assert [e["field"] for e in body["errors"]] == ["adjusted_score"]
    body = cycle.complete(iid, "spot_check", {"spot_check_decision": "adjust", "adjusted_score": 85},
                          user="reviewer", expect=422)
    assert "adjust_reason" in body["errors"][0]["message"]

    cycle.complete(iid, "spot_check", {"spot_check_decision": "adjust", "adjusted_score": 85,
                                       "adjust_reason": "满意度调查样本不足，佐证材料缺失"}, user="reviewer")
    data = cycle.instance(iid)["data"]
    assert (data["final_score"], data["final_grade"], data["key_evaluated"]) == (85.0, "良", False)
    checked = evaluation_row(cycle, pid, "spot_check")
    assert (float(checked.score), checked.grade, checked.evaluated_amount) == (85, "良", None)
    assert json.loads(checked.detail)["reason"] == "满意度调查样本不足，佐证材料缺失"
    assert evaluation_row(cycle, pid, "self").grade == "优"  # the department's own record stays as submitted


def test_a_spot_check_that_agrees_keeps_the_self_evaluation_result(cycle):
    pid = cycle.project(project_id(want_spot_check=True), amount=1_000_000, fiscal_year=FY)
    iid = start(cycle, pid, SCHOOL)
    cycle.complete(iid, "self_evaluation", self_evaluation(*MEDIUM[:2]), user="staff_a")
    cycle.complete(iid, "spot_check", {"spot_check_decision": "agree"}, user="reviewer")
    data = cycle.instance(iid)["data"]
    assert (data["final_score"], data["final_grade"]) == (74.0, "中")
    assert evaluation_row(cycle, pid, "spot_check").grade == "中"


def test_a_repeated_scoring_job_leaves_one_record(cycle):
    # jobs are at-least-once: the handler may run again after its write but before the engine took its result
    from workers.handlers import TaskContext
    from workers.tasks.evaluation import score_self_evaluation

    pid = cycle.project(project_id(want_spot_check=False), amount=1_000_000, fiscal_year=FY)
    with db.read(cycle.rt.engine) as conn:
        variables = {**projects_records.cycle_variables(projects_records.get(conn, pid)), "indicators": SCHOOL,
                     **self_evaluation(*EXCELLENT[:2])}
    ctx = TaskContext(cycle.rt.engine, cycle.rt.settings, clock.now(), None, None, "evaluation.self_score",
                      "dept-a", pid)
    outputs = [score_self_evaluation(ctx, dict(variables)) for _ in range(2)]
    assert outputs[0] == outputs[1] and outputs[0]["self_score"] == 92.44
    assert [(float(r.score), r.grade) for r in cycle.rows("evaluations", project_id=pid)] == [(92.44, "优")]


def _at_rating(cycle: Any) -> str:
    """A key evaluation whose agency reported on Monday 2 March 2015: the bureau's rating is due on 16 March."""
    pid = cycle.project(f"{FY}-dept-a-key", amount=6_000_000, fiscal_year=FY)
    iid = start(cycle, pid, SCHOOL)
    cycle.complete(iid, "self_evaluation", self_evaluation(5_400_000, school_results(8, 98, 5000, 85)), user="staff_a")
    framework = {part: [{"name": part, "weight": 1, "score": 80}] for part in ("decision", "process", "output", "effect")}
    cycle.complete(iid, "key_report", {"framework": framework, "findings": "无", "report_refs": ["报告.pdf"]},
                   user="agency")
    return iid


def _at_spot_check(cycle: Any) -> str:
    """A self-evaluation the draw spot-checks, submitted on Monday 2 March 2015: the check is due on 16 March."""
    pid = cycle.project(project_id(want_spot_check=True), amount=1_000_000, fiscal_year=FY)
    iid = start(cycle, pid, SCHOOL)
    cycle.complete(iid, "self_evaluation", self_evaluation(*MEDIUM[:2]), user="staff_a")
    return iid


@pytest.mark.parametrize("task, name, reach, done", [
    ("rate_agency", "rating", _at_rating, {"agency_rating": {"quality": 90, "timeliness": 80, "compliance": 100}}),
    ("spot_check", "spot_check", _at_spot_check, {"spot_check_decision": "agree"}),
])
@pytest.mark.parametrize("decision", ["extend_deadline", "order_rectification", "open_accountability"])
def test_a_slipped_quality_check_climbs_to_the_leadership_whose_decision_reissues_it(cycle, task, name, reach, done,
                                                                                      decision):
    iid = reach(cycle)
    esc = stages.slip(cycle, iid, task, name)  # from 20 March, after 3 working days of grace
    stages.refused(cycle, iid, esc, "dismiss")
    handed = stages.climb(cycle, iid, name, esc)  # 27 March: the supervisors let 5 working days pass
    stages.decide(cycle, handed, decision, user="leader")
    # An order (or a case) gives 10 working days from Friday 27 March, over Qingming (Monday 6 April): 13 April.
    stages.reissued(cycle, iid, task, name, decision, date(2015, 3, 27), date(2015, 4, 13))
    cycle.complete(iid, task, done, user="reviewer")
    assert cycle.rows("projects", id=cycle.instance(iid)["business_key"])[0].status == "evaluated"
    stages.verified(cycle)


def test_a_case_opened_on_a_late_self_evaluation_runs_beside_it_and_leaves_the_result_alone(cycle):
    pid = cycle.project(project_id(want_spot_check=False), amount=1_000_000, fiscal_year=FY)
    iid = start(cycle, pid, SCHOOL)  # Monday 2 March 2015: 20 working days, due 30 March
    esc = stages.slip(cycle, iid, "self_evaluation", "self_evaluation")
    stages.decide(cycle, esc, "open_accountability")  # Friday 3 April: ordered within 10 working days
    stages.reissued(cycle, iid, "self_evaluation", "self_evaluation", "open_accountability", date(2015, 4, 3),
                    date(2015, 4, 20))
    cycle.complete(iid, "self_evaluation", self_evaluation(*MEDIUM[:2]), user="staff_a")
    assert stages.ready(cycle, iid) == ["handle_accountability"]  # the stage ends with its case
    cycle.complete(iid, "handle_accountability", {"responsible_party": "市教育局", "sanction": "notice",
                                                  "accountability_outcome": "通报批评"}, user="supervisor")
    inst = cycle.instance(iid)
    assert inst["status"] == "completed"
    assert (inst["data"]["final_score"], inst["data"]["final_grade"]) == (74.0, "中")  # not the case's fork-time data
    stages.verified(cycle)


def test_a_case_opened_on_a_late_agency_report_reissues_the_report(cycle):
    pid = cycle.project(f"{FY}-dept-a-key", amount=6_000_000, fiscal_year=FY)
    iid = start(cycle, pid, SCHOOL)
    cycle.complete(iid, "self_evaluation", self_evaluation(5_400_000, school_results(8, 98, 5000, 85)), user="staff_a")
    esc = stages.slip(cycle, iid, "key_report", "key_report")  # 40 working days from 2 March: due 28 April
    stages.decide(cycle, esc, "open_accountability")  # Tuesday 5 May, after 3 working days of grace over 1 May
    again = stages.reissued(cycle, iid, "key_report", "key_report", "open_accountability", date(2015, 5, 5),
                            date(2015, 5, 19), user="agency")
    assert again["candidate_users"] == ["agency"]
    stages.verified(cycle)
