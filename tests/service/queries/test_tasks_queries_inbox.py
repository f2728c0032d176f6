"""Inbox queries: mine, my candidate groups, my department, overdue, due within N days; due first, paged."""

from __future__ import annotations

import json
from datetime import timedelta

from service import clock
from tests.conftest import principal

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="inbox" isExecutable="true"
      camunda:candidateStarterGroups="department_staff,finance_reviewer">
    <bpmn:startEvent id="s" camunda:formKey="inbox_start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="u" name="填报" camunda:candidateGroups="${group}" camunda:dueDate="${due}"
        camunda:priority="${prio}"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="u"/>
    <bpmn:sequenceFlow id="f2" sourceRef="u" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""


# The start form: which group works the task, its due date and priority.
START_FORM = json.dumps({"type": "object", "additionalProperties": False, "properties": {
    "group": {"type": "string"}, "due": {"type": "string"}, "prio": {"type": "integer"}}}).encode()
FILES = {"inbox.bpmn": MODEL.encode(), "inbox_start.schema.json": START_FORM}


def _start(runtime, who, group, due, prio, dept=None):
    data = {"group": group, "due": due, "prio": prio}
    return runtime.workflows.start("inbox", data, actor=principal(who), department_id=dept)["id"]


def test_inbox_scopes_filters_and_order(runtime, deploy_fixture, as_user, frozen_clock):
    deploy_fixture(files=FILES)
    late = _start(runtime, "staff_a", "department_staff", "P1D", 50)
    soon_low = _start(runtime, "staff_a", "department_staff", "P3D", 10)
    soon_high = _start(runtime, "staff_a", "department_staff", "P3D", 90)
    far = _start(runtime, "staff_a", "department_staff", "P30D", 50)
    head_only = _start(runtime, "staff_a", "department_head", "P2D", 50)
    other_dept = _start(runtime, "staff_b", "department_staff", "P1D", 50)
    review = _start(runtime, "reviewer", "finance_reviewer", "P5D", 50, dept="dept-b")
    staff = as_user("staff_a")

    def ids(query):
        body = staff.get(f"/api/tasks?{query}").get_json()
        return [t["instance_id"] for t in body["items"]], body["total"]

    # My candidate groups: due first, then higher priority first; another department's are not mine.
    assert ids("scope=candidate") == ([late, soon_high, soon_low, far], 4)
    assert ids("scope=candidate&per_page=2&page=2") == ([soon_low, far], 4)
    assert ids("scope=department")[1] == 5  # the head's task is in my department too
    assert ids("scope=mine") == ([], 0)

    [task] = staff.get(f"/api/tasks?instance_id={soon_low}").get_json()["items"]
    staff.post(f"/api/tasks/{task['id']}/claim")
    assert ids("scope=mine") == ([soon_low], 1)
    assert soon_low not in ids("scope=candidate")[0]  # a claimed task leaves the candidates' list
    # What I can act on now: mine first, then my groups' unclaimed ones; not the head's task of my department.
    assert ids("scope=actionable") == ([soon_low, late, soon_high, far], 4)

    assert ids("scope=candidate&due_within_days=3")[0] == [late, soon_high]
    clock.advance(timedelta(days=2))
    assert ids("overdue=true")[0] == [late]
    assert ids("scope=all&overdue=true")[0] == [late]

    reviewer = as_user("reviewer")
    assert [t["instance_id"] for t in reviewer.get("/api/tasks?scope=candidate").get_json()["items"]] == [review]
    head = as_user("head_a")
    assert [t["instance_id"] for t in head.get("/api/tasks?scope=candidate").get_json()["items"]] == [head_only]
    assert other_dept not in ids("scope=all")[0]


def test_task_without_assignee_or_candidates_belongs_to_its_starter(runtime, deploy_fixture, as_user):
    model = MODEL.replace(' camunda:candidateGroups="${group}" camunda:dueDate="${due}"\n        '
                          'camunda:priority="${prio}"', "")
    deploy_fixture(files={**FILES, "inbox.bpmn": model.encode()})
    iid = runtime.workflows.start("inbox", {}, actor=principal("staff_b"))["id"]
    [task] = as_user("staff_b").get("/api/tasks?scope=mine").get_json()["items"]
    assert task["instance_id"] == iid and task["assignee"] == "staff_b"


def test_inbox_sorts_by_priority_newest_or_due_across_pages(runtime, deploy_fixture, as_user, frozen_clock):
    deploy_fixture(files=FILES)
    started = []
    for due, prio in (("P9D", 20), ("P1D", 70), ("P5D", 95), ("P3D", 50)):
        started.append(_start(runtime, "staff_a", "department_staff", due, prio))
        clock.advance(timedelta(minutes=1))
    low, urgent, top, middle = started
    staff = as_user("staff_a")

    def order(sort, page=1):
        body = staff.get(f"/api/tasks?scope=candidate&sort={sort}&per_page=2&page={page}").get_json()
        return [t["instance_id"] for t in body["items"]], body["total"]

    assert order("due") == ([urgent, middle], 4)
    assert order("priority") == ([top, urgent], 4) and order("priority", 2) == ([middle, low], 4)
    assert order("created") == ([middle, top], 4)
    bad = staff.get("/api/tasks?sort=loudest")
    assert bad.status_code == 422 and bad.content_type.startswith("application/problem+json")
