"""Evidence on the task page: the upload control posts the file with the session and puts the attachment id into
the form field, which the engine then checks on completion; downloads keep the instance's visibility."""

from __future__ import annotations

import dataclasses
import json
from io import BytesIO

import pytest

from service import clock
from service.queries import instances_queries, tasks_queries
from tests.conftest import principal
from tests.service.web.browser_fixtures import signed_in

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://jixiao.example">
  <bpmn:process id="evidence" isExecutable="true" camunda:candidateStarterGroups="department_staff">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="report" name="报送材料" camunda:formKey="evidence_form" camunda:candidateGroups="department_staff">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="report" />
    <bpmn:sequenceFlow id="f2" sourceRef="report" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
""".encode()
FORM = {"type": "object", "required": ["report"], "additionalProperties": False,
        "properties": {"report": {"type": "string", "format": "attachment", "title": "自评报告",
                                  "x-title-en": "Self-evaluation report", "x-evidence": True}}}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def settings(settings, tmp_path):
    return dataclasses.replace(settings, attachments_dir=tmp_path / "attachments")


def test_upload_from_the_task_page_then_complete_with_it(app, runtime, deploy_fixture):
    deploy_fixture(files={"evidence.bpmn": BPMN, "evidence_form.schema.json": json.dumps(FORM).encode()})
    iid = runtime.workflows.start("evidence", {}, actor=principal("staff_a"))["id"]
    with runtime.reading() as conn:
        [task] = tasks_queries.list_tasks(conn, page=1, per_page=5, now=clock.now(), instance_id=iid)["items"]
    task_id = task["id"]
    staff = signed_in(app, "staff_a")
    page = staff.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'data-upload="report"' in page and 'class="upload-input"' in page

    uploaded = staff.http.post(f"/tasks/{task_id}/attachments", data={"file": (BytesIO(PDF), "自评报告.pdf")},
                               headers={"X-CSRFToken": staff.csrf_token()}, content_type="multipart/form-data")
    assert uploaded.status_code == 201, uploaded.get_json()
    attachment = uploaded.get_json()
    assert attachment["file_name"] == "自评报告.pdf"
    refused = staff.http.post(f"/tasks/{task_id}/attachments", data={"file": (BytesIO(b"MZ\x90\x00"), "a.exe")},
                              headers={"X-CSRFToken": staff.csrf_token()}, content_type="multipart/form-data")
    assert refused.status_code == 415 and refused.get_json()["error"]

    staff.get(f"/tasks/{task_id}")
    wrong = staff.submit(f"/tasks/{task_id}/complete", {"report": "not-an-attachment"})
    assert wrong.status_code == 422 and 'data-error-for="report"' in wrong.get_data(as_text=True)
    done = staff.submit(f"/tasks/{task_id}/complete", {"report": attachment["id"]})
    assert done.status_code == 302
    with runtime.reading() as conn:
        assert instances_queries.get(conn, iid)["data"]["report"] == attachment["id"]
    download = staff.get(f"/attachments/{attachment['id']}")
    assert download.status_code == 200 and download.get_data() == PDF
    assert signed_in(app, "staff_b").get(f"/attachments/{attachment['id']}").status_code == 404
