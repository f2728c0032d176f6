"""Incidents: jobs whose retries ran out. Administrators see them and retry them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from service import clock
from service.bpm.event_log import append_global
from service.bpm.statements import JOBS
from service.errors import NotFound

_COLUMNS = (JOBS.c.id, JOBS.c.kind, JOBS.c.instance_id, JOBS.c.task_id, JOBS.c.topic, JOBS.c.status, JOBS.c.due_at,
            JOBS.c.lock_owner,
            JOBS.c.lock_expires_at, JOBS.c.attempts, JOBS.c.retries_left, JOBS.c.last_error, JOBS.c.created_at,
            JOBS.c.updated_at)


def list_jobs(conn: Connection, *, page: int, per_page: int, status: str | None = None) -> dict[str, Any]:
    where = [JOBS.c.status == status] if status else []
    total = conn.execute(select(func.count()).select_from(JOBS).where(*where)).scalar_one()
    rows = conn.execute(select(*_COLUMNS).where(*where).order_by(JOBS.c.updated_at.desc(), JOBS.c.id.desc())
                        .limit(per_page).offset((page - 1) * per_page)).mappings().all()
    return {"items": [dict(r) for r in rows], "total": total}


def retry(conn: Connection, job_id: int, actor: str, now: datetime | None = None) -> dict[str, Any]:
    """One more attempt for a failed job, due now; recorded in the audit log."""
    now = now or clock.now()
    changed = conn.execute(update(JOBS).where(JOBS.c.id == job_id, JOBS.c.status == "failed").values(
        status="pending", retries_left=0, due_at=clock.to_db(now), updated_at=clock.to_db(now))).rowcount
    if changed != 1:
        raise NotFound(f"no incident {job_id}")
    append_global(conn, now, actor, "incident_retried", {"job_id": job_id})
    return dict(conn.execute(select(*_COLUMNS).where(JOBS.c.id == job_id)).mappings().one())
