"""The dashboard's queries and pages: warnings by department (latest report per project), grades by sector,
coverage for the bureau, drill-down to projects, accountability cases — each scoped to what the user may see."""

from __future__ import annotations

import html
from datetime import date
from decimal import Decimal
from urllib.parse import quote

import pytest
from sqlalchemy import insert, update

from service import clock, db
from service.errors import NotFound
from service.models import AccountabilityCase, Evaluation, MonitoringReport
from service.queries import dashboard_queries
from tests.conftest import principal
from tests.service.web.browser_fixtures import signed_in
from tests.workflows.test_goal_review import GOAL, REVIEW


def _report(conn, project_id: str, checkpoint: date, level: str) -> None:
    conn.execute(insert(MonitoringReport).values(
        project_id=project_id, checkpoint=checkpoint, due_on=None, executed_amount=Decimal("1000"),
        execution_rate=Decimal("40"), time_progress=Decimal("50"), goal_progress=Decimal("45"), can_meet="possible",
        warning_level=level, detail="{}", reported_at=clock.to_db(clock.now())))


def _evaluation(conn, project_id: str, kind: str, grade: str) -> None:
    conn.execute(insert(Evaluation).values(project_id=project_id, kind=kind, score=Decimal("85"), grade=grade,
                                           evaluated_amount=None, agency_id=None, detail="{}",
                                           completed_at=clock.to_db(clock.now())))


@pytest.fixture
def records(cycle):
    a1 = cycle.project("2015-dept-a-001")
    a2 = cycle.project("2015-dept-a-002", name="学生资助")
    b1 = cycle.project("2015-dept-b-001", department_id="dept-b", sector="health", name="基层医疗设备")
    with db.write(cycle.rt.engine) as conn:
        _report(conn, a1, date(2015, 4, 30), "green")
        _report(conn, a1, date(2015, 7, 31), "red")  # the latest report is the project's warning now
        _report(conn, a2, date(2015, 7, 31), "yellow")
        _report(conn, b1, date(2015, 7, 31), "green")
        _evaluation(conn, a1, "self", "良")
        _evaluation(conn, a1, "key", "中")
        _evaluation(conn, b1, "self", "优")
        conn.execute(insert(AccountabilityCase).values(
            key="case-1", project_id=b1, department_id="dept-b", reason="rectification_overdue", status="open",
            outcome=None, opened_at=clock.to_db(clock.now())))
    return a1, a2, b1


def test_warnings_and_grades_are_counted_per_department_and_sector(cycle, records):
    engine = cycle.rt.engine
    with db.read(engine) as conn:
        warnings = dashboard_queries.warnings_by_department(conn, principal("supervisor"), 2015, "municipal")
    assert [(r["department_id"], r["red"], r["yellow"], r["green"]) for r in warnings] == [
        ("dept-a", 1, 1, 0), ("dept-b", 0, 0, 1)]
    with db.read(engine) as conn:
        assert [r["department_id"] for r in dashboard_queries.warnings_by_department(conn, principal("staff_b"), 2015, "municipal")] \
            == ["dept-b"]
    with db.read(engine) as conn:
        assert dashboard_queries.warnings_by_department(conn, principal("expert"), 2015, "municipal") == []
    with db.read(engine) as conn:
        grades = {r["sector"]: r for r in dashboard_queries.grades_by_sector(conn, principal("auditor"), 2015, "municipal")}
    assert (grades["education"]["良"], grades["education"]["中"], grades["health"]["优"]) == (1, 1, 1)
    with db.read(engine) as conn:
        key_only = dashboard_queries.grades_by_sector(conn, principal("auditor"), 2015, "municipal", "key")
    assert [(r["sector"], r["中"]) for r in key_only] == [("education", 1)]
    with db.read(engine) as conn:
        assert dashboard_queries.grades_by_sector(conn, principal("auditor"), 2016, "municipal") == []


def test_grades_are_filtered_by_what_was_evaluated(app, cycle, records):
    _a1, _a2, b1 = records
    engine = cycle.rt.engine
    with db.write(engine) as conn:  # b1's self-evaluation was of a transfer to a district
        conn.execute(update(Evaluation).where(Evaluation.project_id == b1).values(
            evaluation_kind="transfer", evaluated_subject="江岸区"))
    with db.read(engine) as conn:
        transfers = dashboard_queries.grades_by_sector(conn, principal("auditor"), 2015, "municipal", subject="transfer")
    assert [(r["sector"], r["优"]) for r in transfers] == [("health", 1)]
    # records written before kinds (no kind) are projects: a1's self 良 and key 中
    with db.read(engine) as conn:
        own = dashboard_queries.grades_by_sector(conn, principal("auditor"), 2015, "municipal", subject="project")
    assert [(r["sector"], r["良"], r["中"]) for r in own] == [("education", 1, 1)]
    with db.read(engine) as conn:
        assert dashboard_queries.grades_by_sector(conn, principal("auditor"), 2015, "municipal", subject="enterprise") == []
    page = signed_in(app, "auditor").get("/dashboard?year=2015&level=municipal&subject=transfer").get_data(
        as_text=True)
    assert '<option value="transfer" selected>转移支付（上级对下级）</option>' in page
    assert "sector=health" in page and "sector=education" not in page  # the grades table: health only


