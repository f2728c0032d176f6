"""The one mutation path (DESIGN.md): every change to an instance goes through `WorkflowService`.

read (short, no lock) → load workflow → check → act + run engine steps at the clock's time → derive
task rows, next timer, status, event → one short write guarded by `WHERE lock_version = :read`.
On any exception the in-memory workflow is dropped; the stored instance is untouched.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Engine, bindparam, insert, select, update

from service import clock, db
from service.config import Settings
from service.engine import derive, scripting
from service.engine.audit import INSERT_EVENT, event_row
from service.engine.commands import Command, CompleteTask, FireTimers, Resume, Suspend, Terminate
from service.engine.jsonutil import NotJSON, dumps
from service.engine.parsing import form_key_name
from service.engine.serializer import SERIALIZER_VERSION, make_serializer
from service.engine.versions import LoadedVersion, SpecCache
from service.errors import Conflict, EngineFailure, InvalidInput, InvalidTransition, NotFound
from service.models import Instance, ProcessDefinition, TaskRow


class _ClockDatetime(datetime):
    """SpiffWorkflow's timers call datetime.now(); route it through the service clock (SPIFFWORKFLOW.md §14)."""

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        current = clock.now()
        return current.astimezone(tz) if tz is not None else current.replace(tzinfo=None)


_timer_module.datetime = _ClockDatetime  # type: ignore[misc]

INSTANCES = Instance.__table__
TASKS = TaskRow.__table__

_READ_INSTANCE = select(
    INSTANCES.c.id, INSTANCES.c.process_id, INSTANCES.c.version_hash, INSTANCES.c.status, INSTANCES.c.state,
    INSTANCES.c.lock_version, INSTANCES.c.event_seq, INSTANCES.c.last_event_hash,
).where(INSTANCES.c.id == bindparam("b_id"))

_READ_INSTANCE_OF_TASK = select(*_READ_INSTANCE.selected_columns).join(
    TASKS, TASKS.c.instance_id == INSTANCES.c.id).where(TASKS.c.id == bindparam("b_task"))

_INSERT_INSTANCE = insert(INSTANCES)
_INSERT_TASK = insert(TASKS)

_WRITE_INSTANCE = (
    update(INSTANCES)
    .where(INSTANCES.c.id == bindparam("b_id"), INSTANCES.c.lock_version == bindparam("b_lock"))
    .values(status=bindparam("status"), state=bindparam("state"), lock_version=bindparam("lock_version"),
            next_timer_at=bindparam("next_timer_at"), data=bindparam("data"), error=bindparam("error"),
            event_seq=bindparam("event_seq"), last_event_hash=bindparam("last_event_hash"),
            updated_at=bindparam("updated_at"), ended_at=bindparam("ended_at"),
            serializer_version=bindparam("serializer_version"))
)

_CLOSE_TASK = (
    update(TASKS).where(TASKS.c.id == bindparam("b_id"))
    .values(state=bindparam("state"), ended_at=bindparam("ended_at"), completed_by=bindparam("completed_by"))
)

_LATEST_VERSION = (
    select(ProcessDefinition.version_hash).where(ProcessDefinition.process_id == bindparam("pid"))
    .order_by(ProcessDefinition.id.desc()).limit(1)
)

_ALLOWED_FROM: dict[type[Command], tuple[str, ...]] = {
    CompleteTask: ("running",),
    FireTimers: ("running",),
    Suspend: ("running",),
    Resume: ("suspended", "error"),
    Terminate: ("running", "suspended", "error"),
}


_DOING = {"complete_task": "completing a task", "fire_timers": "firing timers", "suspend": "suspending",
          "resume": "resuming", "terminate": "terminating"}


class StepLimitExceeded(RuntimeError):
    pass


@dataclass
class _Loaded:
    row: Any
    version: LoadedVersion
    wf: BpmnWorkflow


