"""Checking an instance's evidence against its history: `jixiao audit verify` re-hashes the files.

The upload events on the hash chain are the record of what was submitted (their hash is tamper-evident, the
attachments table is not): every upload not withdrawn must have its row, unchanged, and its file, whose
SHA-256 still matches; a row without an upload event was slipped in.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from service.attachments.storage import Storage, digest
from service.bpm.jsonutil import loads
from service.models import Attachment

ATTACHMENTS = Attachment.__table__


def rows(conn: Connection, instance_id: str) -> list[Any]:
    """The instance's attachment rows (all states)."""
    return list(conn.execute(select(ATTACHMENTS).where(ATTACHMENTS.c.instance_id == instance_id)
                             .order_by(ATTACHMENTS.c.event_seq)))


def check(storage: Storage, events: list[Any], attachments: list[Any]) -> list[tuple[int | None, str]]:
    """(event seq, problem) for every missing, altered or unrecorded attachment of one instance."""
    uploads: dict[str, tuple[int, dict[str, Any]]] = {}
    withdrawn: set[str] = set()
    for ev in events:
        if ev.command == "attach_file":
            payload = loads(ev.input) or {}
            uploads[str(payload.get("attachment_id"))] = (ev.seq, payload)
        elif ev.command == "detach_file":
            withdrawn.add(str((loads(ev.input) or {}).get("attachment_id")))
    by_id = {a.id: a for a in attachments}
    problems: list[tuple[int | None, str]] = []
    for a in attachments:
        if a.id not in uploads:
            problems.append((None, f"attachment {a.id} ({a.file_name}) has no upload event in the history (inserted)"))
            continue
        seq, p = uploads[a.id]
        if (a.sha256, a.size, a.task_id) != (p.get("sha256"), p.get("size"), p.get("task_id")):
            problems.append((seq, f"attachment {a.id} ({a.file_name}): its record differs from its upload "
                                  "event (edited)"))
        elif (a.state == "deleted") != (a.id in withdrawn):
            problems.append((seq, f"attachment {a.id} ({a.file_name}): it is {a.state}, its history says "
                                  f"{'deleted' if a.id in withdrawn else 'active'} (edited)"))
    for attachment_id, (seq, p) in uploads.items():
        if attachment_id in withdrawn:
            continue  # a withdrawn upload was never submitted; its file is kept but not vouched for
        name = p.get("name")
        row = by_id.get(attachment_id)
        if row is None:
            problems.append((seq, f"attachment {attachment_id} ({name}): its record is missing (deleted)"))
            continue
        found = digest(storage, row.storage_key)
        if found is None:
            problems.append((seq, f"attachment {attachment_id} ({name}): the stored file is missing"))
        elif found != p.get("sha256"):
            problems.append((seq, f"attachment {attachment_id} ({name}): the stored file was altered "
                                  f"(SHA-256 {found[:12]}…, uploaded {str(p.get('sha256'))[:12]}…)"))
    return problems
