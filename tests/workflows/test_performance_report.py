"""The departments' periodic performance management reports (the plan 二(一)4 “预算部门要定期提交预算绩效管理报告”;
workflows/performance_report.bpmn, workers/calendar_jobs.py `launch_reports`): after the year (rule
report.period_months = 12) the calendar job starts one report per budget department; a department files, its head
approves, the bureau accepts or returns it; a report not filed slips to the supervisors like any other task."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from service import clock, db
from service.errors import NotFound
from service.models import Department
from service.people import directory
from service.people import tokens as token_service
from tests.conftest import password_of
from tests.service.api.test_reports_api import base_departments  # noqa: F401  (only the session's base departments)
from tests.workflows import ladder, stages
from workers.calendar_jobs import launch_reports

YEAR_END = datetime.fromisoformat("2016-01-04T09:00:00+08:00")  # Monday 4 January 2016
REPORT = {"report_summary": "全年预算绩效管理工作有序推进。", "goal_management": "全部项目编报绩效目标。",
          "monitoring_summary": "按时点报送监控报告，红色预警一项已纠偏。", "evaluation_summary": "完成单位自评 12 项。",
          "results_use": "评价结果与 2016 年预算安排挂钩。", "problems": "部分指标难以量化；2016 年完善指标库。"}


@pytest.fixture
def dept_c(cycle: Any, tokens: dict[str, str], base_departments: None) -> Iterator[str]:  # noqa: F811
    """A third budget department with one person who files and approves (staff and head), for this module."""
    with db.write(cycle.rt.engine) as conn:
        directory.upsert_department(conn, {"id": "dept-c", "name": "市民政局", "sector": "social_security"})
    try:
        with cycle.rt.reading() as conn:
            user = directory.get_user(conn, "staff_c")
    except NotFound:
        with cycle.rt.unit_of_work() as conn:
            user = directory.create_user(conn, "test", username="staff_c", display_name="staff_c",
                                         password=password_of("staff_c"), department_id="dept-c",
                                         roles=["department_staff", "department_head"])
    if "staff_c" not in tokens:
        with cycle.rt.unit_of_work() as conn:
            tokens["staff_c"], _ = token_service.issue(conn, user["id"], clock.now(), timedelta(days=3650))
    try:
        yield "dept-c"
    finally:
        with db.write(cycle.rt.engine) as conn:
            conn.execute(update(Department.__table__).where(Department.__table__.c.id == "dept-c").values(active=False))


def _launch(cycle: Any) -> dict[str, str]:
    clock.set_now(YEAR_END)
    result = launch_reports(cycle.rt, YEAR_END)
    assert (result.periods, result.started, result.failed) == (
        {"municipal": "2015", "district": "2015"}, ["dept-a", "dept-b", "dept-c"], {})
    cycle.work()
    return {r.department_id: str(r.instance_id) for r in cycle.rows("performance_reports")}


def _status(cycle: Any) -> dict[str, tuple[str, date | None]]:
    return {r.department_id: (r.status, r.due_on) for r in cycle.rows("performance_reports")}


def test_three_departments_two_file_and_one_slips_to_the_supervisors(cycle, dept_c):
    instances = _launch(cycle)
    # 20 working days (rule report.filing_working_days) from Monday 4 January 2016: 5–8, 11–15, 18–22, 25–29
    # January are 19, Monday 1 February the 20th
    assert _status(cycle) == {d: ("due", date(2016, 2, 1)) for d in ("dept-a", "dept-b", "dept-c")}
    [row] = cycle.rows("performance_reports", department_id="dept-b")
    assert (row.period_start, row.period_end, row.period_label, row.fiscal_year, row.level) == \
        (date(2015, 1, 1), date(2015, 12, 31), "2015", 2015, "municipal")
    again = launch_reports(cycle.rt, YEAR_END)  # a second worker, or the next day: nothing more
    assert (again.started, again.resumed) == ([], [])

    # dept-b: filed, approved by its head, accepted by the bureau
    b = instances["dept-b"]
    assert [t["bpmn_id"] for t in cycle.tasks(b, "staff_b")] == ["file_perf_report"]
    assert cycle.tasks(b, "staff_c") == []  # another department's report is not in dept-c's inbox
    cycle.complete(b, "file_perf_report", REPORT, user="staff_b")
    assert _status(cycle)["dept-b"][0] == "filed"
    cycle.complete(b, "approve_perf_report", {"head_approved": True}, user="head_b")
    assert _status(cycle)["dept-b"][0] == "submitted"
    cycle.complete(b, "review_perf_report", {"review_decision": "accept", "review_comment": "内容完整"},
                   user="reviewer")
    [row] = cycle.rows("performance_reports", department_id="dept-b")
    assert (row.status, row.decision, row.review_comment) == ("accepted", "accept", "内容完整")
    assert cycle.instance(b)["status"] == "completed"

    # dept-c: filed, returned by the bureau for revision, refiled and accepted
    c = instances["dept-c"]
    cycle.complete(c, "file_perf_report", REPORT, user="staff_c")
    cycle.complete(c, "approve_perf_report", {"head_approved": True}, user="staff_c")
    cycle.complete(c, "review_perf_report", {"review_decision": "return", "review_comment": "缺少评价结果应用情况"},
                   user="reviewer")
    assert _status(cycle)["dept-c"] == ("returned", date(2016, 2, 1))  # refiled within 20 working days of today
    cycle.complete(c, "file_perf_report", {**REPORT, "results_use": "已核减 2 个项目预算。"}, user="staff_c")
    cycle.complete(c, "approve_perf_report", {"head_approved": True}, user="staff_c")
    cycle.complete(c, "review_perf_report", {"review_decision": "accept"}, user="reviewer")
    assert _status(cycle)["dept-c"][0] == "accepted"

    # on 2 February dept-a's report is missing: past its deadline of 1 February, not filed
    clock.set_now(datetime.fromisoformat("2016-02-02T10:00:00+08:00"))
    cycle.work()
    listed = cycle.as_user("supervisor").get("/api/reports/performance-reports?year=2015&missing=true")
    assert listed.status_code == 200, listed.get_json()
    assert [(r["department_id"], r["status"], r["due_on"]) for r in listed.get_json()["items"]] == [
        ("dept-a", "due", "2016-02-01")]
    every = cycle.as_user("reviewer").get("/api/reports/performance-reports?level=municipal").get_json()["items"]
    assert {r["department_id"]: (r["status"], r["missing"]) for r in every} == {
        "dept-a": ("due", True), "dept-b": ("accepted", False), "dept-c": ("accepted", False)}
    [b_row] = [r for r in every if r["department_id"] == "dept-b"]
    assert b_row["content"]["goal_management"] == REPORT["goal_management"] and b_row["decision"] == "accept"
    assert cycle.as_user("staff_a").get("/api/reports/performance-reports").status_code == 403
    assert cycle.as_user("reviewer").get("/api/reports/performance-reports?status=lost").status_code == 422

    # dept-a files nothing: three working days of grace (rule escalation.grace_working_days) after 1 February the
    # report slips to the supervisors, who open an accountability case; the report is ordered filed anew
    a = instances["dept-a"]
    case = ladder.open_case(cycle, a, "file_perf_report", "perf_report")
    assert (case.department_id, case.reason) == ("dept-a", "perf_report_slipped")
    assert _status(cycle)["dept-a"] == ("due", ladder.order_due(cycle, ladder.today()))
    ladder.close_case(cycle, a)
    cycle.complete(a, "file_perf_report", REPORT)
    cycle.complete(a, "approve_perf_report", {"head_approved": True})
    cycle.complete(a, "review_perf_report", {"review_decision": "accept"}, user="reviewer")
    assert cycle.instance(a)["status"] == "completed" and _status(cycle)["dept-a"][0] == "accepted"
    stages.verified(cycle)


def test_a_head_returns_the_report_and_a_head_who_lets_it_lie_is_escalated(cycle, dept_c):
    instances = _launch(cycle)
    b = instances["dept-b"]
    cycle.complete(b, "file_perf_report", REPORT, user="staff_b")
    cycle.complete(b, "approve_perf_report", {"head_approved": False, "head_comment": "补充监控情况"},
                   user="head_b")
    assert _status(cycle)["dept-b"][0] == "returned"
    assert [t["bpmn_id"] for t in cycle.tasks(b, "staff_b")] == ["file_perf_report"]
    a = instances["dept-a"]
    cycle.complete(a, "file_perf_report", REPORT)
    esc = stages.slip(cycle, a, "approve_perf_report", "perf_report_approval")
    stages.decide(cycle, esc, "extend_deadline")
    stages.reissued(cycle, a, "approve_perf_report", "perf_report_approval", "extend_deadline", ladder.today(),
                    ladder.order_due(cycle, ladder.today()))
