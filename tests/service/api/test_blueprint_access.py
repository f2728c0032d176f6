"""Who may do what: a role × endpoint matrix, department isolation, and the task hand-offs."""

from __future__ import annotations

import io

import pytest

from service import clock
from tests.conftest import FIXTURES, count_rows, principal

USERS = ["staff_a", "head_a", "staff_b", "reviewer", "supervisor", "auditor", "designer", "admin", "expert",
         "anonymous"]


@pytest.fixture
def world(runtime, deploy_fixture):
    """simple.bpmn deployed; a fresh dept-a instance (started by staff_a) per call, with its ready task."""
    deploy_fixture("simple.bpmn")

    def new_instance() -> tuple[str, str]:
        iid = runtime.workflows.start("simple", {"amount": 1}, actor=principal("staff_a"))["id"]
        from service.queries import tasks_queries
        with runtime.reading() as conn:
            [task] = tasks_queries.list_tasks(conn, page=1, per_page=5, now=clock.now(), instance_id=iid)["items"]
        return iid, task["id"]

    return new_instance


def _client(app, as_user, user):
    return app.test_client() if user == "anonymous" else as_user(user)


def _upload(client):
    data = {"files": [(io.BytesIO((FIXTURES / "simple.bpmn").read_bytes()), "simple.bpmn")]}
    return client.post("/api/process-models", data=data, content_type="multipart/form-data")


# endpoint → expected status per user (anything not listed: 401 for anonymous)
MATRIX: dict[str, dict[str, int]] = {
    "deploy": {"designer": 200, **{u: 403 for u in USERS if u not in ("designer", "anonymous")}},
    "list_models": {u: 200 for u in USERS if u != "anonymous"},
    "start": {"staff_a": 201, "head_a": 201, "staff_b": 201, "reviewer": 201, "supervisor": 201, "designer": 201,
              "admin": 201, "auditor": 403, "expert": 403},
    "read_instance": {"staff_a": 200, "head_a": 200, "reviewer": 200, "supervisor": 200, "auditor": 200,
                      "admin": 200, "staff_b": 404, "designer": 404, "expert": 404},
    "history": {"staff_a": 200, "head_a": 200, "reviewer": 200, "supervisor": 200, "auditor": 200,
                "admin": 200, "staff_b": 404, "designer": 404, "expert": 404},
    "read_task": {"staff_a": 200, "head_a": 200, "reviewer": 200, "supervisor": 200, "auditor": 200,
                  "admin": 200, "staff_b": 404, "designer": 404, "expert": 404},
    "claim": {"staff_a": 200, "head_a": 403, "reviewer": 403, "supervisor": 403, "auditor": 403, "admin": 403,
              "staff_b": 404, "designer": 404, "expert": 404},
    "complete": {"staff_a": 200, "head_a": 403, "reviewer": 403, "supervisor": 403, "auditor": 403,
                 "admin": 403, "staff_b": 404, "designer": 404, "expert": 404},
    # Only supervisors reassign and suspend: everyone else is refused before the task or instance is looked up
    # (403 whatever the id, so it tells nothing about another department's work).
    "reassign": {"supervisor": 200, "admin": 200, "staff_a": 403, "head_a": 403, "reviewer": 403,
                 "auditor": 403, "staff_b": 403, "designer": 403, "expert": 403},
    "suspend": {"supervisor": 200, "admin": 200, "staff_a": 403, "head_a": 403, "reviewer": 403, "auditor": 403,
                "staff_b": 403, "designer": 403, "expert": 403},
    "list_users": {"admin": 200, **{u: 403 for u in USERS if u not in ("admin", "anonymous")}},
    "create_user": {"admin": 201, **{u: 403 for u in USERS if u not in ("admin", "anonymous")}},
    "me": {u: 200 for u in USERS if u != "anonymous"},
}
CASES = [(endpoint, user, expected.get(user, 401)) for endpoint, expected in MATRIX.items() for user in USERS]


