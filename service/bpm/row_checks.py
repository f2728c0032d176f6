"""Comparing an instance's stored derived rows with those its history implies (service/bpm/implied_rows.py).

Each difference names the row (table, row id, column) with the stored and the expected value and the event that
set the expected value, e.g. "tasks 1f0c… assignee: stored 'mallory', history gives 'staff_a'".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from service import clock
from service.bpm import derive
from service.bpm.implied_rows import (
    CANDIDATE_COLUMNS,
    ESCALATION_COLUMNS,
    TASK_COLUMNS,
    ImpliedRows,
    Row,
)
from service.bpm.jsonutil import loads
from service.bpm.stored_rows import StoredInstance

_INSTANCE_COLUMNS = ("process_id", "version_hash", "business_key", "department_id", "started_by")


class Difference(NamedTuple):
    seq: int | None  # the event that set the expected value (None: a row no event accounts for)
    table: str
    row: str
    column: str | None
    problem: str


def compare(expected: ImpliedRows, stored: StoredInstance) -> list[Difference]:
    """Every stored derived row of the instance that differs from what its history implies."""
    found = [Difference(seq, "events", str(seq), None, problem) for seq, problem in expected.problems]
    found += _instance(expected, stored)
    found += _tasks(expected, stored)
    found += _candidates(expected, stored)
    found += _waits(expected, stored)
    found += _escalations(expected, stored)
    found += _jobs(expected, stored)
    return found


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, datetime):
        return repr((clock.from_db(value) or value).isoformat())
    return repr(value)


def _same(column: str, stored: Any, expected: Any) -> bool:
    if isinstance(stored, datetime) or isinstance(expected, datetime):
        return clock.from_db(stored) == clock.from_db(expected)
    if column in ("data",):  # JSON text: equal as data, whatever the key order
        return stored == expected or derive.canonical_data(loads(stored)) == derive.canonical_data(loads(expected))
    if column == "comment" and stored is not None and expected is not None:
        return str(stored) == str(expected)
    return bool(stored == expected)


def _columns(table: str, row_id: str, stored: Any, expected: Row, columns: tuple[str, ...]) -> list[Difference]:
    out = []
    for column in columns:
        value, want = getattr(stored, column), expected.values[column]
        if not _same(column, value, want):
            shown = ("differs from the data the history gives" if column == "data"
                     else f"stored {_show(value)}, history gives {_show(want)}")
            out.append(Difference(expected.seq_of(column), table, row_id, column,
                                  f"{table} {row_id} {column}: {shown}"))
    return out


def _instance(expected: ImpliedRows, stored: StoredInstance) -> list[Difference]:
    row, iid = stored.row, stored.row.id
    out = [Difference(expected.instance_seq, "instances", iid, c,
                      f"instances {iid} {c}: stored {_show(getattr(row, c))}, history gives {_show(want)}")
           for c, want in expected.instance.items() if c in _INSTANCE_COLUMNS and getattr(row, c) != want]
    if row.status != expected.status:
        out.append(Difference(None, "instances", iid, "status",
                              f"instances {iid} status: stored {_show(row.status)}, history gives "
                              f"{_show(expected.status)}"))
    if not _same("next_timer_at", row.next_timer_at, expected.next_timer):
        out.append(Difference(expected.timer_seq, "instances", iid, "next_timer_at",
                              f"instances {iid} next_timer_at: stored {_show(row.next_timer_at)}, history gives "
                              f"{_show(expected.next_timer)}"))
    return out


def _tasks(expected: ImpliedRows, stored: StoredInstance) -> list[Difference]:
    rows = {r.id: r for r in stored.tasks}
    out = []
    for task_id, want in expected.tasks.items():
        row = rows.pop(task_id, None)
        if row is None:
            out.append(Difference(want.seq, "tasks", task_id, None,
                                  f"tasks {task_id} is missing: the history gives a {want.values['state']} task "
                                  f"{want.values['bpmn_id']!r} (deleted)"))
        else:
            out += _columns("tasks", task_id, row, want, TASK_COLUMNS)
    out += [Difference(None, "tasks", r.id, None, f"tasks {r.id} ({r.bpmn_id!r}, {r.state}) is not in the history "
                                                  "(inserted)") for r in rows.values()]
    return out


def _candidates(expected: ImpliedRows, stored: StoredInstance) -> list[Difference]:
    rows = {(r.task_id, r.group_name): r for r in stored.candidates}
    out = []
    for task_id, groups in expected.candidates.items():
        for group, want in groups.items():
            key = f"{task_id}/{group}"
            row = rows.pop((task_id, group), None)
            if row is None:
                out.append(Difference(want.seq, "task_candidates", key, None,
                                      f"task_candidates {key} is missing: the history makes {group!r} a candidate "
                                      "of the task (deleted)"))
            else:
                out += _columns("task_candidates", key, row, want, CANDIDATE_COLUMNS)
    out += [Difference(None, "task_candidates", f"{r.task_id}/{r.group_name}", None,
                       f"task_candidates {r.task_id}/{r.group_name} is not in the history (inserted)")
            for r in rows.values()]
    return out


def _waits(expected: ImpliedRows, stored: StoredInstance) -> list[Difference]:
    iid = stored.row.id
    out = [Difference(expected.waits_seq, "message_waits", f"{iid}/{name}", None,
                      f"message_waits {iid}/{name} is missing: the instance waits for message {name!r} (deleted)")
           for name in expected.waits if name not in stored.waits]
    out += [Difference(None, "message_waits", f"{iid}/{name}", None,
                       f"message_waits {iid}/{name}: the history does not wait for message {name!r} (inserted)")
            for name in stored.waits if name not in expected.waits]
    return out


def _escalations(expected: ImpliedRows, stored: StoredInstance) -> list[Difference]:
    rows = {r.id: r for r in stored.escalations}
    out = []
    for want in expected.escalations:
        row = rows.pop(want.stored_id, None)
        if row is None:
            out.append(Difference(want.seq, "escalations", "-", None,
                                  f"escalations: the {want.values['kind']} at {want.values['element_id']!r} opened by "
                                  f"event {want.seq} has no row (deleted or altered)"))
            continue
        out += _columns("escalations", str(row.id), row, want, ESCALATION_COLUMNS)
    out += [Difference(None, "escalations", str(r.id), None,
                       f"escalations {r.id} ({r.kind} at {r.element_id!r}) is not in the history (inserted)")
            for r in rows.values()]
    return out


def _jobs(expected: ImpliedRows, stored: StoredInstance) -> list[Difference]:
    """Each external task the history started has its job (kind, task, topic); a completed one's is not pending.

    Lease, attempts, errors and the status of a job whose task still waits belong to the workers, not to the
    history."""
    rows = {r.idempotency_key: r for r in stored.jobs if r.kind == "external" or r.task_id in expected.external}
    out = []
    for task_id, want in expected.external.items():
        key = f"external:{task_id}"
        row = rows.pop(key, None)
        if row is None:
            out.append(Difference(want.seq, "jobs", key, None,
                                  f"jobs {key} is missing: the history started external task "
                                  f"{want.values['bpmn_id']!r} (topic {want.values['topic']!r}) (deleted)"))
            continue
        row_id = str(row.id)
        for column, value in (("kind", "external"), ("task_id", task_id), ("topic", want.values["topic"])):
            if getattr(row, column) != value:
                out.append(Difference(want.seq_of(column), "jobs", row_id, column, f"jobs {row_id} {column}: stored "
                                      f"{_show(getattr(row, column))}, history gives {_show(value)}"))
        if want.values["completed"] and row.status == "pending":
            done = want.seq_of("completed")
            out.append(Difference(done, "jobs", row_id, "status",
                                  f"jobs {row_id} status: stored 'pending', but the history completed its external "
                                  f"task {want.values['bpmn_id']!r} at event {done}"))
    out += [Difference(None, "jobs", str(r.id), None,
                       f"jobs {r.id} ({r.kind}, topic {r.topic!r}) is not in the history (inserted)")
            for r in rows.values()]
    return out
