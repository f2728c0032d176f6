"""Evidence attachments (佐证材料) over HTTP: upload checks with nothing stored on refusal, downloads with the
instance's visibility and safe headers, withdrawal rules, and forms that require evidence."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import quote

import pytest

from service import clock
from service.config import Settings
from service.queries import tasks_queries
from tests.conftest import FIXTURES, count_rows, principal
from tests.service.api.test_blueprint_openapi import CHECKS, schema
from tests.service.attachments import samples

CAP = 64 * 1024


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, forms_dir=FIXTURES, workflows_dir=FIXTURES, engine_time_limit_s=3.0,
                    attachments_dir=tmp_path / "attachments", max_upload_bytes=CAP,
                    secret_key_file=tmp_path / "instance" / "secret_key")


@pytest.fixture
def task(runtime, deploy_fixture, frozen_clock):
    """The open first task of an `evidence` instance of dept-a."""
    deploy_fixture("evidence.bpmn")
    iid = runtime.workflows.start("evidence", {}, actor=principal("staff_a"))["id"]
    return _task(runtime, iid, "submit")


def _task(runtime, iid, bpmn_id):
    with runtime.reading() as conn:
        items = tasks_queries.list_tasks(conn, page=1, per_page=50, now=clock.now(), instance_id=iid)["items"]
    return next(t for t in items if t["bpmn_id"] == bpmn_id)


def _upload(client, task_id, data, name):
    return client.post(f"/api/tasks/{task_id}/attachments", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _conforms(path, method, response, media_type=None):
    operation = schema[path][method]
    params = {p.name: "x" for p in operation.path_parameters}  # the response is judged, not the request
    case = operation.Case(path_parameters=params, **({"media_type": media_type} if media_type else {}))
    case.validate_response(response, checks=CHECKS)


def _stored_files(runtime):
    root = runtime.settings.attachments_dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _events(runtime, iid):
    from sqlalchemy import text
    with runtime.engine.connect() as conn:
        return conn.execute(text("SELECT COUNT(*) FROM events WHERE instance_id = :i"), {"i": iid}).scalar()


def test_upload_then_the_department_downloads_what_was_uploaded(as_user, task):
    staff = as_user("staff_a")
    up = _upload(staff, task["id"], samples.PDF, "2015年绩效自评报告.pdf")
    assert up.status_code == 201, up.get_json()
    _conforms("/api/tasks/{task_id}/attachments", "POST", up, "multipart/form-data")
    meta = up.get_json()
    assert meta["file_name"] == "2015年绩效自评报告.pdf" and meta["content_type"] == "application/pdf"
    assert meta["size"] == len(samples.PDF) and meta["uploader"] == "staff_a" and meta["state"] == "active"
    for who in ("staff_a2", "reviewer", "auditor"):  # the same department; bureau roles see every department
        down = as_user(who).get(f"/api/attachments/{meta['id']}")
        assert down.status_code == 200 and down.data == samples.PDF
        _conforms("/api/attachments/{attachment_id}", "GET", down)
    assert down.mimetype == "application/pdf" and down.headers["X-Content-Type-Options"] == "nosniff"
    disposition = down.headers["Content-Disposition"]
    assert disposition.startswith("inline") and f"filename*=UTF-8''{quote('2015年绩效自评报告.pdf')}" in disposition
    listed = as_user("staff_a2").get(f"/api/tasks/{task['id']}/attachments")
    assert listed.status_code == 200 and listed.get_json() == {"items": [meta], "total": 1}
    _conforms("/api/tasks/{task_id}/attachments", "GET", listed)
    assert as_user("staff_a2").get(f"/api/attachments/{meta['id']}/meta").get_json() == meta


def test_images_preview_and_office_files_download_with_their_detected_type(as_user, task):
    staff = as_user("staff_a")
    png = _upload(staff, task["id"], samples.png(), "现场照片.png").get_json()
    docx = _upload(staff, task["id"], samples.ooxml("word/document.xml"), "整改方案.pdf").get_json()
    shown = staff.get(f"/api/attachments/{png['id']}")
    assert shown.mimetype == "image/png" and shown.headers["Content-Disposition"].startswith("inline")
    assert "sandbox" in shown.headers["Content-Security-Policy"]
    csv = _upload(staff, task["id"], samples.CSV_GB18030, "台账.csv").get_json()
    table = staff.get(f"/api/attachments/{csv['id']}")
    assert table.data == samples.CSV_GB18030 and table.headers["Content-Type"] == "text/csv"  # not labelled UTF-8
    assert table.headers["Content-Disposition"].startswith("attachment")
    saved = staff.get(f"/api/attachments/{docx['id']}")
    assert saved.mimetype == docx["content_type"] and docx["content_type"].endswith("wordprocessingml.document")
    assert saved.headers["Content-Disposition"].startswith("attachment")
    assert quote("整改方案.pdf.docx") in saved.headers["Content-Disposition"]  # the name's extension fits the content


def test_another_department_gets_404_for_everything(as_user, task):
    meta = _upload(as_user("staff_a"), task["id"], samples.PDF, "报告.pdf").get_json()
    other = as_user("staff_b")
    for path in (f"/api/attachments/{meta['id']}", f"/api/attachments/{meta['id']}/meta",
                 f"/api/tasks/{task['id']}/attachments"):
        resp = other.get(path)
        assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
        assert "报告" not in resp.get_data(as_text=True)
    assert other.delete(f"/api/attachments/{meta['id']}").status_code == 404
    assert _upload(other, task["id"], samples.PDF, "x.pdf").status_code == 404


def test_oversized_upload_is_413_and_nothing_is_stored(as_user, runtime, task):
    staff = as_user("staff_a")
    before = _events(runtime, task["instance_id"])
    just_over = samples.PDF + b"%" * (CAP - len(samples.PDF) + 1)
    far_over = samples.PDF + b"%" * (CAP * 4)  # refused from its Content-Length, unread
    for data in (just_over, far_over):
        resp = _upload(staff, task["id"], data, "大文件.pdf")
        assert resp.status_code == 413 and resp.mimetype == "application/problem+json"
        _conforms("/api/tasks/{task_id}/attachments", "POST", resp, "multipart/form-data")
    assert count_rows(runtime, "attachments") == 0 and _stored_files(runtime) == []
    assert _events(runtime, task["instance_id"]) == before
    at_cap = samples.PDF + b"%" * (CAP - len(samples.PDF))
    assert _upload(staff, task["id"], at_cap, "刚好.pdf").status_code == 201


@pytest.mark.parametrize(("data", "name"), [
    (samples.EXE, "自评报告.pdf"),  # a renamed executable
    (samples.SCRIPT, "台账.csv"),
    (samples.ELF, "photo.png"),
    (samples.zip_of({"setup.pdf": samples.EXE}), "材料.zip"),
    (b"just some notes", "notes.txt"),
])
def test_refused_types_are_415_and_nothing_is_stored(as_user, runtime, task, data, name):
    before = _events(runtime, task["instance_id"])
    resp = _upload(as_user("staff_a"), task["id"], data, name)
    assert resp.status_code == 415 and resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["type"].endswith("/unsupported-media-type") and body["status"] == 415
    _conforms("/api/tasks/{task_id}/attachments", "POST", resp, "multipart/form-data")
    assert count_rows(runtime, "attachments") == 0 and _stored_files(runtime) == []
    assert _events(runtime, task["instance_id"]) == before


def test_a_request_without_the_file_field_is_422(as_user, task):
    resp = as_user("staff_a").post(f"/api/tasks/{task['id']}/attachments", data={"other": "x"},
                                   content_type="multipart/form-data")
    assert resp.status_code == 422 and resp.get_json()["errors"] == [{"field": "file", "message": "required"}]


def test_withdrawal_rules_and_no_delete_after_completion(as_user, runtime, task):
    staff, colleague = as_user("staff_a"), as_user("staff_a2")
    report = _upload(staff, task["id"], samples.PDF, "报告.pdf").get_json()
    photo = _upload(staff, task["id"], samples.png(), "照片.png").get_json()
    wrong = _upload(staff, task["id"], samples.JPEG, "传错了.jpg").get_json()
    assert colleague.delete(f"/api/attachments/{wrong['id']}").status_code == 403
    gone = staff.delete(f"/api/attachments/{wrong['id']}")
    assert gone.status_code == 200 and gone.get_json()["state"] == "deleted"
    _conforms("/api/attachments/{attachment_id}", "DELETE", gone)
    assert staff.get(f"/api/attachments/{wrong['id']}").status_code == 404
    assert staff.get(f"/api/attachments/{wrong['id']}/meta").get_json()["deleted_by"] == "staff_a"
    assert staff.get(f"/api/tasks/{task['id']}/attachments").get_json()["total"] == 2
    assert staff.get(f"/api/tasks/{task['id']}/attachments?state=all").get_json()["total"] == 3
    done = staff.post(f"/api/tasks/{task['id']}/complete",
                      json={"data": {"report": report["id"], "photos": [photo["id"]]}})
    assert done.status_code == 200, done.get_json()
    refused = staff.delete(f"/api/attachments/{report['id']}")
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    assert "can no longer change" in refused.get_json()["detail"]
    late = _upload(staff, task["id"], samples.GIF, "补交.gif")
    assert late.status_code == 409
    assert staff.get(f"/api/attachments/{report['id']}").data == samples.PDF


def test_a_form_requiring_evidence_is_completed_only_with_this_tasks_files(as_user, runtime, task):
    staff = as_user("staff_a")
    url = f"/api/tasks/{task['id']}/complete"
    missing = staff.post(url, json={"data": {"comment": "稍后补充"}})
    assert missing.status_code == 422
    assert {"report", "photos"} <= {e["field"] for e in missing.get_json()["errors"]}
    other = runtime.workflows.start("evidence", {}, actor=principal("staff_a"))["id"]
    foreign = _upload(staff, _task(runtime, other, "submit")["id"], samples.PDF, "别的任务.pdf").get_json()
    photo = _upload(staff, task["id"], samples.png(), "照片.png").get_json()
    wrong = staff.post(url, json={"data": {"report": foreign["id"], "photos": [photo["id"]]}})
    assert wrong.status_code == 422 and [e["field"] for e in wrong.get_json()["errors"]] == ["report"]
    assert staff.get(f"/api/tasks/{task['id']}").get_json()["state"] == "ready"
    report = _upload(staff, task["id"], samples.PDF, "自评报告.pdf").get_json()
    ok = staff.post(url, json={"data": {"report": report["id"], "photos": [photo["id"]]}})
    assert ok.status_code == 200 and ok.get_json()["state"] == "completed"