@pytest.mark.parametrize(("endpoint", "user", "status"), CASES)
def test_role_endpoint_matrix(app, as_user, world, runtime, endpoint, user, status):
    client = _client(app, as_user, user)
    iid, tid = world()
    calls = {
        "deploy": lambda: _upload(client),
        "list_models": lambda: client.get("/api/process-models"),
        "start": lambda: client.post("/api/instances", json={"process_id": "simple", "data": {"amount": 2}}),
        "read_instance": lambda: client.get(f"/api/instances/{iid}"),
        "history": lambda: client.get(f"/api/instances/{iid}/history"),
        "read_task": lambda: client.get(f"/api/tasks/{tid}"),
        "claim": lambda: client.post(f"/api/tasks/{tid}/claim"),
        "complete": lambda: client.post(f"/api/tasks/{tid}/complete", json={"data": {"answer": "ok"}}),
        "reassign": lambda: client.post(f"/api/tasks/{tid}/reassign", json={"user": "staff_a2"}),
        "suspend": lambda: client.post(f"/api/instances/{iid}/suspend"),
        "list_users": lambda: client.get("/api/users"),
        "create_user": lambda: client.post("/api/users", json={
            "username": f"new_{user}", "display_name": "新用户", "password": "a-long-password",
            "roles": ["department_staff"], "department_id": "dept-b"}),
        "me": lambda: client.get("/api/auth/me"),
    }
    events_before = count_rows(runtime, "events")
    resp = calls[endpoint]()
    assert resp.status_code == status, (endpoint, user, resp.get_json())
    if status >= 400:
        assert resp.content_type == "application/problem+json"
        if endpoint not in ("list_models", "me", "read_instance", "history", "read_task", "list_users"):
            assert count_rows(runtime, "events") == events_before, "a refused command changed nothing"
    if status == 401:
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_other_departments_see_nothing_of_dept_a(as_user, world):
    iid, tid = world()
    b = as_user("staff_b")
    assert b.get("/api/instances").get_json()["total"] == 0
    assert b.get("/api/tasks").get_json()["total"] == 0
    assert b.get(f"/api/instances/{iid}").status_code == 404
    assert b.get(f"/api/instances/{iid}/history").status_code == 404
    assert b.get(f"/api/tasks/{tid}").status_code == 404
    a = as_user("staff_a")
    assert a.get("/api/instances").get_json()["total"] == 1
    assert a.get("/api/tasks?scope=department").get_json()["total"] == 1
    # Auditors read every department's history.
    history = as_user("auditor").get(f"/api/instances/{iid}/history").get_json()
    assert [e["command"] for e in history["items"]] == ["start"] and history["items"][0]["actor"] == "staff_a"


def test_claimed_task_completed_by_another_candidate_is_409(as_user, world):
    _, tid = world()
    assert as_user("staff_a").post(f"/api/tasks/{tid}/claim").get_json()["assignee"] == "staff_a"
    resp = as_user("staff_a2").post(f"/api/tasks/{tid}/complete", json={"data": {"answer": "mine"}})
    assert resp.status_code == 409 and "claimed by staff_a" in resp.get_json()["detail"]
    assert as_user("staff_a2").post(f"/api/tasks/{tid}/claim").status_code == 409
    # The holder gives it back; now the other candidate can take it.
    assert as_user("staff_a").post(f"/api/tasks/{tid}/unclaim").get_json()["assignee"] is None
    assert as_user("staff_a2").post(f"/api/tasks/{tid}/claim").get_json()["assignee"] == "staff_a2"


