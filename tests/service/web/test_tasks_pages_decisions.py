"""Every decision page shows what is decided, laid out for reading: the goal and its indicators for the head, the
bureau and the experts, the self-evaluation with its computed score for a spot check, the agency's report for its
rating, the rectification report for its verification, the grade history for a budget decision, and the slip, the
figures and the timeline for a supervisor — labels from the forms' titles, never raw keys or JSON."""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

from service import clock
from tests.service.web.browser_fixtures import signed_in
from tests.workflows import test_evaluation as evaluation
from tests.workflows.stages import FEEDBACK, GOAL, PLAN, REVIEW, start_stage

# Keys of the forms a decision page reads from: none may show on the page as text.
RAW_KEYS = ("goal_summary", "indicators", "standard_source", "evidence_required", "head_approved", "head_comment",
            "quantity", "satisfaction", "completeness", "review_outcome", "indicator_results", "executed_amount",
            "framework", "findings", "report_refs", "rectification_measures", "feedback_summary", "history")


def _dossier(client: Any, task_id: str, lang: str = "zh") -> str:
    """The visible text of the task page's dossier (what the decision is about), tags stripped."""
    answer = client.get(f"/tasks/{task_id}" + ("?lang=en" if lang == "en" else ""))
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert 'id="dossier"' in page, "the page shows nothing of what is decided"
    part = page.split('id="dossier"', 1)[1].split('id="task-form"', 1)[0].rsplit("<form", 1)[0]
    text = html.unescape(re.sub(r"<[^>]+>", " ", part.split(">", 1)[1]))
    return re.sub(r"\s+", " ", text)


def _no_raw(text: str, lang: str = "zh") -> None:
    assert "{" not in text and "[" not in text, text  # no JSON
    for key in RAW_KEYS if lang == "zh" else [k for k in RAW_KEYS if "_" in k]:  # English words are English
        assert not re.search(rf"\b{key}\b", text), f"raw key {key!r} on the page: {text}"


def _goal_shown(text: str) -> None:
    assert GOAL["goal_summary"] in text
    for indicator in GOAL["indicators"]:
        assert indicator["name"] in text
    # targets with their comparator and unit, categories and sources by the form's titles
    assert re.search(r"标准化改造学校数 产出·数量 所 ≥ 12 40 计划标准 是", text), text
    assert re.search(r"家长满意度 满意度 % ≥ 90 20 历史标准", text), text
    for title in ("总体目标", "指标名称", "指标类别", "计量单位", "比较方式", "目标值", "权重", "标准来源"):
        assert title in text


def _task_id(cycle: Any, iid: str, bpmn_id: str, user: str) -> str:
    return str(cycle.task(iid, bpmn_id, user)["id"])


def test_the_goal_reviews_show_the_goal_and_the_opinions_before_them(app, cycle):
    pid = cycle.project(amount=6_000_000)  # major: experts review after the bureau
    iid = cycle.start(pid, process_id="goal_review")
    cycle.complete(iid, "declare_goal", GOAL, user="staff_a")

    head = signed_in(app, "head_a")
    text = _dossier(head, _task_id(cycle, iid, "submit_goal", "head_a"))
    _goal_shown(text)
    _no_raw(text)
    assert "部门申报的绩效目标" in text and "部门负责人意见" not in text

    cycle.complete(iid, "submit_goal", {"head_approved": True, "head_comment": "同意报送，请财政审核"}, user="head_a")
    reviewer = signed_in(app, "reviewer")
    review_id = _task_id(cycle, iid, "finance_review", "reviewer")
    text = _dossier(reviewer, review_id)
    _goal_shown(text)
    _no_raw(text)
    assert "部门负责人意见 同意报送财政局 是 意见 同意报送，请财政审核" in text
    english = _dossier(reviewer, review_id, "en")
    _no_raw(english, "en")
    assert re.search(r"标准化改造学校数 Output: quantity 所 ≥ 12 40 Plan standard Yes", english), english
    assert "Overall goal" in english and "Approve and submit to the bureau Yes" in english
    assert "标准化改造学校数" in english  # what people typed stays as typed

    cycle.complete(iid, "finance_review", {**REVIEW, "review_outcome": "良", "review_comment": "目标明确"},
                   user="reviewer")
    expert = signed_in(app, "expert")  # a named candidate who cannot open the instance itself
    text = _dossier(expert, _task_id(cycle, iid, "expert_review", "expert"))
    _goal_shown(text)
    _no_raw(text)
    assert "财政审核意见" in text and "完整性 良" in text and "相关性 优" in text and "审核结论 良" in text
    assert "审核意见 目标明确" in text

    # /projects/<id> lays the goal out the same way, from the same form's titles.
    page = html.unescape(reviewer.get(f"/projects/{pid}?lang=zh").get_data(as_text=True))
    goal = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.split('id="goal"', 1)[1].split("</table>", 1)[0]))
    _goal_shown(goal)
    _no_raw(goal.split(">", 1)[1])


