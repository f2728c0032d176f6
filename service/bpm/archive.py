"""Export and import of audit histories (JSON Lines and CSV), for auditors and for verification elsewhere.

A JSON Lines export holds everything `jixiao audit verify` needs — the events, the instances' stored
state, their process versions (files), departments, evidence attachments' metadata and the rows derived
from the instances (tasks, candidates, message waits, escalations, jobs) — so that importing it into an
empty database and verifying it reproduces the same findings (the evidence files themselves are checked
where JIXIAO_ATTACHMENTS_DIR points: copy that directory along).
"""

from __future__ import annotations

import base64
import csv
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Any

from sqlalchemy import Connection, func, insert, select, text, update

from service import clock
from service.bpm import statements as sql
from service.bpm.event_log import CHAINS, EVENTS
from service.errors import InvalidInput
from service.models import Attachment, Department, Instance, ProcessDefinition, ProcessVersion, VersionFile

INSTANCES = Instance.__table__
PROCESS_VERSIONS = ProcessVersion.__table__
VERSION_FILES = VersionFile.__table__
PROCESS_DEFINITIONS = ProcessDefinition.__table__
DEPARTMENTS = Department.__table__
ATTACHMENTS = Attachment.__table__  # evidence metadata; the files themselves stay in the attachments storage
# The derived rows verify compares, in the order they are written back (a candidate needs its task). Escalations
# keep their ids: the decision events on an instance's chain name their escalation by id. Jobs get new ids where
# they land (ids are the database's own); they are unique by idempotency key.
DERIVED = {"task": sql.TASKS, "candidate": sql.CANDIDATES, "wait": sql.WAITS, "escalation": sql.ESCALATIONS,
           "job": sql.JOBS}
EVENT_COLUMNS = ["instance_id", "seq", "at", "actor", "command", "input", "tasks", "fingerprint", "prev_hash", "hash"]


def _json(row: Any) -> dict[str, Any]:
    out = {}
    for key, value in dict(row._mapping).items():
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, bytes | memoryview):
            value = base64.b64encode(bytes(value)).decode()
        out[key] = value
    return out


def _events_query(instances: list[str] | None, since: datetime | None, until: datetime | None) -> Any:
    query = select(*(EVENTS.c[c] for c in EVENT_COLUMNS)).order_by(EVENTS.c.instance_id.is_(None).desc(),
                                                                     EVENTS.c.instance_id, EVENTS.c.seq)
    if instances is not None:
        query = query.where(EVENTS.c.instance_id.in_(instances))
    if since is not None:
        query = query.where(EVENTS.c.at >= clock.to_db(since))
    if until is not None:
        query = query.where(EVENTS.c.at < clock.to_db(until))
    return query


def export_jsonl(conn: Connection, out: IO[str], instances: list[str] | None = None, since: datetime | None = None,
                 until: datetime | None = None) -> int:
    """Write the records; returns the number of events written."""
    events = conn.execute(_events_query(instances, since, until)).all()
    ids = sorted({e.instance_id for e in events if e.instance_id} | set(instances or []))
    rows = conn.execute(select(INSTANCES).where(INSTANCES.c.id.in_(ids))).all() if ids else []
    versions = sorted({r.version_hash for r in rows})
    depts = sorted({r.department_id for r in rows if r.department_id})
    for dept in _with_parents(conn, depts):
        out.write(json.dumps({"type": "department", **_json(dept)}, ensure_ascii=False) + "\n")
    for vh in versions:
        version = conn.execute(select(PROCESS_VERSIONS).where(PROCESS_VERSIONS.c.hash == vh)).one()
        files = conn.execute(select(VERSION_FILES).where(VERSION_FILES.c.version_hash == vh)).all()
        defs = conn.execute(select(PROCESS_DEFINITIONS.c.process_id, PROCESS_DEFINITIONS.c.name,
                                   PROCESS_DEFINITIONS.c.file_name, PROCESS_DEFINITIONS.c.deployed_at)
                            .where(PROCESS_DEFINITIONS.c.version_hash == vh)).all()
        out.write(json.dumps({"type": "version", **_json(version), "files": [_json(f) for f in files],
                              "definitions": [_json(d) for d in defs]}, ensure_ascii=False) + "\n")
    for row in rows:
        out.write(json.dumps({"type": "instance", **_json(row)}, ensure_ascii=False) + "\n")
    for kind, table in DERIVED.items() if ids else ():
        for derived in conn.execute(_derived_query(table, ids)):
            out.write(json.dumps({"type": kind, **_json(derived)}, ensure_ascii=False) + "\n")
    for att in conn.execute(select(ATTACHMENTS).where(ATTACHMENTS.c.instance_id.in_(ids))
                            .order_by(ATTACHMENTS.c.instance_id, ATTACHMENTS.c.event_seq)
                            ) if ids else []:
        out.write(json.dumps({"type": "attachment", **_json(att)}, ensure_ascii=False) + "\n")
    for ev in events:
        out.write(json.dumps({"type": "event", **_json(ev)}, ensure_ascii=False) + "\n")
    return len(events)


def _derived_query(table: Any, ids: list[str]) -> Any:
    if table is sql.CANDIDATES:
        tasks = sql.TASKS
        return (select(table).join(tasks, tasks.c.id == table.c.task_id).where(tasks.c.instance_id.in_(ids))
                .order_by(table.c.task_id, table.c.group_name))
    order = [table.c.id] if "id" in table.c else [table.c.instance_id, table.c.name]
    return select(table).where(table.c.instance_id.in_(ids)).order_by(*order)


