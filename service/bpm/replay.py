"""Replay: rebuild an instance from its process version by re-applying its recorded commands at their
recorded times, and compare every state fingerprint with the one recorded (DESIGN.md, Audit and replay).

Replay runs the same command actions and engine steps as the mutation path (running.action_for,
running.run) on an in-memory workflow; it writes nothing. An `observe` callback sees every re-applied event
with what the engine derived from it (verify rebuilds the derived rows from these, service/bpm/implied_rows.py).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Connection, Engine, select

from service import clock, db
from service.bpm import derive, running, task_walk
from service.bpm.commands import (
    CompleteExternalTask,
    CompleteTask,
    DeliverMessage,
    FireTimers,
    Resume,
    Suspend,
    Terminate,
)
from service.bpm.event_log import EVENTS
from service.bpm.jsonutil import loads
from service.bpm.scripting import JixiaoScriptEngine
from service.bpm.versions import SpecCache
from service.config import Settings
from service.errors import NotFound

# Commands that change only who holds a task: no engine state, no fingerprint.
ASSIGNMENT_COMMANDS = set(derive.HOLDER_COMMANDS)
# Evidence uploads and withdrawals (佐证材料) change no workflow state either; verify checks their files.
EVIDENCE_EVENTS = {"attach_file", "detach_file"}
# Dismissing and escalating an escalation change no workflow state either (service/bpm/escalation_commands.py).
ESCALATION_RECORDS = {"dismiss_escalation", "escalate_escalation"}
_ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass
class Snapshot:
    """The instance as it was right after one event."""

    seq: int
    at: datetime
    actor: str | None
    command: str
    status: str
    data: dict[str, Any]
    tasks: list[dict[str, Any]]  # every task: workflow, bpmn id, name, state
    active: list[str]  # bpmn ids of ready, waiting or running elements (for diagram highlighting)
    completed: list[str]  # bpmn ids of completed elements
    recorded_fingerprint: str | None
    fingerprint: str | None

    @property
    def matches(self) -> bool:
        return self.recorded_fingerprint is None or self.recorded_fingerprint == self.fingerprint


@dataclass
class ReplayResult:
    instance_id: str
    events: int
    snapshots: list[Snapshot] = field(default_factory=list)
    first_mismatch: dict[str, Any] | None = None
    data: dict[str, Any] | None = None  # the process data after the last event re-applied
    end: ReplayState | None = None  # where the replay ended, when it re-applied every event asked for

    @property
    def ok(self) -> bool:
        return self.first_mismatch is None


@dataclass
class ReplayState:
    """A replay between two events: the in-memory workflow, the instance's status and the pairing of the history's
    task ids with this replay's. Verify checkpoints it and resumes from it (service/bpm/verify_checkpoints.py)."""

    seq: int  # the last event applied
    workflow: BpmnWorkflow
    status: str
    ids: dict[str, str]  # recorded task id → this replay's task id
    back: dict[str, str]  # this replay's task id → recorded task id


@dataclass
class ReplayStep:
    """One re-applied event, as an `observe` callback of `replay` sees it."""

    seq: int
    at: datetime
    actor: str | None
    command: str
    payload: dict[str, Any]
    status: str  # the instance's status after the event
    outcome: running.Outcome | None  # None: the event ran no engine step (assignment, evidence, error)
    recorded_ids: dict[str, str]  # this replay's task id → the task id the mutation path recorded

    def recorded(self, task_id: str) -> str:
        """The recorded id of a task this replay created (its own id if the history never recorded it)."""
        return self.recorded_ids.get(task_id, task_id)


def _snapshot(wf: BpmnWorkflow, ev: Any, status: str, fingerprint: str | None) -> Snapshot:
    tasks, active, completed = [], [], []
    for t in wf.get_tasks(state=TaskState.DEFINITE_MASK | TaskState.FINISHED_MASK):  # not predicted branches
        bpmn_id = getattr(t.task_spec, "bpmn_id", None)
        if bpmn_id is None:
            continue
        tasks.append({"key": str(t.id), "process": t.workflow.spec.name, "bpmn_id": bpmn_id,
                      "name": getattr(t.task_spec, "bpmn_name", None), "state": TaskState.get_name(t.state)})
        if t.state & _ACTIVE:
            active.append(bpmn_id)
        elif t.state == TaskState.COMPLETED:
            completed.append(bpmn_id)
    return Snapshot(ev.seq, clock.from_db(ev.at) or clock.now(), ev.actor, ev.command, status,
                    derive.instance_data(wf), tasks, sorted(set(active)), sorted(set(completed)),
                    ev.fingerprint, fingerprint)


