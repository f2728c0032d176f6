"""`jixiao audit verify` follows every decision on an escalation — resolve (completing the supervisor task,
suspending, resuming or stopping the instance, or recording only), dismiss and escalate — from the events on the
instance's chain: a decision row edited in the database is reported by instance and row."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import text

from service import clock, db
from service.bpm.archive import export_jsonl, import_jsonl
from service.bpm.commands import CompleteTask
from service.bpm.verify import verify
from service.config import Settings
from service.errors import InvalidInput
from service.migrate import upgrade
from service.runtime import Runtime
from tests.conftest import FIXTURES, principal
from tests.database_state import built_once
from tests.service.bpm.test_verify_derived_rows import _findings, _one, _tamper, _task_id
from workers.timers import fire_due


def _escalation(runtime, iid):
    return _one(runtime, "SELECT * FROM escalations WHERE instance_id = :i", i=iid)


def _last_event(runtime, iid):
    row = _one(runtime, "SELECT seq, command, input FROM events WHERE instance_id = :i ORDER BY seq DESC LIMIT 1",
               i=iid)
    return row.seq, row.command, json.loads(row.input)


@pytest.fixture
def decisions(runtime, deploy_fixture, as_user, frozen_clock):
    """Escalations decided through each command of the one path, all events on the instance's chain; returns
    {scene: instance id}. Red warnings whose escalation has no supervisor task (the head handles the warning):
    suspended, resumed and stopped (suspend, then stop) by the decision, a decision only recorded, one dismissed,
    one handed up to the leadership, one left open; and an overdue review whose supervisor task the decision
    completes. Built by the first test, copied back for the next (tests/database_state.py)."""
    return built_once(runtime, "decided escalations", lambda: _decisions(runtime, deploy_fixture, as_user))


def _decisions(runtime, deploy_fixture, as_user):
    deploy_fixture("timers.bpmn")
    xml = (FIXTURES / "escalation.bpmn").read_text().replace('camunda:candidateGroups="supervisor"',
                                                             'camunda:candidateGroups="department_head"')
    deploy_fixture(files={"escalation.bpmn": xml.encode()})
    supervisor, leader, ids = as_user("supervisor"), as_user("leader"), {}

    def red(scene):
        iid = runtime.workflows.start("escalation", {}, actor=principal("staff_a"))["id"]
        runtime.workflows.apply(iid, CompleteTask(_task_id(runtime, iid, "report"), {"warning": "red"}),
                                actor=principal("staff_a"))
        esc = _escalation(runtime, iid)
        assert esc.task_id is None
        ids[scene] = iid
        clock.advance(timedelta(hours=1))
        return esc.id

    def ok(response):
        assert response.status_code == 200, response.get_json()

    esc = red("suspended")
    ok(supervisor.post(f"/api/escalations/{esc}/resolve", json={"decision": "suspend", "comment": "暂缓执行"}))
    esc = red("resumed")
    ok(supervisor.post(f"/api/instances/{ids['resumed']}/suspend", json={"reason": "核查"}))
    ok(supervisor.post(f"/api/escalations/{esc}/resolve", json={"decision": "resume", "comment": "核实无误"}))
    esc = red("stopped")  # the plan's "suspend, then stop": a stop is refused until the instance was suspended
    stop = {"decision": "stop", "comment": "核实后停止"}
    assert supervisor.post(f"/api/escalations/{esc}/resolve", json=stop).status_code == 409
    ok(supervisor.post(f"/api/instances/{ids['stopped']}/suspend", json={"reason": "情况严重，暂缓执行"}))
    ok(supervisor.post(f"/api/escalations/{esc}/resolve", json=stop))
    esc = red("recorded")  # resume while running: nothing to do to the instance, the decision is recorded
    ok(supervisor.post(f"/api/escalations/{esc}/resolve", json={"decision": "resume", "comment": "继续执行"}))
    esc = red("dismissed")
    ok(supervisor.post(f"/api/escalations/{esc}/dismiss", json={"reason": "数据录入错误，已更正"}))
    esc = red("escalated")
    ok(supervisor.post(f"/api/escalations/{esc}/escalate", json={"reason": "请局领导决定"}))
    red("open")
    iid = runtime.workflows.start("timers", {}, actor=principal("staff_a"))["id"]
    clock.advance(timedelta(days=6))
    fire_due(runtime.workflows)  # the review is overdue: an escalation with the supervisor's task
    ids["completed"] = iid
    esc = _escalation(runtime, iid)
    ok(supervisor.post(f"/api/escalations/{esc.id}/escalate", json={}))
    clock.advance(timedelta(hours=1))
    ok(leader.post(f"/api/escalations/{esc.id}/resolve",
                   json={"decision": "order_rectification", "comment": "限期整改"}))
    return ids


def test_every_decision_on_the_chain_verifies(runtime, decisions):
    """Each command and effect leaves its event, and the rows it wrote are exactly what verify derives."""
    last = {scene: _last_event(runtime, iid)[1:] for scene, iid in decisions.items()}
    assert {scene: (command, payload.get("effect")) for scene, (command, payload) in last.items()} == {
        "suspended": ("resolve_escalation", "suspend"), "resumed": ("resolve_escalation", "resume"),
        "stopped": ("resolve_escalation", "terminate"), "recorded": ("resolve_escalation", None),
        "dismissed": ("dismiss_escalation", None), "escalated": ("escalate_escalation", None),
        "open": ("complete_task", None), "completed": ("resolve_escalation", "complete_task")}
    rows = {scene: _escalation(runtime, iid) for scene, iid in decisions.items()}
    assert {scene: (r.state, r.decision, r.level) for scene, r in rows.items()} == {
        "suspended": ("resolved", "suspend", "supervisor"), "resumed": ("resolved", "resume", "supervisor"),
        "stopped": ("resolved", "stop", "supervisor"), "recorded": ("resolved", "resume", "supervisor"),
        "dismissed": ("resolved", "dismiss", "supervisor"), "escalated": ("open", None, "leadership"),
        "open": ("open", None, "supervisor"), "completed": ("resolved", "order_rectification", "leadership")}
    report = verify(runtime.engine, runtime.specs, runtime.settings, list(decisions.values()))
    assert report.ok and report.checked == len(decisions), [str(f) for f in report.findings]


@pytest.mark.parametrize("scene, change, columns", [
    ("dismissed", "state = 'open'", {"state"}),
    ("dismissed", "state = 'open', decision = NULL, comment = NULL, resolved_by = NULL, resolved_at = NULL",
     {"state", "decision", "comment", "resolved_by", "resolved_at"}),
    ("dismissed", "decision = 'stop'", {"decision"}),
    ("dismissed", "comment = '项目已完成'", {"comment"}),
    ("dismissed", "level = 'leadership'", {"level"}),
    ("escalated", "level = 'supervisor', escalated_at = NULL, escalated_by = NULL",
     {"level", "escalated_at", "escalated_by"}),
    ("escalated", "escalated_by = 'mallory'", {"escalated_by"}),
    ("stopped", "decision = 'suspend'", {"decision"}),  # the history has a stop (terminate), not a suspend
    ("stopped", "resolved_by = 'mallory'", {"resolved_by"}),  # not the supervisor who stopped it
    ("suspended", "resolved_at = :later", {"resolved_at"}),
    ("recorded", "decision = 'stop'", {"decision"}),
    ("open", "state = 'resolved', decision = 'completed', resolved_by = 'supervisor'",  # never decided
     {"state", "decision", "resolved_by"}),
    ("completed", "comment = '已整改'", {"comment"}),
])
def test_a_changed_escalation_decision_or_level_is_reported(runtime, decisions, scene, change, columns):
    iid = decisions[scene]
    esc = _escalation(runtime, iid).id
    _tamper(runtime, f"UPDATE escalations SET {change} WHERE id = :e", e=esc,
            **({"later": clock.to_db(clock.now() + timedelta(days=1))} if ":later" in change else {}))
    found = _findings(runtime, iid)
    assert {(f.instance_id, f.table, f.row) for f in found} == {(iid, "escalations", str(esc))}
    assert {f.column for f in found} == columns


def test_a_dismissal_flipped_back_to_open_names_the_row_and_the_dismissal(runtime, decisions):
    iid = decisions["dismissed"]
    esc = _escalation(runtime, iid).id
    dismissal, _, _ = _last_event(runtime, iid)
    _tamper(runtime, "UPDATE escalations SET state = 'open' WHERE id = :e", e=esc)
    [finding] = _findings(runtime, iid)
    assert (finding.instance_id, finding.seq, finding.row) == (iid, dismissal, str(esc))
    assert finding.problem == f"escalations {esc} state: stored 'open', history gives 'resolved'"


def test_a_decided_escalation_whose_row_is_gone_is_reported(runtime, decisions):
    iid = decisions["dismissed"]
    esc = _escalation(runtime, iid).id
    dismissal, _, _ = _last_event(runtime, iid)
    _tamper(runtime, "DELETE FROM escalations WHERE id = :e", e=esc)
    problems = {(f.seq, f.table): f.problem for f in _findings(runtime, iid)}
    assert problems[(dismissal, "events")] == (f"the dismiss_escalation event names escalation {esc}, which the "
                                               "history never opened (or whose row is gone)")
    assert "has no row (deleted or altered)" in problems[(2, "escalations")]  # opened by the red warning


def test_every_command_of_the_one_path_has_a_rule_and_an_unknown_kind_is_a_finding():
    """A command added to the one path but not to verify's effect table cannot slip past verify."""
    from service.bpm import commands
    from service.bpm.implied_rows import EFFECTS, ImpliedRows
    from service.bpm.replay import ReplayStep

    kinds = {c.kind for c in vars(commands).values()
             if isinstance(c, type) and issubclass(c, commands.Command) and c.kind not in ("command",)}
    assert {"resolve_escalation", "dismiss_escalation", "escalate_escalation"} <= kinds
    assert kinds - set(EFFECTS) == set()
    rows = ImpliedRows("i-1")
    rows.observe(ReplayStep(7, clock.now(), "supervisor", "archive_escalation", {"escalation_id": 1}, "running",
                            None, {}))
    assert rows.problems == [(7, "verify has no rule for what a 'archive_escalation' event does to the derived "
                                 "rows")]


