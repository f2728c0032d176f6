"""The append-only audit log: one row per command applied, hash-chained per instance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("instance_id", "seq", name="uq_events_instance_seq"),
        Index("ix_events_at", "at"),
        Index("ix_events_command_actor_at", "command", "actor", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # NULL instance: the global chain (deployments, administration).
    instance_id: Mapped[str | None] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str | None] = mapped_column(String(100))
    command: Mapped[str] = mapped_column(String(50))
    input: Mapped[str] = mapped_column(Text)  # JSON
    tasks: Mapped[str] = mapped_column(Text)  # JSON: affected task ids / bpmn ids
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Chain(Base):
    """The head of a hash chain that has no instance row (the global chain): appends serialize on it."""

    __tablename__ = "chains"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str | None] = mapped_column(String(64))


class VerifyCheckpoint(Base):
    """Where `jixiao audit verify` last replayed an instance's history whole and found nothing: the replay's state at
    that event, so that a later verify replays only the events since (service/bpm/verify_checkpoints.py). Not part of
    the history: a missing or altered row costs a full replay, never a fact."""

    __tablename__ = "verify_checkpoints"

    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)  # the last event the checkpoint's state includes
    chain_hash: Mapped[str] = mapped_column(String(64))  # that event's hash on the instance's chain
    # zlib-compressed (a cycle instance's two states come to about 140 KB of JSON, 15 KB compressed):
    engine_state: Mapped[bytes] = mapped_column(LargeBinary)  # the replayed workflow at `seq`, serialized as stored
    replay_state: Mapped[bytes] = mapped_column(LargeBinary)  # JSON: status, task ids, implied rows, data at `seq`
    key_id: Mapped[str] = mapped_column(String(16))  # which secret key signed it (another key: ignored, replayed)
    mac: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256 over instance, seq, chain hash and both states
    written_at: Mapped[datetime] = mapped_column(DateTime)


class VerifyRun(Base):
    """One night's verification of every history by the worker (workers/nightly_verify.py): when it ran, what it
    checked and how many findings it made. One row per day: the first worker to claim the day runs it."""

    __tablename__ = "verify_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), unique=True)  # the local date it ran for (YYYY-MM-DD)
    status: Mapped[str] = mapped_column(String(20))  # running | ok | findings | failed
    started_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    checked: Mapped[int] = mapped_column(Integer, default=0)  # instances checked
    from_checkpoint: Mapped[int] = mapped_column(Integer, default=0)  # of them, replayed from a checkpoint
    findings: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)  # why a failed run stopped


class VerifyFinding(Base):
    """One finding of a nightly verification, as `jixiao audit verify` prints it."""

    __tablename__ = "verify_findings"
    __table_args__ = (Index("ix_verify_findings_run", "run_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(36), ForeignKey("verify_runs.id", ondelete="CASCADE"))
    instance_id: Mapped[str | None] = mapped_column(String(36))  # None: the global chain
    seq: Mapped[int | None] = mapped_column(Integer)
    problem: Mapped[str] = mapped_column(Text)
    table_name: Mapped[str | None] = mapped_column(String(50))  # a derived row that differs: table, row, column
    row_id: Mapped[str | None] = mapped_column(String(100))
    column_name: Mapped[str | None] = mapped_column(String(50))