def _insert_derived(conn: Any, kind: str, record: dict[str, Any]) -> bool:
    """Write one derived row unless it is there already; True if written."""
    table = DERIVED[kind]
    row = _row(record, table)
    if kind == "job":
        row.pop("id", None)
    if kind == "escalation":
        taken = conn.execute(select(table.c.instance_id).where(table.c.id == row["id"])).first()
        if taken is not None and taken.instance_id != row["instance_id"]:
            raise InvalidInput(f"escalation {row['id']} of instance {row['instance_id']}: this database has an "
                               f"escalation {row['id']} of instance {taken.instance_id}; import into an empty "
                               "database")
    exists = {"task": lambda: table.c.id == row["id"], "escalation": lambda: table.c.id == row["id"],
              "candidate": lambda: (table.c.task_id == row["task_id"]) & (table.c.group_name == row["group_name"]),
              "wait": lambda: (table.c.instance_id == row["instance_id"]) & (table.c.name == row["name"]),
              "job": lambda: table.c.idempotency_key == row["idempotency_key"]}.get(kind)
    if exists is not None and conn.execute(select(func.count()).select_from(table).where(exists())).scalar():
        return False
    conn.execute(insert(table).values(**row))
    return True


def _with_parents(conn: Any, ids: list[str]) -> list[Any]:
    found: dict[str, Any] = {}
    todo = list(ids)
    while todo:
        rows = conn.execute(select(DEPARTMENTS).where(DEPARTMENTS.c.id.in_(todo))).all()
        todo = []
        for r in rows:
            found[r.id] = r
            if r.parent_id and r.parent_id not in found:
                todo.append(r.parent_id)
    return sorted(found.values(), key=lambda r: r.parent_id is not None)


def export_csv(conn: Connection, out: IO[str], instances: list[str] | None = None, since: datetime | None = None,
               until: datetime | None = None) -> int:
    """Events as CSV (one row per event; input and tasks as JSON text)."""
    writer = csv.writer(out)
    writer.writerow(EVENT_COLUMNS)
    count = 0
    for ev in conn.execute(_events_query(instances, since, until)):
        writer.writerow(["" if v is None else (v.isoformat() if isinstance(v, datetime) else v) for v in ev])
        count += 1
    return count


def _records(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise InvalidInput(f"line {number} is not JSON: {exc}") from None
        if not isinstance(record, dict) or "type" not in record:
            raise InvalidInput(f"line {number} is not an export record")
        yield record


def _row(record: dict[str, Any], table: Any) -> dict[str, Any]:
    row = {}
    for column in table.columns:
        if column.name not in record:
            continue
        value = record[column.name]
        if value is not None and column.type.python_type is datetime:
            value = datetime.fromisoformat(value)
        elif value is not None and column.type.python_type is bytes:
            value = base64.b64decode(value)
        row[column.name] = value
    return row


def import_jsonl(conn: Connection, lines: Iterable[str]) -> dict[str, int]:
    """Load an export into this database (what exists already is kept); all or nothing."""
    counts = {"department": 0, "version": 0, "instance": 0, "attachment": 0, "event": 0, **dict.fromkeys(DERIVED, 0)}
    for record in _records(lines):
        kind = record.pop("type")
        if kind == "department":
            if conn.execute(select(DEPARTMENTS.c.id).where(DEPARTMENTS.c.id == record["id"])).first() is None:
                conn.execute(insert(DEPARTMENTS).values(**_row(record, DEPARTMENTS)))
                counts[kind] += 1
        elif kind == "version":
            if conn.execute(select(PROCESS_VERSIONS.c.hash).where(PROCESS_VERSIONS.c.hash
                                                                  == record["hash"])).first() is None:
                conn.execute(insert(PROCESS_VERSIONS).values(**_row(record, PROCESS_VERSIONS)))
                conn.execute(insert(VERSION_FILES), [_row(f, VERSION_FILES) for f in record["files"]])
                conn.execute(insert(PROCESS_DEFINITIONS), [{**_row(d, PROCESS_DEFINITIONS),
                                                            "version_hash": record["hash"]}
                                         for d in record["definitions"]])
                counts[kind] += 1
        elif kind == "instance":
            if conn.execute(select(INSTANCES.c.id).where(INSTANCES.c.id == record["id"])).first() is None:
                conn.execute(insert(INSTANCES).values(**_row(record, INSTANCES)))
                counts[kind] += 1
        elif kind == "attachment":
            if conn.execute(select(ATTACHMENTS.c.id).where(ATTACHMENTS.c.id == record["id"])).first() is None:
                conn.execute(insert(ATTACHMENTS).values(**_row(record, ATTACHMENTS)))
                counts[kind] += 1
        elif kind in DERIVED:
            counts[kind] += _insert_derived(conn, kind, record)
        elif kind == "event":
            conn.execute(insert(EVENTS).values(**_row(record, EVENTS)))
            counts[kind] += 1
        else:
            raise InvalidInput(f"unknown record type {kind!r}")
    if counts["escalation"] and conn.dialect.name == "postgresql":  # ids written: the sequence goes past them
        conn.execute(text("SELECT setval(pg_get_serial_sequence('escalations', 'id'), "
                          "(SELECT MAX(id) FROM escalations))"))
    head = conn.execute(select(func.max(EVENTS.c.seq)).where(EVENTS.c.instance_id.is_(None))).scalar()
    if head:
        last = conn.execute(select(EVENTS.c.hash).where(EVENTS.c.instance_id.is_(None), EVENTS.c.seq == head)
                            ).scalar()
        if conn.execute(update(CHAINS).where(CHAINS.c.name == "global").values(seq=head, last_hash=last)
                        ).rowcount == 0:
            conn.execute(insert(CHAINS).values(name="global", seq=head, last_hash=last))
    return counts
