"""Incidents: jobs whose retries ran out. Administrators see them and retry them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from service import clock
from service.engine.audit import append_global
from service.engine.statements import JOBS as J
from service.errors import NotFound

_COLUMNS = (J.c.id, J.c.kind, J.c.instance_id, J.c.task_id, J.c.topic, J.c.status, J.c.due_at, J.c.lock_owner,
            J.c.lock_expires_at, J.c.attempts, J.c.retries_left, J.c.last_error, J.c.created_at, J.c.updated_at)


def list_jobs(conn: Connection, *, page: int, per_page: int, status: str | None = None) -> dict[str, Any]:
    where = [J.c.status == status] if status else []
    total = conn.execute(select(func.count()).select_from(J).where(*where)).scalar_one()
    rows = conn.execute(select(*_COLUMNS).where(*where).order_by(J.c.updated_at.desc(), J.c.id.desc())
                        .limit(per_page).offset((page - 1) * per_page)).mappings().all()
    return {"items": [dict(r) for r in rows], "total": total}


def retry(conn: Connection, job_id: int, actor: str, now: datetime | None = None) -> dict[str, Any]:
    """One more attempt for a failed job, due now; recorded in the audit log."""
    now = now or clock.now()
    changed = conn.execute(update(J).where(J.c.id == job_id, J.c.status == "failed").values(
        status="pending", retries_left=0, due_at=clock.to_db(now), updated_at=clock.to_db(now))).rowcount
    if changed != 1:
        raise NotFound(f"no incident {job_id}")
    append_global(conn, now, actor, "incident_retried", {"job_id": job_id})
    return dict(conn.execute(select(*_COLUMNS).where(J.c.id == job_id)).mappings().one())
