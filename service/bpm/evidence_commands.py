"""Evidence attachments (佐证材料) in the one mutation path: uploads and withdrawals as events on the instance's
hash chain, and the check of the attachments a completed form refers to.

An upload changes no workflow state: it is written like a claim (no engine run) — the instance's version
and chain move under the same `WHERE lock_version = :read` guard, the attachment row and the event in one
transaction. Replay skips these events (service/bpm/replay.py); `jixiao audit verify` re-hashes the files
(service/attachments/evidence_audit.py).

Two uploads to one task commute, so the service retries one that lost the version check (service.py). Each
attempt re-runs the checks and stores the bytes again under their SHA-256: a retry writes no second file, and
only the attempt that commits writes a row and an event. Bytes whose every attempt lost stay unreferenced
(never a row without its file) and serve the next upload of the same content.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from service import clock, db, policy
from service.attachments import attachment_fields, detect
from service.attachments.storage import storage_for
from service.bpm import statements as sql
from service.bpm.commands import AttachFile, DetachFile
from service.bpm.event_log import INSERT_EVENT, event_row
from service.bpm.model_checks import form_key_name
from service.bpm.versions import LoadedVersion
from service.config import Settings
from service.domain.roles import Principal
from service.errors import Conflict, InvalidInput, NotFound, StaleVersion
from service.models import Attachment

ATTACHMENTS = Attachment.__table__
_STALE = "the instance was changed by someone else meanwhile; reload and try again"
_WITHDRAW = (
    update(ATTACHMENTS)
    .where(ATTACHMENTS.c.id == bindparam("b_id"), ATTACHMENTS.c.state == "active")
    .values(state="deleted", deleted_at=bindparam("deleted_at"), deleted_by=bindparam("deleted_by"))
)


def record(engine: Engine, settings: Settings, row: Any, task: Any, command: AttachFile | DetachFile,
           actor: Principal, now: datetime, within: Connection | None = None) -> dict[str, Any]:
    """Apply an upload or a withdrawal (access and the task's state were checked by the caller); `within`: the
    caller's open write transaction to join."""
    if isinstance(command, AttachFile):
        return _attach(engine, settings, row, task, command, actor, now, within)
    return _detach(engine, row, task, command, actor, now, within)


def _attach(engine: Engine, settings: Settings, row: Any, task: Any, command: AttachFile, actor: Principal,
            now: datetime, within: Connection | None) -> dict[str, Any]:
    found = detect.inspect(command.content, command.file_name, settings.max_upload_bytes)
    # Stored only once every check passed: a refused file leaves neither bytes nor a row behind.
    key = storage_for(settings).put(command.content)
    attachment = {
        "id": str(uuid.uuid4()), "task_id": task.id, "instance_id": row.id, "department_id": row.department_id,
        "uploader": actor.username, "file_name": found.name, "content_type": found.content_type,
        "size": found.size, "sha256": found.sha256, "storage_key": key, "state": "active",
        "event_seq": row.event_seq + 1, "created_at": clock.to_db(now), "deleted_at": None, "deleted_by": None,
    }
    payload = {"task_id": task.id, "attachment_id": attachment["id"], "name": found.name,
               "content_type": found.content_type, "size": found.size, "sha256": found.sha256}
    _append(engine, row, task, command.kind, payload, actor, now, lambda conn: conn.execute(
        insert(ATTACHMENTS), attachment), within)
    return attachment


def _detach(engine: Engine, row: Any, task: Any, command: DetachFile, actor: Principal,
            now: datetime, within: Connection | None) -> dict[str, Any]:
    with db.read(engine, within) as conn:
        found = conn.execute(select(ATTACHMENTS).where(ATTACHMENTS.c.id == command.attachment_id,
                                                       ATTACHMENTS.c.task_id == task.id)).mappings().first()
    if found is None:
        raise NotFound(f"attachment {command.attachment_id} not found")
    policy.require(actor, policy.DELETE_ATTACHMENT, {"uploader": found["uploader"]})
    if found["state"] != "active":
        raise Conflict(f"attachment {command.attachment_id} is already deleted")
    payload = {"task_id": task.id, "attachment_id": found["id"], "name": found["file_name"],
               "sha256": found["sha256"]}

    def withdraw(conn: Any) -> None:
        if conn.execute(_WITHDRAW, {"b_id": found["id"], "deleted_at": clock.to_db(now),
                                    "deleted_by": actor.username}).rowcount != 1:
            raise Conflict(f"attachment {command.attachment_id} is already deleted")

    _append(engine, row, task, command.kind, payload, actor, now, withdraw, within)
    return {**found, "state": "deleted", "deleted_at": clock.to_db(now), "deleted_by": actor.username}


def _append(engine: Engine, row: Any, task: Any, kind: str, payload: dict[str, Any], actor: Principal,
            now: datetime, write: Any, within: Connection | None) -> None:
    seq = row.event_seq + 1
    ev = event_row(row.id, seq, row.last_event_hash, now, actor.username, kind, payload,
                   [{"task_id": task.id, "change": kind}], None)
    with db.write(engine, within) as conn:
        if conn.execute(sql.TOUCH_INSTANCE, {
                "b_id": row.id, "b_lock": row.lock_version, "lock_version": row.lock_version + 1, "event_seq": seq,
                "last_event_hash": ev["hash"], "updated_at": clock.to_db(now)}).rowcount != 1:
            raise StaleVersion(_STALE)
        write(conn)
        conn.execute(INSERT_EVENT, ev)


# (version hash, form key) → does the form declare attachment fields? Versions are immutable; most forms don't.
_FORMS_WITH_FIELDS: dict[tuple[str, str], bool] = {}


def _has_attachment_fields(version: LoadedVersion, name: str, schema: dict[str, Any]) -> bool:
    key = (version.hash, name)
    found = _FORMS_WITH_FIELDS.get(key)
    if found is None:
        if len(_FORMS_WITH_FIELDS) > 4096:
            _FORMS_WITH_FIELDS.clear()
        found = _FORMS_WITH_FIELDS[key] = attachment_fields.has_attachment_fields(schema)
    return found


def check_references(engine: Engine, version: LoadedVersion, form_key: str | None, data: dict[str, Any],
                     instance_id: str, task_id: str, within: Connection | None = None) -> None:
    """Every attachment a completed form names exists, is active, and belongs to this task (or, for fields
    with "x-evidence-scope": "instance", to this instance); InvalidInput naming each bad field otherwise."""
    name = form_key_name(form_key) if form_key else ""
    schema = version.forms.get(name)
    if not schema or not _has_attachment_fields(version, name, schema):
        return
    refs = attachment_fields.references(schema, data)
    if not refs:
        return
    with db.read(engine, within) as conn:
        rows = {r.id: r for r in conn.execute(
            select(ATTACHMENTS.c.id, ATTACHMENTS.c.task_id, ATTACHMENTS.c.instance_id, ATTACHMENTS.c.state)
            .where(ATTACHMENTS.c.id.in_(sorted({r.attachment_id for r in refs}))))}
    errors = []
    for ref in refs:
        found = rows.get(ref.attachment_id)
        if found is None or found.instance_id != instance_id:  # another instance's file is not even named
            message = f"no attachment {ref.attachment_id} in this process"
        elif ref.scope == "task" and found.task_id != task_id:
            message = f"attachment {ref.attachment_id} was uploaded to another task; upload it to this one"
        elif found.state != "active":
            message = f"attachment {ref.attachment_id} was deleted"
        else:
            continue
        errors.append({"field": ref.field or None, "message": message})
    if errors:
        raise InvalidInput(f"the form refers to {len(errors)} attachment(s) it may not use", errors)