def test_a_second_decision_or_hand_up_of_the_same_escalation_is_a_finding():
    """The mutation path refuses to decide a resolved escalation or hand one up twice: a history that does is
    inconsistent, whatever its rows say."""
    from types import SimpleNamespace

    from service.bpm.implied_rows import ImpliedRows
    from service.bpm.replay import ReplayStep

    rows = ImpliedRows("i-1", stored_escalations=[SimpleNamespace(id=4, element_id="on_red", task_id=None)])
    rows.open_escalation({"element_id": "on_red", "task_id": None, "state": "open", "level": "supervisor"}, 2)

    def step(seq, command, **payload):
        rows.observe(ReplayStep(seq, clock.now(), "supervisor", command, {"escalation_id": 4, **payload}, "running",
                                None, {}))

    step(3, "escalate_escalation", to="leadership")
    step(4, "escalate_escalation", to="leadership")
    step(5, "dismiss_escalation", reason="已更正")
    step(6, "resolve_escalation", decision="resume", comment=None, effect=None)
    assert rows.problems == [
        (4, "the escalate_escalation event hands up escalation 4, which the history handed up at event 3"),
        (6, "the resolve_escalation event decides escalation 4, which the history resolved at event 5")]
    assert (rows.escalations[0].values["decision"], rows.escalations[0].values["comment"]) == ("dismiss", "已更正")


