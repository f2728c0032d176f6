"""Start rights declared in the model (camunda:candidateStarterGroups / candidateStarterUsers, a start form on the
start event): checked at deploy, kept on the loaded version, enforced by WorkflowService.start."""

from __future__ import annotations

import io
import json

import pytest

from service.errors import InvalidModel
from tests.conftest import count_rows

PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="notice" isExecutable="true" {starters}>
    <bpmn:startEvent id="s" {start}><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="u" name="签收" camunda:candidateGroups="department_staff" {task}>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="u"/>
    <bpmn:sequenceFlow id="f2" sourceRef="u" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""
NOTE_FORM = json.dumps({"type": "object", "additionalProperties": False,
                        "properties": {"note": {"type": "string", "maxLength": 20}}}).encode()


def _model(starters: str = "", start: str = "", task: str = "") -> bytes:
    return PROCESS.format(starters=starters, start=start, task=task).encode()


def _counts(runtime) -> tuple[int, ...]:
    return tuple(count_rows(runtime, t) for t in ("instances", "events", "jobs", "tasks"))


def _start(as_user, user, process_id, data=None, **extra):
    return as_user(user).post("/api/instances", json={"process_id": process_id, "data": data or {}, **extra})


def test_a_department_process_is_started_by_its_staff_for_their_own_department(as_user, deploy_fixture):
    deploy_fixture("simple.bpmn")  # candidateStarterGroups: department_staff, …
    ok = _start(as_user, "staff_a", "simple", {"amount": 3})
    assert ok.status_code == 201 and ok.get_json()["department_id"] == "dept-a"
    assert ok.get_json()["started_by"] == "staff_a"
    assert _start(as_user, "staff_a", "simple", {"amount": 3}, department_id="dept-b").status_code == 403


def test_a_process_that_names_no_starters_is_started_by_the_bureau_only(as_user, deploy_fixture, runtime):
    deploy_fixture(files={"notice.bpmn": _model()})
    before = _counts(runtime)
    for user in ("staff_a", "head_a", "expert", "agency", "auditor"):
        assert _start(as_user, user, "notice").status_code == 403, user
    assert _counts(runtime) == before
    for user in ("reviewer", "supervisor", "designer", "admin"):
        assert _start(as_user, user, "notice", department_id="dept-a").status_code == 201, user
    assert runtime.workflows.start("notice", department_id="dept-a")["started_by"] == "system"


def test_candidate_starter_users_admit_named_people(as_user, deploy_fixture):
    deploy_fixture(files={"notice.bpmn": _model('camunda:candidateStarterUsers="staff_a2, head_b"')})
    assert _start(as_user, "staff_a2", "notice").status_code == 201
    assert _start(as_user, "head_b", "notice").get_json()["department_id"] == "dept-b"
    assert _start(as_user, "staff_a", "notice").status_code == 403
    assert _start(as_user, "admin", "notice").status_code == 403  # the model names who starts it: only them


def test_without_a_start_form_a_person_starts_with_no_data(as_user, deploy_fixture, runtime):
    deploy_fixture(files={"notice.bpmn": _model('camunda:candidateStarterGroups="department_staff"')})
    before = _counts(runtime)
    resp = _start(as_user, "staff_a", "notice", {"assignee": "admin", "department_head": "staff_a"})
    assert resp.status_code == 422
    assert [e["field"] for e in resp.get_json()["errors"]] == ["data/assignee", "data/department_head"]
    assert _counts(runtime) == before
    assert _start(as_user, "staff_a", "notice").status_code == 201
    # The service's own starts (calendar jobs, launches) carry the data they compute.
    assert json.loads(runtime.workflows.start("notice", {"project_id": "p-1"})["data"]) == {"project_id": "p-1"}


def test_start_data_is_validated_against_the_start_form(as_user, deploy_fixture, runtime):
    deploy_fixture(files={"notice.bpmn": _model('camunda:candidateStarterGroups="department_staff"',
                                                'camunda:formKey="notice_start"'),
                          "notice_start.schema.json": NOTE_FORM})
    before = _counts(runtime)
    resp = _start(as_user, "staff_a", "notice", {"note": "x" * 21, "extra": 1})
    assert resp.status_code == 422 and resp.content_type == "application/problem+json"
    assert {e["field"] for e in resp.get_json()["errors"]} == {"data", "data/note"}
    assert _counts(runtime) == before
    ok = _start(as_user, "staff_a", "notice", {"note": "请签收"})
    assert ok.status_code == 201 and ok.get_json()["data"]["note"] == "请签收"


