"""A task command is its request's unit of work: when a later step of the same request fails, or the command loses
the race to another writer, nothing of it stays."""

from __future__ import annotations

import pytest

from service import clock
from service.bpm import running
from service.bpm.commands import Resume, Suspend
from service.queries import instances_queries, tasks_queries
from tests.conftest import count_rows, principal


@pytest.fixture
def ready(runtime, deploy_fixture):
    """simple.bpmn deployed, one dept-a instance started by staff_a: (instance id, its ready task's id)."""
    deploy_fixture("simple.bpmn")
    iid = runtime.workflows.start("simple", {"amount": 1}, actor=principal("staff_a"))["id"]
    with runtime.reading() as conn:
        [task] = tasks_queries.list_tasks(conn, page=1, per_page=5, now=clock.now(), instance_id=iid)["items"]
    return iid, task["id"]


def _unchanged(runtime, iid, tid, events):
    with runtime.reading() as conn:
        inst = instances_queries.get(conn, iid)
        task = tasks_queries.get(conn, runtime.specs, tid, principal("staff_a"))
    assert (inst["status"], task["state"], task["completed_by"]) == ("running", "ready", None)
    assert "answer" not in inst["data"] and count_rows(runtime, "events") == events
    return inst


def test_complete_whose_answer_fails_leaves_nothing(as_user, runtime, ready, monkeypatch):
    iid, tid = ready
    events = count_rows(runtime, "events")

    def broken(*_args, **_kwargs):
        raise RuntimeError("the answer could not be built")

    # The request's last step, after the command wrote the completion in the request's transaction.
    monkeypatch.setattr(tasks_queries, "detail", broken)
    resp = as_user("staff_a").post(f"/api/tasks/{tid}/complete", json={"data": {"answer": "同意"}})

    assert resp.status_code == 500
    monkeypatch.undo()
    assert _unchanged(runtime, iid, tid, events)["lock_version"] == 1
    # The task is still there to complete.
    done = as_user("staff_a").post(f"/api/tasks/{tid}/complete", json={"data": {"answer": "同意"}})
    assert done.status_code == 200 and done.get_json()["state"] == "completed"


def test_complete_that_loses_the_race_in_its_unit_of_work_is_refused(as_user, runtime, ready, monkeypatch):
    # PostgreSQL (read committed): a supervisor's commands commit between the completion's read and its write.
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("on SQLite the request holds the write lock from its BEGIN IMMEDIATE: the other writer waits "
                    "(tests/service/bpm/test_service_concurrency.py)")
    iid, tid = ready
    original, state = running.run, {"first": True}

    def run_with_a_writer_between(*args, **kwargs):
        outcome = original(*args, **kwargs)
        if state.pop("first", False):
            runtime.workflows.apply(iid, Suspend("check"), actor=principal("supervisor"))
            runtime.workflows.apply(iid, Resume("checked"), actor=principal("supervisor"))
        return outcome

    monkeypatch.setattr(running, "run", run_with_a_writer_between)
    events = count_rows(runtime, "events") + 2
    resp = as_user("staff_a").post(f"/api/tasks/{tid}/complete", json={"data": {"answer": "同意"}})

    assert resp.status_code == 409 and resp.get_json()["type"].endswith("/conflict")
    assert _unchanged(runtime, iid, tid, events)["lock_version"] == 3  # the supervisor's two commands, not ours
