"""The nightly verification: the worker verifies every history once a day (one run whatever the workers), records
what it checked, resumes each history from the night before's checkpoint, records every finding for the auditors and
mails it to them; a run that stops is recorded as such. Its record is read through GET /api/verify-runs."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text, update

from service import clock, db
from service.bpm.verify_runs import VERIFY_FINDINGS, VERIFY_RUNS
from service.cli import main
from service.models import Notification, User
from service.runtime import Runtime
from tests.conftest import bypassed_audit_guard, principal
from workers import nightly_verify as nightly
from workers import notify

NOTIFICATIONS = Notification.__table__
USERS = User.__table__


def night(d: int) -> datetime:
    """02:30 in Wuhan on day `d` of March 2015 (the default schedule)."""
    return datetime(2015, 3, d, 2, 30, tzinfo=clock.LOCAL)


@pytest.fixture
def histories(runtime, deploy_fixture, frozen_clock):
    """Three instances of the simple process, one task of the first completed."""
    deploy_fixture("simple.bpmn")
    ids = [runtime.workflows.start("simple", {"amount": n}, actor=principal("staff_a"))["id"] for n in (1, 2, 3)]
    with runtime.engine.connect() as conn:
        task = conn.execute(text("SELECT id FROM tasks WHERE instance_id = :i AND state = 'ready'"),
                            {"i": ids[0]}).scalar_one()
    runtime.workflows.complete_task(task, {"answer": "已填写"}, actor=principal("staff_a"))
    return ids


def _runs(runtime):
    with db.read(runtime.engine) as conn:
        return conn.execute(select(VERIFY_RUNS).order_by(VERIFY_RUNS.c.day)).all()


def _mails(runtime):
    with db.read(runtime.engine) as conn:
        return conn.execute(select(NOTIFICATIONS).where(NOTIFICATIONS.c.kind == "verify")).all()


@contextmanager
def _auditor_address(runtime):
    """The auditor with an e-mail address for the test (people outlive a test: the address is removed after)."""
    with db.write(runtime.engine) as conn:
        conn.execute(update(USERS).where(USERS.c.username == "auditor").values(email="auditor@czj.example.cn"))
    try:
        yield
    finally:
        with db.write(runtime.engine) as conn:
            conn.execute(update(USERS).where(USERS.c.username == "auditor").values(email=None))


def test_a_night_verifies_every_history_once_and_the_next_resumes_from_its_checkpoints(runtime, histories, as_user):
    first = nightly.nightly_verify(runtime, night(3))
    assert first.run_id is not None and first.report is not None and first.report.ok
    assert (first.report.checked, first.report.from_checkpoint) == (3, 0)
    assert nightly.nightly_verify(runtime, night(3)).run_id is None  # the day's run is done: nothing more
    [run] = _runs(runtime)
    assert (run.day, run.status, run.checked, run.findings, run.error) == ("2015-03-03", "ok", 3, 0, None)
    assert run.ended_at is not None and not _mails(runtime)

    second = nightly.nightly_verify(runtime, night(4))
    assert second.report is not None and (second.report.checked, second.report.from_checkpoint) == (3, 3)
    body = as_user("auditor").get("/api/verify-runs").get_json()
    assert body["total"] == 2 and [r["day"] for r in body["items"]] == ["2015-03-04", "2015-03-03"]
    assert body["items"][0] == {**body["items"][0], "status": "ok", "checked": 3, "from_checkpoint": 3,
                                "findings": 0}
    detail = as_user("admin").get(f"/api/verify-runs/{second.run_id}").get_json()
    assert detail["items"] == [] and detail["status"] == "ok"


def test_two_workers_at_once_make_one_run(runtime, histories):
    results: list[nightly.NightlyResult] = []
    workers = [threading.Thread(target=lambda: results.append(nightly.nightly_verify(runtime, night(3))))
               for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(r.run_id is None for r in results) == [False, True]
    assert len(_runs(runtime)) == 1


def test_findings_are_recorded_and_mailed_to_every_auditor(runtime, histories, smtp_server, tmp_path, as_user):
    edited, forged = histories[2], histories[1]
    with runtime.engine.begin() as conn, bypassed_audit_guard(conn):
        assert conn.execute(text("UPDATE tasks SET assignee = 'staff_b' WHERE instance_id = :i AND state = 'ready'"),
                            {"i": edited}).rowcount == 1
        assert conn.execute(text("UPDATE events SET actor = 'head_a' WHERE instance_id = :i AND seq = 1"),
                            {"i": forged}).rowcount == 1

    with _auditor_address(runtime):
        result = nightly.nightly_verify(runtime, night(3))
    assert result.report is not None and not result.report.ok
    assert result.mailed == ["auditor"]  # the auditors, nobody else
    [run] = _runs(runtime)
    assert run.status == "findings" and run.findings == len(result.report.findings) >= 2
    with db.read(runtime.engine) as conn:
        found = conn.execute(select(VERIFY_FINDINGS).where(VERIFY_FINDINGS.c.run_id == run.id)).all()
    assert any(f.instance_id == edited and f.table_name == "tasks" and f.column_name == "assignee" for f in found)
    assert any(f.instance_id == forged and f.seq == 1 and "edited" in f.problem for f in found)

    detail = as_user("auditor").get(f"/api/verify-runs/{run.id}").get_json()
    kinds = {(f["instance_id"], f["kind"]) for f in detail["items"]}
    assert (edited, "row") in kinds and (forged, "chain") in kinds

    mail_rt = Runtime(replace(runtime.settings, smtp_host="127.0.0.1", smtp_port=smtp_server.port,
                              smtp_timeout_s=5.0, mail_sink_dir=tmp_path / "never"),
                      runtime.engine, runtime.specs, runtime.workflows)
    assert len(notify.deliver_due(mail_rt, "w1", night(3)).sent) == 1
    [msg] = smtp_server.inbox.messages()
    assert smtp_server.inbox.envelopes[0].rcpt_tos == ["auditor@czj.example.cn"]
    assert "2015年03月03日夜间校验发现" in msg["Subject"]
    content = msg.get_content()
    assert f"实例 {forged} 事件 1" in content and f"/audit/verify-runs/{run.id}" in content
    # The next night finds the same, and tells the auditors again (a new day's mail).
    assert nightly.nightly_verify(runtime, night(4)).mailed == ["auditor"]


def test_a_run_that_stops_is_recorded_failed_and_one_left_running_is_marked_interrupted(runtime, histories,
                                                                                           monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(nightly, "verify", broken)
    with pytest.raises(RuntimeError):
        nightly.nightly_verify(runtime, night(3))
    [run] = _runs(runtime)
    assert (run.status, run.error) == ("failed", "RuntimeError: the database went away")
    monkeypatch.undo()

    with db.write(runtime.engine) as conn:  # a worker that died in the middle of its night
        conn.execute(VERIFY_RUNS.insert().values(id="left", day="2015-03-04", status="running",
                                                 started_at=clock.to_db(night(4)), checked=0, from_checkpoint=0,
                                                 findings=0))
    assert nightly.nightly_verify(runtime, night(5)).report is not None
    runs = {r.day: r for r in _runs(runtime)}
    assert (runs["2015-03-04"].status, runs["2015-03-04"].error) == ("failed", nightly.INTERRUPTED)
    assert runs["2015-03-05"].status == "ok"


def test_only_auditors_and_administrators_read_the_runs(runtime, histories, as_user):
    nightly.nightly_verify(runtime, night(3))
    for user in ("staff_a", "reviewer", "supervisor"):
        answer = as_user(user).get("/api/verify-runs")
        assert answer.status_code == 403 and answer.content_type == "application/problem+json"
    missing = as_user("auditor").get("/api/verify-runs/no-such-run")
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"
    assert as_user("auditor").get("/api/verify-runs?per_page=0").status_code == 422


def test_a_failed_day_may_run_again_and_the_command_runs_the_night_on_demand(runtime, histories, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("SECRET_KEY_FILE", str(runtime.settings.secret_key_file))
    monkeypatch.setenv("JIXIAO_ENV", "production")  # and no SECRET_KEY: nothing to sign checkpoints with
    monkeypatch.delenv("SECRET_KEY", raising=False)
    clock.set_now(night(3))
    refused = CliRunner().invoke(main, ["audit", "nightly", "--jobs", "1"])
    assert refused.exit_code == 1 and "SECRET_KEY" in refused.output
    [run] = _runs(runtime)
    assert run.status == "failed" and "SECRET_KEY" in run.error

    monkeypatch.setenv("JIXIAO_ENV", "development")  # the key file is used again: the day's run is taken over
    done = CliRunner().invoke(main, ["audit", "nightly", "--jobs", "2"])
    assert done.exit_code == 0, done.output
    assert "nightly verification of 2015-03-03: 3 instance(s), 0 from a checkpoint; 0 finding(s)" in done.output
    [again] = _runs(runtime)
    assert (again.id, again.status, again.checked, again.error) == (run.id, "ok", 3, None)
    twice = CliRunner().invoke(main, ["audit", "nightly"])
    assert twice.exit_code == 0 and "has already run" in twice.output

    with runtime.engine.begin() as conn, bypassed_audit_guard(conn):
        conn.execute(text("UPDATE instances SET data = '{}' WHERE id = :i"), {"i": histories[0]})
    clock.set_now(night(4))
    found = CliRunner().invoke(main, ["audit", "nightly", "--jobs", "1"])
    assert found.exit_code == 1 and f"MISMATCH {histories[0]}" in found.output
    assert "1 finding(s), mailed to 1 auditor(s)" in found.output