class WorkflowService:
    """Starts instances and applies commands to them; the API, workers, CLI and replay all call this."""

    def __init__(self, engine: Engine, settings: Settings, specs: SpecCache,
                 functions: dict[str, Callable[..., Any]] | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.specs = specs
        self.script_engine = scripting.JixiaoScriptEngine(functions)
        self.serializer = make_serializer(specs.resolve)

    # --- public commands ---------------------------------------------------------------------------

    def start(self, process_id: str, data: dict[str, Any] | None = None, business_key: str | None = None,
              actor: str | None = None, now: datetime | None = None) -> dict[str, Any]:
        """Create an instance on the latest version of `process_id` and run it to its first wait state."""
        now = now or clock.now()
        with db.read(self.engine) as conn:
            version_hash = conn.execute(_LATEST_VERSION, {"pid": process_id}).scalar()
        if version_hash is None:
            raise NotFound(f"no deployed process {process_id!r}")
        version = self.specs.get(version_hash)
        spec, subprocess_specs = version.spec(process_id)
        instance_id = str(uuid.uuid4())
        initial = dict(data or {})

        def act(wf: BpmnWorkflow) -> None:
            wf.task_tree.data.update(initial)

        wf = BpmnWorkflow(spec, subprocess_specs, script_engine=self.script_engine)
        outcome = self._run(wf, act, {}, None, instance_id, process_id, now, status="running")
        payload = {"process_id": process_id, "version": version_hash, "business_key": business_key, "data": initial}
        ev = event_row(instance_id, 1, None, now, actor, "start", payload, outcome.touched, outcome.fingerprint)
        row = {
            "id": instance_id, "process_id": process_id, "version_hash": version_hash, "business_key": business_key,
            "status": outcome.status, "state": outcome.state, "serializer_version": SERIALIZER_VERSION,
            "lock_version": 1, "next_timer_at": clock.to_db(outcome.next_timer), "data": outcome.data,
            "event_seq": 1, "last_event_hash": ev["hash"], "error": outcome.error, "started_by": actor,
            "created_at": clock.to_db(now), "updated_at": clock.to_db(now),
            "ended_at": clock.to_db(now) if outcome.status != "running" else None,
        }
        with db.write(self.engine) as conn:
            conn.execute(_INSERT_INSTANCE, row)
            if outcome.new_tasks:
                conn.execute(_INSERT_TASK, outcome.new_tasks)
            conn.execute(INSERT_EVENT, ev)
        return row

    def apply(self, instance_id: str, command: Command, actor: str | None = None,
              now: datetime | None = None) -> dict[str, Any]:
        """Apply one command to a stored instance; raise Conflict if another writer got there first."""
        return self._apply(self._load(_READ_INSTANCE, {"b_id": instance_id}, f"instance {instance_id}"),
                           command, actor, now)

    def complete_task(self, task_id: str, data: dict[str, Any], actor: str | None = None,
                      now: datetime | None = None) -> dict[str, Any]:
        """Complete a user task, finding its instance in the same read."""
        loaded = self._load(_READ_INSTANCE_OF_TASK, {"b_task": task_id}, f"task {task_id}")
        return self._apply(loaded, CompleteTask(task_id, data), actor, now)

    def _apply(self, loaded: _Loaded, command: Command, actor: str | None, now: datetime | None) -> dict[str, Any]:
        now = now or clock.now()
        instance_id = loaded.row.id
        row, wf = loaded.row, loaded.wf
        allowed = _ALLOWED_FROM[type(command)]
        if row.status not in allowed:
            raise InvalidTransition(f"{_DOING[command.kind]} is not possible: the instance is {row.status}")
        before = derive.ready_user_tasks(wf)
        completed_id: str | None = None
        status = "running"
        act: Callable[[BpmnWorkflow], None]

        if isinstance(command, CompleteTask):
            task = self._ready_task(wf, command.task_id)
            self._validate_form(loaded.version, task, command.data)
            completed_id = command.task_id

            def act(wf: BpmnWorkflow) -> None:
                task.data.update(command.data)
                task.run()
        elif isinstance(command, FireTimers):
            def act(wf: BpmnWorkflow) -> None:
                wf.refresh_timers()
        elif isinstance(command, Terminate):
            status = "terminated"

            def act(wf: BpmnWorkflow) -> None:
                wf.cancel()
        elif isinstance(command, Suspend):
            status = "suspended"

            def act(wf: BpmnWorkflow) -> None:
                return None
        elif isinstance(command, Resume):
            def act(wf: BpmnWorkflow) -> None:
                return None
        else:  # pragma: no cover - every command class is handled above
            raise InvalidInput(f"unknown command {command.kind}")

        try:
            outcome = self._run(wf, act, before, completed_id, instance_id, row.process_id, now, status=status,
                                settle=isinstance(command, CompleteTask | FireTimers))
        except EngineFailure as failure:
            if isinstance(command, FireTimers):
                self._record_error(row, failure, actor, now)
            raise
        seq = row.event_seq + 1
        ev = event_row(instance_id, seq, row.last_event_hash, now, actor, command.kind, command.payload(),
                       outcome.touched, outcome.fingerprint)
        values = {
            "b_id": instance_id, "b_lock": row.lock_version, "status": outcome.status, "state": outcome.state,
            "lock_version": row.lock_version + 1, "next_timer_at": clock.to_db(outcome.next_timer),
            "data": outcome.data, "error": outcome.error, "event_seq": seq, "last_event_hash": ev["hash"],
            "updated_at": clock.to_db(now), "serializer_version": SERIALIZER_VERSION,
            "ended_at": clock.to_db(now) if outcome.status in ("completed", "terminated") else None,
        }
        with db.write(self.engine) as conn:
            if conn.execute(_WRITE_INSTANCE, values).rowcount != 1:
                raise Conflict("the instance was changed by someone else meanwhile; reload and try again")
            if outcome.closed:
                conn.execute(_CLOSE_TASK, [
                    {"b_id": tid, "state": "completed" if tid == completed_id else "cancelled",
                     "ended_at": clock.to_db(now), "completed_by": actor if tid == completed_id else None}
                    for tid in outcome.closed])
            if outcome.new_tasks:
                conn.execute(_INSERT_TASK, outcome.new_tasks)
            conn.execute(INSERT_EVENT, ev)
        return {"id": instance_id, "process_id": row.process_id, "version_hash": row.version_hash,
                "status": outcome.status, "lock_version": row.lock_version + 1, "error": outcome.error,
                "next_timer_at": values["next_timer_at"], "data": outcome.data}

    # --- internals ---------------------------------------------------------------------------------

    def _load(self, query: Any, params: dict[str, str], what: str) -> _Loaded:
        with db.read(self.engine) as conn:
            row = conn.execute(query, params).first()
        if row is None:
            raise NotFound(f"{what} not found")
        version = self.specs.get(row.version_hash)
        wf = self.serializer.deserialize_json(row.state)
        wf.script_engine = self.script_engine  # the engine is not serialized (SPIFFWORKFLOW.md §7)
        return _Loaded(row, version, wf)

    def load_workflow(self, instance_id: str) -> BpmnWorkflow:
        """Read-only access to a live workflow (for diagnostics; never saved)."""
        return self._load(_READ_INSTANCE, {"b_id": instance_id}, f"instance {instance_id}").wf

    @staticmethod
    def _ready_task(wf: BpmnWorkflow, task_id: str) -> Task:
        try:
            task = wf.get_task_from_id(uuid.UUID(task_id))
        except (ValueError, KeyError):
            task = None
        if task is None:
            raise NotFound(f"task {task_id} not found")
        if not task.task_spec.manual:
            raise InvalidTransition("only user tasks can be completed")
        if task.state != TaskState.READY:
            raise Conflict(f"task {task_id} is {TaskState.get_name(task.state).lower()}, not ready")
        return task

    @staticmethod
    def _validate_form(version: LoadedVersion, task: Task, data: dict[str, Any]) -> None:
        ext = task.task_spec.extensions or {}
        form_key = ext.get("formKey")
        if not form_key:
            return
        validator = version.validator(form_key_name(form_key))
        if validator is None:
            return
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
        if errors:
            raise InvalidInput(
                f"the form has {len(errors)} error(s)",
                [{"field": "/".join(str(p) for p in e.absolute_path) or None, "message": e.message} for e in errors],
            )

    def _run(self, wf: BpmnWorkflow, act: Callable[[BpmnWorkflow], None], before: dict[str, Task],
             completed_id: str | None, instance_id: str, process_id: str, now: datetime, *, status: str,
             settle: bool = True) -> _Outcome:
        try:
            with clock.frozen_at(now), scripting.budget(self.settings.engine_time_limit_s):
                act(wf)
                if settle:
                    self._settle(wf)
                return self._derive(wf, before, completed_id, instance_id, process_id, now, status)
        except (EngineFailure, NotFound, Conflict, InvalidInput, InvalidTransition):
            raise
        except StepLimitExceeded:
            raise EngineFailure(f"the process ran more than {self.settings.engine_max_steps} steps without "
                                "reaching a wait state (a loop without a user task or timer?)") from None
        except (scripting.ScriptBudgetExceeded, NotJSON) as exc:
            raise EngineFailure(str(exc)) from None
        except RecursionError:
            raise EngineFailure("the process is nested too deeply for the engine") from None
        except WorkflowTaskException as exc:
            raise EngineFailure(_describe(exc)) from None
        except SpiffWorkflowException as exc:
            raise EngineFailure(f"engine error: {exc}") from None
        except Exception as exc:  # a model error surfacing as a plain Python error (bad timer, due date, …)
            raise EngineFailure(f"{type(exc).__name__}: {exc}") from None

    def _settle(self, wf: BpmnWorkflow) -> None:
        """Run engine steps until only user tasks and waits remain, within the step and time limits."""
        steps = 0
        limit = self.settings.engine_max_steps

        def will_complete(_task: Task) -> None:
            nonlocal steps
            steps += 1
            if steps > limit:
                raise StepLimitExceeded
            scripting.check_budget()

        while True:
            wf.do_engine_steps(will_complete_task=will_complete)
            # do_engine_steps refreshes timers at its end: a timer that just came due is READY but not run.
            if not derive.has_ready_engine_work(wf):
                break

    def _derive(self, wf: BpmnWorkflow, before: dict[str, Task], completed_id: str | None, instance_id: str,
                process_id: str, now: datetime, status: str) -> _Outcome:
        error = None  # a successful command clears the error of an earlier failed timer firing
        if status == "running" and wf.is_completed():
            if not derive.reached_end(wf):
                # SpiffWorkflow gives up on some loops without wait states and reports completion.
                raise EngineFailure("the process stopped without reaching an end event (a loop without a "
                                    "user task or timer?)")
            status = "completed"
        after = derive.ready_user_tasks(wf) if status in ("running", "suspended") else {}
        new_ids = [tid for tid in after if tid not in before]
        closed = [tid for tid in before if tid not in after]
        new_tasks = [derive.task_row(wf, after[tid], instance_id, process_id, now) for tid in new_ids]
        data = dumps(derive.instance_data(wf))
        state = self.serializer.serialize_json(wf)
        return _Outcome(
            status=status, error=error, state=state, data=data,
            next_timer=derive.next_timer(wf) if status == "running" else None,
            new_tasks=new_tasks, closed=closed, fingerprint=derive.fingerprint(wf, status),
            touched=[{"task_id": t, "change": "closed"} for t in closed]
            + [{"task_id": r["id"], "bpmn_id": r["bpmn_id"], "change": "ready"} for r in new_tasks],
        )

    def _record_error(self, row: Any, failure: EngineFailure, actor: str | None, now: datetime) -> None:
        """A timer firing failed: mark the instance `error` (its engine state stays as it was)."""
        seq = row.event_seq + 1
        ev = event_row(row.id, seq, row.last_event_hash, now, actor, "error", {"error": failure.detail}, [], None)
        with db.write(self.engine) as conn:
            conn.execute(
                update(INSTANCES).where(INSTANCES.c.id == row.id, INSTANCES.c.lock_version == row.lock_version)
                .values(status="error", error=failure.detail, next_timer_at=None, lock_version=row.lock_version + 1,
                        event_seq=seq, last_event_hash=ev["hash"], updated_at=clock.to_db(now)))
            conn.execute(INSERT_EVENT, ev)


@dataclass
class _Outcome:
    status: str
    error: str | None
    state: str
    data: str
    next_timer: datetime | None
    new_tasks: list[dict[str, Any]]
    closed: list[str]
    fingerprint: str
    touched: list[dict[str, Any]]


def _describe(exc: WorkflowTaskException) -> str:
    task = getattr(exc, "task", None)
    where = ""
    if task is not None:
        spec = task.task_spec
        where = f"{getattr(spec, 'bpmn_name', None) or getattr(spec, 'bpmn_id', spec.name)}: "
    line = getattr(exc, "line_number", None)
    detail = str(exc).split("\n", 1)[0]
    if line:
        detail += f" (script line {line}: {getattr(exc, 'error_line', '')!s})"
    return f"{where}{detail}"

