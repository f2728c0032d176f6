"""Training sessions and attendance (the plan 三(四)) through the API: recorded by the bureau, measured against
rule training.sessions_per_year in GET /api/reports/coverage, refused with problem bodies on bad input."""

from __future__ import annotations

from typing import Any

import pytest

from service import clock, db
from service.config import ROOT
from service.rules import store
from tests.conftest import START, count_rows


@pytest.fixture
def rules(runtime: Any, frozen_clock: Any) -> None:
    with db.write(runtime.engine) as conn:
        store.seed_rules(conn, ROOT / "seeds" / "rules.json", "test", START)


def _session(as_user: Any, held_on: str, level: str = "municipal", user: str = "reviewer") -> dict[str, Any]:
    resp = as_user(user).post("/api/trainings", json={"level": level, "title": f"绩效管理专题培训班 {held_on}",
                                                      "held_on": held_on, "organiser": "市财政局绩效管理处"})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _attend(as_user: Any, session_id: int, group: str, head_count: int, department_id: str | None = None) -> Any:
    body: dict[str, Any] = {"group": group, "head_count": head_count}
    if department_id is not None:
        body["department_id"] = department_id
    return as_user("admin").post(f"/api/trainings/{session_id}/attendance", json=body)


def _training(as_user: Any, year: int, level: str = "municipal") -> dict[str, Any]:
    resp = as_user("reviewer").get(f"/api/reports/coverage?year={year}&level={level}")
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["training"]


def test_two_sessions_with_attendance_meet_the_plans_one_to_two(runtime, as_user, rules):
    # the test clock stands at 2015-03-02: sessions of 2014 and one held today
    first = _session(as_user, "2014-06-18")
    second = _session(as_user, "2014-11-05", user="admin")
    assert (first["year"], first["head_count"], first["attendance"]) == (2014, 0, [])
    assert _attend(as_user, first["id"], "bureau_staff", 12).status_code == 201
    assert _attend(as_user, first["id"], "departments", 3, "dept-a").status_code == 201
    assert _attend(as_user, first["id"], "departments", 2, "dept-b").status_code == 201
    assert _attend(as_user, first["id"], "agencies", 4).status_code == 201
    assert _attend(as_user, second["id"], "experts", 5).status_code == 201
    one = as_user("supervisor").get(f"/api/trainings/{first['id']}").get_json()
    # 12 bureau staff + 3 + 2 from the departments + 4 from agencies = 21
    assert (one["head_count"], one["by_group"]) == (21, {"bureau_staff": 12, "departments": 5, "agencies": 4,
                                                         "experts": 0})
    assert [(a["department_name"], a["head_count"]) for a in one["attendance"] if a["department_id"]] == [
        ("市教育局", 3), ("市卫生健康委员会", 2)]
    listed = as_user("auditor").get("/api/trainings?year=2014&level=municipal").get_json()["items"]
    assert [s["id"] for s in listed] == [second["id"], first["id"]]  # newest first

    # 2 sessions held in 2014 at the municipal level: within the plan's “一至两次”, met; none in 2015 yet
    measure = _training(as_user, 2014)
    assert (measure["held"], measure["minimum"], measure["maximum"], measure["met"]) == (2, 1, 2, True)
    assert measure["source"].startswith("the plan 三(四)") and "原则上每年要举办一至两次专题培训班" in measure["source"]
    assert (_training(as_user, 2015)["held"], _training(as_user, 2015)["met"]) == (0, False)
    # the district level counts its own sessions only
    assert _training(as_user, 2014, "district")["held"] == 0
    _session(as_user, clock.local_today(START).isoformat(), level="district")
    assert (_training(as_user, 2015, "district")["held"], _training(as_user, 2015, "district")["met"]) == (1, True)


@pytest.mark.parametrize("body, field", [
    ({"group": "departments", "head_count": 2}, "department_id"),  # a department's attendance names it
    ({"group": "experts", "head_count": 2, "department_id": "dept-a"}, "department_id"),
    ({"group": "departments", "head_count": 2, "department_id": "dept-x"}, "department_id"),
    ({"group": "students", "head_count": 2}, "group"),
    ({"group": "experts", "head_count": 0}, "head_count"),
])
def test_bad_attendance_is_a_problem_and_records_nothing(runtime, as_user, rules, body, field):
    session = _session(as_user, "2015-02-10")
    resp = as_user("admin").post(f"/api/trainings/{session['id']}/attendance", json=body)
    assert resp.status_code == 422, resp.get_json()
    assert resp.content_type.startswith("application/problem+json")
    problem = resp.get_json()
    assert field in str(problem.get("errors")), problem
    assert count_rows(runtime, "training_attendance") == 0


def test_the_same_attendance_twice_and_bad_sessions_are_refused(runtime, as_user, rules):
    session = _session(as_user, "2015-02-10")
    assert _attend(as_user, session["id"], "departments", 2, "dept-a").status_code == 201
    again = _attend(as_user, session["id"], "departments", 1, "dept-a")
    assert again.status_code == 422 and again.content_type.startswith("application/problem+json")
    assert _attend(as_user, 999_999, "experts", 1).status_code == 404
    # a session is recorded once held: not in the future of the test clock (2015-03-02)
    future = as_user("reviewer").post("/api/trainings", json={"level": "municipal", "title": "培训",
                                                              "held_on": "2015-03-03", "organiser": "市财政局"})
    assert future.status_code == 422 and "held_on" in str(future.get_json()["errors"])
    blank = as_user("reviewer").post("/api/trainings", json={"level": "province", "title": "培训",
                                                             "held_on": "2015-03-01", "organiser": "市财政局"})
    assert blank.status_code == 422
    assert count_rows(runtime, "training_sessions") == 1 and count_rows(runtime, "training_attendance") == 1


@pytest.mark.parametrize("user", ["staff_a", "head_a", "expert", "agency"])
def test_departments_and_outsiders_neither_record_nor_list(runtime, as_user, rules, user):
    assert as_user(user).get("/api/trainings").status_code == 403
    resp = as_user(user).post("/api/trainings", json={"level": "municipal", "title": "培训", "held_on": "2015-03-01",
                                                      "organiser": "市财政局"})
    assert resp.status_code == 403
    assert count_rows(runtime, "training_sessions") == 0


def test_supervisors_read_but_do_not_record(runtime, as_user, rules):
    assert as_user("supervisor").get("/api/trainings").status_code == 200
    resp = as_user("supervisor").post("/api/trainings", json={"level": "municipal", "title": "培训",
                                                              "held_on": "2015-03-01", "organiser": "市财政局"})
    assert resp.status_code == 403
