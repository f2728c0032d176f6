"""/api/subunit-evaluations: a department evaluates the whole spending of its own sub-unit (the plan 二(三)3二是,
预算部门对下属预算单位整体支出绩效评价试点); another department's unit is refused and nothing changes; the coverage
report counts the sub-units so evaluated (measure subunit_evaluations, no target: the plan asks for pilots)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import delete, func, insert, select, update

from service import clock, db
from service.config import ROOT
from service.models import Department, Event, SubunitEvaluation
from service.rules import store
from tests.service.api.test_reports_api import base_departments  # noqa: F401 (a fixture)

SUBUNIT_EVALUATIONS = SubunitEvaluation.__table__
OPEN = {"unit_id": "dept-a-unit", "fiscal_year": 2014, "scope": "2014年度直属学校整体支出（基本支出与项目支出）"}


@pytest.fixture
def rules(runtime: Any) -> None:
    with db.write(runtime.engine) as conn:
        store.seed_rules(conn, ROOT / "seeds" / "rules.json", "test", clock.now())


@pytest.fixture
def unit_b(runtime: Any, base_departments: None) -> Iterator[str]:  # noqa: F811
    """A sub-unit of dept-b, for the session's base departments only while the test runs."""
    table = Department.__table__
    with db.write(runtime.engine) as conn:
        if conn.execute(select(table.c.id).where(table.c.id == "dept-b-unit")).first() is None:
            conn.execute(insert(table).values(id="dept-b-unit", name="市卫生健康委员会直属医院", level="municipal",
                                              kind="unit", parent_id="dept-b", active=True))
        conn.execute(update(table).where(table.c.id == "dept-b-unit").values(active=True))
    try:
        yield "dept-b-unit"
    finally:
        with db.write(runtime.engine) as conn:
            conn.execute(delete(SUBUNIT_EVALUATIONS).where(SUBUNIT_EVALUATIONS.c.unit_id == "dept-b-unit"))
            conn.execute(update(table).where(table.c.id == "dept-b-unit").values(active=False))


def rows(runtime: Any) -> list[Any]:
    with db.read(runtime.engine) as conn:
        return list(conn.execute(select(SUBUNIT_EVALUATIONS).order_by(SUBUNIT_EVALUATIONS.c.id)))


def audit(runtime: Any) -> list[tuple[str, str]]:
    with db.read(runtime.engine) as conn:
        return [(r.actor, r.command) for r in conn.execute(select(Event.actor, Event.command).where(
            Event.instance_id.is_(None), Event.command.like("subunit_evaluation_%")).order_by(Event.seq))]


def test_a_department_evaluates_its_own_sub_unit_and_its_head_grades_it(runtime, as_user, rules):
    resp = as_user("staff_a").post("/api/subunit-evaluations", json=OPEN)
    assert resp.status_code == 201, resp.get_json()
    opened = resp.get_json()
    assert (opened["department_id"], opened["unit_id"], opened["unit_name"], opened["status"]) == (
        "dept-a", "dept-a-unit", "市教育局直属学校", "open")
    assert (opened["score"], opened["grade"], opened["started_by"]) == (None, None, "staff_a")

    staff = as_user("staff_a").post(f"/api/subunit-evaluations/{opened['id']}/grade",
                                    json={"score": 86.5, "findings": "x"})
    assert staff.status_code == 403  # the head records the grade
    resp = as_user("head_a").post(f"/api/subunit-evaluations/{opened['id']}/grade",
                                  json={"score": 86.456, "findings": "资产管理台账不全，部分项目未编报绩效目标"})
    assert resp.status_code == 200, resp.get_json()
    graded = resp.get_json()
    # 86.456 → 86.46 (2 decimals, half up); 80 ≤ 86.46 < 90 → 良 (rule evaluation.grade_floors)
    assert (graded["score"], graded["grade"], graded["status"], graded["graded_by"]) == (86.46, "良", "graded",
                                                                                          "head_a")
    again = as_user("head_a").post(f"/api/subunit-evaluations/{opened['id']}/grade",
                                   json={"score": 95, "findings": "改判"})
    assert again.status_code == 409 and rows(runtime)[0].grade == "良"
    assert audit(runtime) == [("staff_a", "subunit_evaluation_opened"), ("head_a", "subunit_evaluation_graded")]

    # the bureau and the department read it; another department does not see it
    assert [e["id"] for e in as_user("reviewer").get("/api/subunit-evaluations").get_json()["items"]] == [opened["id"]]
    assert as_user("staff_b").get("/api/subunit-evaluations").get_json()["items"] == []
    assert as_user("staff_b").get(f"/api/subunit-evaluations/{opened['id']}").status_code == 404
    duplicate = as_user("head_a").post("/api/subunit-evaluations", json=OPEN)
    assert duplicate.status_code == 409  # one evaluation of a unit per year


