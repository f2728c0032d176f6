"""The one mutation path (DESIGN.md): every change to an instance goes through `WorkflowService`.

read (short, no lock) → check permission and preconditions → load the workflow if the command needs the
engine → act + run engine steps at the clock's time → derive task rows, next timer, status, event → one
short write guarded by `WHERE lock_version = :read`. On any exception the in-memory workflow is dropped;
the stored instance is untouched.

A lost race (`StaleVersion`) is retried here, a few times, only for a command whose meaning does not depend
on the state its sender saw: re-reading the instance and applying it again to the newer state (permission and
preconditions checked anew) does what the sender meant. Uploading or withdrawing evidence (the person meant
"add this file to this task", whatever else was added meanwhile) and delivering a message (its sender never
saw the instance; the instance must still be waiting for it) are such commands. Claim, complete, delegate,
reassign, suspend, resume and terminate are not: each was decided on the state the person saw, so a lost race
answers 409 and the person looks again. A timer sweep is not retried here either: the clock, not the reader,
decides what is due, and the worker's next pass re-reads every instance anyway; an external task's completion
is re-run by its worker, which recomputes its result on the newer state.

Who opens the transaction. The API views and the page handlers open their request's unit of work
(`Runtime.unit_of_work`) and pass it as `conn`: the command's reads and its write join it, and everything else the
request writes commits with the command, or nothing does (a message caught by several instances,
service/bpm/message_routing.py; a later step of the request that fails). Called without `conn` (the timer sweep,
the calendar jobs' starts, the demo and the benches) a command is its own short read and write.

A retry inside a joined transaction is sound, and stays here rather than at the entry point: a lost version check
is an UPDATE that matched no row, not a failed statement, so the transaction remains usable; on PostgreSQL (read
committed) the retry's read sees the other writer's commit; on SQLite the unit of work began with BEGIN IMMEDIATE
(service/db.py), holds the write lock and no other writer can come between its read and its write, so no check is
lost there. Everything a command writes comes after its version check: a command that lost wrote nothing.
"""

from __future__ import annotations

import functools
import json
import random
import time
import uuid
import weakref
from collections.abc import Callable, Collection, Iterator, MutableMapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from sqlalchemy import Connection, Engine, select, update

from service import clock, db
from service.bpm import (
    access,
    batches,
    derive,
    escalation_commands,
    evidence_commands,
    form_checks,
    running,
    scripting,
    task_walk,
)
from service.bpm import statements as sql
from service.bpm.commands import (
    ESCALATION_COMMANDS,
    EVIDENCE_COMMANDS,
    TASK_COMMANDS,
    AttachFile,
    Claim,
    Command,
    CompleteExternalTask,
    CompleteTask,
    Delegate,
    DeliverMessage,
    DetachFile,
    FireTimers,
    Reassign,
    Resume,
    Suspend,
    Terminate,
    Unclaim,
)
from service.bpm.event_log import INSERT_EVENT, event_row
from service.bpm.model_checks import form_key_name
from service.bpm.serializer import SERIALIZER_VERSION, make_serializer
from service.bpm.versions import LoadedVersion, SpecCache
from service.config import Settings
from service.domain.roles import ESCALATION_GROUPS, SYSTEM, Principal
from service.errors import Conflict, EngineFailure, Forbidden, InvalidInput, InvalidTransition, NotFound, StaleVersion
from service.models import Department

INSTANCES = sql.INSTANCES  # the timer sweep reads the same table

_ALLOWED_FROM: dict[type[Command], tuple[str, ...]] = {
    CompleteTask: ("running",), CompleteExternalTask: ("running",), DeliverMessage: ("running",),
    Claim: ("running", "suspended"), Unclaim: ("running", "suspended"),
    Delegate: ("running", "suspended"), Reassign: ("running", "suspended"),
    FireTimers: ("running",), Suspend: ("running",), Resume: ("suspended", "error"),
    Terminate: ("running", "suspended", "error"), AttachFile: ("running",), DetachFile: ("running",),
}
_DOING = {"complete_task": "completing a task", "fire_timers": "firing timers", "suspend": "suspending",
          "resume": "resuming", "terminate": "terminating", "claim": "claiming a task",
          "unclaim": "unclaiming a task", "delegate": "delegating a task", "reassign": "reassigning a task",
          "complete_external_task": "completing an external task", "deliver_message": "delivering a message",
          "attach_file": "uploading evidence", "detach_file": "deleting evidence"}


