"""`jixiao audit verify` checks the rows derived from each history — tasks, candidates, timers, message waits,
escalations, jobs — since they decide who may act: a row edited in the database is reported by instance and row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from service import clock
from service.bpm.commands import Claim, CompleteTask, Delegate, Reassign, Unclaim
from service.bpm.verify import verify
from service.cli import main
from tests.conftest import bypassed_audit_guard, principal
from tests.database_state import built_once
from workers.timers import fire_due


def _one(runtime, sql, **params):
    with runtime.engine.connect() as conn:
        return conn.execute(text(sql), params).first()


def hand_around(wf, iid, fill):
    """Task `fill` claimed by staff_a, delegated to staff_a2 and handed back, then reassigned, unclaimed and claimed
    again: every command a task's assignment goes through."""
    wf.apply(iid, Claim(fill), actor=principal("staff_a"))
    wf.apply(iid, Delegate(fill, "staff_a2"), actor=principal("staff_a"))
    wf.apply(iid, CompleteTask(fill, {"answer": "初稿"}), actor=principal("staff_a2"))
    wf.apply(iid, Reassign(fill, "staff_a2"), actor=principal("power"))
    wf.apply(iid, Unclaim(fill), actor=principal("staff_a2"))
    wf.apply(iid, Claim(fill), actor=principal("staff_a2"))


def _task_id(runtime, iid, bpmn_id):
    return _one(runtime, "SELECT id FROM tasks WHERE instance_id = :i AND bpmn_id = :b AND state = 'ready'",
                i=iid, b=bpmn_id).id


@pytest.fixture
def scenes(runtime, deploy_fixture, frozen_clock):
    """Instances in the states whose derived rows the tamper tests edit; returns their ids (built by the first
    test, copied back for the next: tests/database_state.py)."""
    return built_once(runtime, "derived-row scenes", lambda: _scenes(runtime, deploy_fixture))


def _scenes(runtime, deploy_fixture):
    deploy_fixture("simple.bpmn", "timers.bpmn", "message.bpmn", "external.bpmn")
    wf, ids = runtime.workflows, {}
    ids["claimed"] = wf.start("simple", {"amount": 2}, actor=principal("staff_a"))["id"]
    wf.apply(ids["claimed"], Claim(_task_id(runtime, ids["claimed"], "fill")), actor=principal("staff_a"))
    # delegated and handed back, then reassigned, unclaimed and claimed again
    iid = wf.start("simple", {"amount": 3}, actor=principal("staff_a"))["id"]
    fill = _task_id(runtime, iid, "fill")
    hand_around(wf, iid, fill)
    ids["handed_around"] = iid
    ids["waiting_timer"] = wf.start("timers", {}, actor=principal("power"))["id"]
    clock.advance(timedelta(days=3, hours=1))
    fire_due(wf)  # the reminder
    ids["escalated"] = wf.start("timers", {}, actor=principal("power"))["id"]
    clock.advance(timedelta(days=6))
    fire_due(wf)  # both reviews overdue: each opens an escalation with the supervisor's task
    escalate = _task_id(runtime, ids["waiting_timer"], "escalate")
    wf.apply(ids["waiting_timer"], CompleteTask(escalate, {"decision": "extend_deadline"}),
             actor=principal("supervisor"))
    ids["decided"] = ids.pop("waiting_timer")
    ids["timer"] = wf.start("timers", {}, actor=principal("power"))["id"]
    ids["message"] = wf.start("await_budget", {}, actor=principal("staff_a"))["id"]
    ids["external"] = wf.start("external", {"amount": 4}, actor=principal("staff_a"))["id"]
    return ids


def _tamper(runtime, sql, **params):
    with runtime.engine.begin() as conn, bypassed_audit_guard(conn):
        assert conn.execute(text(sql), params).rowcount >= 1


def _findings(runtime, iid):
    return verify(runtime.engine, runtime.specs, runtime.settings, [iid]).findings


def test_untampered_instances_and_their_derived_rows_verify(runtime, scenes):
    report = verify(runtime.engine, runtime.specs, runtime.settings)
    assert report.ok and report.checked == len(scenes), [str(f) for f in report.findings]
    held = _one(runtime, "SELECT assignee, owner, delegation_state FROM tasks WHERE instance_id = :i",
                i=scenes["handed_around"])
    assert tuple(held) == ("staff_a2", None, None)  # the fixture went through every assignment command


