"""SQL statements of the mutation path, built once (SQLAlchemy Core on the hot path, DESIGN.md)."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, insert, select, update

from service.models import Escalation, Instance, Job, MessageWait, ProcessDefinition, TaskCandidate, TaskRow, User

INSTANCES = Instance.__table__
TASKS = TaskRow.__table__
CANDIDATES = TaskCandidate.__table__
USERS = User.__table__
WAITS = MessageWait.__table__
JOBS = Job.__table__
ESCALATIONS = Escalation.__table__

_INSTANCE_COLUMNS = (
    INSTANCES.c.id, INSTANCES.c.process_id, INSTANCES.c.version_hash, INSTANCES.c.status, INSTANCES.c.state,
    INSTANCES.c.lock_version, INSTANCES.c.event_seq, INSTANCES.c.last_event_hash, INSTANCES.c.department_id,
    INSTANCES.c.started_by, INSTANCES.c.next_timer_at,
)
_TASK_COLUMNS = (
    TASKS.c.id.label("task_id"), TASKS.c.state.label("task_state"), TASKS.c.assignee, TASKS.c.owner,
    TASKS.c.delegation_state, TASKS.c.candidate_groups, TASKS.c.candidate_users,
    TASKS.c.department_id.label("task_department_id"), TASKS.c.form_key, TASKS.c.data.label("task_data"),
    # the rest of the task row: a task command answers with the task as it left it, without reading it again
    TASKS.c.process_id.label("task_process_id"), TASKS.c.bpmn_id.label("task_bpmn_id"), TASKS.c.name.label("task_name"),
    TASKS.c.due_at.label("task_due_at"), TASKS.c.follow_up_at.label("task_follow_up_at"),
    TASKS.c.priority.label("task_priority"), TASKS.c.created_at.label("task_created_at"),
    TASKS.c.ended_at.label("task_ended_at"), TASKS.c.completed_by.label("task_completed_by"),
)

READ_INSTANCE = select(*_INSTANCE_COLUMNS).where(INSTANCES.c.id == bindparam("b_id"))
READ_INSTANCE_AND_TASK = (select(*_INSTANCE_COLUMNS, *_TASK_COLUMNS)
                          .join(TASKS, TASKS.c.instance_id == INSTANCES.c.id).where(TASKS.c.id == bindparam("b_task")))
ACTIVE_USER = select(USERS.c.id).where(USERS.c.username == bindparam("name"), USERS.c.active.is_(True))

LATEST_VERSION = (
    select(ProcessDefinition.version_hash).where(ProcessDefinition.process_id == bindparam("pid"))
    .order_by(ProcessDefinition.id.desc()).limit(1)
)

INSERT_INSTANCE = insert(INSTANCES)
INSERT_TASK = insert(TASKS)
INSERT_CANDIDATE = insert(CANDIDATES)

WRITE_INSTANCE = (
    update(INSTANCES)
    .where(INSTANCES.c.id == bindparam("b_id"), INSTANCES.c.lock_version == bindparam("b_lock"))
    .values(status=bindparam("status"), state=bindparam("state"), lock_version=bindparam("lock_version"),
            next_timer_at=bindparam("next_timer_at"), data=bindparam("data"), error=bindparam("error"),
            event_seq=bindparam("event_seq"), last_event_hash=bindparam("last_event_hash"),
            updated_at=bindparam("updated_at"), ended_at=bindparam("ended_at"),
            serializer_version=bindparam("serializer_version"))
)
# A command inside a batch (WorkflowService.unit_of_work(batch=True)): everything but the state, written at its end.
WRITE_INSTANCE_BUT_STATE = (
    update(INSTANCES)
    .where(INSTANCES.c.id == bindparam("b_id"), INSTANCES.c.lock_version == bindparam("b_lock"))
    .values(status=bindparam("status"), lock_version=bindparam("lock_version"),
            next_timer_at=bindparam("next_timer_at"), data=bindparam("data"), error=bindparam("error"),
            event_seq=bindparam("event_seq"), last_event_hash=bindparam("last_event_hash"),
            updated_at=bindparam("updated_at"), ended_at=bindparam("ended_at"))
)
WRITE_STATE = (
    update(INSTANCES).where(INSTANCES.c.id == bindparam("b_id"))
    .values(state=bindparam("state"), serializer_version=bindparam("serializer_version"))
    .returning(INSTANCES.c.lock_version)
)
# A command that changes only task rows (claim, delegate, …) still moves the instance's version and chain.
TOUCH_INSTANCE = (
    update(INSTANCES)
    .where(INSTANCES.c.id == bindparam("b_id"), INSTANCES.c.lock_version == bindparam("b_lock"))
    .values(lock_version=bindparam("lock_version"), event_seq=bindparam("event_seq"),
            last_event_hash=bindparam("last_event_hash"), updated_at=bindparam("updated_at"))
)
CLOSE_TASK = (
    update(TASKS).where(TASKS.c.id == bindparam("b_id"))
    .values(state=bindparam("state"), ended_at=bindparam("ended_at"), completed_by=bindparam("completed_by"))
)
ASSIGN_TASK = (
    update(TASKS).where(TASKS.c.id == bindparam("b_id"))
    .values(assignee=bindparam("assignee"), owner=bindparam("owner"), delegation_state=bindparam("delegation_state"),
            data=bindparam("data"))
)
# Claimed tasks keep their candidate rows (visibility) but leave the candidate inbox.
ASSIGN_CANDIDATES = (
    update(CANDIDATES).where(CANDIDATES.c.task_id == bindparam("b_id")).values(assignee=bindparam("assignee"))
)
DROP_CANDIDATES = delete(CANDIDATES).where(CANDIDATES.c.task_id == bindparam("b_id"))
DROP_WAITS = delete(WAITS).where(WAITS.c.instance_id == bindparam("b_id"))
INSERT_WAIT = insert(WAITS)
INSERT_JOB = insert(JOBS)
INSERT_ESCALATION = insert(ESCALATIONS)
# The open escalation a task answered, when a timer of the ladder withdraws that task
# (escalation_commands.py `hand_on`).
OPEN_ESCALATION_OF_TASK = select(ESCALATIONS.c.id, ESCALATIONS.c.level).where(
    ESCALATIONS.c.task_id == bindparam("b_task"), ESCALATIONS.c.state == "open")
MOVE_ESCALATION = update(ESCALATIONS).where(ESCALATIONS.c.id == bindparam("b_id"), ESCALATIONS.c.state == "open")
# The supervisor's task of an open escalation was completed (its decision resolves it) or cancelled.
RESOLVE_ESCALATION = (
    update(ESCALATIONS).where(ESCALATIONS.c.task_id == bindparam("b_task"), ESCALATIONS.c.state == "open")
    .values(state="resolved", decision=bindparam("decision"), comment=bindparam("comment"),
            resolved_at=bindparam("resolved_at"), resolved_by=bindparam("resolved_by"))
)