def test_a_spot_check_shows_the_report_and_its_computed_score(app, cycle):
    pid = cycle.project(evaluation.project_id(want_spot_check=True), amount=1_000_000, fiscal_year=evaluation.FY)
    iid = evaluation.start(cycle, pid, evaluation.SCHOOL)
    cycle.complete(iid, "self_evaluation", evaluation.self_evaluation(*evaluation.EXCELLENT[:2]), user="staff_a")
    text = _dossier(signed_in(app, "reviewer"), _task_id(cycle, iid, "spot_check", "reviewer"))
    _no_raw(text)
    assert "单位自评报告" in text and "项目按计划实施，详见自评报告。" in text
    assert re.search(r"新建校舍 8 ", text) and "附件1 验收报告" in text
    assert "自评计算得分 得分 92.44 等级 优" in text
    assert "预算执行率 90" in text and "产出指标" in text and "效益指标" in text


def test_the_agencys_report_is_shown_for_its_rating(app, cycle):
    pid = cycle.project(f"{evaluation.FY}-dept-a-key", amount=6_000_000, fiscal_year=evaluation.FY)
    iid = evaluation.start(cycle, pid, evaluation.SCHOOL)
    cycle.complete(iid, "self_evaluation", evaluation.self_evaluation(5_400_000, evaluation.school_results(8, 98, 5000, 85)),
                   user="staff_a")
    framework = {"decision": [{"name": "立项依据", "weight": 10, "score": 90}],
                 "process": [{"name": "资金管理", "weight": 1, "score": 100}],
                 "output": [{"name": "数量", "weight": 60, "score": 90}],
                 "effect": [{"name": "社会效益", "weight": 1, "score": 75}]}
    cycle.complete(iid, "key_report", {"framework": framework, "findings": "资金拨付滞后", "report_refs": ["报告.pdf"]},
                   user="agency")
    text = _dossier(signed_in(app, "reviewer"), _task_id(cycle, iid, "rate_agency", "reviewer"))
    _no_raw(text)
    assert "第三方机构评价报告" in text and "资金拨付滞后" in text and "报告.pdf" in text
    assert "立项依据" in text and "社会效益" in text
    assert "重点评价计算得分 得分 87.50 等级 良" in text, text
    assert re.search(r"决策（完成 90(\.0+)?%） 20(\.0+)? 18(\.0+)?", text), text


def test_a_verification_shows_the_rectification_report_and_evidence(app, cycle):
    pid = cycle.project()
    iid = start_stage(cycle, pid, "rectification", final_grade="中", final_score=72.5)
    cycle.complete(iid, "feed_back_results", FEEDBACK, user="reviewer")
    cycle.complete(iid, "submit_rectification", PLAN, user="staff_a")
    text = _dossier(signed_in(app, "supervisor"), _task_id(cycle, iid, "verify_rectification", "supervisor"))
    _no_raw(text)
    assert "评价结果反馈" in text and "满意度调查样本不足" in text
    assert "整改报告及佐证材料" in text and "扩大满意度调查覆盖面，完善绩效台账" in text
    assert "委托第三方开展覆盖全部学校的调查" in text and "满意度调查报告" in text and "教育局〔2015〕12号" in text


def test_a_budget_decision_shows_the_grade_history(app, cycle):
    pid = cycle.project(amount=2_000_000)
    iid = start_stage(cycle, pid, "budget_linkage", final_grade="中", rectification_status="done")
    text = _dossier(signed_in(app, "reviewer"), _task_id(cycle, iid, "confirm_budget", "reviewer"))
    _no_raw(text)
    assert "历年评价等级" in text and "预算安排建议 压减" in text
    assert "原预算（元） 2,000,000.00" in text and "建议金额（元） 1,800,000.00" in text


