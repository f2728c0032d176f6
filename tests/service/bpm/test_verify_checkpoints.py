"""`jixiao audit verify` checkpoints a history it verified clean and later replays only the events since, without
trusting anything it cannot check: the whole chain is still checked, a checkpoint whose signature or chain hash does
not hold is a finding and the history is replayed in full, and `--full` replays everything and writes nothing."""

from __future__ import annotations

import json
import zlib
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from service import clock
from service.bpm import verify_checkpoints
from service.bpm.commands import CompleteTask
from service.bpm.event_log import EVENTS, event_hash
from service.bpm.verify import verify
from service.cli import main
from tests.conftest import bypassed_audit_guard, principal
from tests.database_state import built_once
from tests.service.bpm.test_verify_derived_rows import hand_around
from workers.runner import run_once
from workers.timers import fire_due


def _one(runtime, sql, **params):
    with runtime.engine.connect() as conn:
        return conn.execute(text(sql), params).first()


def _ready(runtime, iid):
    return _one(runtime, "SELECT id FROM tasks WHERE instance_id = :i AND state = 'ready'", i=iid).id


@pytest.fixture
def scene(runtime, deploy_fixture, frozen_clock):
    """A long history (seven events: start, claim, delegate, the delegate's answer, reassign, unclaim, claim) with
    its task still open, and a short one (two events) beside it."""
    return built_once(runtime, "checkpoint scene", lambda: _scene(runtime, deploy_fixture))


def _scene(runtime, deploy_fixture):
    deploy_fixture("simple.bpmn")
    wf = runtime.workflows
    iid = wf.start("simple", {"amount": 3}, actor=principal("staff_a"))["id"]
    fill = _ready(runtime, iid)
    hand_around(wf, iid, fill)
    short = wf.start("simple", {"amount": 1}, actor=principal("staff_a"))["id"]
    return {"long": iid, "short": short}


def _verify(runtime, **kwargs):
    return verify(runtime.engine, runtime.specs, runtime.settings, **kwargs)


def _checkpoint(runtime, iid):
    return _one(runtime, "SELECT * FROM verify_checkpoints WHERE instance_id = :i", i=iid)


def _tamper(runtime, sql, **params):
    with runtime.engine.begin() as conn, bypassed_audit_guard(conn):
        assert conn.execute(text(sql), params).rowcount >= 1


def _problems(report):
    return [str(f) for f in report.findings]


def test_a_history_verified_clean_is_checkpointed_and_the_next_verify_resumes_from_it(runtime, scene):
    first = _verify(runtime)
    assert first.ok and first.checked == 2 and first.from_checkpoint == 0 and first.checkpoints_written == 2
    checkpoint = _checkpoint(runtime, scene["long"])
    assert checkpoint.seq == 7 and _checkpoint(runtime, scene["short"]).seq == 1
    last = _one(runtime, "SELECT hash FROM events WHERE instance_id = :i AND seq = 7", i=scene["long"]).hash
    assert checkpoint.chain_hash == last
    second = _verify(runtime)
    assert second.ok and second.from_checkpoint == 2 and second.checkpoints_written == 0


def test_events_after_the_checkpoint_are_replayed_from_it_and_move_it_on(runtime, scene):
    iid = scene["long"]
    assert _verify(runtime).checkpoints_written == 2
    runtime.workflows.apply(iid, CompleteTask(_ready(runtime, iid), {"answer": "定稿"}), actor=principal("staff_a2"))
    report = _verify(runtime)
    assert report.ok and report.from_checkpoint == 2 and report.checkpoints_written == 1, _problems(report)
    assert _checkpoint(runtime, iid).seq == 8
    assert _one(runtime, "SELECT status FROM instances WHERE id = :i", i=iid).status == "completed"


def test_a_derived_row_or_stored_state_edited_after_the_checkpoint_is_found_as_by_a_full_replay(runtime, scene):
    iid = scene["long"]
    _verify(runtime)
    _tamper(runtime, "UPDATE tasks SET assignee = 'mallory' WHERE instance_id = :i", i=iid)
    resumed, full = _verify(runtime), _verify(runtime, full=True)
    assert resumed.from_checkpoint == 2 and _problems(resumed) == _problems(full) and len(full.findings) >= 1
    assert {(f.table, f.column) for f in resumed.findings} >= {("tasks", "assignee")}
    _tamper(runtime, "UPDATE instances SET state = replace(state, :was, :forged) WHERE id = :i", i=iid,
            was='"amount":3', forged='"amount":9')
    resumed, full = _verify(runtime), _verify(runtime, full=True)
    assert _problems(resumed) == _problems(full)
    assert any("stored state" in p for p in _problems(resumed)), _problems(resumed)


