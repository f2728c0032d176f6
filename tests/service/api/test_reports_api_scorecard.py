"""GET /api/reports/scorecard (ranked table, CSV, drill-down) and POST …/scorecard, …/pilots on a hand-built
fiscal year: real goal declarations (goal_review with its deadline) plus monitoring and evaluation rows.

First-level municipal departments: dept-a and dept-b. Every number below is worked out in the comments from the
indicator rows of seeds/rules.json (scorecard.indicators, municipal).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from service import clock, db
from service.cycle import projects_records
from service.domain import scorecard_rules
from service.models import Base, Department, Evaluation, MonitoringReport
from service.people import directory
from service.scorecard import records
from tests.service.api.test_reports_api import base_departments  # noqa: F401  (a fixture)
from tests.workflows.conftest import cycle  # noqa: F401  (a fixture)
from tests.workflows.stages import approve_goal, start_stage

MUNICIPAL = {"year": 2015, "level": "municipal"}


def _at(*args: int) -> datetime:
    return clock.to_db(datetime(*args, tzinfo=clock.LOCAL))  # type: ignore[return-value]


def _report(conn: Any, project_id: str, reported: datetime) -> None:
    conn.execute(insert(MonitoringReport.__table__).values(
        project_id=project_id, checkpoint=datetime(2015, 7, 31).date(), due_on=datetime(2015, 8, 31).date(),
        executed_amount=100, execution_rate=50, time_progress=58, goal_progress=50, can_meet="certain",
        warning_level="green", detail="{}", reported_at=reported))


def build_year(cycle: Any) -> None:  # noqa: F811
    """dept-a: two projects with real declarations (one on time, one late), two monitoring reports (the second
    filed 30 minutes after the due day ended in Wuhan), one self-evaluation. dept-b: nothing."""
    a1 = cycle.project("2015-dept-a-001")
    approve_goal(cycle, start_stage(cycle, a1, "goal_review"), outcome="优")
    a2 = cycle.project("2015-dept-a-002", name="学前教育普惠补助")
    iid = start_stage(cycle, a2, "goal_review")
    cycle.advance(days=16)  # past the declaration's 10 working days (16 March), within the 3 days before it escalates
    approve_goal(cycle, iid, outcome="良")
    with db.write(cycle.rt.engine) as conn:
        _report(conn, a1, _at(2015, 8, 31, 23, 30))  # on the due day (Wuhan time)
        _report(conn, a2, _at(2015, 9, 1, 0, 30))  # the next day in Wuhan (still 31 August in UTC): late
        conn.execute(insert(Evaluation.__table__).values(project_id=a1, kind="self", score=88, grade="良",
                                                         detail="{}", completed_at=_at(2016, 2, 1, 10, 0)))
        projects_records.set_status(conn, a1, "evaluated", clock.now())
        projects_records.set_status(conn, a2, "running", clock.now())


# measured, dept-a: declared on time 1 of 2 → 4.00; complete 2 of 2 → 4.00; first review 优, 良 → 8.00;
# monitoring 10 − 2 × 1 late = 8.00; no warning → 10; self-evaluated 1 of 2 due → 5.00; no spot-check → 10;
# no rectification → 6; no budget decision → 0 + 0. Dimensions: goals 16, monitoring 18, evaluation 15, results 6.
# dept-b has no record: 10 (warnings) + 10 (spot-checks) + 6 (rectifications) = 26.
DEPT_A = {"basic": None, "goals": 16.0, "monitoring": 18.0, "evaluation": 15.0, "results": 6.0, "reform": None}
DEPT_B = {"basic": None, "goals": 0.0, "monitoring": 10.0, "evaluation": 10.0, "results": 6.0, "reform": None}


def test_the_ranked_table_before_scoring_shows_the_measured_dimensions(cycle, as_user, base_departments):  # noqa: F811
    build_year(cycle)
    resp = as_user("reviewer").get("/api/reports/scorecard", query_string=MUNICIPAL)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    cards = {c["department_id"]: c for c in body["cards"]}
    assert set(cards) == {"dept-a", "dept-b"}  # first-level departments only (dept-a-unit counts for dept-a)
    assert {d["code"]: d["points"] for d in cards["dept-a"]["dimensions"]} == DEPT_A
    assert {d["code"]: d["points"] for d in cards["dept-b"]["dimensions"]} == DEPT_B
    assert all(c["status"] == "not_started" and c["rank"] is None and c["total"] is None for c in cards.values())
    assert sum(i["weight"] for i in body["indicators"]) == 100 and body["rule_year"] == 2014


def test_every_score_of_the_drill_down_links_to_a_record_that_exists(cycle, as_user, base_departments):  # noqa: F811
    build_year(cycle)
    resp = as_user("staff_a").get("/api/reports/scorecard/dept-a", query_string={"year": 2015})
    assert resp.status_code == 200, resp.get_json()
    entries = {e["code"]: e for e in resp.get_json()["card"]["entries"]}
    monitoring = entries["monitoring.reports_on_time"]
    assert (monitoring["points"], monitoring["counted"], monitoring["passed"]) == (8.0, 2, 1)
    assert [(e["project_id"], e["ok"]) for e in monitoring["evidence"]] == [
        ("2015-dept-a-001", True), ("2015-dept-a-002", False)]
    declared = entries["goals.declared_on_time"]
    assert [(e["project_id"], e["ok"]) for e in declared["evidence"]] == [
        ("2015-dept-a-001", True), ("2015-dept-a-002", False)]
    tables = Base.metadata.tables
    with db.read(cycle.rt.engine) as conn:
        for entry in entries.values():
            for e in entry["evidence"]:
                table = tables[e["table"]]
                key = table.c.id == (e["id"] if e["table"] in ("projects", "tasks") else int(e["id"]))
                assert conn.execute(select(table.c.id).where(key)).first() is not None, e
                if e["task_id"]:  # a declaration's task: the one whose due date it was measured against
                    task = conn.execute(select(tables["tasks"]).where(tables["tasks"].c.id == e["task_id"])).one()
                    assert task.bpmn_id == "declare_goal"
            assert entry["points"] is None or entry["counted"] == len(entry["evidence"]) or entry["no_data"]


def _finalize(cycle: Any, year: int, department_id: str, entered_points: Decimal) -> None:  # noqa: F811
    """A scored scorecard without running the process (the process itself: tests/workflows/…)."""
    with db.write(cycle.rt.engine) as conn:
        card_id = records.open_card(conn, clock.now(), department_id=department_id, year=year, level="municipal",
                                    instance_id=f"i-{year}-{department_id}", due_on=None)
        row = records.get(conn, card_id)
        inds = records.indicators_of(conn, row)
        # each entered indicator gets the same share of its weight (entered_points of the 25 entered points)
        entered = {i.code: scorecard_rules.EnteredScore(i.code, i.weight * entered_points / 25, "t", "reviewer") for i in inds
                   if i.entered}
        records.finalize(conn, clock.now(), card_id, records.compute(conn, clock.now(), row, entered), {})


def test_ranks_and_the_trend_against_the_previous_year(cycle, as_user, base_departments):  # noqa: F811
    build_year(cycle)
    # The four entered indicators weigh 20 points (training, 5 points, is measured from attendance: none recorded
    # here, so 0); _finalize gives each entered indicator entered_points/25 of its weight.
    # 2014 (no projects): dept-a 26 measured + 20 entered = 46 (rank 1), dept-b 26 + 0 = 26 (rank 2)
    _finalize(cycle, 2014, "dept-a", Decimal(25))
    _finalize(cycle, 2014, "dept-b", Decimal(0))
    # 2015: dept-a 55 measured + 8 entered = 63 (rank 1), dept-b 26 + 20 = 46 (rank 2)
    _finalize(cycle, 2015, "dept-a", Decimal(10))
    _finalize(cycle, 2015, "dept-b", Decimal(25))
    body = as_user("auditor").get("/api/reports/scorecard", query_string=MUNICIPAL).get_json()
    assert [(c["department_id"], c["rank"], c["total"], c["grade"], c["previous_total"], c["previous_rank"],
             c["delta"]) for c in body["cards"]] == [
        ("dept-a", 1, 63.0, "中", 46.0, 1, 17.0),
        ("dept-b", 2, 46.0, "差", 26.0, 2, 20.0)]
    mine = as_user("head_a").get("/api/reports/scorecard/dept-a", query_string={"year": 2015}).get_json()["card"]
    assert (mine["rank"], mine["total"], mine["previous_rank"], mine["status"]) == (1, 63.0, 1, "scored")
    assert [r.rank for r in cycle.rows("scorecards", fiscal_year=2015, department_id="dept-b")] == [2]

    resp = as_user("supervisor").get("/api/reports/scorecard.csv", query_string=MUNICIPAL)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "scorecard-2015-municipal.csv" in resp.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(resp.get_data().decode("utf-8-sig"))))
    assert [(r["rank"], r["department_id"], r["department"], r["total"], r["goals"], r["delta"]) for r in rows] == [
        ("1", "dept-a", "市教育局", "63.00", "16.00", "17.00"), ("2", "dept-b", "市卫生健康委员会", "46.00", "0.00", "20.00")]


@pytest.mark.parametrize(("user", "path", "status"), [
    ("staff_a", "/api/reports/scorecard", 403),  # the ranked table compares every department
    ("designer", "/api/reports/scorecard", 403),
    ("expert", "/api/reports/scorecard.csv", 403),
    ("auditor", "/api/reports/scorecard.csv", 200),
    ("staff_a", "/api/reports/scorecard/dept-a", 200),  # a department reads its own drill-down
    ("head_b", "/api/reports/scorecard/dept-a", 403),  # … and no other department's
    ("expert", "/api/reports/scorecard/dept-a", 403),
    ("supervisor", "/api/reports/scorecard/dept-b", 200),
    ("staff_a", "/api/reports/scorecard/dept-a-unit", 404),  # a unit is scored with its department
    ("reviewer", "/api/reports/scorecard/bureau", 404),
    ("reviewer", "/api/reports/scorecard/no-such-department", 404),
])
def test_who_reads_which_scorecard(cycle, as_user, base_departments, user, path, status):  # noqa: F811
    query = MUNICIPAL if path.endswith(("scorecard", ".csv")) else {"year": 2015}
    resp = as_user(user).get(path, query_string=query)
    assert resp.status_code == status, resp.get_data(as_text=True)
    if status != 200:
        assert resp.mimetype == "application/problem+json"


def test_a_year_without_rules_and_a_bad_level_are_refused(cycle, as_user):  # noqa: F811
    resp = as_user("reviewer").get("/api/reports/scorecard", query_string={"year": 2013, "level": "municipal"})
    assert resp.status_code == 422 and "no scorecard rules for fiscal year 2013" in resp.get_json()["detail"]
    resp = as_user("reviewer").get("/api/reports/scorecard", query_string={"year": 2015, "level": "provincial"})
    assert resp.status_code == 422
    # the pilots of 2014 would evaluate 2013's spending, for which there are no rules
    resp = as_user("reviewer").post("/api/reports/pilots", query_string={"year": 2014, "level": "municipal"})
    assert resp.status_code == 422 and "no rules for fiscal years 2013 and 2014" in resp.get_json()["detail"]


@pytest.mark.parametrize(("user", "status"), [("auditor", 403), ("supervisor", 403), ("staff_a", 403),
                                              ("admin", 200), ("reviewer", 200)])
def test_launching_and_choosing_pilots_is_for_administrators_and_reviewers(cycle, as_user, base_departments,  # noqa: F811
                                                                           user, status):
    launched = as_user(user).post("/api/reports/scorecard", query_string=MUNICIPAL)
    assert launched.status_code == status, launched.get_json()
    chosen = as_user(user).post("/api/reports/pilots", query_string=MUNICIPAL)
    assert chosen.status_code == status, chosen.get_json()
    if status == 200:
        assert set(launched.get_json()["started"]) == {"dept-a", "dept-b"}
        assert chosen.get_json()["target"] == 1 and len(chosen.get_json()["pilots"]) == 1
        again = as_user(user).post("/api/reports/scorecard", query_string=MUNICIPAL).get_json()
        assert again["started"] == {} and again["existing"] == launched.get_json()["started"]


@pytest.fixture
def district_department(runtime: Any) -> Any:
    """A department of district-1's district (the test people have none); inactive again afterwards."""
    dept = {"id": "district-1-jyj", "name": "江岸区教育局", "level": "district", "sector": "education",
            "district_id": "district-1"}
    with db.write(runtime.engine) as conn:
        directory.upsert_department(conn, dept)
    yield dept["id"]
    with db.write(runtime.engine) as conn:
        conn.execute(update(Department.__table__).where(Department.__table__.c.id == dept["id"]).values(active=False))


def test_a_district_bureau_is_scored_on_its_districts_departments(cycle, as_user, district_department):  # noqa: F811
    pid = cycle.project("2015-district-1-jyj-001", department_id=district_department)
    municipal = cycle.project("2015-dept-a-003")
    with db.write(cycle.rt.engine) as conn:
        _report(conn, pid, _at(2015, 9, 2, 9, 0))  # late
        _report(conn, municipal, _at(2015, 9, 2, 9, 0))  # a municipal department's: not the district's
    body = as_user("reviewer").get("/api/reports/scorecard", query_string={"year": 2015, "level": "district"})
    assert [c["department_id"] for c in body.get_json()["cards"]] == ["district-1"]
    card = as_user("reviewer").get("/api/reports/scorecard/district-1", query_string={"year": 2015}).get_json()
    entries = {e["code"]: e for e in card["card"]["entries"]}
    monitoring = entries["monitoring.reports_on_time"]
    # the district's rule row (scorecard.indicators, district): 10 − 2 for the one late report of its department
    assert monitoring["name"].startswith("区属部门") and monitoring["points"] == 8.0
    assert [e["project_id"] for e in monitoring["evidence"]] == [pid]
    assert "basic.guidance" in entries  # the district's own entered indicator
