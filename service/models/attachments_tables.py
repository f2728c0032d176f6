"""Evidence attachments (佐证材料): metadata of files uploaded to user tasks; the bytes live in the storage.

A row is never removed: withdrawing an upload while its task is open marks it `deleted` (the file stays, its
hash is on the instance's event chain). Once the task is completed or cancelled, no row of it changes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (
        Index("ix_attachments_task", "task_id", "state"),
        Index("ix_attachments_instance", "instance_id", "state"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # a UUID: form fields reference it
    # No foreign key to tasks: an audit export carries instances and attachments, not task rows.
    task_id: Mapped[str] = mapped_column(String(36))
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id"))
    department_id: Mapped[str | None] = mapped_column(String(50))  # copied from the instance, for visibility
    uploader: Mapped[str] = mapped_column(String(100))
    file_name: Mapped[str] = mapped_column(String(255))  # sanitised
    content_type: Mapped[str] = mapped_column(String(100))  # detected from the content, not the name
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(20))  # active | deleted
    event_seq: Mapped[int] = mapped_column(Integer)  # the upload's event on the instance's chain
    created_at: Mapped[datetime] = mapped_column(DateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    deleted_by: Mapped[str | None] = mapped_column(String(100))