@pytest.mark.parametrize("user, body, status", [
    ("staff_b", OPEN, 403),                                        # another department's unit
    ("head_b", OPEN, 403),
    ("reviewer", OPEN, 403),                                       # the bureau does not run them
    ("admin", OPEN, 403),
    ("staff_a", {**OPEN, "unit_id": "dept-b"}, 422),               # a first-level department is not a sub-unit
    ("staff_a", {**OPEN, "unit_id": "nowhere"}, 422),
    ("staff_a", {**OPEN, "scope": " "}, 422),
    ("staff_a", {**OPEN, "fiscal_year": 1999}, 422),
    ("staff_a", {"unit_id": "dept-a-unit"}, 422),
])
def test_refused_openings_are_problems_and_change_nothing(runtime, as_user, rules, user, body, status):
    resp = as_user(user).post("/api/subunit-evaluations", json=body)
    assert resp.status_code == status, resp.get_json()
    assert resp.content_type == "application/problem+json"
    assert rows(runtime) == [] and audit(runtime) == []


def test_a_department_may_not_evaluate_another_departments_unit(runtime, as_user, rules, unit_b):
    resp = as_user("staff_a").post("/api/subunit-evaluations", json={**OPEN, "unit_id": unit_b})
    assert resp.status_code == 403
    assert "own sub-units" in resp.get_json()["detail"]
    assert rows(runtime) == []


@pytest.mark.parametrize("body", [{"score": 101, "findings": "x"}, {"score": -1, "findings": "x"},
                                  {"score": 80, "findings": " "}, {"findings": "x"}])
def test_a_bad_grade_is_a_problem_and_the_evaluation_stays_open(runtime, as_user, rules, body):
    opened = as_user("staff_a").post("/api/subunit-evaluations", json=OPEN).get_json()
    resp = as_user("head_a").post(f"/api/subunit-evaluations/{opened['id']}/grade", json=body)
    assert resp.status_code == 422 and resp.content_type == "application/problem+json"
    [row] = rows(runtime)
    assert (row.status, row.score, row.grade) == ("open", None, None)
    other = as_user("head_b").post(f"/api/subunit-evaluations/{opened['id']}/grade", json={"score": 80, "findings": "x"})
    assert other.status_code == 403 and rows(runtime)[0].status == "open"


