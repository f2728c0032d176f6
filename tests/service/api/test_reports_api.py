"""GET /api/reports/coverage on a hand-built fiscal year: the plan's coverage measures (DOMAIN.md)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import insert, update

from service import clock, db
from service.config import ROOT
from service.cycle import projects_records
from service.models import Department, Evaluation, Goal
from service.queries.coverage_queries import coverage_report
from service.rules import store
from tests.conftest import DEPARTMENTS, START

BASE_DEPARTMENTS = {d["id"] for d in DEPARTMENTS}


@pytest.fixture
def base_departments(runtime: Any) -> Iterator[None]:
    """Only the session's base departments count: other tests may add departments (e.g. `jixiao seed`), and
    departments persist for the session. Coverage counts active ones: the others are deactivated meanwhile."""
    table = Department.__table__
    with db.write(runtime.engine) as conn:
        others = list(conn.execute(table.select().with_only_columns(table.c.id)
                                   .where(table.c.active.is_(True), table.c.id.not_in(BASE_DEPARTMENTS))).scalars())
        conn.execute(update(table).where(table.c.id.in_(others)).values(active=False))
    try:
        yield
    finally:
        with db.write(runtime.engine) as conn:
            conn.execute(update(table).where(table.c.id.in_(others)).values(active=True))


def build_fiscal_years(runtime: Any, now: datetime = START) -> None:
    """Rules seeded; projects of 2014 and 2015 with goals and evaluations.

    First-level municipal departments: dept-a and dept-b (dept-a-unit is a unit, bureau and district-1 are
    bureaus). Every number the tests expect is worked out in their comments from this list.
    """
    goals, evaluations = Goal.__table__, Evaluation.__table__
    at = clock.to_db(now)

    def project(id: str, year: int, dept: str, amount: int, kind: str = "project", status: str | None = None) -> None:
        projects_records.create(conn, now, id=id, fiscal_year=year, department_id=dept, name=f"项目 {id}",
                        sector="education", amount=amount, kind=kind)
        if status:
            projects_records.set_status(conn, id, status, now)

    def goal(project_id: str, revision: int, status: str) -> None:
        conn.execute(insert(goals).values(project_id=project_id, revision=revision, summary="绩效目标", status=status,
                                          declared_at=at, decided_at=at))

    def evaluation(project_id: str, kind: str) -> None:
        conn.execute(insert(evaluations).values(project_id=project_id, kind=kind, score=85, grade="良", detail="{}",
                                                completed_at=at))

    with db.write(runtime.engine) as conn:
        store.seed_rules(conn, ROOT / "seeds" / "rules.json", "test", now)
        # 2015, municipal
        project("2015-a-001", 2015, "dept-a", 3_000_000)
        goal("2015-a-001", 1, "returned")
        goal("2015-a-001", 2, "approved")  # the latest revision counts: under goal management
        project("2015-a-002", 2015, "dept-a", 1_500_000, status="running")  # running: its goal was approved
        project("2015-u-001", 2015, "dept-a-unit", 500_000)
        goal("2015-u-001", 1, "returned")  # returned for revision: not yet
        project("2015-b-001", 2015, "dept-b", 5_000_000, status="blocked")
        goal("2015-b-001", 1, "blocked")  # 差: blocked from the budget
        project("2015-a-dept", 2015, "dept-a", 40_000_000, kind="department")
        goal("2015-a-dept", 1, "approved")  # dept-a's whole-department goal
        project("2015-u-dept", 2015, "dept-a-unit", 2_000_000, kind="department")
        goal("2015-u-dept", 1, "approved")  # a unit's whole-unit goal: dept-b is not helped, dept-a already counts
        project("2015-d-001", 2015, "district-1", 9_000_000, status="approved")  # district: not in municipal
        # 2014, municipal
        project("2014-a-001", 2014, "dept-a", 4_000_000, status="evaluated")
        evaluation("2014-a-001", "self")
        project("2014-b-001", 2014, "dept-b", 2_000_000, status="closed")
        evaluation("2014-b-001", "key")
        project("2014-b-002", 2014, "dept-b", 6_000_000, status="stopped")
        evaluation("2014-b-002", "midterm")  # a mid-term review evaluates no money (coverage.evaluated_kinds)
        project("2014-b-dept", 2014, "dept-b", 30_000_000, kind="department", status="evaluated")
        evaluation("2014-b-dept", "self")  # dept-b piloted a whole-department evaluation
        project("2014-a-dept", 2014, "dept-a", 25_000_000, kind="department", status="evaluated")


def measures(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["key"]: m for m in body["measures"]}


def assert_the_dashboards_numbers_agree(runtime: Any, *reports: tuple[int, str]) -> None:
    """The dashboard's report (the projects summed in SQL, no lines) has the numbers of the report with lines."""
    for year, level in reports:
        with db.read(runtime.engine) as conn:
            full = coverage_report(conn, year, level)
            bare = coverage_report(conn, year, level, lines=False)
        assert bare == dataclasses.replace(full, measures=tuple(dataclasses.replace(m, projects=(), departments=())
                                                                for m in full.measures)), (year, level)


