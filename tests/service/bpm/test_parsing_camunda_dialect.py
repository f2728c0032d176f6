"""Camunda 7 attributes on user tasks survive parsing and are resolved when the task becomes ready."""

from __future__ import annotations

from datetime import timedelta

from service import clock
from service.queries import tasks_queries

MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="dialect" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="u" name="Approve" camunda:assignee="${department_head}" camunda:candidateUsers="alice, bob"
        camunda:candidateGroups="${review_groups}" camunda:dueDate="${deadline}" camunda:followUpDate="P2D"
        camunda:priority="${urgency}">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="v" name="Plain" camunda:dueDate="2015-07-31T00:00:00+08:00">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="u"/>
    <bpmn:sequenceFlow id="f2" sourceRef="u" targetRef="v"/>
    <bpmn:sequenceFlow id="f3" sourceRef="v" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def _ready(runtime, iid):
    with runtime.reading() as conn:
        [task] = tasks_queries.list_tasks(conn, page=1, per_page=5, now=clock.now(), instance_id=iid)["items"]
    return task


def test_assignment_due_dates_and_priority_resolved_at_creation(runtime, deploy_fixture, frozen_clock):
    deploy_fixture(files={"dialect.bpmn": MODEL})
    data = {"department_head": "wang.li", "review_groups": ["finance_reviewer", "expert"], "deadline": "P10D",
            "urgency": 80}
    iid = runtime.workflows.start("dialect", data)["id"]
    task = _ready(runtime, iid)
    assert task["assignee"] == "wang.li"
    assert task["candidate_users"] == ["alice", "bob"]
    assert task["candidate_groups"] == ["finance_reviewer", "expert"]
    assert clock.from_db(task["due_at"]) == frozen_clock + timedelta(days=10)
    assert clock.from_db(task["follow_up_at"]) == frozen_clock + timedelta(days=2)
    assert task["priority"] == 80

    from service.bpm.commands import CompleteTask
    runtime.workflows.apply(iid, CompleteTask(task["id"], {}))
    plain = _ready(runtime, iid)
    # Neither assignee nor candidates: the task belongs to whoever started the instance (here the service).
    assert plain["priority"] == 50 and plain["assignee"] == "system"
    assert clock.from_db(plain["due_at"]).isoformat() == "2015-07-30T16:00:00+00:00"

