"""Who starts the cycle's processes (workflows/, camunda:candidateStarterGroups and start forms): the bureau's
roles by hand with the data the start form allows, the system always; a department never."""

from __future__ import annotations

from typing import Any

import pytest

from service import db
from service.cycle import projects_records
from tests.conftest import count_rows

BUREAU_PROCESSES = ["accountability", "budget_cycle", "budget_linkage", "comprehensive_evaluation",
                    "department_pilot", "evaluation", "goal_review", "monitoring", "rectification"]


def _variables(cycle: Any, pid: str) -> dict[str, Any]:
    with db.read(cycle.rt.engine) as conn:
        return projects_records.cycle_variables(projects_records.get(conn, pid))


def _nothing_stored(cycle: Any, before: tuple[int, int, int, int]) -> bool:
    return tuple(count_rows(cycle.rt, t) for t in ("instances", "events", "jobs", "tasks")) == before


def _counts(cycle: Any) -> tuple[int, int, int, int]:
    return tuple(count_rows(cycle.rt, t) for t in ("instances", "events", "jobs", "tasks"))  # type: ignore[return-value]


def test_a_department_cannot_start_accountability_naming_an_assignee(cycle):
    before = _counts(cycle)
    resp = cycle.as_user("staff_a").post("/api/instances", json={"process_id": "accountability",
                                                                 "data": {"assignee": "cz.admin"}})
    assert resp.status_code == 403 and resp.content_type == "application/problem+json"
    assert "accountability" in resp.get_json()["detail"]
    assert _nothing_stored(cycle, before), "no instance, no event, no job, no task"


@pytest.mark.parametrize("process_id", BUREAU_PROCESSES)
@pytest.mark.parametrize("user", ["staff_a", "head_a"])
def test_each_bureau_process_is_refused_to_a_department(cycle, process_id, user):
    pid = cycle.project()
    before = _counts(cycle)
    # Even with well-formed data for its own department's project.
    resp = cycle.as_user(user).post("/api/instances", json={"process_id": process_id, "data": _variables(cycle, pid),
                                                            "department_id": "dept-a"})
    assert resp.status_code == 403, resp.get_json()
    assert _nothing_stored(cycle, before)


def test_the_bureau_starts_a_stage_with_the_data_its_start_form_allows(cycle):
    pid = cycle.project()
    reviewer = cycle.as_user("reviewer")
    data = _variables(cycle, pid)
    before = _counts(cycle)
    wrong = reviewer.post("/api/instances", json={"process_id": "goal_review", "department_id": "dept-a",
                                                  "data": {**data, "budget_amount": "a lot", "goal_status": "approved"}})
    assert wrong.status_code == 422
    assert {e["field"] for e in wrong.get_json()["errors"]} == {"data/budget_amount", "data"}
    missing = reviewer.post("/api/instances", json={"process_id": "goal_review", "department_id": "dept-a",
                                                    "data": {"project_id": pid}})
    assert missing.status_code == 422 and "data/fiscal_year" in {e["field"] for e in missing.get_json()["errors"]}
    elsewhere = reviewer.post("/api/instances", json={"process_id": "goal_review", "department_id": "dept-b",
                                                      "data": data})
    assert elsewhere.status_code == 422 and elsewhere.get_json()["errors"][0]["field"] == "data/department_id"
    assert _nothing_stored(cycle, before)

    ok = reviewer.post("/api/instances", json={"process_id": "goal_review", "department_id": "dept-a", "data": data,
                                               "business_key": pid})
    assert ok.status_code == 201, ok.get_json()
    cycle.work()
    assert [t["bpmn_id"] for t in cycle.tasks(ok.get_json()["id"], "staff_a")] == ["declare_goal"]


def test_an_assignment_variable_is_refused_to_a_starter_who_cannot_assign(cycle):
    pid = cycle.project(amount=6_000_000)  # a major project: the expert panel is `${expert_users}`
    data = {**_variables(cycle, pid), "expert_users": ["reviewer"]}
    before = _counts(cycle)
    resp = cycle.as_user("reviewer").post("/api/instances", json={"process_id": "goal_review",
                                                                  "department_id": "dept-a", "data": data})
    assert resp.status_code == 403 and "expert_users" in resp.get_json()["detail"]
    assert resp.get_json()["errors"] == [{"field": "data/expert_users", "message": "an assignment variable"}]
    # An administrator could assign the task by hand; the start form still takes only the project's variables.
    admin = cycle.as_user("admin").post("/api/instances", json={"process_id": "goal_review",
                                                                "department_id": "dept-a", "data": data})
    assert admin.status_code == 422 and admin.get_json()["errors"][0]["field"] == "data"
    assert _nothing_stored(cycle, before)


def test_the_system_still_starts_the_cycle_and_its_call_activities(cycle):
    pid = cycle.project()
    iid = cycle.start(pid)  # the calendar's launch: the system, with the project's variables
    inst = cycle.instance(iid)
    assert inst["process_id"] == "budget_cycle" and inst["started_by"] == "system" and inst["status"] == "running"
    # The call activity started goal_review inside the cycle: the department's declaration is waiting.
    assert [t["bpmn_id"] for t in cycle.tasks(iid, "staff_a")] == ["declare_goal"]


def test_the_bureau_launches_the_comprehensive_evaluation_through_its_start_form(cycle):
    resp = cycle.as_user("reviewer").post("/api/reports/scorecard?year=2015&level=municipal")
    assert resp.status_code == 200, resp.get_json()
    started = resp.get_json()["started"]
    assert started and all(cycle.instance(i)["started_by"] == "reviewer" for i in started.values())
