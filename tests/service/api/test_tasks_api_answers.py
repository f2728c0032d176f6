"""A task command answers with the task as its write left it (no second read after a command),
and that answer is exactly what reading the task right after it gives."""

from __future__ import annotations

import pytest

from service import clock
from service.queries import tasks_queries
from tests.conftest import principal


@pytest.fixture
def task_of(runtime, deploy_fixture):
    """simple.bpmn deployed; a fresh dept-a instance (started by staff_a) per call, with its ready task."""
    deploy_fixture("simple.bpmn")

    def new_task() -> str:
        iid = runtime.workflows.start("simple", {"amount": 1}, actor=principal("staff_a"))["id"]
        with runtime.reading() as conn:
            [task] = tasks_queries.list_tasks(conn, page=1, per_page=5, now=clock.now(), instance_id=iid)["items"]
        return str(task["id"])

    return new_task


def _same_as_read(client, tid, resp):
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == client.get(f"/api/tasks/{tid}").get_json()
    return resp.get_json()


def test_every_task_command_answers_what_a_read_gives(as_user, task_of, frozen_clock):
    staff, head, supervisor = as_user("staff_a"), as_user("head_a"), as_user("supervisor")
    tid = task_of()
    assert _same_as_read(staff, tid, staff.post(f"/api/tasks/{tid}/claim"))["assignee"] == "staff_a"
    assert _same_as_read(staff, tid, staff.post(f"/api/tasks/{tid}/unclaim"))["assignee"] is None
    staff.post(f"/api/tasks/{tid}/claim")
    delegated = _same_as_read(staff, tid, staff.post(f"/api/tasks/{tid}/delegate", json={"user": "head_a"}))
    assert (delegated["assignee"], delegated["owner"], delegated["delegation_state"]) == ("head_a", "staff_a", "pending")
    back = _same_as_read(head, tid, head.post(f"/api/tasks/{tid}/complete", json={"data": {"answer": "草拟"}}))
    assert (back["delegation_state"], back["data"]["answer"], back["state"]) == ("resolved", "草拟", "ready")
    moved = _same_as_read(supervisor, tid, supervisor.post(f"/api/tasks/{tid}/reassign", json={"user": "staff_a2"}))
    assert moved["assignee"] == "staff_a2"
    done = _same_as_read(as_user("staff_a2"), tid,
                         as_user("staff_a2").post(f"/api/tasks/{tid}/complete", json={"data": {"answer": "同意"}}))
    assert (done["state"], done["completed_by"], done["instance_status"]) == ("completed", "staff_a2", "completed")
    assert done["ended_at"] is not None and done["form"]["key"] == "simple_form"


def test_an_overdue_task_answers_overdue_like_a_read(as_user, task_of, frozen_clock):
    from datetime import timedelta

    tid = task_of()
    clock.advance(timedelta(days=11))  # simple.bpmn's task is due in 10 days
    staff = as_user("staff_a")
    assert _same_as_read(staff, tid, staff.post(f"/api/tasks/{tid}/claim"))["overdue"] is True
    done = _same_as_read(staff, tid, staff.post(f"/api/tasks/{tid}/complete", json={"data": {"answer": "迟"}}))
    assert done["overdue"] is False and done["state"] == "completed"
