"""What others read, derived from a live workflow after each command: task rows, timers, status."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import EscalationEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.task import Task

from service import clock
from service.bpm.jsonutil import canonical, dumps, loads
from service.bpm.model_checks import form_key_name
from service.bpm.scripting import is_iso_timer, strip_wrapper


def waiting_messages(wf: BpmnWorkflow) -> list[str]:
    """Names of the messages a catch event of the instance waits for (POST /api/messages routes by them)."""
    return sorted({e.name for e in wf.waiting_events() if e.event_type == "MessageEventDefinition" and e.name})


def escalation_events(fired: list[Task], fired_before: set[str], supervisor_tasks: list[Task]) -> list[dict[str, Any]]:
    """Boundary timers (a deadline passed) and escalation events (a target slipped) among the `fired` boundary events
    (task_walk.TaskWalk.fired_boundary) that fired just now, each with the new supervisor task that descends from it,
    if any."""
    found = []
    for t in fired:
        spec = t.task_spec
        if str(t.id) in fired_before:
            continue
        ed = spec.event_definition
        task_id = next((str(s.id) for s in supervisor_tasks if _descends_from(s, t)), None)
        if isinstance(ed, TimerEventDefinition):
            found.append({"kind": "deadline", "code": spec.bpmn_id, "name": spec.bpmn_name, "element_id": spec.bpmn_id,
                          "task_id": task_id, "interrupted": _interrupted(t)})
        elif isinstance(ed, EscalationEventDefinition):
            found.append({"kind": "escalation", "code": ed.code, "name": spec.bpmn_name or ed.name,
                          "element_id": spec.bpmn_id, "task_id": task_id, "interrupted": _interrupted(t)})
    return found


def _interrupted(boundary: Task) -> str | None:
    """The activity an interrupting boundary event withdrew (its sibling under the boundary split), if any."""
    if not boundary.task_spec.cancel_activity or boundary.parent is None:
        return None
    return next((str(c.id) for c in boundary.parent.children if not isinstance(c.task_spec, BoundaryEvent)), None)


def _descends_from(task: Task, ancestor: Task) -> bool:
    node = task.parent
    while node is not None:
        if node is ancestor:
            return True
        node = node.parent
    return False


def next_timer(waiting: list[Task]) -> datetime | None:
    """Earliest due time among the `waiting` tasks' timers (task_walk.TaskWalk.waiting; event-based gateways
    included, SPIFFWORKFLOW.md §3.4)."""
    due: list[datetime] = []
    for task in waiting:
        ed = getattr(task.task_spec, "event_definition", None)
        if not isinstance(ed, TimerEventDefinition | MultipleEventDefinition):
            continue
        value = task.internal_data.get("event_value")
        if isinstance(value, dict):
            value = value.get("next")
        if isinstance(value, str):
            try:
                due.append(TimerEventDefinition.get_datetime(value))
            except ValueError:
                continue
    return min(due) if due else None


def instance_data(wf: BpmnWorkflow) -> dict[str, Any]:
    if wf.is_completed():
        return dict(wf.data)
    last = wf.last_task
    return dict(last.data) if last is not None else dict(wf.task_tree.data)


def canonical_data(data: Any) -> str:
    """Data as stored (JSON) and as computed compare equal through this."""
    return canonical(json.loads(dumps(data)))


def fingerprint(wf: BpmnWorkflow, status: str, states: list[str] | None = None,
                data: dict[str, Any] | None = None) -> str:
    """Hash of the meaningful state: status, data and each task's spec and state (no ids, no timestamps); `states`
    when a walk has listed them already (task_walk.TaskWalk.states), `data` when `instance_data` gave it already."""
    if states is None:
        states = [f"{t.workflow.spec.name}/{t.task_spec.name}:{t.state}" for t in wf.get_tasks()]
    body = canonical({"status": status, "data": instance_data(wf) if data is None else data,
                      "tasks": sorted(states)})
    return hashlib.sha256(body.encode()).hexdigest()


def _evaluate(wf: BpmnWorkflow, task: Task, value: str) -> Any:
    if "${" in value or "#{" in value:
        return wf.script_engine.evaluate(task, strip_wrapper(value))
    return value


def _due(wf: BpmnWorkflow, task: Task, value: str | None, now: datetime) -> datetime | None:
    if not value:
        return None
    result = _evaluate(wf, task, value)
    if isinstance(result, datetime):
        return result.astimezone(clock.UTC) if result.tzinfo else result.replace(tzinfo=clock.UTC)
    if not isinstance(result, str) or not is_iso_timer(result):
        raise ValueError(f"due date {value!r} evaluated to {result!r}, not an ISO-8601 date or duration")
    result = result.strip()
    if result.upper().startswith("P"):
        return now + TimerEventDefinition.get_timedelta_from_start(
            TimerEventDefinition.parse_iso_duration(result), now)
    return TimerEventDefinition.get_datetime(result)


def _names(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple | set):
        items = [str(v).strip() for v in value]
    else:
        items = [v.strip() for v in str(value).split(",")]
    items = [v for v in items if v]
    return ",".join(items) or None


# Task commands that change who holds a task, not the process (Camunda 7's claim, delegation and assignment).
HOLDER_COMMANDS = ("claim", "unclaim", "delegate", "reassign", "resolve_task")


def holder_change(kind: str, actor: str | None, payload: dict[str, Any], owner: str | None,
                  data: str) -> dict[str, Any]:
    """The task columns a claim, unclaim, delegate, reassign or a delegate's resolve (`kind`, by `actor`, with the
    event's `payload`) sets, given the task's owner and data: for the mutation path and for verify alike."""
    if kind == "claim":
        return {"assignee": actor}
    if kind == "unclaim":
        return {"assignee": None}
    if kind == "delegate":  # the owner delegates; the delegate completes and the task returns to the owner
        return {"owner": actor, "assignee": payload.get("to_user"), "delegation_state": "pending"}
    if kind == "reassign":
        return {"assignee": payload.get("to_user"), "owner": None, "delegation_state": None}
    if kind == "resolve_task":
        merged = {**(loads(data) or {}), **(payload.get("data") or {})}
        return {"assignee": owner, "delegation_state": "resolved", "data": dumps(merged)}
    raise ValueError(f"{kind!r} does not change who holds a task")


def task_row(wf: BpmnWorkflow, task: Task, instance_id: str, process_id: str, department_id: str | None,
             started_by: str | None, now: datetime) -> dict[str, Any]:
    """The row of a newly ready user task: assignment, due dates and priority resolved now.

    A task with neither assignee nor candidates belongs to the user who started the instance.
    """
    spec = task.task_spec
    ext = spec.extensions or {}
    form = getattr(spec, "form", None)
    form_key = ext.get("formKey") or (getattr(form, "key", None) if form is not None else None)
    if form_key:
        form_key = form_key_name(str(_evaluate(wf, task, form_key)))
    priority_raw = ext.get("priority")
    priority = int(_evaluate(wf, task, priority_raw)) if priority_raw else 50
    assignee_expr = ext.get("assignee")
    assignee = (str(_evaluate(wf, task, assignee_expr)) or None) if assignee_expr else None
    groups = _names(_evaluate(wf, task, ext["candidateGroups"])) if ext.get("candidateGroups") else None
    users = _names(_evaluate(wf, task, ext["candidateUsers"])) if ext.get("candidateUsers") else None
    if assignee is None and groups is None and users is None:
        assignee = started_by
    return {
        "id": str(task.id),
        "instance_id": instance_id,
        "process_id": process_id,
        "bpmn_id": spec.bpmn_id,
        "name": spec.bpmn_name or spec.bpmn_id,
        "state": "ready",
        "form_key": form_key,
        "department_id": department_id,
        "candidate_groups": groups,
        "candidate_users": users,
        "assignee": assignee,
        "owner": None,
        "delegation_state": None,
        "due_at": clock.to_db(_due(wf, task, ext.get("dueDate"), now)),
        "follow_up_at": clock.to_db(_due(wf, task, ext.get("followUpDate"), now)),
        "priority": max(0, min(100, priority)),
        "data": dumps(task.data),
        "created_at": clock.to_db(now),
        "ended_at": None,
        "completed_by": None,
    }
