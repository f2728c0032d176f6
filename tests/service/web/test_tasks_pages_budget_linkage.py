"""The pages of the budget linkage on the right year and of the in-year adjustment: the 2016 goal reviews show the
2014 predecessor's grade and the decision it made for 2016; the project page lists an in-year adjustment and the
dashboard sums the year's adjustments (hand-computed)."""

from __future__ import annotations

import html
import re
from decimal import Decimal

from service import clock, db
from service.cycle import adjustments_records, evaluations
from tests.service.web.browser_fixtures import signed_in
from tests.service.web.test_tasks_pages_decisions import _dossier, _no_raw, _task_id
from tests.workflows.stages import GOAL, start_stage


def _continued(cycle):
    earlier = cycle.project("2014-dept-a-001", fiscal_year=2014, amount=2_000_000, name="校舍安全工程")
    with db.write(cycle.rt.engine) as conn:
        evaluations.record(conn, clock.now(), project_id=earlier, kind="self", score=72.5, grade="中", detail={})
    iid = start_stage(cycle, earlier, "budget_linkage", final_grade="中", rectification_status="done")
    cycle.complete(iid, "confirm_budget", {"budget_confirmation": "adjust", "confirmed_amount": 1_700_000,
                                           "adjustment_reason": "统筹压减一般性支出"}, user="reviewer")
    return cycle.project("2016-dept-a-001", fiscal_year=2016, name="校舍安全工程（二期）", predecessor_id=earlier)


def test_the_goal_reviews_of_n_plus_2_show_the_predecessors_grade_and_decision(app, cycle):
    later = _continued(cycle)
    iid = cycle.start(later, process_id="goal_review")
    cycle.complete(iid, "declare_goal", GOAL, user="staff_a")
    head = _dossier(signed_in(app, "head_a"), _task_id(cycle, iid, "submit_goal", "head_a"))
    cycle.complete(iid, "submit_goal", {"head_approved": True}, user="head_a")
    bureau = _dossier(signed_in(app, "reviewer"), _task_id(cycle, iid, "finance_review", "reviewer"))
    for text in (head, bureau):
        _no_raw(text)
        assert "历年评价等级" in text and "延续的以往年度项目 2014 校舍安全工程" in text
        assert re.search(r"2014 自评 72\.50 中", text), text
        # the 2014 grade decided the 2016 budget: 2,000,000 cut 10 % → 1,800,000, confirmed at 1,700,000
        assert "以往评价结果的预算挂钩决定" in text
        assert re.search(r"2014 2016 中 压减 1,800,000\.00 1,700,000\.00", text), text
    english = _dossier(signed_in(app, "reviewer"), _task_id(cycle, iid, "finance_review", "reviewer"), lang="en")
    assert "Budget decisions on earlier grades" in english and "Earlier years of this project" in english


def test_the_project_page_lists_the_adjustment_and_the_dashboard_sums_the_year(app, cycle):
    first, second = cycle.project("2015-dept-a-001"), cycle.project("2015-dept-a-002", name="校舍安全工程")
    with db.write(cycle.rt.engine) as conn:
        for key, pid, handling, amount in (("a", first, "adjust", "300000.00"), ("b", second, "stop", "950000.00")):
            adjustments_records.record(conn, clock.now(), key=key, project_id=pid, fiscal_year=2015, handling=handling,
                               amount=Decimal(amount), toward="汛期学校危房应急加固", reason="征地拆迁滞后",
                               decided_by="supervisor", instance_id=None)
    reviewer = signed_in(app, "reviewer")
    page = html.unescape(reviewer.get(f"/projects/{first}").get_data(as_text=True))
    table = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.split('id="budget-adjustments"', 1)[1]))
    assert "分类处理意见" in table and re.search(r"2015 调减预算后继续执行 300,000\.00 汛期学校危房应急加固 征地拆迁滞后 "
                                              r"supervisor", table), table
    board = html.unescape(reviewer.get("/dashboard?year=2015&level=municipal").get_data(as_text=True))
    assert "2015 年度内预算调整 2 项，共 1,250,000.00 元用于当年急需安排的项目支出" in board  # 300,000 + 950,000
    assert 'id="adjustments-total"' not in signed_in(app, "staff_a").get("/dashboard?year=2015").get_data(
        as_text=True)  # the bureau's view, as the coverage report
    quiet = html.unescape(reviewer.get("/projects/2015-dept-a-002?lang=en").get_data(as_text=True))
    assert "Stop" in quiet and "In-year budget adjustments" in quiet
