"""A failing or pathological model never corrupts a stored instance and never hangs or 500s."""

from __future__ import annotations

import io
import time

import pytest

from service import clock
from service.errors import EngineFailure
from service.queries import instances_queries, tasks_queries
from tests.conftest import count_rows


def _snapshot(runtime, instance_id):
    from sqlalchemy import text

    with runtime.engine.connect() as conn:
        row = conn.execute(text("SELECT state, lock_version, status, data, event_seq FROM instances WHERE id = :i"),
                           {"i": instance_id}).one()
        task_rows = conn.execute(text("SELECT id, state FROM tasks WHERE instance_id = :i ORDER BY id"),
                                 {"i": instance_id}).all()
    return tuple(row), [tuple(t) for t in task_rows]


def test_failing_script_leaves_instance_unchanged_and_explains(client, runtime, deploy_fixture):
    deploy_fixture("failing.bpmn")
    started = client.post("/api/instances", json={"process_id": "failing", "data": {}})
    assert started.status_code == 201
    iid = started.get_json()["id"]
    with runtime.reading() as conn:
        [task] = tasks_queries.list_tasks(conn, page=1, per_page=5, now=clock.now(), instance_id=iid)["items"]
    before = _snapshot(runtime, iid)

    resp = client.post(f"/api/tasks/{task['id']}/complete", json={"data": {"answer": "完成", "score": 80}})
    assert resp.status_code == 422 and resp.content_type == "application/problem+json"
    problem = resp.get_json()
    assert problem["type"].endswith("/engine-failure")
    assert "计算得分" in problem["detail"] and "ZeroDivisionError" in problem["detail"]
    assert "Traceback" not in resp.get_data(as_text=True)
    assert _snapshot(runtime, iid) == before
    # The task is still open and the user can resubmit (here: it fails the same way, still unchanged).
    again = client.get(f"/api/tasks/{task['id']}").get_json()
    assert again["state"] == "ready" and again["instance_status"] == "running"


def test_form_errors_are_422_with_fields_and_user_can_resubmit(client, runtime, deploy_fixture):
    deploy_fixture("simple.bpmn")
    iid = client.post("/api/instances", json={"process_id": "simple", "data": {"amount": 3}}).get_json()["id"]
    with runtime.reading() as conn:
        [task] = tasks_queries.list_tasks(conn, page=1, per_page=5, now=clock.now(), instance_id=iid)["items"]
    before = _snapshot(runtime, iid)
    bad = client.post(f"/api/tasks/{task['id']}/complete", json={"data": {"answer": "", "score": 300}})
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.get_json()["errors"]}
    assert {"answer", "score"} <= fields
    assert _snapshot(runtime, iid) == before
    good = client.post(f"/api/tasks/{task['id']}/complete", json={"data": {"answer": "好", "score": 90}})
    assert good.status_code == 200 and good.get_json()["state"] == "completed"
    with runtime.reading() as conn:
        inst = instances_queries.get(conn, iid)
    assert inst["status"] == "completed" and inst["data"] == {"amount": 3, "total": 6, "answer": "好", "score": 90}
    late = client.post(f"/api/tasks/{task['id']}/complete", json={"data": {"answer": "again"}})
    assert late.status_code == 409


def test_loop_without_wait_state_is_a_clear_4xx_within_seconds(client, runtime, deploy_fixture):
    deploy_fixture("loop.bpmn")
    t0 = time.monotonic()
    resp = client.post("/api/instances", json={"process_id": "loop", "data": {"counter": 0, "limit": 10**9}})
    elapsed = time.monotonic() - t0
    assert resp.status_code == 422
    # Our step limit, SpiffWorkflow giving up on the loop, or (on a loaded machine) the time budget that bounds
    # every engine run: each is named for the designer.
    detail = resp.get_json()["detail"]
    assert any(m in detail for m in ("without reaching a wait state", "without reaching an end event", "time limit"))
    assert elapsed < 30
    assert count_rows(runtime, "instances") == 0
    # The same model with a small bound completes normally.
    ok = client.post("/api/instances", json={"process_id": "loop", "data": {"counter": 0, "limit": 5}})
    assert ok.status_code == 201 and ok.get_json()["status"] == "completed" and ok.get_json()["data"]["counter"] == 5


