"""The notification outbox: enqueue inside the caller's transaction (idempotent by key); list and retry failures.

A mail is written in the same transaction as the change that causes it, so it is neither lost when that change
commits nor sent when it rolls back. The worker (workers/notify.py) delivers it at least once; `failed` rows are
incidents an administrator retries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from service import clock, db
from service.bpm.event_log import append_global
from service.config import Settings
from service.errors import NotFound
from service.models import Notification, User

NOTIFICATIONS = Notification.__table__
USERS = User.__table__

COLUMNS = (NOTIFICATIONS.c.id, NOTIFICATIONS.c.idempotency_key, NOTIFICATIONS.c.recipient, NOTIFICATIONS.c.email,
           NOTIFICATIONS.c.subject, NOTIFICATIONS.c.kind, NOTIFICATIONS.c.instance_id,
           NOTIFICATIONS.c.status, NOTIFICATIONS.c.attempts, NOTIFICATIONS.c.retries_left, NOTIFICATIONS.c.due_at,
           NOTIFICATIONS.c.lock_owner, NOTIFICATIONS.c.lock_expires_at,
           NOTIFICATIONS.c.last_error, NOTIFICATIONS.c.created_at, NOTIFICATIONS.c.sent_at)


def email_of(conn: Connection, username: str) -> str | None:
    """A user's e-mail address (users.email), or None."""
    return conn.execute(select(USERS.c.email).where(USERS.c.username == username)).scalar_one_or_none()


def enqueue(conn: Connection, *, key: str, recipient: str | None, email: str | None, subject: str, body: str,
            kind: str, instance_id: str | None, now: datetime, retries: int = Settings.job_retries) -> bool:
    """Add one mail to the outbox inside the caller's transaction; True if added, False if `key` already was.

    Without `email` the address is the recipient's users.email. A mail nobody can receive is not dropped: it
    is stored as failed (an incident) with the reason.
    """
    if not email and recipient:
        email = email_of(conn, recipient)
    at = clock.to_db(now)
    values: dict[str, Any] = {
        "idempotency_key": key, "recipient": recipient, "email": email or "", "subject": subject, "body": body,
        "kind": kind, "instance_id": instance_id, "status": "pending", "attempts": 0, "retries_left": retries,
        "due_at": at, "created_at": at}
    if not email:
        values.update(status="failed", last_error=f"no e-mail address for {recipient or 'this notification'}")
    return db.insert_new(conn, NOTIFICATIONS, values, ["idempotency_key"])


def list_notifications(
    conn: Connection, *, page: int = 1, per_page: int = 100, status: str | None = None
) -> dict[str, Any]:
    where = [NOTIFICATIONS.c.status == status] if status else []
    total = conn.execute(select(func.count()).select_from(NOTIFICATIONS).where(*where)).scalar_one()
    rows = (
        conn.execute(
            select(*COLUMNS)
            .where(*where)
            .order_by(NOTIFICATIONS.c.created_at.desc(), NOTIFICATIONS.c.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        .mappings()
        .all()
    )
    return {"items": [dict(r) for r in rows], "total": total}


def retry(conn: Connection, notification_id: int, actor: str, now: datetime | None = None) -> dict[str, Any]:
    """One more delivery attempt for a failed notification, due now; recorded in the audit log."""
    now = now or clock.now()
    changed = conn.execute(
        update(NOTIFICATIONS)
        .where(NOTIFICATIONS.c.id == notification_id, NOTIFICATIONS.c.status == "failed", NOTIFICATIONS.c.email != "")
        .values(status="pending", retries_left=0, due_at=clock.to_db(now), lock_owner=None, lock_expires_at=None)
    ).rowcount
    if changed != 1:
        raise NotFound(f"no failed notification {notification_id} with an address")
    append_global(conn, now, actor, "notification_retried", {"notification_id": notification_id})
    return dict(conn.execute(select(*COLUMNS).where(NOTIFICATIONS.c.id == notification_id)).mappings().one())
