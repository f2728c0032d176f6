"""The supervisors' queue: escalations (deadlines passed, targets slipped) with the decisions open to each.

Reads only: deciding, dismissing and escalating are commands of the one mutation path
(service/bpm/escalation_commands.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, select

from service import clock
from service.bpm.escalation_commands import kind_for
from service.bpm.statements import ESCALATIONS, INSTANCES, TASKS
from service.bpm.versions import SpecCache
from service.domain import escalation_kinds as kinds
from service.domain.roles import Principal
from service.errors import NotFound
from service.models import Department, Project
from service.queries.visibility import instances_visible

PROJECTS = Project.__table__
DEPARTMENTS = Department.__table__
KINDS = ("deadline", "escalation")
STATES = ("open", "resolved")
LEVELS = ("supervisor", "leadership")

_COLUMNS = (ESCALATIONS.c.id, ESCALATIONS.c.instance_id, ESCALATIONS.c.department_id, ESCALATIONS.c.kind,
            ESCALATIONS.c.code, ESCALATIONS.c.name, ESCALATIONS.c.element_id, ESCALATIONS.c.task_id,
            ESCALATIONS.c.state, ESCALATIONS.c.decision, ESCALATIONS.c.comment, ESCALATIONS.c.opened_at,
            ESCALATIONS.c.resolved_at, ESCALATIONS.c.resolved_by, ESCALATIONS.c.level,
            ESCALATIONS.c.escalated_at, ESCALATIONS.c.escalated_by, INSTANCES.c.process_id, INSTANCES.c.business_key,
            INSTANCES.c.version_hash,
            TASKS.c.state.label("task_state"), TASKS.c.form_key, PROJECTS.c.id.label("project_id"),
            PROJECTS.c.name.label("project_name"), DEPARTMENTS.c.name.label("department_name"),
            DEPARTMENTS.c.name_en.label("department_name_en"))
_FROM = (ESCALATIONS.join(INSTANCES, INSTANCES.c.id == ESCALATIONS.c.instance_id)
         .outerjoin(TASKS, and_(TASKS.c.id == ESCALATIONS.c.task_id))
         .outerjoin(PROJECTS, PROJECTS.c.id == INSTANCES.c.business_key)
         .outerjoin(DEPARTMENTS, DEPARTMENTS.c.id == ESCALATIONS.c.department_id))


def _item(row: Any, specs: SpecCache | None, now: datetime | None = None) -> dict[str, Any]:
    """A row with its kind's name, its age in days and, while open, the decisions open to it (with Chinese and
    English labels)."""
    item = {k: v for k, v in dict(row).items() if k not in ("version_hash", "task_state", "form_key")}
    has_task = row["task_state"] == "ready"
    kind = kind_for(specs, row["version_hash"], row["code"], row["form_key"], has_task=has_task) if specs \
        else kinds.kind_of(row["code"], has_task=has_task)
    item.update(kind_name=kind.name, kind_name_en=kind.name_en,
                allowed_decisions=kinds.labelled(kind.decisions) if row["state"] == "open" else [],
                age_days=_age_days(row["opened_at"], row["resolved_at"], now),
                process_name=process_name(specs, row["version_hash"], row["process_id"]))
    return item


def process_name(specs: SpecCache | None, version_hash: str, process_id: str) -> str:
    """A process's name as modelled (e.g. 绩效运行监控), else its id."""
    if specs is None:
        return process_id
    try:
        top, _subs = specs.get(version_hash).spec(process_id)
    except NotFound:
        return process_id
    return str(getattr(top, "description", None) or process_id)


def _age_days(opened_at: datetime, resolved_at: datetime | None, now: datetime | None) -> int:
    """Calendar days (display zone) from opening to resolution, or to today while open."""
    opened = clock.from_db(opened_at) or clock.now()
    until = clock.from_db(resolved_at) if resolved_at is not None else (now or clock.now())
    return (clock.local_today(until) - clock.local_today(opened)).days


def list_escalations(conn: Connection, viewer: Principal, *, page: int, per_page: int, state: str | None = None,
                     specs: SpecCache | None = None, kind: str | None = None, code: str | None = None,
                     department_id: str | None = None, level: str | None = None,
                     older_than_days: int | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Escalations of the instances `viewer` may see, oldest open first; filtered by state, kind (deadline or
    escalation) and code, department, level, and age (opened more than `older_than_days` days ago)."""
    where = instances_visible(viewer)
    for column, value in ((ESCALATIONS.c.state, state), (ESCALATIONS.c.kind, kind), (ESCALATIONS.c.code, code),
                          (ESCALATIONS.c.department_id, department_id), (ESCALATIONS.c.level, level)):
        if value:
            where.append(column == value)
    if older_than_days is not None:
        where.append(ESCALATIONS.c.opened_at < clock.to_db((now or clock.now()) - timedelta(days=older_than_days)))
    base = select(*_COLUMNS).select_from(_FROM).where(*where)
    total = conn.execute(select(func.count()).select_from(
        select(ESCALATIONS.c.id).join(INSTANCES, INSTANCES.c.id == ESCALATIONS.c.instance_id).where(*where)
        .subquery())).scalar_one()
    rows = conn.execute(base.order_by(ESCALATIONS.c.state, ESCALATIONS.c.opened_at, ESCALATIONS.c.id).limit(per_page)
                        .offset((page - 1) * per_page)).mappings().all()
    return {"items": [_item(r, specs, now) for r in rows], "total": total}


def get(conn: Connection, viewer: Principal, escalation_id: int, specs: SpecCache | None = None,
        now: datetime | None = None) -> dict[str, Any]:
    """One escalation the viewer may see, with the decisions open to it."""
    row = conn.execute(select(*_COLUMNS).select_from(_FROM)
                       .where(ESCALATIONS.c.id == escalation_id, *instances_visible(viewer))).mappings().first()
    if row is None:
        raise NotFound(f"no escalation {escalation_id}")
    return _item(row, specs, now)


def of_instance(conn: Connection, instance_id: str) -> list[dict[str, Any]]:
    """The escalations of one instance, oldest first, as stored (call after the instance query allowed the user
    to see it)."""
    rows = conn.execute(
        select(ESCALATIONS)
        .where(ESCALATIONS.c.instance_id == instance_id)
        .order_by(ESCALATIONS.c.opened_at, ESCALATIONS.c.id)
    )
    return [dict(r._mapping) for r in rows]
