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


def _old_scope_ids(conn, viewer, scope):
    """The scope as the access rule states it (visibility.tasks_visible, candidate_tasks): over the whole task table."""
    from sqlalchemy import and_, or_, select

    from service.models import TaskRow
    from service.queries.visibility import candidate_tasks, tasks_visible

    tasks = TaskRow.__table__
    rule = {"all": [], "mine": [or_(tasks.c.assignee == viewer.username, tasks.c.owner == viewer.username)],
            "candidate": [tasks.c.assignee.is_(None), candidate_tasks(viewer)],
            "department": [tasks.c.department_id == viewer.department_id],
            "actionable": [or_(tasks.c.assignee == viewer.username,
                               and_(tasks.c.assignee.is_(None), candidate_tasks(viewer)))]}[scope]
    return set(conn.execute(select(tasks.c.id).where(tasks.c.state == "ready", *tasks_visible(viewer), *rule))
               .scalars())


def test_every_scope_answers_what_the_access_rule_does_read_by_index(runtime, deploy_fixture, as_user, frozen_clock):
    """The inbox reads ready tasks by index (held, owned, offered through task_candidates, the department's) and
    still answers each tab as the visibility rule over the whole table does; the actionable tab lists the held
    tasks first, then the offered ones due first, then by priority, then by task id — across its pages."""
    from service.domain.roles import SYSTEM
    from service.queries import tasks_queries

    users_model = MODEL.replace('camunda:candidateGroups="${group}"',
                                'camunda:candidateGroups="${group}" camunda:candidateUsers="${users}"')
    form = json.loads(START_FORM)
    form["properties"]["users"] = {"type": "string"}
    deploy_fixture(files={**FILES, "inbox.bpmn": users_model.encode(), "inbox_start.schema.json": json.dumps(form)
                          .encode()})

    def start(dept, group, due, prio, users=""):  # started by the system: people may not name candidate users
        data = {"group": group, "due": due, "prio": prio, "users": users}
        iid = runtime.workflows.start("inbox", data, actor=SYSTEM, department_id=dept)["id"]
        [task] = as_user("power").get(f"/api/tasks?instance_id={iid}&scope=all").get_json()["items"]
        return task["id"]

    tie_1 = start("dept-a", "department_staff", "P1D", 50)
    tie_2 = start("dept-a", "department_staff", "P1D", 50)
    named = start("dept-b", "department_staff", "P2D", 50, users="staff_a")  # dept-b's, offered to staff_a by name
    start("dept-b", "finance_reviewer", "P2D", 50)
    start("dept-a", "department_head", "P3D", 50)  # dept-a's, but the heads'
    held = start("dept-a", "department_staff", "P9D", 70)
    delegated = start("dept-b", "department_staff", "P4D", 50)  # dept-b's, delegated to staff_a
    taken = start("dept-a", "department_staff", "P5D", 50)  # claimed by another of dept-a
    start("dept-b", "department_staff", "P6D", 50, users="head_a")
    twice = start("dept-a", "department_staff", "P7D", 50, users="staff_a")  # offered through two keys: once
    two_groups = start("dept-a", "department_staff,department_head", "P8D", 50)  # to power through two groups
    staff_a, staff_b = as_user("staff_a"), as_user("staff_b")
    assert staff_a.post(f"/api/tasks/{held}/claim").status_code == 200
    assert staff_b.post(f"/api/tasks/{delegated}/claim").status_code == 200
    assert staff_b.post(f"/api/tasks/{delegated}/delegate", json={"user": "staff_a"}).status_code == 200
    assert as_user("staff_a2").post(f"/api/tasks/{taken}/claim").status_code == 200

    def listed(client, scope, per_page=2):
        ids, page = [], 1
        while True:
            body = client.get(f"/api/tasks?scope={scope}&per_page={per_page}&page={page}").get_json()
            ids += [t["id"] for t in body["items"]]
            if len(ids) >= body["total"] or not body["items"]:
                return ids, body["total"]
            page += 1

    # mine first (due first), then the offered ones: a tie in due date and priority goes by task id
    first, second = sorted((tie_1, tie_2))
    assert listed(staff_a, "actionable") == ([delegated, held, first, second, named, twice, two_groups], 7)
    assert listed(staff_a, "actionable&process_id=inbox") == listed(staff_a, "actionable")  # filtered: same order
    for username in ("staff_a", "staff_a2", "staff_b", "head_a", "reviewer", "power"):
        viewer = principal(username)
        with runtime.reading() as conn:
            counts = tasks_queries.count_by_scope(conn, viewer)
            expected = {scope: _old_scope_ids(conn, viewer, scope) for scope in tasks_queries.SCOPES}
        for scope in tasks_queries.SCOPES:
            ids, total = listed(as_user(username), scope)
            assert (set(ids), len(ids), total, counts[scope]) == (expected[scope], total, len(expected[scope]),
                                                                  total), (username, scope)
    assert delegated in listed(staff_b, "mine")[0]  # the owner's too
