"""A batch (WorkflowService.unit_of_work(batch=True)): its commands on an instance run on one workflow in memory and
the state is written once, at its end; each command still writes its own version and event; a command that fails
halfway lets nothing of the batch commit."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from service import clock
from service.bpm import statements as sql
from service.bpm.commands import CompleteExternalTask
from service.bpm.event_log import EVENTS
from service.bpm.verify import verify_instance
from service.errors import EngineFailure, InvalidInput
from service.queries import instances_queries, tasks_queries
from tests.conftest import principal
from workers import handlers, job_queue, leases


def _count_states(runtime, monkeypatch) -> list[int]:
    """Count the states the service writes (each is one serialization of the whole workflow)."""
    written: list[int] = []
    serialize = runtime.workflows.serializer.serialize_json

    def counted(wf, *args, **kwargs):
        written.append(1)
        return serialize(wf, *args, **kwargs)

    monkeypatch.setattr(runtime.workflows.serializer, "serialize_json", counted)
    return written


def _row(runtime, iid):
    with runtime.reading() as conn:
        row = conn.execute(select(sql.INSTANCES).where(sql.INSTANCES.c.id == iid)).one()
        events = conn.execute(select(func.count()).select_from(EVENTS).where(EVENTS.c.instance_id == iid)).scalar()
    return row, events


def _ready_task(runtime, iid):
    with runtime.reading() as conn:
        [task] = tasks_queries.list_tasks(conn, page=1, per_page=5, now=clock.now(), instance_id=iid)["items"]
    return task["id"]


def _waiting_external(runtime, iid):
    with runtime.reading() as conn:
        return conn.execute(select(sql.JOBS.c.task_id).where(sql.JOBS.c.instance_id == iid)).scalar_one()


def test_a_batch_writes_each_commands_version_and_event_and_the_state_once(runtime, deploy_fixture, monkeypatch,
                                                                           frozen_clock):
    deploy_fixture("external.bpmn")
    monkeypatch.setitem(handlers.HANDLERS, "test-score", lambda _ctx, variables: {"score": 77})
    service = runtime.workflows
    written = _count_states(runtime, monkeypatch)
    lease = {"status": "running", "lock_owner": "w1", "lock_expires_at": None, "updated_at": clock.to_db(frozen_clock)}
    with service.unit_of_work(batch=True) as conn:  # a start and the job it leads to, run in the batch
        iid = service.start("external", {"amount": 4}, actor=principal("staff_a"), conn=conn)["id"]
        [job] = leases.claim(runtime.engine, sql.JOBS, sql.JOBS.c.instance_id == iid, lease, 5, within=conn)
        job_queue.run_within(service, job, "w1", frozen_clock, conn)
        assert written == []  # nothing serialized while the batch runs
    assert written == [1]  # once, at its end
    row, events = _row(runtime, iid)
    assert (row.lock_version, row.event_seq, events) == (2, 2, 2)  # each command its own version and event
    with runtime.reading() as conn:
        assert instances_queries.get(conn, iid)["data"]["score"] == 77
    assert verify_instance(runtime.engine, runtime.specs, runtime.settings, iid) is None  # history → the stored state
    # The next command, outside any batch, continues from the stored state: the user task after the external one.
    service.complete_task(_ready_task(runtime, iid), {}, actor=principal("staff_a"))
    assert _row(runtime, iid)[0].status == "completed"


def test_inside_a_batch_the_commands_updates_leave_the_state_column_alone(runtime, deploy_fixture, monkeypatch):
    deploy_fixture("simple.bpmn")
    service = runtime.workflows
    iid = service.start("simple", {"amount": 2}, actor=principal("staff_a"))["id"]
    updates: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        if statement.startswith("UPDATE instances"):
            updates.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", seen)
    try:
        with service.unit_of_work(batch=True) as conn:
            service.complete_task(_ready_task(runtime, iid), {"answer": "好"}, actor=principal("staff_a"), conn=conn)
    finally:
        event.remove(runtime.engine, "before_cursor_execute", seen)
    assert len(updates) == 2 and [" state=" in u for u in updates] == [False, True]  # the command's, then the state
    assert verify_instance(runtime.engine, runtime.specs, runtime.settings, iid) is None


def test_a_refusal_before_the_engine_ran_leaves_the_batch_usable(runtime, deploy_fixture, monkeypatch):
    deploy_fixture("simple.bpmn")
    service = runtime.workflows
    iid = service.start("simple", {"amount": 2}, actor=principal("staff_a"))["id"]
    task = _ready_task(runtime, iid)
    with service.unit_of_work(batch=True) as conn:
        with pytest.raises(InvalidInput):  # the form refuses it: the workflow was not touched
            service.complete_task(task, {"answer": ""}, actor=principal("staff_a"), conn=conn)
        service.complete_task(task, {"answer": "好", "score": 90}, actor=principal("staff_a"), conn=conn)
    row, events = _row(runtime, iid)
    assert (row.status, row.lock_version, events) == ("completed", 2, 2)
    assert verify_instance(runtime.engine, runtime.specs, runtime.settings, iid) is None


def test_a_command_that_failed_halfway_lets_nothing_of_the_batch_commit(runtime, deploy_fixture):
    deploy_fixture("external.bpmn", "failing.bpmn")
    service = runtime.workflows
    failing = service.start("failing", {}, department_id="dept-a")["id"]
    other = service.start("external", {"amount": 1}, actor=principal("staff_a"))["id"]
    external = _waiting_external(runtime, other)
    before = [_row(runtime, i) for i in (failing, other)]
    with pytest.raises(RuntimeError, match="nothing of it may commit"), service.unit_of_work(batch=True) as conn:
        service.apply(other, CompleteExternalTask(external, {"score": 5}), conn=conn)
        with pytest.raises(EngineFailure):  # the engine ran and failed: that workflow is half-run
            service.complete_task(_ready_task(runtime, failing), {"answer": "完成", "score": 80}, conn=conn)
        with pytest.raises(RuntimeError, match="earlier command of this batch failed"):
            service.complete_task(_ready_task(runtime, failing), {"answer": "完成", "score": 80}, conn=conn)
    after = [_row(runtime, i) for i in (failing, other)]
    assert [(r.lock_version, r.state, n) for r, n in after] == [(r.lock_version, r.state, n) for r, n in before]