def test_a_changed_assignee_is_reported_and_the_cli_fails(runtime, scenes, monkeypatch):
    iid = scenes["claimed"]
    task = _task_id(runtime, iid, "fill")
    _tamper(runtime, "UPDATE tasks SET assignee = 'mallory' WHERE id = :t", t=task)
    [finding] = _findings(runtime, iid)
    assert (finding.instance_id, finding.table, finding.row, finding.column, finding.seq) == (
        iid, "tasks", task, "assignee", 2)  # the claim (event 2) gave it to staff_a
    assert finding.problem == f"tasks {task} assignee: stored 'mallory', history gives 'staff_a'"
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    result = CliRunner().invoke(main, ["audit", "verify", iid])
    assert result.exit_code == 1
    assert f"MISMATCH {iid} event 2: tasks {task} assignee: stored 'mallory', history gives 'staff_a'" in result.output
    assert "1 finding(s)" in result.output


def test_a_delegation_forged_on_the_task_row_is_reported(runtime, scenes):
    iid = scenes["handed_around"]
    task = _task_id(runtime, iid, "fill")
    _tamper(runtime, "UPDATE tasks SET owner = 'staff_a', delegation_state = 'pending' WHERE id = :t", t=task)
    found = {(f.row, f.column) for f in _findings(runtime, iid)}
    assert found == {(task, "owner"), (task, "delegation_state")}


@pytest.mark.parametrize("sql, column", [
    ("DELETE FROM task_candidates WHERE task_id = :t", None),
    ("INSERT INTO task_candidates (task_id, group_name, department_id, due_at, priority, assignee) "
     "SELECT task_id, '@mallory', department_id, due_at, priority, assignee FROM task_candidates WHERE task_id = :t",
     None),
    ("UPDATE task_candidates SET assignee = NULL WHERE task_id = :t", "assignee"),
])
def test_a_removed_added_or_changed_candidate_row_is_reported(runtime, scenes, sql, column):
    iid = scenes["claimed"]
    task = _task_id(runtime, iid, "fill")
    _tamper(runtime, sql, t=task)
    [finding] = _findings(runtime, iid)
    assert (finding.instance_id, finding.table, finding.column) == (iid, "task_candidates", column)
    assert finding.row.startswith(f"{task}/")
    if "INSERT" in sql:
        assert finding.row == f"{task}/@mallory" and "inserted" in finding.problem
    elif "DELETE" in sql:
        assert finding.row == f"{task}/department_staff" and "missing" in finding.problem


def test_a_changed_due_date_is_reported(runtime, scenes):
    iid = scenes["claimed"]
    task = _task_id(runtime, iid, "fill")
    _tamper(runtime, "UPDATE tasks SET due_at = :d WHERE id = :t", d=clock.to_db(clock.now() + timedelta(days=90)),
            t=task)
    [finding] = _findings(runtime, iid)
    assert (finding.table, finding.row, finding.column, finding.seq) == ("tasks", task, "due_at", 1)  # the start
    assert "history gives '2015-03-12T01:00:00+00:00'" in finding.problem  # started + P10D


def test_a_task_row_slipped_in_is_reported(runtime, scenes):
    iid = scenes["message"]
    _tamper(runtime, "INSERT INTO tasks (id, instance_id, process_id, bpmn_id, name, state, priority, data, "
                     "created_at, assignee) VALUES ('forged-task', :i, 'await_budget', 'confirm', '确认', 'ready', 50, "
                     "'{}', :now, 'mallory')", i=iid, now=clock.to_db(clock.now()))
    [finding] = _findings(runtime, iid)
    assert (finding.table, finding.row) == ("tasks", "forged-task") and "inserted" in finding.problem


def test_a_changed_next_timer_is_reported(runtime, scenes):
    iid = scenes["timer"]
    _tamper(runtime, "UPDATE instances SET next_timer_at = :d WHERE id = :i", d=clock.to_db(clock.now()), i=iid)
    [finding] = _findings(runtime, iid)
    assert (finding.instance_id, finding.table, finding.row, finding.column) == (iid, "instances", iid,
                                                                                 "next_timer_at")
    assert "history gives '2015-03-14T02:00:00+00:00'" in finding.problem  # started + 3 days (the reminder)


def test_a_removed_message_wait_is_reported(runtime, scenes):
    iid = scenes["message"]
    _tamper(runtime, "DELETE FROM message_waits WHERE instance_id = :i", i=iid)
    [finding] = _findings(runtime, iid)
    assert (finding.instance_id, finding.table, finding.row) == (iid, "message_waits", f"{iid}/budget_issued")
    assert "missing" in finding.problem