def test_projects_drill_down_and_scope(cycle, records):
    a1, a2, b1 = records
    engine, supervisor = cycle.rt.engine, principal("supervisor")
    with db.read(engine) as conn:
        red = dashboard_queries.list_projects(conn, supervisor, page=1, per_page=20, warning="red")
    assert [p["id"] for p in red["items"]] == [a1]
    with db.read(engine) as conn:
        graded = dashboard_queries.list_projects(conn, supervisor, page=1, per_page=20, sector="education", grade="中")
    assert [p["id"] for p in graded["items"]] == [a1]
    with db.read(engine) as conn:
        assert dashboard_queries.list_projects(conn, principal("staff_b"), page=1, per_page=20)["total"] == 1
    with db.read(engine) as conn:
        assert dashboard_queries.project(conn, principal("staff_a"), a1)["project"]["name"] == "义务教育学校标准化建设"
    with pytest.raises(NotFound), db.read(engine) as conn:
        dashboard_queries.project(conn, principal("staff_b"), a1)
    with db.read(engine) as conn:
        cases = dashboard_queries.accountability_cases(conn, supervisor, page=1, per_page=20, status="open")
    assert [c["reason"] for c in cases["items"]] == ["rectification_overdue"]
    with db.read(engine) as conn:
        assert dashboard_queries.accountability_cases(conn, principal("staff_a"), page=1, per_page=20)["total"] == 0


def test_dashboard_and_project_pages(app, cycle, records):
    a1, _a2, b1 = records
    reviewer = signed_in(app, "reviewer")
    page = html.unescape(reviewer.get("/dashboard?year=2015&level=municipal").get_data(as_text=True))
    assert "纳入绩效目标管理的项目资金占比" in page  # the coverage report, for the bureau
    assert "市教育局" in page and "/projects?year=2015&level=municipal&department_id=dept-a&warning=red" in page
    assert f"/projects?year=2015&level=municipal&sector=education&grade={quote('中')}" in page
    staff = signed_in(app, "staff_b")
    page = html.unescape(staff.get("/dashboard?year=2015").get_data(as_text=True))
    assert "纳入绩效目标管理的项目资金占比" not in page and "市教育局" not in page and "基层医疗设备" not in page
    assert staff.get(f"/projects/{a1}").status_code == 404
    listing = html.unescape(reviewer.get("/projects?warning=red").get_data(as_text=True))
    assert "义务教育学校标准化建设" in listing and "学生资助" not in listing
    cases = html.unescape(signed_in(app, "supervisor").get("/escalations").get_data(as_text=True))
    assert "整改逾期" in cases and "基层医疗设备" in cases


def test_project_page_shows_the_approved_goal(app, cycle, records):
    a1 = records[0]
    iid = cycle.start(a1, process_id="goal_review")
    cycle.complete(iid, "declare_goal", GOAL, user="staff_a")
    cycle.complete(iid, "submit_goal", {"head_approved": True}, user="head_a")
    cycle.complete(iid, "finance_review", {**REVIEW, "review_outcome": "优"}, user="reviewer")
    page = html.unescape(signed_in(app, "staff_a").get(f"/projects/{a1}").get_data(as_text=True))
    assert GOAL["goal_summary"] in page and "标准化改造学校数" in page and "85..100" in page
    assert "红色" in page and "重点评价" in page


def test_the_dashboard_counts_overdue_tasks_by_stage_and_open_escalations_by_department(app, cycle):
    from datetime import timedelta

    from tests.service.queries.scenarios import overdue_rectification
    from tests.service.web.test_escalation_detail import _raw_keys, _visible
    from tests.workflows.stages import start_stage

    overdue_rectification(cycle)
    late = cycle.project("2015-dept-b-002", department_id="dept-b", sector="health", name="社区卫生服务")
    start_stage(cycle, late, "rectification", final_grade="中", final_score=70)
    clock.advance(timedelta(days=25))  # the reviewer's feedback (20 days, rule) is past due

    supervisor = signed_in(app, "supervisor")
    page = _visible(supervisor, "/dashboard")
    assert "逾期任务（按流程环节） 流程 任务 逾期任务数 最早截止 结果反馈与整改 反馈评价结果 1" in page
    assert "待处理督办（按部门） 部门 督办人员处理中 局领导处理中 合计 市教育局 1 0 1" in page
    assert _raw_keys(page) == []
    english = _visible(supervisor, "/dashboard?lang=en")
    assert "Overdue by stage" in english and "Open escalations by department" in english
    assert "With supervisors" in english and _raw_keys(english) == []
    markup = supervisor.get("/dashboard?lang=zh").get_data(as_text=True)
    assert 'href="/escalations?department_id=dept-a&amp;level=supervisor"' in markup  # drill down to the queue
    other = _visible(signed_in(app, "staff_b"), "/dashboard")  # dept-b: its own overdue task, no escalation
    assert "反馈评价结果" in other and "没有待处理的督办。" in other and "市教育局" not in other