_STALE = "the instance was changed by someone else meanwhile; reload and try again"
# Commands that commute with any other (see the module docstring): a lost optimistic check is retried.
_COMMUTATIVE = (AttachFile, DetachFile, DeliverMessage)
# Every lost race means another writer committed, so k commands meeting at once all succeed when k ≤ attempts.
_ATTEMPTS = 8


def _retried(method: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Re-run a read-check-apply method when a commutative command loses the optimistic check (also inside a caller's
    transaction: see the module docstring)."""

    @functools.wraps(method)
    def run(self: WorkflowService, target: str, command: Command, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if not isinstance(command, _COMMUTATIVE):
            return method(self, target, command, *args, **kwargs)
        for attempt in range(_ATTEMPTS - 1):
            try:
                return method(self, target, command, *args, **kwargs)
            except StaleVersion:
                time.sleep(random.uniform(0, 0.002 * 2 ** attempt))  # jitter: the losers do not meet again
        return method(self, target, command, *args, **kwargs)

    return run


class WorkflowService:
    """Starts instances and applies commands to them; the API, workers, CLI and replay all call this."""

    def __init__(self, engine: Engine, settings: Settings, specs: SpecCache,
                 functions: dict[str, Callable[..., Any]] | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.specs = specs
        self.script_engine = scripting.JixiaoScriptEngine(functions)
        self.serializer = make_serializer(specs.resolve)
        # Off by default. A single-threaded driver (the demo, service/demo/demo_driver.py) may set a mapping here to
        # keep each instance's workflow in memory after a command, keyed by (instance id, the lock version it was stored
        # with): the next command on that version skips rebuilding it from the state JSON. An entry is taken out
        # when used and put back only after the write succeeded, so a failed command never leaves its half-run
        # workflow behind; any other writer bumps the lock version, so a stale entry is never found.
        self.live_workflows: MutableMapping[tuple[str, int], BpmnWorkflow] | None = None
        # The workflows commands left inside a caller's open transaction (`unit_of_work`), by that connection:
        # kept live only once the caller committed.
        self._uncommitted: dict[int, list[tuple[tuple[str, int], BpmnWorkflow, task_walk.TaskWalk]]] = {}
        # A live workflow's task walk as its command left it (nothing changes a kept workflow until it is taken).
        self._walks: weakref.WeakKeyDictionary[BpmnWorkflow, task_walk.TaskWalk] = weakref.WeakKeyDictionary()
        # The batched units of work (`unit_of_work(batch=True)`), by connection: each instance's workflow as the last
        # command left it, its state written once, when the unit of work ends.
        self._batches: dict[int, dict[str, batches.Pending]] = {}

    @contextmanager
    def unit_of_work(self, batch: bool = False) -> Iterator[Connection]:
        """A caller's write transaction for commands applied with `conn=` (a worker's job): `db.write`, plus, when
        `live_workflows` is on, the workflows those commands left are kept once (and only if) it committed.

        `batch`: the commands on one instance inside it run on one workflow in memory, and its state (a cycle
        instance's 80 KB) is written once, at the end, instead of by each command (the demo's driver: a person's
        answer and the jobs it leads to). Each command still writes everything else of its own: its version check,
        task rows, jobs and event. Nobody sees the state in between: on PostgreSQL the instance's row stays locked
        by the first write until the commit, on SQLite the unit of work holds the write lock."""
        kept: list[tuple[tuple[str, int], BpmnWorkflow, task_walk.TaskWalk]] = []
        with db.write(self.engine) as conn:
            self._uncommitted[id(conn)] = kept
            if batch:
                self._batches[id(conn)] = {}
            try:
                yield conn
                if batch:
                    batches.write_states(conn, self.serializer, self._batches[id(conn)], kept)
            finally:
                self._uncommitted.pop(id(conn), None)
                self._batches.pop(id(conn), None)
        if self.live_workflows is not None:  # committed
            for key, wf, walked in kept:
                self._keep(key, wf, walked)

    # --- public commands ---------------------------------------------------------------------------

    def start(self, process_id: str, data: dict[str, Any] | None = None, business_key: str | None = None,
              actor: Principal = SYSTEM, department_id: str | None = None,
              now: datetime | None = None, conn: Connection | None = None) -> dict[str, Any]:
        """Create an instance on the latest version of `process_id` and run it to its first wait state.

        Checked before anything runs: who may start the process (its model's start rights), the department,
        the assignment variables the data sets, then the data against the start event's form. `conn` is the
        caller's open write transaction (its entry point's unit of work): the start joins it, the caller commits.
        """
        now = now or clock.now()
        initial = dict(data or {})
        if not access.may_start_processes(actor):
            raise Forbidden("your roles do not allow starting processes")
        within = conn
        with db.read(self.engine, within) as conn:
            version_hash = conn.execute(sql.LATEST_VERSION, {"pid": process_id}).scalar()
        if version_hash is None:
            raise NotFound(f"no deployed process {process_id!r}")
        version = self.specs.get(version_hash)
        rights = version.start_rights(process_id)
        requested = department_id
        department_id = access.check_start(actor, process_id, rights, department_id, initial)
        if requested is not None:
            with db.read(self.engine, within) as conn:
                if conn.execute(select(Department.id).where(Department.id == requested)).first() is None:
                    raise InvalidInput("unknown department",
                                       [{"field": "department_id", "message": "no such department"}])
        if not actor.system:  # the service's own starts carry the data its launchers compute
            _validate_start_data(version, rights.form_key, initial, department_id)
        spec, subprocess_specs = version.spec(process_id)
        instance_id = str(uuid.uuid4())
        initiator = (spec.task_specs[spec.start.outputs[0].name].extensions or {}).get("initiator") \
            if spec.start.outputs else None
        if initiator and not actor.system:
            initial[initiator] = actor.username

        def act(wf: BpmnWorkflow) -> None:
            wf.task_tree.data.update(initial)

        wf = BpmnWorkflow(spec, subprocess_specs, script_engine=self.script_engine)
        ctx = running.InstanceContext(instance_id, process_id, department_id, actor.username)
        batch = self._batches.get(id(within)) if within is not None else None
        outcome = running.run(wf, act, ctx, now, self.settings, batches.later if batch is not None else
                              self.serializer.serialize_json, status="running", settle=True)
        payload = {"process_id": process_id, "version": version_hash, "business_key": business_key,
                   "department_id": department_id, "data": initial}
        ev = event_row(instance_id, 1, None, now, actor.username, "start", payload, outcome.touched,
                       outcome.fingerprint)
        row = {
            "id": instance_id, "process_id": process_id, "version_hash": version_hash, "business_key": business_key,
            "department_id": department_id, "status": outcome.status, "state": outcome.state,
            "serializer_version": SERIALIZER_VERSION, "lock_version": 1,
            "next_timer_at": clock.to_db(outcome.next_timer), "data": outcome.data, "event_seq": 1,
            "last_event_hash": ev["hash"], "error": outcome.error, "started_by": actor.username,
            "created_at": clock.to_db(now), "updated_at": clock.to_db(now),
            "ended_at": clock.to_db(now) if outcome.status != "running" else None,
        }
        with db.write(self.engine, within) as conn:
            conn.execute(sql.INSERT_INSTANCE, row)
            self._write_tasks(conn, instance_id, outcome, None, actor, now, department_id)
            self._write_waits(conn, instance_id, [], outcome.messages)
            conn.execute(INSERT_EVENT, ev)
        if batch is not None:  # its state is written when the batch ends
            batch[instance_id] = batches.Pending(wf, outcome.walked)
        elif self.live_workflows is not None:  # a start rolled back with its caller leaves a key no row ever has
            self._keep((instance_id, 1), wf, outcome.walked)
        return row

    def apply(self, instance_id: str, command: Command, actor: Principal = SYSTEM,
              now: datetime | None = None, conn: Connection | None = None) -> dict[str, Any]:
        """Apply one command to a stored instance; raise Conflict if another writer got there first.

        `conn` is the caller's open write transaction (a worker's job, which commits its handler's records with
        the external task's completion): an instance command reads and writes in it, and the caller commits."""
        if isinstance(command, ESCALATION_COMMANDS):
            return self.apply_to_escalation(command, actor, now, conn)
        if isinstance(command, TASK_COMMANDS):
            return self.apply_to_task(command.task_id, command, actor, now, instance_id=instance_id, conn=conn)
        return self._apply_to_instance(instance_id, command, actor, now, conn)

    @_retried
    def _apply_to_instance(self, instance_id: str, command: Command, actor: Principal,
                           now: datetime | None, within: Connection | None = None) -> dict[str, Any]:
        with db.read(self.engine, within) as conn:
            row = conn.execute(sql.READ_INSTANCE, {"b_id": instance_id}).first()
        if row is None:
            raise NotFound(f"instance {instance_id} not found")
        access.check_instance_command(actor, row, command)
        return self._apply(row, None, command, actor, now or clock.now(), within=within)

    @_retried
    def apply_to_task(self, task_id: str, command: Command, actor: Principal = SYSTEM, now: datetime | None = None,
                      instance_id: str | None = None, conn: Connection | None = None) -> dict[str, Any]:
        """Apply a task command (complete, claim, unclaim, delegate, reassign), reading task and instance at once;
        `conn` is the caller's open write transaction to join."""
        within = conn
        with db.read(self.engine, within) as conn:
            row = conn.execute(sql.READ_INSTANCE_AND_TASK, {"b_task": task_id}).first()
            to_user = getattr(command, "to_user", None)
            exists = to_user is not None and conn.execute(sql.ACTIVE_USER, {"name": to_user}).first() is not None
        if row is None or (instance_id is not None and row.id != instance_id):
            raise NotFound(f"task {task_id} not found")
        task = _TaskView(row)
        access.check_task_command(actor, task, row, command, exists)
        if type(command) is CompleteTask and _answers_escalations(task):
            # An escalation's task (the supervisors' or the leadership's): its decision obeys the escalation's rules.
            escalation_commands.check_task_completion(self, row, task, command.data, actor, now or clock.now(),
                                                      within)
        return self._apply(row, task, command, actor, now or clock.now(), within=within)

    def apply_to_escalation(self, command: Command, actor: Principal = SYSTEM,
                            now: datetime | None = None, conn: Connection | None = None) -> dict[str, Any]:
        """Resolve, dismiss or escalate an escalation (service/bpm/escalation_commands.py); `conn` to join."""
        return escalation_commands.apply(self, command, actor, now or clock.now(), conn)  # type: ignore[arg-type]

    def complete_task(self, task_id: str, data: dict[str, Any], actor: Principal = SYSTEM,
                      now: datetime | None = None, conn: Connection | None = None) -> dict[str, Any]:
        """Complete a user task (or, for the delegate of a delegated task, hand it back to its owner)."""
        return self.apply_to_task(task_id, CompleteTask(task_id, data), actor, now, conn=conn)

    # --- the one path ------------------------------------------------------------------------------

    def _apply(self, row: Any, task: _TaskView | None, command: Command, actor: Principal, now: datetime,
               recorded: tuple[str, dict[str, Any]] | None = None,
               also: Callable[[Connection], None] | None = None, within: Connection | None = None) -> dict[str, Any]:
        """The one path. `recorded` names the event when a command acts for another (an escalation's decision);
        `also` writes that command's own row in the same transaction; `within` is the caller's transaction."""
        if row.status not in _ALLOWED_FROM[type(command)]:
            raise InvalidTransition(f"{_DOING[command.kind]} is not possible: the instance is {row.status}",
                                    state=row.status)
        if isinstance(command, EVIDENCE_COMMANDS):  # evidence: an event on the chain, no engine run
            return evidence_commands.record(self.engine, self.settings, row, task, command, actor, now, within)
        if task is not None and not _needs_engine(command, task):
            return self._assign(row, task, command, actor, now, within)
        if isinstance(command, FireTimers) and (row.next_timer_at is None or clock.from_db(row.next_timer_at) > now):
            # A stale sweep list (another worker fired it first): no event, no new version.
            raise Conflict("no timer of this instance is due")
        version = self.specs.get(row.version_hash)
        batch = self._batches.get(id(within)) if within is not None else None
        pending = batch.get(row.id) if batch is not None else None
        if pending is not None and pending.failed:
            raise RuntimeError(f"an earlier command of this batch failed on instance {row.id}: roll it back")
        wf = pending.workflow if pending is not None else self._deserialize(row)
        walked = pending.walked if pending is not None else self._walks.pop(wf, None)
        waits_before = derive.waiting_messages(wf) if row.status == "running" else []
        status = "terminated" if isinstance(command, Terminate) else "suspended" if isinstance(command, Suspend) \
            else "running"
        completed_id = command.task_id if isinstance(command, CompleteTask) else None
        settle = isinstance(command, CompleteTask | CompleteExternalTask | DeliverMessage | FireTimers)
        act = running.action_for(wf, command, lambda key, data: self._check_form(
            version, key, data, row.id, completed_id or "",
            running.ready_task(wf, completed_id).data if completed_id else {}, within))
        ctx = running.InstanceContext(row.id, row.process_id, row.department_id, row.started_by)
        try:
            outcome = self._run_and_write(row, task, command, actor, now, wf, act, ctx, status, settle, walked,
                                          waits_before, completed_id, recorded, also, within, batch is not None)
        except BaseException:
            if batch is not None:  # the workflow is half-run and earlier commands' state is unwritten: no commit
                batch[row.id] = batches.Pending(wf, None, failed=True)
            raise
        if batch is not None:  # its state is written when the batch ends
            batch[row.id] = batches.Pending(wf, outcome.walked)
        elif self.live_workflows is not None:  # only a committed version is kept
            if within is None:
                self._keep((row.id, row.lock_version + 1), wf, outcome.walked)
            elif id(within) in self._uncommitted:  # the caller's unit of work keeps it once it commits
                self._uncommitted[id(within)].append(((row.id, row.lock_version + 1), wf, outcome.walked))
        result = {"id": row.id, "process_id": row.process_id, "version_hash": row.version_hash,
                  "status": outcome.status, "lock_version": row.lock_version + 1, "error": outcome.error,
                  "next_timer_at": clock.to_db(outcome.next_timer), "data": outcome.data}
        if task is not None and completed_id in outcome.closed:  # as CLOSE_TASK left it
            result["task"] = task.after(row, outcome.status, state="completed", ended_at=clock.to_db(now),
                                        completed_by=actor.username)
        return result

    def _run_and_write(self, row: Any, task: _TaskView | None, command: Command, actor: Principal, now: datetime,
                       wf: BpmnWorkflow, act: Callable[[BpmnWorkflow], None], ctx: running.InstanceContext,
                       status: str, settle: bool, walked: task_walk.TaskWalk | None, waits_before: list[str],
                       completed_id: str | None, recorded: tuple[str, dict[str, Any]] | None,
                       also: Callable[[Connection], None] | None, within: Connection | None,
                       batched: bool) -> running.Outcome:
        """Run the engine for a command and write what it did (all but the state, in a batch)."""
        try:
            outcome = running.run(wf, act, ctx, now, self.settings, batches.later if batched else
                                  self.serializer.serialize_json, status=status, settle=settle, walked=walked)
        except EngineFailure as failure:
            if isinstance(command, FireTimers) and not batched:
                self._record_error(row, failure, actor, now)
            raise
        seq = row.event_seq + 1
        kind, payload = recorded or (command.kind, command.payload())
        ev = event_row(row.id, seq, row.last_event_hash, now, actor.username, kind, payload, outcome.touched,
                       outcome.fingerprint)
        values = {
            "b_id": row.id, "b_lock": row.lock_version, "status": outcome.status, "state": outcome.state,
            "lock_version": row.lock_version + 1, "next_timer_at": clock.to_db(outcome.next_timer),
            "data": outcome.data, "error": outcome.error, "event_seq": seq, "last_event_hash": ev["hash"],
            "updated_at": clock.to_db(now), "serializer_version": SERIALIZER_VERSION,
            "ended_at": clock.to_db(now) if outcome.status in ("completed", "terminated") else None,
        }
        if batched:  # (a parameter named for a column would be written too: Core adds it to the SET clause)
            del values["state"], values["serializer_version"]
        with db.write(self.engine, within) as conn:
            if conn.execute(sql.WRITE_INSTANCE_BUT_STATE if batched else sql.WRITE_INSTANCE, values).rowcount != 1:
                raise StaleVersion(_STALE)
            self._write_tasks(conn, row.id, outcome, completed_id, actor, now, row.department_id,
                              command.data if isinstance(command, CompleteTask) else None,
                              answers_none={task.id} if task is not None and not _answers_escalations(task) else ())
            self._write_waits(conn, row.id, waits_before, outcome.messages)
            if also is not None:
                also(conn)
            conn.execute(INSERT_EVENT, ev)
        return outcome

    def _assign(self, row: Any, task: _TaskView, command: Command, actor: Principal, now: datetime,
                within: Connection | None = None) -> dict[str, Any]:
        """Task commands that change who holds a task, not the process: no engine run."""
        kind = "resolve_task" if isinstance(command, CompleteTask) else command.kind
        if isinstance(command, CompleteTask):  # the delegate resolves: the task returns to its owner
            self._check_form(self.specs.get(row.version_hash), task.form_key, command.data, row.id, task.id,
                             _snapshot(task.data), within)
        values = {"b_id": task.id, "assignee": task.assignee, "owner": task.owner,
                  "delegation_state": task.delegation_state, "data": task.data,
                  **derive.holder_change(kind, actor.username, command.payload(), task.owner, task.data)}
        seq = row.event_seq + 1
        ev = event_row(row.id, seq, row.last_event_hash, now, actor.username, kind, command.payload(),
                       [{"task_id": task.id, "change": kind}], None)
        with db.write(self.engine, within) as conn:
            touched = conn.execute(sql.TOUCH_INSTANCE, {
                "b_id": row.id, "b_lock": row.lock_version, "lock_version": row.lock_version + 1, "event_seq": seq,
                "last_event_hash": ev["hash"], "updated_at": clock.to_db(now)})
            if touched.rowcount != 1:
                raise StaleVersion(_STALE)
            conn.execute(sql.ASSIGN_TASK, values)
            conn.execute(sql.ASSIGN_CANDIDATES, {"b_id": task.id, "assignee": values["assignee"]})
            conn.execute(INSERT_EVENT, ev)
        return {"id": row.id, "task_id": task.id, "assignee": values["assignee"], "owner": values["owner"],
                "delegation_state": values["delegation_state"], "lock_version": row.lock_version + 1,
                "task": task.after(row, row.status, assignee=values["assignee"], owner=values["owner"],
                                   delegation_state=values["delegation_state"], data=values["data"])}

    def _check_form(self, version: LoadedVersion, form_key: str | None, data: dict[str, Any], instance_id: str,
                    task_id: str, context: dict[str, Any], within: Connection | None = None) -> None:
        """The form's JSON Schema and cross-field checks (against the task's data), then the attachments it refers
        to (one read, after the instance's)."""
        _validate_form(version, form_key, data, context)
        evidence_commands.check_references(self.engine, version, form_key, data, instance_id, task_id, within)

    def _write_tasks(self, conn: Connection, instance_id: str, outcome: running.Outcome, completed_id: str | None,
                     actor: Principal, now: datetime, department_id: str | None = None,
                     decision: dict[str, Any] | None = None, answers_none: Collection[str] = ()) -> None:
        """`answers_none`: closed tasks known to answer no escalation (not the supervisors' nor the leadership's),
        whose closing need not look for one to resolve."""
        decision = decision or {}
        opened = [e for e in outcome.escalations if not escalation_commands.hand_on(conn, e, actor, now)]
        if opened:
            conn.execute(sql.INSERT_ESCALATION, [
                {**{k: v for k, v in e.items() if k != "hand_on"}, "instance_id": instance_id,
                 "department_id": department_id, "state": "open", "opened_at": clock.to_db(now)} for e in opened])
        if outcome.closed:
            answering = [tid for tid in outcome.closed if tid not in answers_none]
            if answering:
                conn.execute(sql.RESOLVE_ESCALATION, [
                    {"b_task": tid, "decision": str(decision.get("decision") or "completed")[:50]
                     if tid == completed_id else "cancelled", "comment": decision.get("decision_comment")
                     if tid == completed_id else None, "resolved_at": clock.to_db(now),
                     "resolved_by": actor.username if tid == completed_id else None}
                    for tid in answering])
            conn.execute(sql.CLOSE_TASK, [
                {"b_id": tid, "state": "completed" if tid == completed_id else "cancelled",
                 "ended_at": clock.to_db(now), "completed_by": actor.username if tid == completed_id else None}
                for tid in outcome.closed])
            conn.execute(sql.DROP_CANDIDATES, [{"b_id": tid} for tid in outcome.closed])
        if outcome.new_tasks:
            conn.execute(sql.INSERT_TASK, outcome.new_tasks)
        if outcome.candidates:
            conn.execute(sql.INSERT_CANDIDATE, outcome.candidates)
        if outcome.external_tasks:  # each becomes a job for the Python handler of its topic (workers/)
            conn.execute(sql.INSERT_JOB, [
                {"kind": "external", "idempotency_key": f"external:{e['task_id']}", "instance_id": instance_id,
                 "task_id": e["task_id"], "topic": e["topic"], "payload": e["data"], "status": "pending",
                 "due_at": clock.to_db(now), "lock_owner": None, "lock_expires_at": None, "attempts": 0,
                 "retries_left": self.settings.job_retries, "last_error": None, "created_at": clock.to_db(now),
                 "updated_at": clock.to_db(now)} for e in outcome.external_tasks])

    @staticmethod
    def _write_waits(conn: Connection, instance_id: str, before: list[str], after: list[str]) -> None:
        if before == after:
            return
        conn.execute(sql.DROP_WAITS, {"b_id": instance_id})
        if after:
            conn.execute(sql.INSERT_WAIT, [{"instance_id": instance_id, "name": n} for n in after])

    def _keep(self, key: tuple[str, int], wf: BpmnWorkflow, walked: task_walk.TaskWalk) -> None:
        """Keep a committed version's workflow live, with its walk."""
        assert self.live_workflows is not None
        self.live_workflows[key] = wf
        self._walks[wf] = walked

    def _deserialize(self, row: Any) -> BpmnWorkflow:
        if self.live_workflows is not None:
            live = self.live_workflows.pop((row.id, row.lock_version), None)
            if live is not None:
                return live
        wf = self.serializer.deserialize_json(row.state)
        wf.script_engine = self.script_engine  # the engine is not serialized (SPIFFWORKFLOW.md §7)
        return wf

    def _record_error(self, row: Any, failure: EngineFailure, actor: Principal, now: datetime) -> None:
        """A timer firing failed: mark the instance `error` (its engine state stays as it was)."""
        seq = row.event_seq + 1
        ev = event_row(row.id, seq, row.last_event_hash, now, actor.username, "error", {"error": failure.detail},
                       [], None)
        with db.write(self.engine) as conn:
            conn.execute(
                update(INSTANCES).where(INSTANCES.c.id == row.id, INSTANCES.c.lock_version == row.lock_version)
                .values(status="error", error=failure.detail, next_timer_at=None, lock_version=row.lock_version + 1,
                        event_seq=seq, last_event_hash=ev["hash"], updated_at=clock.to_db(now)))
            conn.execute(INSERT_EVENT, ev)