def test_an_open_escalation_flipped_to_resolved_is_reported(runtime, scenes):
    iid = scenes["escalated"]
    esc = _one(runtime, "SELECT id FROM escalations WHERE instance_id = :i", i=iid).id
    _tamper(runtime, "UPDATE escalations SET state = 'resolved', decision = 'dismiss', resolved_by = 'mallory' "
                     "WHERE id = :e", e=esc)
    found = {f.column: f.problem for f in _findings(runtime, iid)}
    assert set(found) == {"state", "decision", "resolved_by"}
    assert found["state"] == f"escalations {esc} state: stored 'resolved', history gives 'open'"


def test_a_changed_escalation_decision_is_reported(runtime, scenes):
    iid = scenes["decided"]
    esc = _one(runtime, "SELECT id, decision FROM escalations WHERE instance_id = :i", i=iid)
    assert esc.decision == "extend_deadline"
    _tamper(runtime, "UPDATE escalations SET decision = 'dismiss' WHERE id = :e", e=esc.id)
    [finding] = _findings(runtime, iid)
    assert (finding.table, finding.row, finding.column) == ("escalations", str(esc.id), "decision")
    assert finding.problem.endswith("stored 'dismiss', history gives 'extend_deadline'")


def test_a_removed_job_of_a_waiting_external_task_is_reported(runtime, scenes):
    iid = scenes["external"]
    job = _one(runtime, "SELECT task_id FROM jobs WHERE instance_id = :i", i=iid)
    _tamper(runtime, "DELETE FROM jobs WHERE instance_id = :i", i=iid)
    [finding] = _findings(runtime, iid)
    assert (finding.instance_id, finding.table, finding.row) == (iid, "jobs", f"external:{job.task_id}")
    assert "'compute' (topic 'test-score')" in finding.problem and "missing" in finding.problem


def test_a_job_pointed_at_another_topic_is_reported(runtime, scenes):
    iid = scenes["external"]
    _tamper(runtime, "UPDATE jobs SET topic = 'draw-experts' WHERE instance_id = :i", i=iid)
    [finding] = _findings(runtime, iid)
    assert (finding.table, finding.column) == ("jobs", "topic")
    assert finding.problem.endswith("stored 'draw-experts', history gives 'test-score'")


def test_a_row_moved_to_another_department_is_reported(runtime, scenes):
    iid = scenes["claimed"]
    _tamper(runtime, "UPDATE instances SET department_id = 'dept-b' WHERE id = :i", i=iid)
    _tamper(runtime, "UPDATE tasks SET department_id = 'dept-b' WHERE instance_id = :i", i=iid)
    found = {(f.table, f.column) for f in _findings(runtime, iid)}
    assert found == {("instances", "department_id"), ("tasks", "department_id")}


def test_parallel_verify_reports_a_tampered_row_exactly_as_the_serial_run(runtime, scenes, monkeypatch):
    """`--jobs 2` partitions the instances between two processes: the same findings, in the same order, and the
    same exit code as one process."""
    iid = scenes["handed_around"]
    task = _task_id(runtime, iid, "fill")
    _tamper(runtime, "UPDATE tasks SET assignee = 'mallory' WHERE id = :t", t=task)
    _tamper(runtime, "DELETE FROM message_waits WHERE instance_id = :i", i=scenes["message"])
    serial = verify(runtime.engine, runtime.specs, runtime.settings, jobs=1)
    parallel = verify(runtime.engine, runtime.specs, runtime.settings, jobs=2)
    assert len(serial.findings) == 2 and {f.instance_id for f in serial.findings} == {iid, scenes["message"]}
    assert parallel.checked == serial.checked == len(scenes) and parallel.findings == serial.findings
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    runs = {jobs: CliRunner().invoke(main, ["audit", "verify", "--all", "--jobs", jobs]) for jobs in ("1", "2")}
    assert runs["1"].exit_code == runs["2"].exit_code == 1
    mismatches = {jobs: [line for line in r.output.splitlines() if line.startswith("MISMATCH")]
                  for jobs, r in runs.items()}
    assert mismatches["1"] == mismatches["2"] == [f"MISMATCH {f}" for f in serial.findings]
    assert "(2 processes): 2 finding(s)" in runs["2"].output and "(1 process): 2 finding(s)" in runs["1"].output


def test_parallel_verify_of_untampered_instances_passes(runtime, scenes, monkeypatch):
    report = verify(runtime.engine, runtime.specs, runtime.settings, jobs=2)
    assert report.ok and report.checked == len(scenes), [str(f) for f in report.findings]
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    result = CliRunner().invoke(main, ["audit", "verify", "--all", "--jobs", "2"])
    assert result.exit_code == 0 and f"verified {len(scenes)} instance(s)" in result.output
    assert CliRunner().invoke(main, ["audit", "verify", "--all", "--jobs", "0"]).exit_code == 2