def test_delegation_round_trip(as_user, world, runtime):
    iid, tid = world()
    owner, delegate = as_user("staff_a"), as_user("head_a")
    assert owner.post(f"/api/tasks/{tid}/delegate", json={"user": "head_a"}).status_code == 409  # claim first
    owner.post(f"/api/tasks/{tid}/claim")
    delegated = owner.post(f"/api/tasks/{tid}/delegate", json={"user": "head_a"}).get_json()
    assert (delegated["assignee"], delegated["owner"], delegated["delegation_state"]) == ("head_a", "staff_a", "pending")
    assert [t["id"] for t in delegate.get("/api/tasks?scope=mine").get_json()["items"]] == [tid]
    assert owner.post(f"/api/tasks/{tid}/complete", json={"data": {"answer": "x"}}).status_code == 409

    # The delegate completes: the work goes back to the owner, the process does not move yet.
    back = delegate.post(f"/api/tasks/{tid}/complete", json={"data": {"answer": "草拟意见", "score": 70}}).get_json()
    assert (back["assignee"], back["delegation_state"], back["state"]) == ("staff_a", "resolved", "ready")
    assert back["data"]["answer"] == "草拟意见"
    assert as_user("staff_a").get(f"/api/instances/{iid}").get_json()["status"] == "running"

    done = owner.post(f"/api/tasks/{tid}/complete", json={"data": {"answer": "同意", "score": 75}}).get_json()
    assert done["state"] == "completed" and done["completed_by"] == "staff_a"
    history = owner.get(f"/api/instances/{iid}/history").get_json()["items"]
    assert [(e["command"], e["actor"]) for e in history] == [
        ("start", "staff_a"), ("claim", "staff_a"), ("delegate", "staff_a"), ("resolve_task", "head_a"),
        ("complete_task", "staff_a")]


def test_supervisor_reassigns_and_the_new_assignee_completes(as_user, world):
    _, tid = world()
    as_user("staff_a").post(f"/api/tasks/{tid}/claim")
    moved = as_user("supervisor").post(f"/api/tasks/{tid}/reassign", json={"user": "staff_a2"}).get_json()
    assert moved["assignee"] == "staff_a2"
    assert as_user("staff_a").post(f"/api/tasks/{tid}/complete", json={"data": {"answer": "x"}}).status_code == 409
    assert as_user("staff_a2").post(f"/api/tasks/{tid}/complete", json={"data": {"answer": "x"}}).status_code == 200
    assert as_user("supervisor").post(f"/api/tasks/{tid}/reassign", json={"user": "nobody"}).status_code == 409


def test_reassign_to_unknown_user_is_404(as_user, world):
    _, tid = world()
    resp = as_user("supervisor").post(f"/api/tasks/{tid}/reassign", json={"user": "nobody"})
    assert resp.status_code == 404 and "nobody" in resp.get_json()["detail"]


def test_auditor_changes_nothing(as_user, world, runtime):
    iid, tid = world()
    auditor = as_user("auditor")
    before = count_rows(runtime, "events")
    for resp in (auditor.post(f"/api/tasks/{tid}/claim"),
                 auditor.post(f"/api/tasks/{tid}/complete", json={"data": {"answer": "x"}}),
                 auditor.post(f"/api/instances/{iid}/terminate"),
                 auditor.post("/api/instances", json={"process_id": "simple", "data": {"amount": 1}})):
        assert resp.status_code == 403
    assert count_rows(runtime, "events") == before
    assert auditor.get(f"/api/tasks/{tid}").status_code == 200


def test_start_for_another_department_needs_a_bureau_role(as_user, world):
    world()
    resp = as_user("staff_a").post("/api/instances", json={"process_id": "simple", "data": {"amount": 1},
                                                           "department_id": "dept-b"})
    assert resp.status_code == 403
    ok = as_user("reviewer").post("/api/instances", json={"process_id": "simple", "data": {"amount": 1},
                                                          "department_id": "dept-b"})
    assert ok.status_code == 201 and ok.get_json()["department_id"] == "dept-b"
    assert as_user("staff_b").get(f"/api/instances/{ok.get_json()['id']}").status_code == 200
    bad = as_user("reviewer").post("/api/instances", json={"process_id": "simple", "data": {"amount": 1},
                                                           "department_id": "no-such"})
    assert bad.status_code == 422
