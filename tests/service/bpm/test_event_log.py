"""The audit log: append-only, replayable, tamper-evident, exportable."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from service import clock, db
from service.bpm.archive import export_jsonl, import_jsonl
from service.bpm.commands import Claim, CompleteTask, Delegate, Resume, Suspend, Terminate
from service.bpm.deploy import deploy, read_dir
from service.bpm.replay import replay
from service.bpm.verify import verify
from service.cli import main
from service.config import Settings
from service.cycle import projects_records
from service.migrate import upgrade
from service.queries import tasks_queries
from service.runtime import Runtime
from tests.conftest import FIXTURES, bypassed_audit_guard, principal
from tests.database_state import built_once
from tests.workflows.conftest import seed_reference
from workers.runner import run_once
from workers.timers import fire_due

GOAL = {"goal_summary": "保障饮水安全",
        "indicators": [{"name": "供水站", "category": "quantity", "unit": "座", "comparator": ">=", "target": 12,
                        "weight": 60, "standard_source": "plan"},
                       {"name": "受益人口", "category": "social", "unit": "万人", "comparator": ">=", "target": 5,
                        "weight": 40, "standard_source": "plan"}]}
REVIEW = {"completeness": "良", "relevance": "优", "appropriateness": "良", "feasibility": "良"}


def _task(runtime, iid, bpmn_id):
    with runtime.reading() as conn:
        items = tasks_queries.list_tasks(conn, page=1, per_page=50, now=clock.now(), instance_id=iid)["items"]
    return next(t["id"] for t in items if t["bpmn_id"] == bpmn_id)


def _complete(runtime, iid, bpmn_id, data, who="power"):
    runtime.workflows.apply(iid, CompleteTask(_task(runtime, iid, bpmn_id), data), actor=principal(who))
    _work(runtime)


def _work(runtime):
    """Worker passes (the goal review's deadlines and records are external tasks) until idle."""
    for _ in range(10):
        out = run_once(runtime, "audit-test", clock.now())
        if not (out.timers.fired or out.jobs.done):
            return


def _goal_review(runtime, project_id):
    """A goal review of a dept-a project (the repository's process needs its project and the rules)."""
    with db.write(runtime.engine) as conn:
        row = projects_records.create(conn, clock.now(), id=project_id, fiscal_year=2015, department_id="dept-a",
                              name="农村饮水安全工程", sector="agriculture", amount=1_200_000)
    iid = runtime.workflows.start("goal_review", projects_records.cycle_variables(SimpleNamespace(**row)),
                                  business_key=project_id, actor=principal("power"), department_id="dept-a")["id"]
    _work(runtime)
    return iid


@pytest.fixture
def histories(runtime, frozen_clock):
    """Instances of every process in workflows/ and the timer fixture, in many states; returns their ids (built by
    the first test, copied back for the next: tests/database_state.py)."""
    return built_once(runtime, "event log histories", lambda: _histories(runtime))


def _histories(runtime):
    real = Settings(database_url=runtime.settings.database_url)
    with runtime.unit_of_work() as conn:
        deploy(conn, runtime.specs, read_dir(real.workflows_dir), real, actor="test")
    with runtime.unit_of_work() as conn:
        deploy(conn, runtime.specs, {"timers.bpmn": (FIXTURES / "timers.bpmn").read_bytes()},
               runtime.settings, actor="test")
    with db.write(runtime.engine) as conn:
        seed_reference(conn, clock.now())
    wf, power = runtime.workflows, principal("power")
    ids = {}
    # goal review: 中 → revise → resubmit → approve, with a claim and a delegation in between
    iid = _goal_review(runtime, "2015-dept-a-001")
    _complete(runtime, iid, "declare_goal", GOAL)
    _complete(runtime, iid, "submit_goal", {"head_approved": True})
    review = _task(runtime, iid, "finance_review")
    wf.apply(iid, Claim(review), actor=power)
    wf.apply(iid, Delegate(review, "reviewer"), actor=power)
    wf.apply(iid, CompleteTask(review, {**REVIEW, "review_outcome": "中"}), actor=principal("reviewer"))
    wf.apply(iid, CompleteTask(review, {**REVIEW, "review_outcome": "中"}), actor=power)
    _work(runtime)
    _complete(runtime, iid, "declare_goal", GOAL)
    clock.advance(timedelta(days=1))
    _complete(runtime, iid, "submit_goal", {"head_approved": True})
    clock.advance(timedelta(days=8))
    fire_due(wf)  # the 7-day review reminder fires
    _complete(runtime, iid, "finance_review", {**REVIEW, "review_outcome": "优"})
    ids["approved"] = iid
    # blocked (差), and one still running after a suspend/resume
    iid = _goal_review(runtime, "2015-dept-a-002")
    _complete(runtime, iid, "declare_goal", GOAL)
    _complete(runtime, iid, "submit_goal", {"head_approved": True})
    _complete(runtime, iid, "finance_review", {**REVIEW, "review_outcome": "差"})
    ids["blocked"] = iid
    iid = _goal_review(runtime, "2015-dept-a-003")
    wf.apply(iid, Suspend(reason="核查"), actor=power)
    wf.apply(iid, Resume(), actor=power)
    ids["running"] = iid
    # timers: reminder, then the interrupting escalation; and a terminated one
    iid = wf.start("timers", {}, actor=power)["id"]
    clock.advance(timedelta(days=3, hours=1))
    fire_due(wf)
    clock.advance(timedelta(days=2))
    fire_due(wf)
    _complete(runtime, iid, "escalate", {})
    ids["timers"] = iid
    iid = wf.start("timers", {}, actor=power)["id"]
    wf.apply(iid, Terminate(reason="取消"), actor=power)
    ids["terminated"] = iid
    return ids


def test_the_event_log_refuses_update_and_delete(runtime, histories):
    for statement in ("UPDATE events SET actor = 'mallory'", "DELETE FROM events"):
        with pytest.raises(Exception) as info, runtime.engine.begin() as conn:  # noqa: B017 - the driver's own error
            conn.execute(text(statement))
        assert "append-only" in str(info.value)
    with runtime.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM events WHERE actor = 'mallory'")).scalar() == 0


def test_every_history_replays_and_verifies(runtime, histories):
    for name, iid in histories.items():
        result = replay(runtime.engine, runtime.specs, runtime.settings, iid, keep=True)
        assert result.ok, (name, result.first_mismatch)
        assert all(s.matches for s in result.snapshots)
    report = verify(runtime.engine, runtime.specs, runtime.settings)
    assert report.ok and report.checked == len(histories), report.findings


def test_replay_survives_a_redeploy_mid_life(runtime, deploy_fixture, frozen_clock):
    v1 = (FIXTURES / "simple.bpmn").read_text()
    deploy_fixture(files={"simple.bpmn": v1.encode()})
    iid = runtime.workflows.start("simple", {"amount": 2}, actor=principal("staff_a"))["id"]
    deploy_fixture(files={"simple.bpmn": v1.replace("total = amount * 2", "total = amount * 3").encode()})
    clock.advance(timedelta(hours=2))
    _complete(runtime, iid, "fill", {"answer": "好"}, who="staff_a")
    runtime.specs._items.clear()
    assert replay(runtime.engine, runtime.specs, runtime.settings, iid).ok
    assert verify(runtime.engine, runtime.specs, runtime.settings, [iid]).ok


def _tamper(runtime, *statements):
    with runtime.engine.begin() as conn, bypassed_audit_guard(conn):
        for statement, params in statements:
            conn.execute(text(statement), params)


def _findings(runtime, iid):
    report = verify(runtime.engine, runtime.specs, runtime.settings, [iid])
    return [(f.instance_id, f.seq, f.problem) for f in report.findings]


def test_edited_event_payload_is_detected(runtime, histories):
    iid = histories["approved"]
    with runtime.engine.connect() as conn:
        raw = conn.execute(text("SELECT input FROM events WHERE instance_id = :i AND seq = 2"), {"i": iid}).scalar()
    forged = json.loads(raw)
    forged["forged"] = 600  # any change to a recorded input
    _tamper(runtime, ("UPDATE events SET input = :v WHERE instance_id = :i AND seq = 2",
                      {"v": json.dumps(forged), "i": iid}))
    [(found, seq, problem)] = _findings(runtime, iid)
    assert (found, seq) == (iid, 2) and "edited" in problem


def test_deleted_event_is_detected(runtime, histories):
    iid = histories["blocked"]
    _tamper(runtime, ("DELETE FROM events WHERE instance_id = :i AND seq = 2", {"i": iid}))
    [(found, seq, problem)] = _findings(runtime, iid)
    assert found == iid and seq == 3 and "sequence" in problem
    iid = histories["running"]
    with runtime.engine.connect() as conn:
        last = conn.execute(text("SELECT MAX(seq) FROM events WHERE instance_id = :i"), {"i": iid}).scalar()
    _tamper(runtime, ("DELETE FROM events WHERE instance_id = :i AND seq = :s", {"i": iid, "s": last}))
    [(found, seq, problem)] = _findings(runtime, iid)
    assert found == iid and seq == last and "removed" in problem


def test_edited_stored_state_is_detected(runtime, histories):
    iid = histories["blocked"]
    with runtime.engine.connect() as conn:
        state = conn.execute(text("SELECT state FROM instances WHERE id = :i"), {"i": iid}).scalar()
    _tamper(runtime, ("UPDATE instances SET state = :s WHERE id = :i",
                      {"s": state.replace('"blocked"', '"approved"'), "i": iid}))
    [(found, seq, problem)] = _findings(runtime, iid)
    assert found == iid and "stored state differs" in problem


def test_event_inserted_out_of_order_is_detected(runtime, histories):
    iid = histories["timers"]
    _tamper(runtime, ("UPDATE events SET seq = 100 WHERE instance_id = :i AND seq = 2", {"i": iid}),
            ("UPDATE events SET seq = 2 WHERE instance_id = :i AND seq = 3", {"i": iid}),
            ("UPDATE events SET seq = 3 WHERE instance_id = :i AND seq = 100", {"i": iid}))
    [(found, seq, problem)] = _findings(runtime, iid)
    assert (found, seq) == (iid, 2) and "previous event" in problem


def test_cli_verify_names_the_instance_and_first_bad_event(runtime, histories, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    ok = CliRunner().invoke(main, ["audit", "verify", "--all"])
    assert ok.exit_code == 0 and f"verified {len(histories)} instance(s)" in ok.output, ok.output
    iid = histories["approved"]
    _tamper(runtime, ("UPDATE events SET actor = 'mallory' WHERE instance_id = :i AND seq = 3", {"i": iid}))
    bad = CliRunner().invoke(main, ["audit", "verify", "--all"])
    assert bad.exit_code == 1 and f"MISMATCH {iid} event 3" in bad.output and "1 finding(s)" in bad.output
    assert CliRunner().invoke(main, ["audit", "verify"]).exit_code == 2


def test_export_reimported_into_a_scratch_database_verifies(runtime, histories, tmp_path):
    out = io.StringIO()
    with runtime.reading() as conn:
        assert export_jsonl(conn, out, instances=list(histories.values())) > 0
    url = f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
    upgrade(url)
    scratch = Runtime.build(Settings(database_url=url))
    try:
        with db.write(scratch.engine) as conn:
            counts = import_jsonl(conn, out.getvalue().splitlines())
        assert counts["instance"] == len(histories) and counts["version"] == 2
        report = verify(scratch.engine, scratch.specs, scratch.settings, list(histories.values()))
        assert report.ok and report.checked == len(histories), report.findings
    finally:
        scratch.close()
    # An export edited on the way is caught in the scratch database too.
    url2 = f"sqlite:///{tmp_path / 'scratch2.sqlite3'}"
    upgrade(url2)
    scratch = Runtime.build(Settings(database_url=url2))
    try:
        with db.write(scratch.engine) as conn:
            import_jsonl(conn, out.getvalue().replace("农村饮水安全工程", "城市饮水安全工程").splitlines())
        assert not verify(scratch.engine, scratch.specs, scratch.settings, list(histories.values())).ok
    finally:
        scratch.close()


def test_csv_export(runtime, histories, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    target = tmp_path / "events.csv"
    result = CliRunner().invoke(main, ["audit", "export", "--format", "csv", "--instance", histories["blocked"],
                                       "--output", str(target)])
    assert result.exit_code == 0
    lines = target.read_text(encoding="utf-8").splitlines()
    with runtime.engine.connect() as conn:
        events = conn.execute(text("SELECT COUNT(*) FROM events WHERE instance_id = :i"),
                              {"i": histories["blocked"]}).scalar()
    assert lines[0].startswith("instance_id,seq,at,actor,command") and len(lines) == 1 + events


def test_state_at_each_event_and_what_changed(as_user, runtime, histories):
    iid = histories["blocked"]
    auditor = as_user("auditor")
    items = auditor.get(f"/api/instances/{iid}/history?per_page=100").get_json()["items"]
    commands = [e["command"] for e in items]
    assert commands[0] == "start" and commands.count("complete_task") == 3  # declare, submit, review (差)
    first = auditor.get(f"/api/instances/{iid}/state?at=1").get_json()
    assert first["status"] == "running" and first["changes"]["data"]["added"]["project_id"] == "2015-dept-a-002"
    declared = next(e["seq"] for e in items if e["command"] == "complete_task")
    at_declared = auditor.get(f"/api/instances/{iid}/state?at={declared}").get_json()
    assert "declare_goal" in at_declared["completed"]
    assert at_declared["changes"]["data"]["added"]["goal_summary"] == GOAL["goal_summary"]
    assert {"bpmn_id": "declare_goal", "from": "READY", "to": "COMPLETED"} in at_declared["changes"]["tasks"]
    last = auditor.get(f"/api/instances/{iid}/state").get_json()
    assert last["seq"] == len(items) and last["status"] == "completed" and last["data"]["goal_status"] == "blocked"
    assert auditor.get(f"/api/instances/{iid}/state?at={len(items) + 5}").status_code == 404
    verdict = auditor.post(f"/api/instances/{iid}/replay").get_json()
    assert verdict == {"instance_id": iid, "ok": True, "first_bad_event": None, "problem": None}
    assert as_user("staff_b").get(f"/api/instances/{iid}/state?at=1").status_code == 404  # another department


def test_escalation_and_external_task_replay(runtime, deploy_fixture, frozen_clock, monkeypatch):
    from service.bpm.commands import CompleteExternalTask
    from service.errors import Forbidden
    from service.queries.instances_queries import get, history
    from workers import handlers

    deploy_fixture("escalation.bpmn")
    wf = runtime.workflows
    iid = wf.start("escalation", {}, actor=principal("staff_a"))["id"]
    clock.advance(timedelta(days=1))
    _complete(runtime, iid, "report", {"warning": "red"}, who="staff_a")
    # The escalation opened the supervisor's task beside the external service task that now waits for a worker.
    assert _task(runtime, iid, "handle_escalation")
    with runtime.reading() as conn:
        events = history(conn, iid, principal("auditor"), page=1, per_page=50)["items"]
    [external] = [t for t in events[-1]["tasks"] if t["change"] == "external"]
    assert external["bpmn_id"] == "score" and external["topic"] == "score-evaluation"
    with pytest.raises(Forbidden):  # results of external tasks come from the service's own workers
        wf.apply(iid, CompleteExternalTask(external["task_id"], {"score": 88}), actor=principal("staff_a"))
    clock.advance(timedelta(hours=3))
    monkeypatch.setitem(handlers.HANDLERS, "score-evaluation", lambda ctx, variables: {"score": 88})
    _work(runtime)  # the service's own worker runs the job and completes the external task
    _complete(runtime, iid, "handle_escalation", {"decision": "order rectification"}, who="supervisor")
    with runtime.reading() as conn:
        inst = get(conn, iid)
    assert inst["status"] == "completed" and inst["data"]["score"] == 88
    result = replay(runtime.engine, runtime.specs, runtime.settings, iid, keep=True)
    assert result.ok and [s.command for s in result.snapshots] == [
        "start", "complete_task", "complete_external_task", "complete_task"]
    assert verify(runtime.engine, runtime.specs, runtime.settings, [iid]).ok
