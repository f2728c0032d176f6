"""SQL forms of the access rules (service/domain/roles.py): what a user may see, as WHERE clauses."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, false, literal, or_, select, union

from service.domain.roles import DEPARTMENTAL, Principal
from service.models import Instance, TaskCandidate, TaskRow

INSTANCES = Instance.__table__
TASKS = TaskRow.__table__
TASK_CANDIDATES = TaskCandidate.__table__
NAMED = "@"  # task_candidates.group_name of a candidate named in candidateUsers: "@" + the user name


def contains(column: Any, name: str | Any) -> Any:
    """A comma-separated list column contains `name` (names are matched literally); `name` may be a bound parameter
    whose value is `like_pattern(name)`."""
    pattern = like_pattern(name) if isinstance(name, str) else name
    return (literal(",") + column + literal(",")).like(pattern, escape="\\")


def like_pattern(name: str) -> str:
    """The LIKE pattern `contains` matches a name with."""
    escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%,{escaped},%"


def _involved(p: Principal) -> Any:
    """Instances where the user holds, owns or is a named candidate of a task."""
    return INSTANCES.c.id.in_(
        select(TASKS.c.instance_id).where(
            or_(
                TASKS.c.assignee == p.username,
                TASKS.c.owner == p.username,
                contains(TASKS.c.candidate_users, p.username),
            )
        )
    )


def instances_visible(p: Principal) -> list[Any]:
    if p.sees_all_departments:
        return []
    own = INSTANCES.c.department_id == p.department_id if p.department_id else false()
    return [or_(own, INSTANCES.c.started_by == p.username, _involved(p))]


def candidate_tasks(p: Principal) -> Any:
    """Tasks offered to the user through a candidate group (scoped by department) or by name."""
    dept_roles = sorted(r for r in p.roles if r in DEPARTMENTAL)
    other_roles = sorted(r for r in p.roles if r not in DEPARTMENTAL)
    by_group = []
    if dept_roles and p.department_id:
        by_group.append(
            and_(TASK_CANDIDATES.c.group_name.in_(dept_roles), TASK_CANDIDATES.c.department_id == p.department_id)
        )
    if other_roles:
        by_group.append(TASK_CANDIDATES.c.group_name.in_(other_roles))
    clauses = [contains(TASKS.c.candidate_users, p.username)]
    if by_group:
        clauses.append(TASKS.c.id.in_(select(TASK_CANDIDATES.c.task_id).where(or_(*by_group))))
    return or_(*clauses)


def offered(p: Principal) -> Any:
    """The task_candidates rows offering an unclaimed task to the user, one SELECT per key so that each is an
    index-only range scan: (group, own department) per departmental role, group per other role, "@" + name.
    UNION (not UNION ALL): a task offered through two keys counts once."""
    keys = [
        and_(TASK_CANDIDATES.c.group_name == r, TASK_CANDIDATES.c.department_id == p.department_id)
        for r in sorted(p.roles & DEPARTMENTAL)
        if p.department_id
    ]
    keys += [TASK_CANDIDATES.c.group_name == r for r in sorted(p.roles - DEPARTMENTAL)]
    keys.append(TASK_CANDIDATES.c.group_name == NAMED + p.username)
    return union(
        *(
            select(TASK_CANDIDATES.c.task_id, TASK_CANDIDATES.c.due_at, TASK_CANDIDATES.c.priority).where(
                TASK_CANDIDATES.c.assignee.is_(None), k
            )
            for k in keys
        )
    )


def tasks_visible(p: Principal) -> list[Any]:
    if p.sees_all_departments:
        return []
    own = TASKS.c.department_id == p.department_id if p.department_id else false()
    return [or_(own, TASKS.c.assignee == p.username, TASKS.c.owner == p.username, candidate_tasks(p))]
