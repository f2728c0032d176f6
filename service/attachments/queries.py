"""Reading attachments with the instance's visibility (DESIGN.md, People and access)."""

from __future__ import annotations

from typing import Any, BinaryIO

from sqlalchemy import Connection, func, or_, select

from service.attachments.detect import INLINE
from service.attachments.storage import Storage
from service.bpm import access
from service.domain.roles import SYSTEM, Principal
from service.errors import NotFound
from service.models import Attachment, Instance, TaskRow
from service.queries.visibility import instances_visible

ATTACHMENTS = Attachment.__table__
INSTANCES = Instance.__table__
TASKS = TaskRow.__table__

COLUMNS = (ATTACHMENTS.c.id, ATTACHMENTS.c.task_id, ATTACHMENTS.c.instance_id, ATTACHMENTS.c.department_id,
           ATTACHMENTS.c.uploader, ATTACHMENTS.c.file_name, ATTACHMENTS.c.content_type,
           ATTACHMENTS.c.size, ATTACHMENTS.c.sha256, ATTACHMENTS.c.state, ATTACHMENTS.c.event_seq,
           ATTACHMENTS.c.created_at, ATTACHMENTS.c.deleted_at, ATTACHMENTS.c.deleted_by)
STATES = ("active", "deleted", "all")


def _visible(viewer: Principal) -> list[Any]:
    """Whoever sees the instance sees its evidence; an uploader always sees their own files."""
    clauses = instances_visible(viewer)
    return [or_(*clauses, ATTACHMENTS.c.uploader == viewer.username)] if clauses else []


def get(conn: Connection, attachment_id: str, viewer: Principal = SYSTEM) -> dict[str, Any]:
    """An attachment's metadata; NotFound also when `viewer` may not see its instance."""
    row = conn.execute(select(*COLUMNS).join(INSTANCES, INSTANCES.c.id == ATTACHMENTS.c.instance_id)
                       .where(ATTACHMENTS.c.id == attachment_id, *_visible(viewer))).mappings().first()
    if row is None:
        raise NotFound(f"attachment {attachment_id} not found")
    return dict(row)


def list_for_task(conn: Connection, task_id: str, viewer: Principal = SYSTEM, *, state: str = "active",
                  page: int = 1, per_page: int = 20) -> dict[str, Any]:
    """The attachments of a task the viewer may see, oldest first."""
    task = conn.execute(select(TASKS.c.id, TASKS.c.assignee, TASKS.c.owner, TASKS.c.candidate_groups,
                               TASKS.c.candidate_users,
                               TASKS.c.department_id, INSTANCES.c.department_id.label("instance_department_id"),
                               INSTANCES.c.started_by).join(INSTANCES, INSTANCES.c.id == TASKS.c.instance_id)
                        .where(TASKS.c.id == task_id)).first()
    if task is None or not access.task_visible(viewer, task, _InstanceOf(task)):
        raise NotFound(f"task {task_id} not found")
    where = [ATTACHMENTS.c.task_id == task_id] + ([] if state == "all" else [ATTACHMENTS.c.state == state])
    total = conn.execute(select(func.count()).select_from(ATTACHMENTS).where(*where)).scalar_one()
    rows = conn.execute(select(*COLUMNS).where(*where).order_by(ATTACHMENTS.c.event_seq, ATTACHMENTS.c.id)
                        .limit(per_page).offset((page - 1) * per_page)).mappings().all()
    return {"items": [dict(r) for r in rows], "total": total}


def open_content(conn: Connection, storage: Storage, attachment_id: str,
                 viewer: Principal = SYSTEM) -> tuple[dict[str, Any], BinaryIO]:
    """The metadata and the bytes of an active attachment the viewer may see."""
    row = (
        conn.execute(
            select(*COLUMNS, ATTACHMENTS.c.storage_key)
            .join(INSTANCES, INSTANCES.c.id == ATTACHMENTS.c.instance_id)
            .where(ATTACHMENTS.c.id == attachment_id, ATTACHMENTS.c.state == "active", *_visible(viewer))
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"attachment {attachment_id} not found")
    try:
        stream = storage.open(row["storage_key"])
    except (FileNotFoundError, ValueError):
        raise NotFound(f"the file of attachment {attachment_id} is missing from the storage") from None
    return dict(row), stream


def inline(content_type: str) -> bool:
    """Shown in the browser (images, PDF) rather than downloaded."""
    return content_type in INLINE


class _InstanceOf:
    def __init__(self, row: Any) -> None:
        self.department_id = row.instance_department_id
        self.started_by = row.started_by