@pytest.mark.parametrize("column", ["engine_state", "replay_state", "mac", "seq"])
def test_a_tampered_checkpoint_is_a_finding_and_the_history_is_replayed_in_full(runtime, scene, column):
    iid = scene["long"]
    _verify(runtime)
    if column in ("engine_state", "replay_state"):  # another state, compressed as verify stores it
        was, forged = ('"amount":3', '"amount":9') if column == "engine_state" else ("staff_a2", "mallory")
        state = zlib.decompress(getattr(_checkpoint(runtime, iid), column)).decode()
        assert was in state
        _tamper(runtime, f"UPDATE verify_checkpoints SET {column} = :forged WHERE instance_id = :i", i=iid,
                forged=zlib.compress(state.replace(was, forged).encode()))
    else:
        _tamper(runtime, {"mac": "UPDATE verify_checkpoints SET mac = :forged WHERE instance_id = :i",
                          "seq": "UPDATE verify_checkpoints SET seq = 6 WHERE instance_id = :i"}[column],
                i=iid, forged="0" * 64)
    report = _verify(runtime)
    assert report.from_checkpoint == 1 and report.checkpoints_written == 0  # the short one; nothing written over the evidence
    seq = 6 if column == "seq" else 7
    assert _problems(report) == [f"{iid} event {seq}: the verify checkpoint at event {seq} does not match its "
                                 "signature (altered); the history was replayed in full"]
    assert _verify(runtime, full=True).ok  # the history itself is sound


def test_an_event_edited_before_the_checkpoint_is_still_found_by_the_chain(runtime, scene):
    iid = scene["long"]
    _verify(runtime)
    _tamper(runtime, "UPDATE events SET actor = 'mallory' WHERE instance_id = :i AND seq = 2", i=iid)
    report = _verify(runtime)
    assert _problems(report) == [f"{iid} event 2: content does not match its hash (edited)"]


def test_a_history_rewritten_hashes_and_all_before_the_checkpoint_is_found(runtime, scene):
    """Whoever rewrites an event and every hash after it (and the instance's head) keeps the chain whole; the
    checkpoint remembers the chain as verify saw it."""
    iid = scene["long"]
    _verify(runtime)
    with runtime.engine.begin() as conn, bypassed_audit_guard(conn):
        events = list(conn.execute(select(EVENTS).where(EVENTS.c.instance_id == iid).order_by(EVENTS.c.seq)))
        prev = None
        for ev in events:
            actor = "mallory" if ev.seq == 6 else ev.actor
            new = event_hash(prev, ev.instance_id, ev.seq, ev.at, actor, ev.command, ev.input, ev.tasks,
                             ev.fingerprint)
            conn.execute(text("UPDATE events SET actor = :a, prev_hash = :p, hash = :h WHERE id = :id"),
                         {"a": actor, "p": prev, "h": new, "id": ev.id})
            prev = new
        conn.execute(text("UPDATE instances SET last_event_hash = :h WHERE id = :i"), {"h": prev, "i": iid})
    report = _verify(runtime)
    assert _problems(report)[0] == (f"{iid} event 7: the history up to event 7 is not the one verify checkpointed "
                                    "there (rewritten, hashes and all); the history was replayed in full")
    assert report.from_checkpoint == 1


def test_a_checkpoint_signed_with_another_key_is_ignored_and_replaced(runtime, scene):
    iid = scene["long"]
    _verify(runtime)
    _tamper(runtime, "UPDATE verify_checkpoints SET key_id = 'another', mac = :m WHERE instance_id = :i",
            i=iid, m="0" * 64)
    report = _verify(runtime)
    assert report.ok and report.from_checkpoint == 1 and report.checkpoints_written == 1
    assert _checkpoint(runtime, iid).key_id != "another"


def test_the_checkpoint_holds_the_signed_replay_state(runtime, scene):
    _verify(runtime)
    checkpoint = _checkpoint(runtime, scene["long"])
    body = json.loads(zlib.decompress(checkpoint.replay_state))
    assert body["status"] == "running" and "staff_a2" in json.dumps(body["implied"], ensure_ascii=False)
    engine_state = zlib.decompress(checkpoint.engine_state).decode()
    assert json.loads(engine_state)["spec"]["name"] == "simple" and '"amount":3' in engine_state


