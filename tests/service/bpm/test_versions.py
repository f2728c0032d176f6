"""Instances keep running on the version they started on after a new version is deployed."""

from __future__ import annotations

from service import clock
from service.queries import instances_queries, tasks_queries
from tests.conftest import FIXTURES

V1 = (FIXTURES / "simple.bpmn").read_text()
V2 = V1.replace(
    '<bpmn:sequenceFlow id="f3" sourceRef="fill" targetRef="end" />',
    '<bpmn:sequenceFlow id="f3" sourceRef="fill" targetRef="confirm" />\n'
    '    <bpmn:userTask id="confirm" name="确认"><bpmn:incoming>f3</bpmn:incoming>'
    '<bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>\n'
    '    <bpmn:sequenceFlow id="f4" sourceRef="confirm" targetRef="end" />',
).replace('<bpmn:incoming>f3</bpmn:incoming>\n    </bpmn:endEvent>', '<bpmn:incoming>f4</bpmn:incoming>\n    </bpmn:endEvent>')


def _only_task(runtime, iid):
    with runtime.reading() as conn:
        [task] = tasks_queries.list_tasks(conn, page=1, per_page=5, now=clock.now(), instance_id=iid)["items"]
    return task


def test_old_instance_finishes_on_old_version_after_redeploy(client, runtime, deploy_fixture):
    v1 = deploy_fixture(files={"simple.bpmn": V1.encode()})
    old = client.post("/api/instances", json={"process_id": "simple", "data": {"amount": 1}}).get_json()
    assert old["version"] == v1.version

    v2 = deploy_fixture(files={"simple.bpmn": V2.encode()})
    assert v2.created and v2.version != v1.version
    detail = client.get("/api/process-models/simple").get_json()
    assert detail["version"] == v2.version and [v["version"] for v in detail["versions"]] == [v2.version, v1.version]

    new = client.post("/api/instances", json={"process_id": "simple", "data": {"amount": 2}}).get_json()
    assert new["version"] == v2.version

    # Drop the parsed specs: the old instance must reload its own version from the database.
    runtime.specs._items.clear()
    done = client.post(f"/api/tasks/{_only_task(runtime, old['id'])['id']}/complete", json={"data": {"answer": "a"}})
    assert done.status_code == 200
    with runtime.reading() as conn:
        assert instances_queries.get(conn, old["id"])["status"] == "completed"

    client.post(f"/api/tasks/{_only_task(runtime, new['id'])['id']}/complete", json={"data": {"answer": "b"}})
    assert _only_task(runtime, new["id"])["bpmn_id"] == "confirm"
    with runtime.reading() as conn:
        assert instances_queries.get(conn, new["id"])["status"] == "running"