def test_an_assignment_variable_is_set_only_by_a_starter_who_may_reassign(as_user, deploy_fixture, runtime):
    deploy_fixture(files={"notice.bpmn": _model(
        'camunda:candidateStarterGroups="department_staff,finance_reviewer,supervisor"',
        'camunda:formKey="notice_start"', 'camunda:assignee="${owner}" camunda:candidateUsers="${[h for h in helpers]}"'),
        "notice_start.schema.json": json.dumps({"type": "object", "properties": {
            "owner": {"type": "string"}, "helpers": {"type": "array"}}}).encode()})
    version = runtime.specs.get(runtime.workflows.start("notice", {"owner": "staff_a", "helpers": []},
                                                        department_id="dept-a")["version_hash"])
    assert version.start_rights("notice").assignment_variables == {"owner", "helpers"}
    before = _counts(runtime)
    for user in ("staff_a", "reviewer"):
        resp = _start(as_user, user, "notice", {"owner": "admin"}, department_id="dept-a")
        assert resp.status_code == 403 and "owner" in resp.get_json()["detail"], user
    assert _start(as_user, "staff_a", "notice", {"helpers": ["staff_a2"]}).get_json()["errors"][0]["field"] \
        == "data/helpers"
    assert _counts(runtime) == before
    ok = _start(as_user, "supervisor", "notice", {"owner": "staff_a2", "helpers": []}, department_id="dept-a")
    assert ok.status_code == 201
    [task] = as_user("staff_a2").get("/api/tasks?scope=mine").get_json()["items"]
    assert task["instance_id"] == ok.get_json()["id"]


@pytest.mark.parametrize(("starters", "start", "message"), [
    ('camunda:candidateStarterGroups="department_staff,chief"', "", "unknown role(s) chief"),
    ('camunda:candidateStarterGroups="auditor"', "", "auditor never start processes"),
    ('camunda:candidateStarterGroups="${who}"', "", "no expressions"),
    ('camunda:candidateStarterUsers=" , "', "", "not empty"),
    ("", 'camunda:formKey="no_such_start"', "add forms/no_such_start.schema.json"),
    ("", 'camunda:formKey="${form}"', "no expressions"),
])
def test_deploy_refuses_start_rights_it_cannot_honour(deploy_fixture, starters, start, message):
    with pytest.raises(InvalidModel) as refused:
        deploy_fixture(files={"notice.bpmn": _model(starters, start)})
    [error] = refused.value.errors
    assert message in error["message"] and error["file"] == "notice.bpmn" and error["line"]


def test_a_deployment_pins_the_start_form_it_uses(client, deploy_fixture):
    data = {"files": [(io.BytesIO(_model(start='camunda:formKey="simple_start"')), "notice.bpmn")]}
    resp = client.post("/api/process-models", data=data, content_type="multipart/form-data")
    assert resp.status_code == 201
    assert client.post("/api/instances", json={"process_id": "notice", "data": {"amount": "x"}}).status_code == 422
    assert client.post("/api/instances", json={"process_id": "notice", "data": {"amount": 2}}).status_code == 201


def test_the_cycle_knows_the_assignment_variables_of_everything_it_calls(runtime):
    from service.bpm.deploy import deploy, read_dir
    from service.config import Settings

    real = Settings(database_url=runtime.settings.database_url)
    with runtime.unit_of_work() as conn:
        version = deploy(conn, runtime.specs, read_dir(real.workflows_dir), real, actor="test").version
    rights = runtime.specs.get(version).start_rights
    assert rights("goal_review").assignment_variables == {"expert_users"}
    assert rights("budget_cycle").assignment_variables == {"expert_users", "agency_users", "verifier_users"}
    assert rights("accountability").groups == {"supervisor", "administrator"}
    assert rights("budget_cycle").form_key == "cycle_start"
