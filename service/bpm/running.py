"""Running the engine for one command: act, settle within limits, derive what the service stores."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition as CamundaMessage
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from service import clock
from service.bpm import derive, scripting, task_walk
from service.bpm.commands import (
    Command,
    CompleteExternalTask,
    CompleteTask,
    DeliverMessage,
    FireTimers,
    Resume,
    Suspend,
    Terminate,
)
from service.bpm.escalation_commands import LEADERSHIP_LEVEL, SUPERVISOR_LEVEL
from service.bpm.jsonutil import NotJSON, dumps
from service.config import Settings
from service.domain.roles import BUREAU_LEADER, ESCALATION_GROUPS, SUPERVISOR
from service.errors import AlreadyDone, Conflict, EngineFailure, Forbidden, InvalidInput, InvalidTransition, NotFound


def action_for(wf: BpmnWorkflow, command: Command,
               validate_form: Callable[[str | None, dict[str, Any]], None]) -> Callable[[BpmnWorkflow], None]:
    """What a command does to a live workflow (shared by the mutation path and replay)."""
    if isinstance(command, CompleteTask):
        task = ready_task(wf, command.task_id)
        validate_form(task.task_spec.extensions.get("formKey"), command.data)

        def complete(_wf: BpmnWorkflow) -> None:
            task.data.update(command.data)
            task.run()
        return complete
    if isinstance(command, CompleteExternalTask):
        external = waiting_external_task(wf, command.task_id)

        def finish(_wf: BpmnWorkflow) -> None:
            external.data.update(command.result)
            external.complete()
        return finish
    if isinstance(command, DeliverMessage):
        event = BpmnEvent(CamundaMessage(command.name),
                          payload={"payload": command.body, "result_var": command.variable})

        def deliver(w: BpmnWorkflow) -> None:
            try:
                w.send_event(event)
            except WorkflowException:
                raise Conflict(f"the instance is not waiting for message {command.name!r}") from None
        return deliver
    if isinstance(command, FireTimers):
        return lambda w: w.refresh_timers()
    if isinstance(command, Terminate):
        return lambda w: w.cancel()
    if isinstance(command, Suspend | Resume):
        return lambda w: None
    raise InvalidInput(f"command {command.kind} does not run the engine")


def ready_task(wf: BpmnWorkflow, task_id: str) -> Task:
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



def waiting_external_task(wf: BpmnWorkflow, task_id: str) -> Task:
    try:
        task = wf.get_task_from_id(uuid.UUID(task_id))
    except (ValueError, KeyError):
        task = None
    if task is None or (task.task_spec.extensions or {}).get("type") != "external":
        raise NotFound(f"external task {task_id} not found")
    if task.state != TaskState.STARTED:
        raise AlreadyDone(f"external task {task_id} is {TaskState.get_name(task.state).lower()}, not waiting")
    return task


class StepLimitExceeded(RuntimeError):
    pass


@dataclass(frozen=True)
class InstanceContext:
    """What task derivation needs to know about the instance."""

    id: str
    process_id: str
    department_id: str | None
    started_by: str | None


@dataclass
class Outcome:
    status: str
    error: str | None
    state: str
    data: str
    next_timer: datetime | None
    new_tasks: list[dict[str, Any]]
    candidates: list[dict[str, Any]]
    closed: list[str]
    fingerprint: str
    touched: list[dict[str, Any]]
    external_tasks: list[dict[str, Any]]  # service tasks that started waiting for a Python task worker
    messages: list[str]  # names of the messages the instance now waits for
    escalations: list[dict[str, Any]]  # boundary timers and escalation events that fired
    walked: task_walk.TaskWalk  # the task tree as the command left it


def run(wf: BpmnWorkflow, act: Callable[[BpmnWorkflow], None], ctx: InstanceContext, now: datetime,
        settings: Settings, serialize: Callable[[BpmnWorkflow], str], *, status: str, settle: bool,
        walked: task_walk.TaskWalk | None = None) -> Outcome:
    """Apply `act` at `now`, run engine steps, derive the outcome; every model failure becomes EngineFailure.

    `walked`: the walk of `wf` as it stands, when the caller has it (the previous outcome's, while nothing
    changed the workflow since); else `run` walks it first."""
    try:
        with clock.frozen_at(now), scripting.budget(settings.engine_time_limit_s):
            if walked is None:
                walked = task_walk.walk(wf)
            external_before = {str(t.id) for t in walked.external}
            fired_before = {str(t.id) for t in walked.fired_boundary}
            before = walked.ready_user
            act(wf)
            after = _settle(wf, settings.engine_max_steps) if settle else task_walk.walk(wf)
            return _derive(wf, after, before, external_before, fired_before, ctx, now, status, serialize)
    except (EngineFailure, NotFound, Conflict, Forbidden, InvalidInput, InvalidTransition):
        raise
    except StepLimitExceeded:
        raise EngineFailure(f"the process ran more than {settings.engine_max_steps} steps without "
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


def _settle(wf: BpmnWorkflow, limit: int) -> task_walk.TaskWalk:
    """Run engine steps until only user tasks and waits remain, within the step and time limits; the walk of the
    settled tree."""
    steps = 0

    def will_complete(_task: Task) -> None:
        nonlocal steps
        steps += 1
        if steps > limit:
            raise StepLimitExceeded
        scripting.check_budget()

    while True:
        wf.do_engine_steps(will_complete_task=will_complete)
        # do_engine_steps refreshes timers at its end: a timer that just came due is READY but not run.
        walked = task_walk.walk(wf)
        if not walked.ready_engine_work:
            return walked


def _derive(wf: BpmnWorkflow, walked: task_walk.TaskWalk, before: dict[str, Task], external_before: set[str],
            fired_before: set[str], ctx: InstanceContext, now: datetime, status: str,
            serialize: Callable[[BpmnWorkflow], str]) -> Outcome:
    if status == "running" and wf.is_completed():
        if not walked.reached_end:
            # SpiffWorkflow gives up on some loops without wait states and reports completion.
            raise EngineFailure("the process stopped without reaching an end event (a loop without a "
                                "user task or timer?)")
        status = "completed"
    after = walked.ready_user if status in ("running", "suspended") else {}
    closed = [tid for tid in before if tid not in after]
    external = [{"task_id": str(t.id), "bpmn_id": t.task_spec.bpmn_id, "change": "external",
                 "topic": (t.task_spec.extensions or {}).get("topic"), "data": dumps(t.data)}
                for t in walked.external if str(t.id) not in external_before]
    new_tasks = [derive.task_row(wf, after[tid], ctx.id, ctx.process_id, ctx.department_id, ctx.started_by, now)
                 for tid in after if tid not in before]
    # One row per candidate group and per named candidate user ("@" + name), for the indexed inbox.
    candidates = [{"task_id": r["id"], "group_name": key, "department_id": r["department_id"], "due_at": r["due_at"],
                   "priority": r["priority"], "assignee": r["assignee"]}
                  for r in new_tasks
                  for key in dict.fromkeys([*(g for g in (r["candidate_groups"] or "").split(",") if g),
                                            *("@" + u for u in (r["candidate_users"] or "").split(",") if u)])]
    # A boundary timer or escalation event that fired opens an escalation, linked to the supervisor's (or, one level
    # up, the bureau leadership's) task on its path (completing that task resolves it); a boundary timer that leads
    # to no such task is a reminder. One that withdrew an escalation's own task and leads to the next one up (the
    # ladder: an escalation left undecided) hands that escalation on (`hand_on`) where it has one.
    escalation_tasks = {r["id"]: r for r in new_tasks
                        if ESCALATION_GROUPS & set((r["candidate_groups"] or "").split(","))}
    escalations = []
    for e in derive.escalation_events(walked.fired_boundary, fired_before, [after[tid] for tid in escalation_tasks]):
        if e["kind"] != "escalation" and e["task_id"] is None:
            continue
        interrupted = e.pop("interrupted")
        groups = (escalation_tasks[e["task_id"]]["candidate_groups"] or "").split(",") if e["task_id"] else []
        # A slip modelled straight to the leadership's task (no supervisor supervises their own case, e.g.
        # workflows/accountability.bpmn) is the leadership's from the start.
        e["level"] = LEADERSHIP_LEVEL if BUREAU_LEADER in groups and SUPERVISOR not in groups else SUPERVISOR_LEVEL
        if e["task_id"] is not None and interrupted in before and interrupted not in after:
            e["hand_on"] = {"from_task_id": interrupted, "leadership": BUREAU_LEADER in groups}
        escalations.append(e)
    values = derive.instance_data(wf)
    data = dumps(values)
    return Outcome(
        status=status, error=None,  # a successful command clears the error of an earlier failed timer firing
        state=serialize(wf), data=data,
        next_timer=derive.next_timer(walked.waiting) if status == "running" else None,
        new_tasks=new_tasks, candidates=candidates, closed=closed,
        fingerprint=derive.fingerprint(wf, status, walked.states, values),
        touched=[{"task_id": t, "change": "closed"} for t in closed]
        + [{"task_id": r["id"], "bpmn_id": r["bpmn_id"], "change": "ready"} for r in new_tasks]
        + [{k: v for k, v in e.items() if k != "data"} for e in external],
        external_tasks=external,
        messages=derive.waiting_messages(wf) if status == "running" else [],
        escalations=escalations, walked=walked,
    )


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
