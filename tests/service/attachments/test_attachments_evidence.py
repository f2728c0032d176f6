"""Evidence in the mutation path: uploads and withdrawals on the instance's chain, forms that require and
reference evidence, replay that skips the uploads, and verify that re-hashes the stored files."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from service import clock, db
from service.bpm import replay as replay_module
from service.bpm.archive import export_jsonl, import_jsonl
from service.bpm.commands import AttachFile, Claim, DetachFile
from service.bpm.replay import replay
from service.bpm.verify import verify
from service.cli import main
from service.config import Settings
from service.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.migrate import upgrade
from service.queries import tasks_queries
from service.runtime import Runtime
from tests.conftest import count_rows, principal
from tests.service.attachments import samples


@pytest.fixture
def rt(runtime, deploy_fixture, frozen_clock):
    deploy_fixture("evidence.bpmn")
    return runtime


def _start(rt, who="staff_a"):
    return rt.workflows.start("evidence", {}, actor=principal(who))["id"]


def _task(rt, iid, bpmn_id="submit"):
    with rt.reading() as conn:
        items = tasks_queries.list_tasks(conn, page=1, per_page=50, now=clock.now(), instance_id=iid)["items"]
    return next(t["id"] for t in items if t["bpmn_id"] == bpmn_id)


def _attach(rt, task_id, data=samples.PDF, name="自评报告.pdf", who="staff_a"):
    return rt.workflows.apply_to_task(task_id, AttachFile(task_id, data, name), actor=principal(who))


def _complete(rt, task_id, data, who="staff_a"):
    return rt.workflows.complete_task(task_id, data, actor=principal(who))


def _events(rt, iid):
    with rt.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT seq, command FROM events WHERE instance_id = :i "
                                                    "ORDER BY seq"), {"i": iid})]


def _fields(info):
    return {e["field"]: e["message"] for e in info.value.errors}


def test_required_evidence_blocks_completion_until_files_of_the_task_are_named(rt):
    iid = _start(rt)
    tid = _task(rt, iid)
    before = _events(rt, iid)
    with pytest.raises(InvalidInput) as info:
        _complete(rt, tid, {"comment": "材料后补"})
    assert set(_fields(info)) == {"report", "photos"}
    report = _attach(rt, tid)
    with pytest.raises(InvalidInput) as info:
        _complete(rt, tid, {"report": report["id"], "photos": []})
    assert set(_fields(info)) == {"photos"}
    with pytest.raises(InvalidInput) as info:
        _complete(rt, tid, {"report": "../../etc/passwd", "photos": [report["id"]]})
    assert set(_fields(info)) == {"report"}  # not an attachment id at all
    photo = _attach(rt, tid, samples.png(), "现场.png")
    assert _events(rt, iid) == before + [(2, "attach_file"), (3, "attach_file")]  # refusals changed nothing
    _complete(rt, tid, {"report": report["id"], "photos": [photo["id"]]})
    assert _task(rt, iid, "supplement")
    assert [c for _, c in _events(rt, iid)] == ["start", "attach_file", "attach_file", "complete_task"]


def test_attachments_of_other_tasks_and_instances_and_withdrawn_ones_are_refused(rt):
    first, other = _start(rt), _start(rt)
    tid = _task(rt, first)
    report, photo = _attach(rt, tid), _attach(rt, tid, samples.png(1), "现场.png")
    foreign = _attach(rt, _task(rt, other), samples.png(2), "别家.png")
    with pytest.raises(InvalidInput) as info:
        _complete(rt, tid, {"report": report["id"], "photos": [photo["id"], foreign["id"]]})
    assert _fields(info) == {"photos/1": f"no attachment {foreign['id']} in this process"}
    _complete(rt, tid, {"report": report["id"], "photos": [photo["id"]]})
    # The next task of the same instance: its own evidence must be its own, earlier evidence may be cited.
    nxt = _task(rt, first, "supplement")
    fresh = _attach(rt, nxt, samples.png(3), "补充.png")
    withdrawn = _attach(rt, nxt, samples.png(4), "撤回.png")
    rt.workflows.apply_to_task(nxt, DetachFile(nxt, withdrawn["id"]), actor=principal("staff_a"))
    with pytest.raises(InvalidInput) as info:
        _complete(rt, nxt, {"report": report["id"], "photos": [withdrawn["id"]], "cited": [foreign["id"]]})
    assert _fields(info) == {
        "report": f"attachment {report['id']} was uploaded to another task; upload it to this one",
        "photos/0": f"attachment {withdrawn['id']} was deleted",
        "cited/0": f"no attachment {foreign['id']} in this process",
    }
    _complete(rt, nxt, {"report": fresh["id"], "photos": [fresh["id"]], "cited": [report["id"], photo["id"]]})
    with rt.engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM instances WHERE id = :i"), {"i": first}).scalar() == "completed"


def test_only_those_who_may_complete_the_task_upload(rt):
    iid = _start(rt)
    tid = _task(rt, iid)
    with pytest.raises(NotFound):
        _attach(rt, tid, who="staff_b")  # another department does not even see the task
    for who in ("auditor", "reviewer"):  # sees it, may not act on it
        with pytest.raises(Forbidden):
            _attach(rt, tid, who=who)
    rt.workflows.apply_to_task(tid, Claim(tid), actor=principal("staff_a"))
    with pytest.raises(Conflict, match="claimed by staff_a"):
        _attach(rt, tid, who="staff_a2")
    assert _attach(rt, tid)["uploader"] == "staff_a"
    assert count_rows(rt, "attachments") == 1


def test_withdrawal_by_the_uploader_while_open_and_immutability_after_completion(rt):
    iid = _start(rt)
    tid = _task(rt, iid)
    report, photo, spare = _attach(rt, tid), _attach(rt, tid, samples.png(), "a.png"), _attach(rt, tid, samples.GIF,
                                                                                                "b.gif")
    with pytest.raises(Forbidden, match="uploaded"):
        rt.workflows.apply_to_task(tid, DetachFile(tid, spare["id"]), actor=principal("staff_a2"))
    gone = rt.workflows.apply_to_task(tid, DetachFile(tid, spare["id"]), actor=principal("staff_a"))
    assert gone["state"] == "deleted" and gone["deleted_by"] == "staff_a"
    with pytest.raises(Conflict, match="already deleted"):
        rt.workflows.apply_to_task(tid, DetachFile(tid, spare["id"]), actor=principal("staff_a"))
    _complete(rt, tid, {"report": report["id"], "photos": [photo["id"]]})
    with pytest.raises(Conflict, match="can no longer change"):
        rt.workflows.apply_to_task(tid, DetachFile(tid, report["id"]), actor=principal("staff_a"))
    with pytest.raises(Conflict, match="can no longer change"):
        _attach(rt, tid, samples.JPEG, "late.jpg")
    with rt.engine.connect() as conn:
        states = dict(conn.execute(text("SELECT id, state FROM attachments")).all())
    assert states == {report["id"]: "active", photo["id"]: "active", spare["id"]: "deleted"}


def test_replay_skips_evidence_events_and_the_history_verifies(rt):
    iid = _start(rt)
    tid = _task(rt, iid)
    report, photo = _attach(rt, tid), _attach(rt, tid, samples.png(), "现场.png")
    spare = _attach(rt, tid, samples.JPEG, "多余.jpg")
    rt.workflows.apply_to_task(tid, DetachFile(tid, spare["id"]), actor=principal("staff_a"))
    _complete(rt, tid, {"report": report["id"], "photos": [photo["id"]]})
    result = replay(rt.engine, rt.specs, rt.settings, iid, keep=True)
    assert result.ok, result.first_mismatch
    assert [s.command for s in result.snapshots] == ["start", "attach_file", "attach_file", "attach_file",
                                                     "detach_file", "complete_task"]
    assert result.snapshots[-1].data["photos"] == [photo["id"]]
    report_ = verify(rt.engine, rt.specs, rt.settings, [iid])
    assert report_.ok and report_.checked == 1, report_.findings


@pytest.mark.parametrize("command", ["attach_file", "detach_file"])
def test_replay_does_not_run_the_engine_for_an_evidence_event(command):
    ev = SimpleNamespace(command=command, at=None, tasks="[]")
    # No workflow at all: an evidence event that reached the engine would fail on None.
    assert replay_module._apply(None, ev, {"task_id": "t"}, "running", {}, {}, None, Settings()) == (
        None, "running", None)


def _submitted(rt):
    iid = _start(rt)
    tid = _task(rt, iid)
    report, photo = _attach(rt, tid), _attach(rt, tid, samples.png(), "现场.png")
    _complete(rt, tid, {"report": report["id"], "photos": [photo["id"]]})
    return iid, report, photo


def _cli_verify(rt, monkeypatch, iid):
    monkeypatch.setenv("DATABASE_URL", rt.settings.database_url)
    monkeypatch.setenv("JIXIAO_ATTACHMENTS_DIR", str(rt.settings.attachments_dir))
    return CliRunner().invoke(main, ["audit", "verify", iid])


def test_verify_reports_a_file_altered_or_missing_on_disk(rt, monkeypatch):
    iid, report, photo = _submitted(rt)
    assert _cli_verify(rt, monkeypatch, iid).exit_code == 0
    stored = rt.settings.attachments_dir / report["sha256"][:2] / report["sha256"][2:4] / report["sha256"]
    stored.write_bytes(samples.PDF.replace(b"Count 0", b"Count 9"))
    altered = _cli_verify(rt, monkeypatch, iid)
    assert altered.exit_code == 1
    assert f"MISMATCH {iid} event 2: attachment {report['id']} (自评报告.pdf): the stored file was altered" \
        in altered.output
    stored.unlink()
    (rt.settings.attachments_dir / photo["sha256"][:2] / photo["sha256"][2:4] / photo["sha256"]).unlink()
    missing = _cli_verify(rt, monkeypatch, iid)
    assert missing.exit_code == 1 and "2 finding(s)" in missing.output
    assert f"attachment {report['id']} (自评报告.pdf): the stored file is missing" in missing.output
    assert f"MISMATCH {iid} event 3: attachment {photo['id']} (现场.png): the stored file is missing" in missing.output


@pytest.mark.parametrize(("statement", "problem"), [
    ("UPDATE attachments SET sha256 = :fake WHERE id = :a", "record differs from its upload event (edited)"),
    ("UPDATE attachments SET state = 'deleted' WHERE id = :a", "it is deleted, its history says active (edited)"),
    ("DELETE FROM attachments WHERE id = :a", "its record is missing (deleted)"),
    ("INSERT INTO attachments SELECT :fake, task_id, instance_id, department_id, uploader, file_name, content_type, "
     "size, sha256, storage_key, state, event_seq, created_at, deleted_at, deleted_by FROM attachments WHERE id = :a",
     "has no upload event in the history (inserted)"),
])
def test_verify_reports_attachment_records_edited_in_the_database(rt, statement, problem):
    iid, report, _ = _submitted(rt)
    with rt.engine.begin() as conn:
        conn.execute(text(statement), {"a": report["id"], "fake": "f" * 36})
    findings = [str(f) for f in verify(rt.engine, rt.specs, rt.settings, [iid]).findings]
    assert len(findings) == 1 and problem in findings[0] and iid in findings[0]


def test_an_export_carries_the_evidence_records_and_verifies_elsewhere(rt, tmp_path):
    iid, report, _ = _submitted(rt)
    out = io.StringIO()
    with rt.reading() as conn:
        export_jsonl(conn, out, instances=[iid])
    url = f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
    upgrade(url)
    scratch = Runtime.build(Settings(database_url=url, attachments_dir=rt.settings.attachments_dir))
    try:
        with db.write(scratch.engine) as conn:
            counts = import_jsonl(conn, out.getvalue().splitlines())
        assert counts["instance"] == 1 and counts["attachment"] == 2
        assert verify(scratch.engine, scratch.specs, scratch.settings, [iid]).ok
        elsewhere = Settings(database_url=url, attachments_dir=tmp_path / "empty")  # the files were not copied
        findings = verify(scratch.engine, scratch.specs, elsewhere, [iid]).findings
        assert len(findings) == 2 and all("the stored file is missing" in f.problem for f in findings)
    finally:
        scratch.close()
