"""Deliver the notification outbox: claim due mails with a lease, send them by SMTP (or into the file sink).

Claiming follows workers/job_queue.py: `FOR UPDATE SKIP LOCKED` on PostgreSQL, a conditional update on SQLite. A claim
is a live lease on a pending row; a worker that dies leaves the lease to expire. A failed send is retried with
backoff (JIXIAO_JOB_BACKOFF_SECONDS, doubling); when retries run out the row is `failed`, an incident.
Without SMTP_HOST each mail is written as a .eml file into MAIL_SINK_DIR, for a person to read (`make run`).
"""

from __future__ import annotations

import os
import re
import smtplib
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from sqlalchemy import and_, or_, update

from service import clock, db
from service.config import Settings
from service.notifications.outbox import NOTIFICATIONS
from service.runtime import Runtime
from workers import leases


@dataclass
class DeliveryResult:
    sent: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def _claimable(now: datetime) -> Any:
    n = clock.to_db(now)
    return and_(NOTIFICATIONS.c.status == "pending", NOTIFICATIONS.c.due_at <= n,
                or_(NOTIFICATIONS.c.lock_expires_at.is_(None), NOTIFICATIONS.c.lock_expires_at < n))


def acquire(rt: Runtime, owner: str, now: datetime, lease: timedelta, limit: int = 20) -> list[Any]:
    """Claim up to `limit` due mails (or mails whose lease ran out) for `owner`."""
    values = {"lock_owner": owner, "lock_expires_at": clock.to_db(now + lease)}
    return leases.claim(rt.engine, NOTIFICATIONS, _claimable(now), values, limit)


def message(settings: Settings, row: Any, now: datetime) -> EmailMessage:
    """The mail of one outbox row (UTF-8 subject and body, a stable Message-ID per idempotency key)."""
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = row.email
    msg["Subject"] = row.subject
    msg["Date"] = formatdate(now.timestamp(), usegmt=True)
    msg["Message-ID"] = make_msgid(idstring=f"n{row.id}", domain=settings.smtp_from.rpartition("@")[2] or None)
    msg["X-Jixiao-Key"] = row.idempotency_key
    msg.set_content(row.body)
    return msg


def send_smtp(settings: Settings, msg: EmailMessage) -> None:
    with smtplib.SMTP(settings.smtp_host or "", settings.smtp_port, timeout=settings.smtp_timeout_s) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(msg)


def write_sink(settings: Settings, row: Any, msg: EmailMessage) -> Path:
    """Write the mail as <id>-<key>.eml into the sink folder (atomically; a second delivery overwrites it)."""
    folder = Path(settings.mail_sink_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{row.id:06d}-{re.sub(r'[^A-Za-z0-9._-]+', '_', row.idempotency_key)[:80]}.eml"
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(msg.as_bytes())
    os.replace(tmp, target)
    return target


def deliver(rt: Runtime, row: Any, owner: str, now: datetime, result: DeliveryResult) -> None:
    """Send one claimed mail; record the outcome on its row (only while the lease is still ours)."""
    settings = rt.settings
    try:
        msg = message(settings, row, now)
        if settings.smtp_host:
            send_smtp(settings, msg)
        else:
            write_sink(settings, row, msg)
    except Exception as exc:  # refused, unreachable, timed out: retry with backoff, then an incident
        error = f"{type(exc).__name__}: {exc}"[:4000]
        values: dict[str, Any] = {"attempts": row.attempts + 1, "retries_left": max(0, row.retries_left - 1),
                                  "last_error": error}
        if row.retries_left > 0:
            backoff = settings.job_backoff_seconds * (2 ** row.attempts)
            values["due_at"] = clock.to_db(now + timedelta(seconds=backoff))
            result.retried.append(row.id)
        else:
            values["status"] = "failed"
            result.failed.append(row.id)
        _finish(rt, row, owner, values)
        return
    _finish(rt, row, owner, {"status": "sent", "sent_at": clock.to_db(now), "attempts": row.attempts + 1})
    result.sent.append(row.id)


def _finish(rt: Runtime, row: Any, owner: str, values: dict[str, Any]) -> None:
    with db.write(rt.engine) as conn:
        conn.execute(update(NOTIFICATIONS).where(NOTIFICATIONS.c.id == row.id, NOTIFICATIONS.c.lock_owner == owner)
                     .values(lock_owner=None, lock_expires_at=None, **values))


def deliver_due(rt: Runtime, owner: str, now: datetime | None = None, batch: int = 50) -> DeliveryResult:
    """Claim and deliver due mails until none is left."""
    now = now or clock.now()
    result = DeliveryResult()
    lease = timedelta(seconds=rt.settings.worker_lease_seconds)
    while True:
        claimed = acquire(rt, owner, now, lease, batch)
        for row in claimed:
            deliver(rt, row, owner, now, result)
        if len(claimed) < batch:
            return result