def test_coverage_of_2015_municipal(runtime, as_user, base_departments):
    build_fiscal_years(runtime)
    resp = as_user("reviewer").get("/api/reports/coverage?year=2015&level=municipal")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["year"], body["level"], body["evaluated_kinds"]) == (2015, "municipal", ["key", "self"])
    m = measures(body)

    goal = m["goal_money_share"]
    # counted 2015-a-001 3,000,000 + 2015-a-002 1,500,000 = 4,500,000 of 3,000,000 + 1,500,000 + 500,000
    # + 5,000,000 = 10,000,000 (whole-department items and the district project stay out) → 45.00 % < 50 %
    assert (goal["numerator"], goal["denominator"], goal["actual"]) == (4_500_000, 10_000_000, 45.0)
    assert (goal["target"], goal["target_year"], goal["met"]) == (50, 2015, False)
    assert goal["source"].startswith("the plan 二(三)1一是") and goal["label"] == "纳入绩效目标管理的项目资金占比"
    assert {p["id"]: p["counted"] for p in goal["projects"]} == {
        "2015-a-001": True, "2015-a-002": True, "2015-b-001": False, "2015-u-001": False}
    assert {p["id"]: (p["department_name"], p["amount"]) for p in goal["projects"]}["2015-u-001"] == (
        "市教育局直属学校", 500_000)

    whole = m["whole_department_goal_share"]
    # dept-a has an approved whole-department goal, dept-b none: 1 of 2 first-level departments = 50.00 % ≥ 10 %
    assert (whole["numerator"], whole["denominator"], whole["actual"], whole["met"]) == (1, 2, 50.0, True)
    assert [(d["id"], d["counted"], d["projects"]) for d in whole["departments"]] == [
        ("dept-a", True, ["2015-a-dept"]), ("dept-b", False, [])]

    evaluated = m["evaluated_money_share"]
    # 2014: 2014-a-001 4,000,000 (self) + 2014-b-001 2,000,000 (key) = 6,000,000 evaluated; the 2014 public
    # spending is not entered yet: no share, no verdict, and the report says so
    assert (evaluated["numerator"], evaluated["denominator"], evaluated["actual"]) == (6_000_000, 0, None)
    assert (evaluated["status"], evaluated["figure_year"], evaluated["target"], evaluated["met"]) == (
        "not_entered", 2014, 30, None)
    assert [p["id"] for p in evaluated["projects"] if not p["counted"]] == ["2014-b-002"]
    assert m["livelihood_evaluated_share"]["status"] == "not_entered"

    entered = as_user("reviewer").put("/api/fiscal-figures/2014/municipal", json={
        "public_spending": 20_000_000, "livelihood_spending": 15_000_000, "source": "2014年市级财政决算"})
    assert entered.status_code == 200, entered.get_json()
    m = measures(as_user("reviewer").get("/api/reports/coverage?year=2015&level=municipal").get_json())
    evaluated = m["evaluated_money_share"]
    # 6,000,000 / the 2014 public spending 20,000,000 = 30.00 %: exactly the municipal 30 % of 2015, met
    assert (evaluated["numerator"], evaluated["denominator"], evaluated["actual"], evaluated["met"]) == (
        6_000_000, 20_000_000, 30.0, True)
    assert (evaluated["status"], evaluated["figure_source"]) == ("measured", "2014年市级财政决算")
    livelihood = m["livelihood_evaluated_share"]
    # every project here is education (民生): 6,000,000 evaluated / 民生 15,000,000 = 40.00 %; no 2013 figure, so
    # no year before to compare with
    assert (livelihood["numerator"], livelihood["denominator"], livelihood["actual"]) == (6_000_000, 15_000_000,
                                                                                         40.0)
    assert (livelihood["previous_actual"], livelihood["direction"]) == (None, None)
    monitoring = m["monitoring_coverage"]
    # no 2015 monitoring report yet: 0 of the 10,000,000 of 2015 project money; none in 2014 either: not rising
    assert (monitoring["numerator"], monitoring["denominator"], monitoring["actual"]) == (0, 10_000_000, 0.0)
    assert (monitoring["previous_actual"], monitoring["direction"]) == (0.0, "not_rising")

    pilots = m["whole_department_evaluation_share"]
    # dept-b's 2014 whole-department item was self-evaluated, dept-a's not: 1 / 2 = 50.00 % ≥ 10 %
    assert (pilots["numerator"], pilots["denominator"], pilots["actual"], pilots["met"]) == (1, 2, 50.0, True)
    assert [d["id"] for d in pilots["departments"] if d["counted"]] == ["dept-b"]
    assert_the_dashboards_numbers_agree(runtime, (2015, "municipal"), (2016, "municipal"), (2015, "district"))


