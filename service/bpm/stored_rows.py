"""What `jixiao audit verify` reads for a batch of instances: one query per table for the whole batch, never one
per instance or per task."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from service.bpm import statements as sql
from service.bpm.event_log import EVENTS
from service.models import Attachment

ATTACHMENTS = Attachment.__table__
_INSTANCE_COLUMNS = ("id", "process_id", "version_hash", "business_key", "department_id", "status", "state", "data",
                     "event_seq", "last_event_hash", "started_by", "next_timer_at")
_TASK_COLUMNS = ("id", "instance_id", *(
    "process_id", "bpmn_id", "name", "state", "form_key", "department_id", "candidate_groups", "candidate_users",
    "assignee", "owner", "delegation_state", "due_at", "follow_up_at", "priority", "completed_by", "data"))


@dataclass
class StoredInstance:
    """One instance's stored rows: the instance, its history, and every row derived from it."""

    row: Any
    events: list[Any] = field(default_factory=list)
    attachments: list[Any] = field(default_factory=list)
    tasks: list[Any] = field(default_factory=list)
    candidates: list[Any] = field(default_factory=list)
    waits: list[str] = field(default_factory=list)
    escalations: list[Any] = field(default_factory=list)
    jobs: list[Any] = field(default_factory=list)


def read(conn: Connection, ids: list[str]) -> dict[str, StoredInstance]:
    """The stored rows of the instances `ids` that exist (keyed by instance id)."""
    instances = sql.INSTANCES
    found = {r.id: StoredInstance(r) for r in conn.execute(
        select(*(instances.c[c] for c in _INSTANCE_COLUMNS)).where(instances.c.id.in_(ids)))}
    if not found:
        return found
    ids = list(found)

    def by_instance(query: Any, column: str = "instance_id") -> dict[str, list[Any]]:
        grouped: dict[str, list[Any]] = defaultdict(list)
        for r in conn.execute(query):
            grouped[getattr(r, column)].append(r)
        return grouped

    events = by_instance(select(EVENTS).where(EVENTS.c.instance_id.in_(ids)).order_by(EVENTS.c.instance_id,
                                                                                       EVENTS.c.seq, EVENTS.c.id))
    attachments = by_instance(select(ATTACHMENTS).where(ATTACHMENTS.c.instance_id.in_(ids))
                              .order_by(ATTACHMENTS.c.instance_id, ATTACHMENTS.c.event_seq))
    tasks_table = sql.TASKS
    tasks = by_instance(select(*(tasks_table.c[c] for c in _TASK_COLUMNS)).where(tasks_table.c.instance_id.in_(ids)))
    candidates_table = sql.CANDIDATES
    candidates = by_instance(select(candidates_table, tasks_table.c.instance_id)
                             .join(tasks_table, tasks_table.c.id == candidates_table.c.task_id)
                             .where(tasks_table.c.instance_id.in_(ids)))
    waits = by_instance(select(sql.WAITS).where(sql.WAITS.c.instance_id.in_(ids)))
    escalations = by_instance(select(sql.ESCALATIONS).where(sql.ESCALATIONS.c.instance_id.in_(ids))
                              .order_by(sql.ESCALATIONS.c.id))
    jobs = by_instance(select(sql.JOBS).where(sql.JOBS.c.instance_id.in_(ids)).order_by(sql.JOBS.c.id))
    for iid, stored in found.items():
        stored.events = events.get(iid, [])
        stored.attachments = attachments.get(iid, [])
        stored.tasks = tasks.get(iid, [])
        stored.candidates = candidates.get(iid, [])
        stored.waits = sorted(w.name for w in waits.get(iid, []))
        stored.escalations = escalations.get(iid, [])
        stored.jobs = jobs.get(iid, [])
    return found