def test_a_supervisors_task_shows_the_slip_the_figures_and_the_timeline(app, cycle):
    iid = cycle.start(cycle.project(), process_id="goal_review")  # the declaration is due Monday 16 March 2015
    clock.set_now(datetime.fromisoformat("2015-03-20T00:00:00+08:00"))  # past the grace of 3 working days
    cycle.work()
    task_id = _task_id(cycle, iid, "supervise_declaration", "supervisor")
    page = html.unescape(signed_in(app, "supervisor").get(f"/tasks/{task_id}").get_data(as_text=True))
    for part in ('id="task-escalation"', 'id="slip"', 'id="esc-timeline"', 'id="task-form"'):
        assert part in page
    assert page.index('id="slip"') < page.index('id="task-form"')  # read first, then decide
    slip = page.split('id="slip"', 1)[1].split("</section>", 1)[0]
    assert "编报绩效目标" in slip and "2015-03-16" in slip and "个工作日" in slip


def test_the_inbox_opens_on_what_i_can_act_on_now_with_counts_per_tab(app, cycle):
    late = cycle.start(cycle.project("2015-dept-a-001"), process_id="goal_review")
    clock.set_now(datetime.fromisoformat("2015-03-20T00:00:00+08:00"))  # escalated: a supervisor's task now
    cycle.work()
    open_one = cycle.start(cycle.project("2015-dept-a-002"), process_id="goal_review")
    claimed = cycle.start(cycle.project("2015-dept-a-003"), process_id="goal_review")
    staff = signed_in(app, "staff_a")
    claimed_id = _task_id(cycle, claimed, "declare_goal", "staff_a")
    staff.get(f"/tasks/{claimed_id}")
    assert staff.submit(f"/tasks/{claimed_id}/claim").status_code == 302
    supervised = _task_id(cycle, late, "supervise_declaration", "supervisor")

    page = html.unescape(staff.get("/inbox").get_data(as_text=True))
    rows = re.findall(r'<tr data-task="([^"]+)"', page)
    assert rows == [claimed_id, _task_id(cycle, open_one, "declare_goal", "staff_a")]  # mine first, then claimable
    assert supervised not in rows  # visible to the department, but the supervisors act on it
    tabs = dict(re.findall(r'data-scope="(\w+)"[^>]*>[^<]*<span class="count">(\d+)</span>', page))
    assert tabs == {"actionable": "2", "mine": "1", "candidate": "1", "department": "3", "all": "3"}
    assert 'data-scope="actionable" aria-current="page"' in page and "我可办理" in page
    assert "绩效目标编报与审核 <a" in page and "goal_review <a" not in page  # the process by its name
    assert supervised in staff.get("/inbox?scope=all").get_data(as_text=True)  # the other tabs stay
    reviewer = html.unescape(signed_in(app, "reviewer").get("/inbox").get_data(as_text=True))
    assert 'id="inbox-empty"' in reviewer  # nothing of the departments' or supervisors' work to act on
    auditor = html.unescape(signed_in(app, "auditor").get("/inbox").get_data(as_text=True))
    assert 'data-scope="all" aria-current="page"' in auditor and supervised in auditor  # reads, acts on nothing


def test_a_red_warnings_decision_shows_the_monitoring_figures(app, cycle):
    from tests.service.queries.scenarios import serious_deviation
    from tests.service.web.test_escalation_detail import _raw_keys, _visible

    esc = serious_deviation(cycle)
    supervisor = signed_in(app, "supervisor")
    page = _visible(supervisor, f"/tasks/{esc['task_id']}")
    assert "偏差处理决定" in page and "预算执行率" in page and "时间进度" in page
    assert "预警等级 红色" in page and "征地拆迁滞后" in page and "事件时间线" in page
    assert _raw_keys(page) == []


def test_the_grade_history_lists_this_and_earlier_years_of_a_continuing_project(app, cycle):
    from service import db
    from service.cycle import evaluations

    earlier = cycle.project("2014-dept-a-001", fiscal_year=2014)  # the same project a year before
    pid = cycle.project(amount=2_000_000)
    other = cycle.project("2015-dept-a-002", name="农村公路建设")
    with db.write(cycle.rt.engine) as conn:
        for project, kind, score, grade in ((earlier, "self", 91, "优"), (earlier, "spot_check", 86, "良"),
                                            (pid, "self", 72.5, "中"), (other, "self", 40, "差")):
            evaluations.record(conn, clock.now(), project_id=project, kind=kind, score=score, grade=grade, detail={})
    iid = start_stage(cycle, pid, "budget_linkage", final_grade="中", rectification_status="done")
    text = _dossier(signed_in(app, "reviewer"), _task_id(cycle, iid, "confirm_budget", "reviewer"))
    _no_raw(text)
    rows = text.split("评价完成时间", 1)[1]
    assert re.search(r"2014 自评 91\.00 优 .* 2014 抽查复核 86\.00 良 .* 2015 自评 72\.50 中", rows), rows
    assert "40.00" not in rows  # another project of the department is not this one's history