def _snapshot(text: str | None) -> dict[str, Any]:
    """A task's stored data (the JSON snapshot taken when it became ready)."""
    value = json.loads(text) if text else {}
    return value if isinstance(value, dict) else {}


class _TaskView:
    """The task columns of a joined instance+task row, under the names the access rules use."""

    def __init__(self, row: Any) -> None:
        self.id = row.task_id
        self.state = row.task_state
        self.assignee = row.assignee
        self.owner = row.owner
        self.delegation_state = row.delegation_state
        self.candidate_groups = row.candidate_groups
        self.candidate_users = row.candidate_users
        self.department_id = row.task_department_id
        self.form_key = row.form_key
        self.data = row.task_data
        self._row = row

    def after(self, row: Any, instance_status: str, **changed: Any) -> dict[str, Any]:
        """The task's row as this command's write left it, with its instance's columns: what the task queries read
        (service/queries/tasks_queries.py `detail`), so the API answers a task command without reading the task
        again."""
        t = self._row
        return {
            "id": self.id, "instance_id": row.id, "process_id": t.task_process_id, "department_id": self.department_id,
            "bpmn_id": t.task_bpmn_id, "name": t.task_name, "state": self.state, "form_key": self.form_key,
            "candidate_groups": self.candidate_groups, "candidate_users": self.candidate_users,
            "assignee": self.assignee, "owner": self.owner, "delegation_state": self.delegation_state,
            "due_at": t.task_due_at, "follow_up_at": t.task_follow_up_at, "priority": t.task_priority,
            "created_at": t.task_created_at, "ended_at": t.task_ended_at, "completed_by": t.task_completed_by,
            "data": self.data, "version_hash": row.version_hash, "instance_status": instance_status,
            "instance_department_id": row.department_id, "started_by": row.started_by, **changed,
        }


