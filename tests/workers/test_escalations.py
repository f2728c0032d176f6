"""Escalations: a deadline passed or a target slipped opens one; a supervisor's decision drives the BPMN."""

from __future__ import annotations

from datetime import timedelta

from service import clock
from service.engine.commands import CompleteTask, Terminate
from service.engine.replay import replay
from service.queries import tasks as task_queries
from tests.conftest import principal
from workers.timers import fire_due


def _task(runtime, iid, bpmn_id):
    items = task_queries.list_tasks(runtime.engine, page=1, per_page=20, now=clock.now(), instance_id=iid)["items"]
    return next(t["id"] for t in items if t["bpmn_id"] == bpmn_id)


def test_deadline_escalation_decided_by_a_supervisor(runtime, deploy_fixture, as_user, frozen_clock):
    deploy_fixture("timers.bpmn")
    iid = runtime.workflows.start("timers", {}, actor=principal("staff_a"))["id"]
    supervisor = as_user("supervisor")
    clock.advance(timedelta(days=3, hours=1))
    fire_due(runtime.workflows)  # the reminder: not an escalation
    assert supervisor.get("/api/escalations").get_json()["total"] == 0
    clock.advance(timedelta(days=2))
    fire_due(runtime.workflows)  # the deadline passed: the review is cancelled, 督办 opens
    [esc] = supervisor.get("/api/escalations?state=open").get_json()["items"]
    assert (esc["kind"], esc["element_id"], esc["name"], esc["department_id"]) == ("deadline", "overdue", "逾期", "dept-a")
    assert esc["task_id"] == _task(runtime, iid, "escalate")
    assert as_user("staff_b").get("/api/escalations").get_json()["total"] == 0  # another department's
    assert as_user("staff_a").get("/api/escalations").get_json()["total"] == 1  # its own department sees it
    refused = as_user("staff_a").post(f"/api/escalations/{esc['id']}/resolve", json={"decision": "dismiss"})
    assert refused.status_code == 403
    decided = supervisor.post(f"/api/escalations/{esc['id']}/resolve",
                              json={"decision": "order_rectification", "comment": "限期十个工作日整改"})
    assert decided.status_code == 200
    body = decided.get_json()
    assert (body["state"], body["decision"], body["resolved_by"]) == ("resolved", "order_rectification", "supervisor")
    inst = supervisor.get(f"/api/instances/{iid}").get_json()
    assert inst["status"] == "completed" and inst["data"]["decision"] == "order_rectification"
    assert supervisor.post(f"/api/escalations/{esc['id']}/resolve", json={"decision": "dismiss"}).status_code == 409
    assert supervisor.get("/api/escalations?state=resolved").get_json()["total"] == 1
    assert replay(runtime.engine, runtime.specs, runtime.settings, iid).ok


def test_red_warning_escalation_event(runtime, deploy_fixture, as_user, frozen_clock):
    deploy_fixture("escalation.bpmn")
    iid = runtime.workflows.start("escalation", {}, actor=principal("staff_a"))["id"]
    runtime.workflows.apply(iid, CompleteTask(_task(runtime, iid, "report"), {"warning": "red"}),
                            actor=principal("staff_a"))
    [esc] = as_user("supervisor").get("/api/escalations").get_json()["items"]
    assert (esc["kind"], esc["code"], esc["task_id"]) == ("escalation", "RED", _task(runtime, iid, "handle_escalation"))


def test_escalations_of_a_terminated_instance_are_closed_and_others_can_be_dismissed(runtime, deploy_fixture, as_user,
                                                                                    frozen_clock):
    deploy_fixture("timers.bpmn")
    iid = runtime.workflows.start("timers", {}, actor=principal("staff_a"))["id"]
    clock.advance(timedelta(days=6))
    fire_due(runtime.workflows)
    runtime.workflows.apply(iid, Terminate(reason="项目取消"), actor=principal("supervisor"))
    [esc] = as_user("supervisor").get("/api/escalations").get_json()["items"]
    assert (esc["state"], esc["decision"]) == ("resolved", "cancelled")