def test_the_coverage_report_counts_sub_units_evaluated_by_their_department(runtime, as_user, rules, unit_b):
    opened = as_user("staff_a").post("/api/subunit-evaluations", json=OPEN).get_json()
    as_user("head_a").post(f"/api/subunit-evaluations/{opened['id']}/grade", json={"score": 92, "findings": "良好"})
    # dept-b opens its unit's evaluation but has not graded it: it does not count yet
    assert as_user("staff_b").post("/api/subunit-evaluations", json={**OPEN, "unit_id": unit_b}).status_code == 201
    resp = as_user("reviewer").get("/api/reports/coverage?year=2015&level=municipal")
    assert resp.status_code == 200, resp.get_json()
    [m] = [m for m in resp.get_json()["measures"] if m["key"] == "subunit_evaluations"]
    # the 2015 report looks back at 2014's spending: dept-a-unit graded, dept-b-unit open → 1 of 2 units = 50.00 %
    assert (m["numerator"], m["denominator"], m["actual"], m["target"], m["met"]) == (1, 2, 50.0, None, None)
    assert [(d["id"], d["counted"]) for d in m["departments"]] == [("dept-a-unit", True), ("dept-b-unit", False)]
    assert m["label"] == "由本部门开展整体支出绩效评价的下属预算单位占比"
    # a year later nothing of 2015 was evaluated
    later = as_user("reviewer").get("/api/reports/coverage?year=2016&level=municipal").get_json()
    [m] = [m for m in later["measures"] if m["key"] == "subunit_evaluations"]
    assert (m["numerator"], m["denominator"]) == (0, 2)
    with db.read(runtime.engine) as conn:
        assert conn.execute(select(func.count()).select_from(SUBUNIT_EVALUATIONS)).scalar_one() == 2


def test_an_evaluation_is_due_by_the_rule_and_shown_overdue_when_left_open(runtime, as_user, rules, frozen_clock,
                                                                           app):
    """Opened on Monday 2 March 2015, it is due 40 working days later (rule evaluation.subunit_working_days): eight
    plain weeks to Monday 27 April, a day later if the calendar makes Qingming's Monday 6 April a holiday. Open the
    day after, it is overdue by one day in the API, on the page and on the dashboard; graded, it no longer is."""
    from datetime import date, timedelta

    from tests.service.web.browser_fixtures import signed_in

    with db.read(runtime.engine) as conn:
        qingming = store.calendar(conn, date(2015, 4, 6), date(2015, 4, 6)).is_working_day(date(2015, 4, 6))
    due = date(2015, 4, 27) if qingming else date(2015, 4, 28)
    opened = as_user("staff_a").post("/api/subunit-evaluations", json=OPEN).get_json()
    assert (opened["due_on"], opened["overdue"], opened["days_overdue"]) == (due.isoformat(), False, 0)
    assert rows(runtime)[0].due_on == due

    clock.set_now(datetime.combine(due, datetime.min.time(), clock.LOCAL) + timedelta(hours=18))
    assert as_user("reviewer").get(f"/api/subunit-evaluations/{opened['id']}").get_json()["overdue"] is False
    clock.set_now(datetime.combine(due + timedelta(days=1), datetime.min.time(), clock.LOCAL) + timedelta(hours=9))
    [item] = as_user("reviewer").get("/api/subunit-evaluations").get_json()["items"]
    assert (item["overdue"], item["days_overdue"]) == (True, 1)
    reviewer = signed_in(app, "reviewer")
    page = reviewer.get("/subunit-evaluations").get_data(as_text=True)
    assert f"{due.isoformat()}" in page and "逾期 1 天" in page
    dashboard = reviewer.get("/dashboard").get_data(as_text=True)
    assert f"下属单位整体支出评价逾期未定级 1 项（最早期限 {due.isoformat()}）" in dashboard

    as_user("head_a").post(f"/api/subunit-evaluations/{opened['id']}/grade", json={"score": 81, "findings": "基本达标"})
    assert as_user("reviewer").get("/api/subunit-evaluations").get_json()["items"][0]["overdue"] is False
    assert "下属单位整体支出评价逾期" not in reviewer.get("/dashboard").get_data(as_text=True)


def test_a_year_without_rules_is_refused_at_the_year_and_nothing_is_opened(runtime, as_user, rules):
    """The grading deadline comes from rule evaluation.subunit_working_days: a year before any rule is the caller's
    input (422 at fiscal_year), not a missing resource (found by the stateful OpenAPI sequences)."""
    resp = as_user("staff_a").post("/api/subunit-evaluations", json={**OPEN, "fiscal_year": 2000})
    assert resp.status_code == 422, resp.get_json()
    problem = resp.get_json()
    assert resp.content_type == "application/problem+json"
    assert [e["field"] for e in problem["errors"]] == ["fiscal_year"]
    assert rows(runtime) == [] and audit(runtime) == []