def test_years_without_a_target_and_after_the_plan(runtime, as_user, base_departments):
    build_fiscal_years(runtime)
    client = as_user("auditor")
    m = measures(client.get("/api/reports/coverage?year=2014&level=municipal").get_json())
    # 2014: the plan sets no goal targets (— in DOMAIN.md's table); all 2014 projects reached approved or later
    # (evaluated, closed, stopped): 12,000,000 / 12,000,000 = 100.00 %, no verdict
    goal = m["goal_money_share"]
    assert (goal["actual"], goal["target"], goal["met"], goal["source"]) == (100.0, None, None, None)
    assert m["evaluated_money_share"]["target"] == 25 and m["evaluated_money_share"]["actual"] is None  # no 2013

    m = measures(client.get("/api/reports/coverage?year=2016&level=municipal").get_json())
    # 2016: goal target 100 % (its own row); no 2016 projects yet → no actual
    assert (m["goal_money_share"]["target"], m["goal_money_share"]["actual"]) == (100, None)
    # evaluated share: the plan's last target (2015, 30 %) holds; 2015 projects have no evaluations, and the 2015
    # public spending is not entered: no share and no verdict
    evaluated = m["evaluated_money_share"]
    assert (evaluated["actual"], evaluated["target"], evaluated["target_year"], evaluated["met"]) == (None, 30, 2015,
                                                                                                     None)
    assert (evaluated["numerator"], evaluated["status"]) == (0, "not_entered")
    assert (m["whole_department_evaluation_share"]["actual"], m["whole_department_evaluation_share"]["met"]) == (
        0.0, False)


def test_an_administrator_can_set_a_year_without_target(runtime, as_user, base_departments):
    build_fiscal_years(runtime)
    resp = as_user("admin").put("/api/rules", json={"fiscal_year": 2016, "level": "municipal",
                                                    "key": "coverage.evaluated_money_share", "value": None,
                                                    "source": "the plan (2014—2015) sets none for 2016"})
    assert resp.status_code == 200, resp.get_json()
    assert as_user("admin").put("/api/fiscal-figures/2015/municipal", json={
        "public_spending": 50_000_000, "livelihood_spending": 30_000_000, "source": "2015年市级财政决算"}).status_code == 200
    m = measures(as_user("admin").get("/api/reports/coverage?year=2016&level=municipal").get_json())
    # no 2015 project was evaluated: 0 / 50,000,000 = 0.00 %, and no target to miss
    assert (m["evaluated_money_share"]["actual"], m["evaluated_money_share"]["target"],
            m["evaluated_money_share"]["met"]) == (0.0, None, None)


def test_coverage_without_lines_has_the_same_numbers_and_empty_lines(runtime, as_user, base_departments):
    build_fiscal_years(runtime)
    reviewer = as_user("reviewer")
    full = reviewer.get("/api/reports/coverage?year=2015&level=municipal").get_json()
    bare = reviewer.get("/api/reports/coverage?year=2015&level=municipal&lines=false")
    assert bare.status_code == 200, bare.get_json()
    assert bare.get_json() == {**full, "measures": [{**m, "projects": [], "departments": []}
                                                    for m in full["measures"]]}
    assert sum(len(m["projects"]) + len(m["departments"]) for m in full["measures"]) > 10
    refused = reviewer.get("/api/reports/coverage?year=2015&level=municipal&lines=some")
    assert refused.status_code == 422 and refused.content_type == "application/problem+json"
    assert "lines" in json.dumps(refused.get_json())


