"""The auditors' search: instances by project (name or number), department, instance id and start date."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, or_, select

from service import clock
from service.domain.roles import Principal
from service.models import Project
from service.queries.instances_queries import INSTANCES
from service.queries.visibility import instances_visible

PROJECTS = Project.__table__


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _day_start(day: date) -> datetime:
    """Midnight of a local (Asia/Shanghai) day, as the UTC time the rows store."""
    return clock.to_db(datetime(day.year, day.month, day.day, tzinfo=clock.LOCAL))


def search_instances(conn: Connection, viewer: Principal, *, page: int, per_page: int, project: str | None = None,
                     department_id: str | None = None, instance_id: str | None = None,
                     started_from: date | None = None, started_to: date | None = None) -> dict[str, Any]:
    """The instances `viewer` may see that match every given criterion, newest first, with their project."""
    where = instances_visible(viewer)
    if project:
        pattern = f"%{_escaped(project)}%"
        where.append(or_(PROJECTS.c.name.ilike(pattern, escape="\\"), INSTANCES.c.business_key.ilike(pattern,
                                                                                                     escape="\\")))
    if department_id:
        where.append(INSTANCES.c.department_id == department_id)
    if instance_id:
        where.append(INSTANCES.c.id.like(f"{_escaped(instance_id.lower())}%", escape="\\"))
    if started_from:
        where.append(INSTANCES.c.created_at >= _day_start(started_from))
    if started_to:
        where.append(INSTANCES.c.created_at < _day_start(started_to + timedelta(days=1)))
    joined = INSTANCES.outerjoin(PROJECTS, PROJECTS.c.id == INSTANCES.c.business_key)
    columns = (INSTANCES.c.id, INSTANCES.c.process_id, INSTANCES.c.business_key, INSTANCES.c.department_id,
               INSTANCES.c.status, INSTANCES.c.started_by,
               INSTANCES.c.created_at, INSTANCES.c.ended_at, PROJECTS.c.name.label("project_name"),
               PROJECTS.c.fiscal_year)
    total = conn.execute(select(func.count()).select_from(joined).where(*where)).scalar_one()
    rows = conn.execute(select(*columns).select_from(joined).where(*where)
                        .order_by(INSTANCES.c.created_at.desc(), INSTANCES.c.id).limit(per_page)
                        .offset((page - 1) * per_page)).mappings().all()
    return {"items": [dict(r) for r in rows], "total": total}