def test_endless_script_is_stopped_by_the_time_budget(client, runtime, deploy_fixture):
    deploy_fixture("spin.bpmn")
    t0 = time.monotonic()
    resp = client.post("/api/instances", json={"process_id": "spin", "data": {}})
    assert resp.status_code == 422 and "time limit" in resp.get_json()["detail"]
    assert time.monotonic() - t0 < runtime.settings.engine_time_limit_s + 5
    assert count_rows(runtime, "instances") == 0


def _nested(depth: int) -> bytes:
    inner = f'<bpmn:startEvent id="s{depth}"><bpmn:outgoing>x{depth}</bpmn:outgoing></bpmn:startEvent>' \
            f'<bpmn:endEvent id="e{depth}"/><bpmn:sequenceFlow id="x{depth}" sourceRef="s{depth}" targetRef="e{depth}"/>'
    for k in range(depth - 1, -1, -1):
        inner = (f'<bpmn:startEvent id="s{k}"/><bpmn:subProcess id="sp{k}">{inner}</bpmn:subProcess>'
                 f'<bpmn:endEvent id="e{k}"/><bpmn:sequenceFlow id="a{k}" sourceRef="s{k}" targetRef="sp{k}"/>'
                 f'<bpmn:sequenceFlow id="b{k}" sourceRef="sp{k}" targetRef="e{k}"/>')
    return ('<?xml version="1.0"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            f'id="d" targetNamespace="x"><bpmn:process id="nested" isExecutable="true">{inner}</bpmn:process></bpmn:definitions>').encode()


def _chain(n: int) -> bytes:
    els = ['<bpmn:startEvent id="s"/>']
    flows = []
    prev = "s"
    for i in range(n):
        els.append(f'<bpmn:scriptTask id="t{i}"><bpmn:script>x = {i}</bpmn:script></bpmn:scriptTask>')
        flows.append(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{prev}" targetRef="t{i}"/>')
        prev = f"t{i}"
    els.append('<bpmn:endEvent id="e"/>')
    flows.append(f'<bpmn:sequenceFlow id="fe" sourceRef="{prev}" targetRef="e"/>')
    return ('<?xml version="1.0"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            f'id="d" targetNamespace="x"><bpmn:process id="chain" isExecutable="true">{"".join(els + flows)}</bpmn:process>'
            "</bpmn:definitions>").encode()


def _upload(client, name, content):
    return client.post("/api/process-models", data={"files": [(io.BytesIO(content), name)]},
                       content_type="multipart/form-data")


def test_very_deep_nesting_rejected_at_deploy(client, runtime):
    t0 = time.monotonic()
    resp = _upload(client, "nested.bpmn", _nested(200))
    assert resp.status_code == 422
    assert any("nested" in e["message"] for e in resp.get_json()["errors"])
    assert time.monotonic() - t0 < 10
    assert count_rows(runtime, "process_versions") == 0
    # Within the limit it deploys and runs to its end event.
    assert _upload(client, "nested.bpmn", _nested(8)).status_code == 201
    started = client.post("/api/instances", json={"process_id": "nested"})
    assert started.status_code == 201 and started.get_json()["status"] == "completed"


def test_very_long_chain_rejected_at_deploy_and_long_one_runs(client, runtime):
    t0 = time.monotonic()
    resp = _upload(client, "chain.bpmn", _chain(2000))
    assert resp.status_code == 422 and "too long" in resp.get_json()["errors"][0]["message"]
    assert time.monotonic() - t0 < 10
    assert _upload(client, "chain.bpmn", _chain(300)).status_code == 201
    started = client.post("/api/instances", json={"process_id": "chain"})
    assert started.status_code == 201 and started.get_json()["status"] == "completed"
    assert started.get_json()["data"]["x"] == 299


def test_runtime_error_at_start_is_422_and_nothing_stored(client, runtime, deploy_fixture):
    deploy_fixture("simple.bpmn")  # its script needs `amount`
    # A person's start data meets the start form first; the service's own start (no form) runs the script.
    resp = client.post("/api/instances", json={"process_id": "simple", "data": {}})
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "data/amount"
    with pytest.raises(EngineFailure, match="amount"):
        runtime.workflows.start("simple", {})
    assert count_rows(runtime, "instances") == 0 and count_rows(runtime, "events") == 1  # the deployment only