def _answers_escalations(task: _TaskView) -> bool:
    """Is this the task of an escalation (the supervisors' or the leadership's)? Only such a task is ever linked to
    an escalation row (running.py `_derive` links the new tasks of ESCALATION_GROUPS alone)."""
    return bool(ESCALATION_GROUPS & set((task.candidate_groups or "").split(",")))


def _needs_engine(command: Command, task: _TaskView) -> bool:
    if isinstance(command, CompleteTask):
        return task.delegation_state != "pending"  # a delegate's completion only hands the task back
    return False


def _validate_form(version: LoadedVersion, form_key: str | None, data: dict[str, Any],
                   context: dict[str, Any] | None = None) -> None:
    """The form's JSON Schema, then (when that passes) its checks across fields against the task's data."""
    if not form_key:
        return
    validator = version.validator(form_key_name(form_key))
    if validator is None:
        return
    errors = form_checks.schema_errors(validator, data) or form_checks.cross_field(
        version.forms[form_key_name(form_key)], data, context or {})
    if errors:
        raise InvalidInput(f"the form has {len(errors)} error(s)", errors)


def _validate_start_data(version: LoadedVersion, form_key: str | None, data: dict[str, Any],
                         department_id: str | None) -> None:
    """A person's start data: what the start form allows, or nothing when the process has no start form."""
    if form_key is None:
        if data:
            raise InvalidInput("this process takes no start data (its start event has no form)",
                               [{"field": f"data/{name}", "message": "not a start variable"} for name in sorted(data)])
        return
    validator = version.validator(form_key_name(form_key))
    if validator is None:  # deploy pins every start form with its model; a version without one takes no data
        raise InvalidInput(f"the start form {form_key_name(form_key)!r} is not part of this version")
    errors = form_checks.schema_errors(validator, data) or form_checks.cross_field(
        version.forms[form_key_name(form_key)], data, data)  # the start data is all the context there is
    if errors:
        raise InvalidInput(f"the start form has {len(errors)} error(s)",
                           [{"field": "/".join(["data", *filter(None, [e["field"]])]), "message": e["message"]}
                            for e in errors])
    if "department_id" in data and data["department_id"] != department_id:
        raise InvalidInput("the start data names another department than the instance's",
                           [{"field": "data/department_id", "message": f"the instance belongs to {department_id}"}])


