"""Instances over HTTP: start with data and business key, read, list, suspend, resume, terminate."""

from __future__ import annotations


def _start(client, amount, key=None):
    resp = client.post("/api/instances", json={"process_id": "simple", "data": {"amount": amount}, "business_key": key})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_start_read_and_list_with_filters_and_paging(client, deploy_fixture):
    deploy_fixture("simple.bpmn")
    first = _start(client, 1, "P-2015-001")
    for i in range(4):
        _start(client, i + 2, f"P-2015-{i + 2:03d}")
    assert first["status"] == "running" and first["business_key"] == "P-2015-001"
    assert first["data"] == {"amount": 1, "total": 2}
    assert first["serializer_version"].startswith("jixiao-")

    got = client.get(f"/api/instances/{first['id']}").get_json()
    assert got["id"] == first["id"] and got["version"] == first["version"]

    page = client.get("/api/instances?per_page=2&page=2").get_json()
    assert page["total"] == 5 and len(page["items"]) == 2
    by_key = client.get("/api/instances?business_key=P-2015-001").get_json()
    assert [i["id"] for i in by_key["items"]] == [first["id"]]
    assert client.get("/api/instances?status=completed").get_json()["total"] == 0
    assert client.get("/api/instances?process_id=simple&status=running").get_json()["total"] == 5


def test_suspend_resume_terminate(client, deploy_fixture):
    deploy_fixture("simple.bpmn")
    inst = _start(client, 1)
    [task] = client.get(f"/api/tasks?instance_id={inst['id']}").get_json()["items"]

    suspended = client.post(f"/api/instances/{inst['id']}/suspend", json={"reason": "核查"})
    assert suspended.status_code == 200 and suspended.get_json()["status"] == "suspended"
    blocked = client.post(f"/api/tasks/{task['id']}/complete", json={"data": {"answer": "x"}})
    assert blocked.status_code == 409 and blocked.content_type == "application/problem+json"
    assert client.post(f"/api/instances/{inst['id']}/suspend").status_code == 409

    resumed = client.post(f"/api/instances/{inst['id']}/resume")
    assert resumed.status_code == 200 and resumed.get_json()["status"] == "running"

    terminated = client.post(f"/api/instances/{inst['id']}/terminate", json={"reason": "项目取消"})
    assert terminated.status_code == 200 and terminated.get_json()["status"] == "terminated"
    assert terminated.get_json()["ended_at"] is not None
    assert client.get(f"/api/tasks/{task['id']}").get_json()["state"] == "cancelled"
    assert client.get(f"/api/tasks?instance_id={inst['id']}").get_json()["total"] == 0
    assert client.post(f"/api/instances/{inst['id']}/resume").status_code == 409


def test_task_detail_has_form_schema_and_data(client, deploy_fixture):
    deploy_fixture("simple.bpmn")
    inst = _start(client, 7)
    [task] = client.get(f"/api/tasks?instance_id={inst['id']}").get_json()["items"]
    assert task["candidate_groups"] == ["department_staff"] and task["priority"] == 60 and task["due_at"]
    detail = client.get(f"/api/tasks/{task['id']}").get_json()
    assert detail["form"]["key"] == "simple_form"
    assert detail["form"]["schema"]["required"] == ["answer"]
    assert detail["data"] == {"amount": 7, "total": 14}
    by_group = client.get("/api/tasks?candidate_group=department_staff").get_json()
    assert by_group["total"] == 1
    assert client.get("/api/tasks?candidate_group=finance_reviewer").get_json()["total"] == 0


def test_unknown_ids_and_bad_input_are_problems(client, deploy_fixture):
    deploy_fixture("simple.bpmn")
    for path in ("/api/instances/nope", "/api/tasks/nope", "/api/process-models/nope"):
        resp = client.get(path)
        assert resp.status_code == 404 and resp.content_type == "application/problem+json"
    resp = client.post("/api/instances", json={"process_id": "unknown"})
    assert resp.status_code == 404
    resp = client.post("/api/instances", json={"process_id": "simple", "surprise": 1})
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "surprise"
    resp = client.post("/api/instances", data="not json", content_type="application/json")
    assert resp.status_code in (400, 422) and resp.content_type == "application/problem+json"
    assert client.get("/api/instances?per_page=0").status_code == 422
