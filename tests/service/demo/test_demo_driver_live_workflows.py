"""The demo's in-memory workflows (WorkflowService.live_workflows): off by default; on, a command continues from the
workflow the last one left, a refused or failed command leaves none behind, and the history still replays to the
stored state."""

from __future__ import annotations

import pytest

from service import clock
from service.bpm.jsonutil import loads
from service.bpm.verify import verify_instance
from service.errors import EngineFailure, InvalidInput
from service.queries import tasks_queries


def _task(runtime, iid):
    with runtime.reading() as conn:
        [task] = tasks_queries.list_tasks(conn, page=1, per_page=5, now=clock.now(), instance_id=iid)["items"]
    return task["id"]


def test_off_by_default(runtime):
    assert runtime.workflows.live_workflows is None


def test_commands_continue_from_the_live_workflow_and_the_history_still_verifies(runtime, deploy_fixture):
    deploy_fixture("simple.bpmn", "failing.bpmn")
    service = runtime.workflows
    service.live_workflows = {}
    try:
        iid = service.start("simple", {"amount": 3}, department_id="dept-a")["id"]
        assert (iid, 1) in service.live_workflows
        with pytest.raises(InvalidInput):
            service.complete_task(_task(runtime, iid), {"answer": "", "score": 300})
        assert not any(key[0] == iid for key in service.live_workflows)  # the refused command kept nothing
        done = service.complete_task(_task(runtime, iid), {"answer": "好", "score": 90})
        assert done["status"] == "completed" and loads(done["data"])["total"] == 6
        assert (iid, 2) in service.live_workflows

        failing = service.start("failing", {}, department_id="dept-a")["id"]
        live = service.live_workflows[(failing, 1)]
        with pytest.raises(EngineFailure):
            service.complete_task(_task(runtime, failing), {"answer": "完成", "score": 80})
        assert (failing, 1) not in service.live_workflows  # the half-run workflow is dropped…
        with pytest.raises(EngineFailure):  # …and the next try starts from the stored state, failing the same way
            service.complete_task(_task(runtime, failing), {"answer": "完成", "score": 80})
        assert live is not service.live_workflows.get((failing, 1))
    finally:
        service.live_workflows = None
    for instance_id in (iid, failing):
        assert verify_instance(runtime.engine, runtime.specs, runtime.settings, instance_id) is None