def replay(engine: Engine | None, specs: SpecCache, settings: Settings, instance_id: str, *, upto: int | None = None,
           keep: bool = False, events: list[Any] | None = None,
           observe: Callable[[ReplayStep], None] | None = None, conn: Connection | None = None,
           snapshots: bool = True, resume: ReplayState | None = None) -> ReplayResult:
    """Re-apply the instance's events (up to seq `upto`); stop at the first fingerprint that differs.

    The result holds a snapshot after every event with `keep`, else the last two; none but the one that differs
    without `snapshots` (verify needs only the final data). `observe` is called after each event that re-applied
    and matched its fingerprint. `conn`: the caller's open transaction to read in. `resume`: the replay's state
    after an earlier event (verify's checkpoint of this very history, `events` still the whole history): only the
    events after it are re-applied.
    """
    if events is None:
        assert engine is not None, "replay needs the database or the events"
        with db.read(engine, conn) as reading:
            events = list(reading.execute(select(EVENTS).where(EVENTS.c.instance_id == instance_id)
                                          .order_by(EVENTS.c.seq)))
    if not events:
        raise NotFound(f"instance {instance_id} has no history")
    result = ReplayResult(instance_id, len(events))
    if events[0].command != "start":
        result.first_mismatch = {"seq": events[0].seq, "command": events[0].command,
                                 "reason": "the history does not begin with the start of the instance"}
        return result
    start = loads(events[0].input)
    ctx = running.InstanceContext(instance_id, start["process_id"], start.get("department_id"), events[0].actor)
    if resume is None:
        spec, subprocess_specs = specs.get(start["version"]).spec(start["process_id"])
        wf = BpmnWorkflow(spec, subprocess_specs, script_engine=JixiaoScriptEngine())
        ids: dict[str, str] = {}  # recorded task id → this replay's task id
        back: dict[str, str] = {}  # this replay's task id → recorded task id
        status, after = "running", 0
    else:
        wf, ids, back, status, after = resume.workflow, resume.ids, resume.back, resume.status, resume.seq
    walked: task_walk.TaskWalk | None = None  # the last engine run's walk: nothing else changes the workflow
    last_seq = min(upto, events[-1].seq) if upto is not None else events[-1].seq
    for ev in events:
        if ev.seq <= after:
            continue
        if upto is not None and ev.seq > upto:
            break
        payload = loads(ev.input) or {}
        try:
            fingerprint, status, outcome = _apply(wf, ev, payload, status, ids, back, ctx, settings, walked)
        except Exception as exc:  # the recorded command cannot be re-applied: that is the finding
            result.first_mismatch = {"seq": ev.seq, "command": ev.command,
                                     "reason": f"cannot re-apply: {getattr(exc, 'detail', None) or exc}"}
            return result
        if outcome is not None:
            walked = outcome.walked
        if fingerprint is not None and ev.fingerprint is not None and fingerprint != ev.fingerprint:
            result.snapshots.append(_snapshot(wf, ev, status, fingerprint))
            result.first_mismatch = {"seq": ev.seq, "command": ev.command,
                                     "reason": "the replayed state differs from the recorded fingerprint"}
            return result
        if observe is not None:
            observe(ReplayStep(ev.seq, clock.from_db(ev.at) or clock.now(), ev.actor, ev.command, payload, status,
                               outcome, back))
        if snapshots and (keep or ev.seq >= last_seq - 1):  # else the state now and what the last event changed
            result.snapshots.append(_snapshot(wf, ev, status, fingerprint))
    result.data = derive.instance_data(wf)
    result.end = ReplayState(last_seq, wf, status, ids, back)
    return result


def _apply(wf: BpmnWorkflow, ev: Any, payload: dict[str, Any], status: str, ids: dict[str, str],
           back: dict[str, str], ctx: running.InstanceContext, settings: Settings,
           walked: task_walk.TaskWalk | None = None) -> tuple[str | None, str, running.Outcome | None]:
    """Re-apply one event (`walked`: the workflow's walk as it stands, if known); returns (fingerprint or None when
    the event records none, new status, engine outcome)."""
    now = clock.from_db(ev.at) or clock.now()
    command_kind = ev.command
    if command_kind == "resolve_escalation":  # a decision re-applies what it did to the engine, if anything
        command_kind = payload.get("effect") or ""
        if not command_kind:
            return None, status, None
    if command_kind in ASSIGNMENT_COMMANDS or command_kind in EVIDENCE_EVENTS or command_kind in ESCALATION_RECORDS:
        return None, status, None
    if ev.command == "error":
        return None, "error", None
    act: Callable[[BpmnWorkflow], None]
    if ev.command == "start":
        data = payload.get("data") or {}

        def act(w: BpmnWorkflow) -> None:
            w.task_tree.data.update(data)
        new_status, settle = "running", True
    else:
        command = {"complete_task": lambda: CompleteTask(ids.get(payload.get("task_id", ""), ""),
                                                         payload.get("data") or {}),
                   "complete_external_task": lambda: CompleteExternalTask(ids.get(payload.get("task_id", ""), ""),
                                                                          payload.get("result") or {}),
                   "deliver_message": lambda: DeliverMessage(payload.get("name", ""), payload.get("payload") or {},
                                                             payload.get("variable")),
                   "fire_timers": FireTimers, "suspend": Suspend, "resume": Resume, "terminate": Terminate,
                   }.get(command_kind)
        if command is None:
            raise ValueError(f"unknown command {ev.command!r}")
        act = running.action_for(wf, command(), lambda key, data: None)
        new_status = {"suspend": "suspended", "terminate": "terminated"}.get(command_kind, "running")
        settle = command_kind in ("complete_task", "complete_external_task", "deliver_message", "fire_timers")
    outcome = running.run(wf, act, ctx, now, settings, lambda w: "", status=new_status, settle=settle,
                          walked=walked)
    _map_new_tasks(loads(ev.tasks) or [], outcome.new_tasks + outcome.external_tasks, ids, back)
    return outcome.fingerprint, outcome.status, outcome


def _map_new_tasks(recorded: list[dict[str, Any]], new_rows: list[dict[str, Any]], ids: dict[str, str],
                   back: dict[str, str]) -> None:
    """Pair the recorded new tasks with this replay's, element by element in creation order."""
    replayed: dict[str, deque[str]] = defaultdict(deque)
    for row in new_rows:
        replayed[row["bpmn_id"]].append(row.get("id") or row["task_id"])
    for item in recorded:
        if item.get("change") in ("ready", "external") and replayed[item.get("bpmn_id", "")]:
            ids[item["task_id"]] = replayed[item["bpmn_id"]].popleft()
            back[ids[item["task_id"]]] = item["task_id"]