def test_the_command_full_replays_everything_and_writes_nothing(runtime, scene, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("SECRET_KEY_FILE", str(runtime.settings.secret_key_file))
    full = CliRunner().invoke(main, ["audit", "verify", "--all", "--full", "--jobs", "1"])
    assert full.exit_code == 0 and "every history replayed from its start" in full.output
    assert _checkpoint(runtime, scene["long"]) is None
    first = CliRunner().invoke(main, ["audit", "verify", "--all", "--jobs", "1"])
    assert first.exit_code == 0 and "0 from a checkpoint, 2 checkpoint(s) written" in first.output
    second = CliRunner().invoke(main, ["audit", "verify", "--all", "--jobs", "2"])
    assert second.exit_code == 0 and "(2 processes)" in second.output
    assert "2 from a checkpoint, 0 checkpoint(s) written" in second.output
    _tamper(runtime, "UPDATE verify_checkpoints SET mac = :m WHERE instance_id = :i", m="0" * 64, i=scene["long"])
    tampered = CliRunner().invoke(main, ["audit", "verify", "--all", "--jobs", "1"])
    assert tampered.exit_code == 1
    assert [line for line in tampered.output.splitlines() if line.startswith("MISMATCH")] == [
        f"MISMATCH {scene['long']} event 7: the verify checkpoint at event 7 does not match its signature (altered); "
        "the history was replayed in full"]
    assert CliRunner().invoke(main, ["audit", "verify", "--all", "--full"]).exit_code == 0


def test_resuming_after_every_event_verifies_as_replaying_from_the_start(runtime, deploy_fixture, frozen_clock):
    """Verify after each command — timers, a reminder, an
    escalation and its decision, an external task run by the worker — resumes each history from the checkpoint the
    run before wrote, and finds what a full replay finds."""
    deploy_fixture("timers.bpmn", "external.bpmn", "simple.bpmn")
    wf, checkpointed = runtime.workflows, 0

    def verified():
        nonlocal checkpointed
        report, full = _verify(runtime), _verify(runtime, full=True)
        assert report.ok and full.ok and report.checked == full.checked, _problems(report)
        assert report.from_checkpoint == checkpointed
        checkpointed = report.checked

    timers = wf.start("timers", {}, actor=principal("power"))["id"]
    verified()
    external = wf.start("external", {"amount": 4}, actor=principal("staff_a"))["id"]
    verified()
    clock.advance(timedelta(days=3, hours=1))
    fire_due(wf)  # the reminder
    verified()
    run_once(runtime, "checkpoint-test", clock.now())  # the external task's job
    verified()
    clock.advance(timedelta(days=2))
    fire_due(wf)  # overdue: the escalation and the supervisor's task
    verified()
    escalate = _one(runtime, "SELECT id FROM tasks WHERE instance_id = :i AND bpmn_id = 'escalate'", i=timers).id
    wf.apply(timers, CompleteTask(escalate, {"decision": "extend_deadline"}), actor=principal("supervisor"))
    verified()
    assert {r.instance_id: r.seq for r in _all_checkpoints(runtime)}[timers] >= 4
    # The escalation row written again under a new id: replay pairs rows by element and task, as a full one does.
    with runtime.engine.begin() as conn:
        row = dict(conn.execute(text("SELECT * FROM escalations WHERE instance_id = :i"), {"i": timers}).mappings()
                   .one())
        conn.execute(text("DELETE FROM escalations WHERE id = :id"), {"id": row["id"]})
        row["id"] += 100
        conn.execute(text(f"INSERT INTO escalations ({', '.join(row)}) VALUES ({', '.join(':' + c for c in row)})"),
                     row)
    moved, full = _verify(runtime), _verify(runtime, full=True)
    assert moved.from_checkpoint == 1 and _problems(moved) == _problems(full), _problems(moved)  # timers: replayed
    _tamper(runtime, "UPDATE escalations SET decision = 'dismiss' WHERE instance_id = :i", i=timers)
    _tamper(runtime, "DELETE FROM jobs WHERE instance_id = :i", i=external)
    resumed, full = _verify(runtime), _verify(runtime, full=True)
    assert resumed.from_checkpoint == 2 and _problems(resumed) == _problems(full) and len(full.findings) >= 1


def _all_checkpoints(runtime):
    with runtime.engine.connect() as conn:
        return list(conn.execute(text("SELECT instance_id, seq FROM verify_checkpoints")))


def test_without_a_secret_key_the_command_says_so_and_full_still_verifies(runtime, scene, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("JIXIAO_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    refused = CliRunner().invoke(main, ["audit", "verify", "--all", "--jobs", "1"])
    assert refused.exit_code == 1 and "SECRET_KEY" in refused.output and "--full" in refused.output
    full = CliRunner().invoke(main, ["audit", "verify", "--all", "--full", "--jobs", "1"])
    assert full.exit_code == 0 and "verified 2 instance(s)" in full.output
    assert _checkpoint(runtime, scene["long"]) is None


def test_a_checkpoint_made_by_other_replay_code_is_ignored_and_replaced(runtime, scene, monkeypatch):
    """After an upgrade of the code that replays and derives rows, what an older checkpoint implied may differ."""
    with monkeypatch.context() as older:
        older.setattr(verify_checkpoints, "replay_code", lambda: "the code before the upgrade")
        assert _verify(runtime).checkpoints_written == 2
    report = _verify(runtime)
    assert report.ok and report.from_checkpoint == 0 and report.checkpoints_written == 2
    assert _verify(runtime).from_checkpoint == 2


def test_a_stored_state_rewritten_in_other_words_is_compared_again_and_the_checkpoint_follows(runtime, scene):
    """No event since the checkpoint, but the stored state is other text (as a serializer upgrade would leave it):
    verify loads it and compares it with the history again, and the checkpoint records the text it compared."""
    iid = scene["long"]
    _verify(runtime)
    state = _one(runtime, "SELECT state FROM instances WHERE id = :i", i=iid).state
    _tamper(runtime, "UPDATE instances SET state = :s WHERE id = :i", i=iid,
            s=json.dumps(json.loads(state), indent=1))
    report = _verify(runtime)
    assert report.ok and report.from_checkpoint == 2 and report.checkpoints_written == 1, _problems(report)
    again = _verify(runtime)
    assert again.ok and again.from_checkpoint == 2 and again.checkpoints_written == 0
