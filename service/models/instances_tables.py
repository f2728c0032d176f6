"""Process instances and the task rows derived from their state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base


class Instance(Base):
    __tablename__ = "instances"
    __table_args__ = (
        Index("ix_instances_next_timer_at", "next_timer_at"),
        Index("ix_instances_process_status", "process_id", "status"),
        Index("ix_instances_business_key", "business_key"),
        Index("ix_instances_department", "department_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(255))
    version_hash: Mapped[str] = mapped_column(ForeignKey("process_versions.hash"))
    business_key: Mapped[str | None] = mapped_column(String(255))
    # The department whose instance this is: departmental roles see only their own department's.
    department_id: Mapped[str | None] = mapped_column(ForeignKey("departments.id"))
    status: Mapped[str] = mapped_column(String(20))  # running|suspended|completed|terminated|error
    # Engine state JSON without the spec (the spec is cached per version).
    state: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(20))
    # Optimistic concurrency: every write is guarded by WHERE lock_version = :read.
    lock_version: Mapped[int] = mapped_column(Integer)
    # Set only while running: the earliest due timer, so sweeps never scan waiting instances.
    next_timer_at: Mapped[datetime | None] = mapped_column(DateTime)
    data: Mapped[str] = mapped_column(Text)  # JSON: the latest process data, for reads
    # Head of this instance's event chain, so the write path appends without a read.
    event_seq: Mapped[int] = mapped_column(Integer)
    last_event_hash: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    started_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)


class TaskRow(Base):
    """A user task, derived from the instance state after every command.

    A row is inserted when the task becomes ready and kept (state completed/cancelled) afterwards, so a
    late second completion answers 409, not 404.
    """

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_instance", "instance_id"),
        Index("ix_tasks_state_due", "state", "due_at", "priority"),
        Index("ix_tasks_assignee", "assignee", "state"),
        # a delegated task is the owner's too (the inbox's "mine" tab): read by index beside the assignee's
        Index("ix_tasks_owner", "owner", "state"),
        Index("ix_tasks_dept_state_due", "department_id", "state", "due_at"),
        # the daily reminder sweep finds the open tasks of the announced forms by form key or task id
        Index("ix_tasks_form_key_state", "form_key", "state"),
        Index("ix_tasks_bpmn_id_state", "bpmn_id", "state"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the engine's task id
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    process_id: Mapped[str] = mapped_column(String(255))
    department_id: Mapped[str | None] = mapped_column(String(50))  # copied from the instance, for inbox queries
    bpmn_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(20))  # ready | completed | cancelled
    form_key: Mapped[str | None] = mapped_column(String(255))
    candidate_groups: Mapped[str | None] = mapped_column(String(1000))  # comma separated
    candidate_users: Mapped[str | None] = mapped_column(String(1000))
    assignee: Mapped[str | None] = mapped_column(String(100))
    # Camunda delegation: the owner delegated to the assignee (pending) who resolved it back (resolved).
    owner: Mapped[str | None] = mapped_column(String(100))
    delegation_state: Mapped[str | None] = mapped_column(String(20))
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    follow_up_at: Mapped[datetime | None] = mapped_column(DateTime)
    priority: Mapped[int] = mapped_column(Integer, default=50)
    data: Mapped[str] = mapped_column(Text)  # JSON snapshot of the task's data when it became ready
    created_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    completed_by: Mapped[str | None] = mapped_column(String(100))


class TaskCandidate(Base):
    """One candidate group of a ready task, denormalized for indexed inbox queries ("my groups, due first")."""

    __tablename__ = "task_candidates"
    # Partial and covering: the candidate inbox (scope=candidate) is index-only range scans on these.
    __table_args__ = (
        Index("ix_task_candidates_open_group_dept_due", "group_name", "department_id", "due_at", "priority", "task_id",
              postgresql_where=text("assignee IS NULL"), sqlite_where=text("assignee IS NULL")),
        Index("ix_task_candidates_open_group_due", "group_name", "due_at", "priority", "task_id",
              postgresql_where=text("assignee IS NULL"), sqlite_where=text("assignee IS NULL")),
        # claimed or not: who may see a ready task through a group or by name (visibility.ready_tasks_visible);
        # covering for SQLite, which keeps no statistics and may count the open ones on it
        Index("ix_task_candidates_group_dept", "group_name", "department_id", "assignee", "task_id"),
    )

    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    group_name: Mapped[str] = mapped_column(String(101), primary_key=True)  # a group, or "@" + a named user
    department_id: Mapped[str | None] = mapped_column(String(50))
    assignee: Mapped[str | None] = mapped_column(String(100))  # copied from the task: claimed tasks leave the inbox
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    priority: Mapped[int] = mapped_column(Integer)


class MessageWait(Base):
    """A message an instance waits for, derived after every command (routes POST /api/messages)."""

    __tablename__ = "message_waits"
    __table_args__ = (Index("ix_message_waits_name", "name"),)

    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)


class Job(Base):
    """A unit of background work (DESIGN.md, Workers): claimed with a lease, retried with backoff, never dropped.

    Kinds: "external" — a service task (camunda:type="external") for the Python handler of its topic.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_due", "status", "due_at"),
        Index("ix_jobs_lock_expires", "status", "lock_expires_at"),
        Index("ix_jobs_instance", "instance_id"),  # verify reads an instance's jobs with its other derived rows
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    instance_id: Mapped[str | None] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    topic: Mapped[str | None] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(Text)  # JSON: the variables the handler gets
    status: Mapped[str] = mapped_column(String(20))  # pending | running | done | failed (an incident)
    due_at: Mapped[datetime] = mapped_column(DateTime)
    lock_owner: Mapped[str | None] = mapped_column(String(100))
    lock_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    retries_left: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Escalation(Base):
    """A deadline passed or a target slipped (督办): opened when a boundary timer or escalation event fires."""

    __tablename__ = "escalations"
    __table_args__ = (Index("ix_escalations_state_opened", "state", "opened_at"),
                      Index("ix_escalations_instance", "instance_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    department_id: Mapped[str | None] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(20))  # deadline | escalation
    code: Mapped[str | None] = mapped_column(String(100))  # the escalation code, or the boundary event's id
    name: Mapped[str | None] = mapped_column(String(255))  # what was late or slipped
    element_id: Mapped[str] = mapped_column(String(255))
    task_id: Mapped[str | None] = mapped_column(String(36))  # the supervisor's task the escalation opened
    state: Mapped[str] = mapped_column(String(20))  # open | resolved
    decision: Mapped[str | None] = mapped_column(String(50))
    comment: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    # Who decides: the supervisors, or — once handed one level up — the bureau's leadership (局领导).
    level: Mapped[str] = mapped_column(String(20), default="supervisor", server_default="supervisor")
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalated_by: Mapped[str | None] = mapped_column(String(100))
