"""Who may apply which command to which instance or task (checked inside the one mutation path).

The permissions are service/policy.py's; here they meet the state of the instance or task, which decides between
NotFound (not visible), Forbidden (visible, not allowed) and Conflict (held by someone else, already ended).
"""

from __future__ import annotations

from typing import Any

from service import policy
from service.bpm.commands import (
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
from service.bpm.start_rights import StartRights
from service.domain.roles import Principal
from service.errors import Conflict, Forbidden, NotFound


def _task_facts(task: Any, inst: Any) -> dict[str, Any]:
    return {"instance_department_id": inst.department_id, "started_by": inst.started_by,
            "assignee": task.assignee, "owner": task.owner, "candidate_groups": task.candidate_groups,
            "candidate_users": task.candidate_users, "department_id": task.department_id}


def instance_visible(p: Principal, inst: Any) -> bool:
    return policy.may(p, policy.SEE_INSTANCE, {"department_id": inst.department_id, "started_by": inst.started_by})


def task_visible(p: Principal, task: Any, inst: Any) -> bool:
    return policy.may(p, policy.SEE_TASK, _task_facts(task, inst))


def may_start_processes(p: Principal) -> bool:
    """Does `p` hold a role that may start some process (auditors, experts and agencies start none)?"""
    return policy.may(p, policy.START_PROCESSES)


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
    if not policy.may(p, policy.START_PROCESS, {"declared": rights.declared, "groups": rights.groups,
                                                "users": rights.users}):
        raise Forbidden(f"you may not start {process_id!r}: its model names who starts it" if rights.declared else
                        f"you may not start {process_id!r}: its model names no starters, so only the bureau's "
                        "roles start it")
    assigned = sorted(set(data) & rights.assignment_variables)
    if assigned and not policy.may(p, policy.REASSIGN_TASKS):
        raise Forbidden(f"start data may not set {', '.join(assigned)}: it decides who gets a task, and only "
                        "supervisors and administrators assign tasks",
                        [{"field": f"data/{name}", "message": "an assignment variable"} for name in assigned])
    if department_id is None or department_id == p.department_id:
        return department_id or p.department_id
    if policy.may(p, policy.START_ELSEWHERE):
        return department_id
    raise Forbidden("you can start processes for your own department only")


def check_instance_command(p: Principal, inst: Any, command: Command) -> None:
    if not instance_visible(p, inst):
        raise NotFound(f"instance {inst.id} not found")
    if p.system:
        return
    if isinstance(command, DeliverMessage):
        policy.require(p, policy.CHANGE_ANYTHING)
        return
    if isinstance(command, FireTimers | CompleteExternalTask) or not policy.may(p, policy.CHANGE_LIFECYCLE):
        raise Forbidden("only supervisors and administrators suspend, resume or terminate instances; timers and "
                        "external tasks are the service's own")


def check_task_command(p: Principal, task: Any, inst: Any, command: Command, delegate_exists: bool) -> None:
    """Raise NotFound (not visible), Forbidden (visible, not allowed) or Conflict (held by someone else)."""
    if not task_visible(p, task, inst):
        raise NotFound(f"task {task.id} not found")
    policy.require(p, policy.CHANGE_ANYTHING)
    if task.state != "ready":
        if isinstance(command, EVIDENCE_COMMANDS):  # evidence is immutable once its task has ended
            raise Conflict(f"task {task.id} is already {task.state}: its attachments can no longer change")
        raise Conflict(f"task {task.id} is already {task.state}")
    if p.system:
        return
    me = p.username
    candidate = policy.may(p, policy.WORK_ON_TASK, _task_facts(task, inst))
    if isinstance(command, Reassign):
        policy.require(p, policy.REASSIGN_TASKS)
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
        if task.assignee != me and not policy.may(p, policy.RELEASE_OTHERS_TASKS):
            raise Conflict(f"task {task.id} is claimed by {task.assignee}")
    elif isinstance(command, Delegate):
        if task.assignee != me:
            raise Conflict("claim the task before delegating it" if task.assignee is None
                           else f"task {task.id} is claimed by {task.assignee}")
        if command.to_user == me:
            raise Conflict("you cannot delegate a task to yourself")
    if isinstance(command, Delegate | Reassign) and not delegate_exists:
        raise NotFound(f"no active user {command.to_user!r}")


