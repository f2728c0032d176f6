"""Who may apply which command to which instance or task (checked inside the one mutation path)."""

from __future__ import annotations

from typing import Any

from service.domain.roles import (
    DEFAULT_STARTERS,
    PROCESS_DESIGNER,
    STARTERS,
    SUPERVISORS,
    Principal,
    can_see_instance,
    task_candidate,
)
from service.engine.commands import (
    EVIDENCE_COMMANDS,
    Claim,
    Command,
    CompleteExternalTask,
    CompleteTask,
    Delegate,
    DeliverMessage,
    FireTimers,
    Reassign,
    Unclaim,
)
from service.engine.start_rights import StartRights
from service.errors import Conflict, Forbidden, NotFound


def _names(value: str | None) -> list[str]:
    return value.split(",") if value else []


def instance_visible(p: Principal, inst: Any) -> bool:
    return can_see_instance(p, inst.department_id, inst.started_by)


def task_visible(p: Principal, task: Any, inst: Any) -> bool:
    if p.sees_all_departments or can_see_instance(p, inst.department_id, inst.started_by):
        return True
    if p.username in (task.assignee, task.owner):
        return True
    return task_candidate(p, _names(task.candidate_groups), _names(task.candidate_users), task.department_id)


def may_start_processes(p: Principal) -> bool:
    """Does `p` hold a role that may start some process (auditors, experts and agencies start none)?"""
    return p.has(*STARTERS) and not p.read_only


def check_start(p: Principal, process_id: str, rights: StartRights, department_id: str | None,
                data: dict[str, Any]) -> str | None:
    """The department the new instance belongs to; Forbidden if `p` may not start `process_id` there with `data`.

    The system (calendar jobs, call activities, the cycle's launch, the demo) may always start. People need a
    starter role, and then the model's candidateStarterGroups/Users, or, where the model declares none, one of
    the bureau's DEFAULT_STARTERS roles. Start data may set an assignment variable only for a starter who could
    make that assignment by hand (Reassign: supervisors and administrators).
    """
    if p.system:
        return department_id
    if not may_start_processes(p):
        raise Forbidden("your roles do not allow starting processes")
    if rights.declared:
        allowed = bool(p.roles & (rights.groups or frozenset())) or p.username in rights.users
    else:
        allowed = bool(p.roles & DEFAULT_STARTERS)
    if not allowed:
        raise Forbidden(f"you may not start {process_id!r}: its model names who starts it" if rights.declared else
                        f"you may not start {process_id!r}: its model names no starters, so only the bureau's "
                        "roles start it")
    assigned = sorted(set(data) & rights.assignment_variables)
    if assigned and not p.has(*SUPERVISORS):
        raise Forbidden(f"start data may not set {', '.join(assigned)}: it decides who gets a task, and only "
                        "supervisors and administrators assign tasks",
                        [{"field": f"data/{name}", "message": "an assignment variable"} for name in assigned])
    if department_id is None or department_id == p.department_id:
        return department_id or p.department_id
    if p.sees_all_departments or p.has(PROCESS_DESIGNER):
        return department_id
    raise Forbidden("you can start processes for your own department only")


def check_instance_command(p: Principal, inst: Any, command: Command) -> None:
    if not instance_visible(p, inst):
        raise NotFound(f"instance {inst.id} not found")
    if p.system:
        return
    if isinstance(command, DeliverMessage):
        if p.read_only:
            raise Forbidden("auditors read and change nothing")
        return
    if isinstance(command, FireTimers | CompleteExternalTask) or not p.has(*SUPERVISORS):
        raise Forbidden("only supervisors and administrators suspend, resume or terminate instances; timers and "
                        "external tasks are the service's own")


def check_task_command(p: Principal, task: Any, inst: Any, command: Command, delegate_exists: bool) -> None:
    """Raise NotFound (not visible), Forbidden (visible, not allowed) or Conflict (held by someone else)."""
    if not task_visible(p, task, inst):
        raise NotFound(f"task {task.id} not found")
    if p.read_only:
        raise Forbidden("auditors read and change nothing")
    if task.state != "ready":
        if isinstance(command, EVIDENCE_COMMANDS):  # evidence is immutable once its task has ended
            raise Conflict(f"task {task.id} is already {task.state}: its attachments can no longer change")
        raise Conflict(f"task {task.id} is already {task.state}")
    if p.system:
        return
    me = p.username
    candidate = task_candidate(p, _names(task.candidate_groups), _names(task.candidate_users), task.department_id)
    if isinstance(command, Reassign):
        if not p.has(*SUPERVISORS):
            raise Forbidden("only supervisors reassign tasks")
    elif isinstance(command, (CompleteTask, Claim, *EVIDENCE_COMMANDS)):  # evidence: whoever may complete it
        if task.assignee is not None and task.assignee != me:
            raise Conflict(f"task {task.id} is claimed by {task.assignee}")
        if task.assignee is None and not candidate:
            raise Forbidden("you are not a candidate for this task")
    elif isinstance(command, Unclaim):
        if task.assignee is None:
            raise Conflict(f"task {task.id} is not claimed")
        if task.delegation_state == "pending":
            raise Conflict("a delegated task returns to its owner when the delegate completes it")
        if task.assignee != me and not p.has(*SUPERVISORS):
            raise Conflict(f"task {task.id} is claimed by {task.assignee}")
    elif isinstance(command, Delegate):
        if task.assignee != me:
            raise Conflict("claim the task before delegating it" if task.assignee is None
                           else f"task {task.id} is claimed by {task.assignee}")
        if command.to_user == me:
            raise Conflict("you cannot delegate a task to yourself")
    if isinstance(command, Delegate | Reassign) and not delegate_exists:
        raise NotFound(f"no active user {command.to_user!r}")