def test_district_coverage_counts_district_money_only(runtime, as_user, base_departments):
    build_fiscal_years(runtime)
    m = measures(as_user("supervisor").get("/api/reports/coverage?year=2015&level=district").get_json())
    # district-1's 9,000,000 project is approved: 9,000,000 / 9,000,000 = 100.00 % ≥ 50 %
    goal = m["goal_money_share"]
    assert (goal["numerator"], goal["denominator"], goal["actual"], goal["met"]) == (9_000_000, 9_000_000, 100.0, True)
    # district-1 is a finance bureau, not a budget department: no first-level district departments → no actual
    assert m["whole_department_goal_share"]["denominator"] == 0 and m["whole_department_goal_share"]["actual"] is None
    assert m["evaluated_money_share"]["target"] == 20  # the district row of 2015
    assert_the_dashboards_numbers_agree(runtime, (2015, "district"), (2014, "district"), (2015, "municipal"))


@pytest.mark.parametrize(("user", "status"), [
    ("reviewer", 200), ("supervisor", 200), ("auditor", 200), ("admin", 200), ("power", 200),
    ("staff_a", 403), ("head_b", 403), ("designer", 403), ("expert", 403), ("agency", 403),
])
def test_the_report_is_for_the_bureau(runtime, as_user, user, status):
    build_fiscal_years(runtime)
    resp = as_user(user).get("/api/reports/coverage?year=2015&level=municipal")
    assert resp.status_code == status
    if status == 403:
        assert resp.headers["content-type"] == "application/problem+json"
        assert "2015-a-001" not in resp.get_data(as_text=True)


def test_no_token_is_401(app):
    assert app.test_client().get("/api/reports/coverage?year=2015&level=municipal").status_code == 401


@pytest.mark.parametrize("query", [
    "year=2015", "level=municipal", "year=abc&level=municipal", "year=1999&level=municipal",
    "year=2015&level=provincial", "year=2015&level=", "year=2013&level=municipal",
])
def test_bad_year_or_level_is_a_422_problem(runtime, as_user, query):
    build_fiscal_years(runtime)
    resp = as_user("reviewer").get(f"/api/reports/coverage?{query}")
    assert resp.status_code == 422, resp.get_json()
    body = resp.get_json()
    assert resp.headers["content-type"] == "application/problem+json" and body["status"] == 422
    assert body["errors"] and json.dumps(body)  # says which field


def test_the_report_is_documented(app):
    doc = app.test_client().get("/api/openapi.json").get_json()
    op = doc["paths"]["/api/reports/coverage"]["get"]
    assert {p["name"] for p in op["parameters"]} == {"year", "level", "lines"}
    assert {"200", "401", "403", "422"} <= set(op["responses"])


def test_the_coverage_lines_are_dumped_as_their_schemas_dump_them():
    from dataclasses import fields as dataclass_fields
    from decimal import Decimal

    from marshmallow import Schema, fields

    from service.api.reports_api import DepartmentLineSchema, MeasureSchema, ProjectLineSchema
    from service.domain.coverage_rules import DepartmentLine, ProjectLine

    class Reference(Schema):  # what the measure's lines were dumped with before: marshmallow field by field
        projects = fields.List(fields.Nested(ProjectLineSchema))
        departments = fields.List(fields.Nested(DepartmentLineSchema))

    # The lines as the report holds them (the view hands the schema the report's own objects).
    measure = {"projects": (ProjectLine("p1", "项目", "edu", "教育局", Decimal("1234.50"), True),
                            ProjectLine("p2", "项目二", "edu", "教育局", Decimal(0), False)),
               "departments": (DepartmentLine("edu", "教育局", True, ("d-edu",)),
                               DepartmentLine("env", "生态环境局", False, ()))}
    dumped = MeasureSchema(only=("projects", "departments")).dump(measure)
    assert dumped == Reference().dump(measure)
    assert json.dumps(dumped) == json.dumps(Reference().dump(measure))  # the same types too (float, bool, list)
    # A field added to a line or its schema, and not to the other, is a failure here, not a line dumped wrong.
    assert list(ProjectLine._fields) == list(ProjectLineSchema().fields)
    assert [f.name for f in dataclass_fields(DepartmentLine)] == list(DepartmentLineSchema().fields)
