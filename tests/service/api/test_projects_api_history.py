"""GET /api/projects/{id}/history, /api/projects/{id}/budget-adjustments and /api/reports/budget-adjustments on a
hand-built fiscal year: a 2014 grade decides the 2016 budget, the 2016 project continuing it reads both, and the
in-year adjustments of 2015 are listed and summed."""

from __future__ import annotations

from decimal import Decimal

from service import clock, db
from service.cycle import adjustments_records, evaluations
from tests.workflows.conftest import cycle  # noqa: F401  (the real workflows/ deployed, rules seeded)
from tests.workflows.stages import start_stage


def _year(cycle):  # noqa: F811
    earlier = cycle.project("2014-dept-a-001", fiscal_year=2014, amount=2_000_000)
    with db.write(cycle.rt.engine) as conn:
        evaluations.record(conn, clock.now(), project_id=earlier, kind="self", score=72.5, grade="中", detail={})
    start_stage(cycle, earlier, "budget_linkage", final_grade="中", rectification_status="done")
    later = cycle.project("2016-dept-a-001", fiscal_year=2016, predecessor_id=earlier)
    first, second = cycle.project("2015-dept-a-001"), cycle.project("2015-dept-a-002", amount=900_000)
    other = cycle.project("2015-dept-b-001", department_id="dept-b", sector="health")
    with db.write(cycle.rt.engine) as conn:
        for key, pid, handling, amount in (("a", first, "adjust", "300000.00"), ("b", second, "stop", "650000.50"),
                                           ("c", other, "adjust", "49999.50")):
            adjustments_records.record(conn, clock.now(), key=key, project_id=pid, fiscal_year=2015, handling=handling,
                               amount=Decimal(amount), toward="防汛应急抢险", reason="预计无法完成年度目标",
                               decided_by="supervisor", instance_id=None)
    return earlier, later, first


def test_the_history_shows_the_predecessors_grade_and_the_decision_on_n_plus_2(cycle):  # noqa: F811
    earlier, later, _ = _year(cycle)
    resp = cycle.as_user("staff_a").get(f"/api/projects/{later}/history")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert [p["id"] for p in body["predecessors"]] == [earlier]
    assert [(e["fiscal_year"], e["score"], e["grade"]) for e in body["evaluations"]] == [(2014, 72.5, "中")]
    [decision] = body["decisions"]
    assert (decision["fiscal_year"], decision["for_year"], decision["proposal"], decision["proposed_amount"]) == \
        (2014, 2016, "cut", 1_800_000.0)  # 2,000,000 × 0.9


def test_another_departments_project_and_an_unknown_one_are_404(cycle):  # noqa: F811
    _, later, _ = _year(cycle)
    for user, path in (("staff_b", f"/api/projects/{later}/history"), ("staff_a", "/api/projects/nope/history"),
                       ("staff_b", f"/api/projects/{later}/budget-adjustments")):
        resp = cycle.as_user(user).get(path)
        assert resp.status_code == 404 and resp.content_type == "application/problem+json"


def test_adjustments_listed_per_project_and_summed_for_the_year(cycle):  # noqa: F811
    _, _, first = _year(cycle)
    [item] = cycle.as_user("staff_a").get(f"/api/projects/{first}/budget-adjustments").get_json()["items"]
    assert (item["handling"], item["amount"], item["fiscal_year"], item["decided_by"]) == \
        ("adjust", 300_000.0, 2015, "supervisor")
    body = cycle.as_user("reviewer").get("/api/reports/budget-adjustments?year=2015").get_json()
    assert (body["count"], body["total"]) == (3, 1_000_000.0)  # 300,000 + 650,000.50 + 49,999.50
    assert {i["department_name"] for i in body["items"]} == {"市教育局", "市卫生健康委员会"}
    assert cycle.as_user("reviewer").get("/api/reports/budget-adjustments?year=2016").get_json()["total"] == 0
    bad = cycle.as_user("reviewer").get("/api/reports/budget-adjustments?year=1999")
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"
    assert cycle.as_user("staff_a").get("/api/reports/budget-adjustments?year=2015").status_code == 403