def test_decided_escalations_exported_and_imported_elsewhere_verify(runtime, decisions, tmp_path):
    """A decision event names its escalation by id: the import keeps the ids, so the history still names its rows
    in the scratch database (here the later instances only, whose ids a fresh numbering would not give)."""
    chosen = [decisions[s] for s in ("dismissed", "escalated", "completed")]
    ids = sorted(_escalation(runtime, iid).id for iid in chosen)
    out = io.StringIO()
    with runtime.reading() as conn:
        export_jsonl(conn, out, instances=chosen)
    url = f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
    upgrade(url)
    scratch = Runtime.build(Settings(database_url=url))
    try:
        with db.write(scratch.engine) as conn:
            assert import_jsonl(conn, out.getvalue().splitlines())["escalation"] == 3
        with scratch.engine.connect() as conn:
            assert sorted(conn.execute(text("SELECT id FROM escalations")).scalars()) == ids
        report = verify(scratch.engine, scratch.specs, scratch.settings, chosen)
        assert report.ok and report.checked == 3, [str(f) for f in report.findings]
        # An escalation whose id another instance's escalation holds here is refused, and nothing is imported.
        out = io.StringIO()
        with runtime.reading() as conn:
            export_jsonl(conn, out, instances=[decisions["open"]])
        records = [json.loads(line) for line in out.getvalue().splitlines()]
        for record in records:
            if record["type"] == "escalation":
                record["id"] = ids[0]
        with pytest.raises(InvalidInput, match=f"this database has an escalation {ids[0]} of instance {chosen[0]}"), \
                db.write(scratch.engine) as conn:
            import_jsonl(conn, [json.dumps(r) for r in records])
        with scratch.engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM instances WHERE id = :i"),
                                {"i": decisions["open"]}).scalar() == 0
    finally:
        scratch.close()
