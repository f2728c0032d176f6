"""Deployed process model versions: immutable, keyed by the content hash of their files."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base


class ProcessVersion(Base):
    __tablename__ = "process_versions"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    deployed_at: Mapped[datetime] = mapped_column(DateTime)
    deployed_by: Mapped[str | None] = mapped_column(String(100))
    file_count: Mapped[int] = mapped_column(Integer)


class VersionFile(Base):
    """One file of a version: a BPMN or DMN model or a form (JSON Schema / UI hints)."""

    __tablename__ = "version_files"

    version_hash: Mapped[str] = mapped_column(ForeignKey("process_versions.hash"), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # bpmn | dmn | form
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ProcessDefinition(Base):
    """A process id as deployed in one version; the highest id per process_id is the latest."""

    __tablename__ = "process_definitions"
    __table_args__ = (Index("ix_process_definitions_pid_id", "process_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    process_id: Mapped[str] = mapped_column(String(255))
    version_hash: Mapped[str] = mapped_column(ForeignKey("process_versions.hash"))
    name: Mapped[str | None] = mapped_column(String(255))
    file_name: Mapped[str] = mapped_column(String(255))
    deployed_at: Mapped[datetime] = mapped_column(DateTime)
