"""SQL forms of the access rules (service/domain/roles.py): what a user may see, as WHERE clauses."""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any

from sqlalchemy import and_, exists, false, func, literal, or_, select, union

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


def _candidate_keys(p: Principal, rows: Any = TASK_CANDIDATES) -> list[Any]:
    """The task_candidates keys that offer a task to the user: (group, own department) per departmental role,
    group per other role, "@" + name (on `rows`, task_candidates or an alias of it)."""
    keys = [
        and_(rows.c.group_name == r, rows.c.department_id == p.department_id)
        for r in sorted(p.roles & DEPARTMENTAL)
        if p.department_id
    ]
    keys += [rows.c.group_name == r for r in sorted(p.roles - DEPARTMENTAL)]
    keys.append(rows.c.group_name == NAMED + p.username)
    return keys


def offered_ids(p: Principal, *more: Any) -> Any:
    """The unclaimed tasks offered to the user, by id: one SELECT per key so that each is an index-only range scan
    of a partial index (the candidate inbox), and the ids of the SELECTs in `more`, in one flat UNION (SQLite takes
    no nested one). UNION, not UNION ALL: a task offered through two keys counts once."""
    return union(*more, *(select(TASK_CANDIDATES.c.task_id).where(TASK_CANDIDATES.c.assignee.is_(None), k)
                          for k in _candidate_keys(p)))


def offered_count(p: Principal) -> Any:
    """How many tasks `offered_ids` holds, without putting the ids together: per key, the index-only count of its
    unclaimed rows whose task no earlier key offers (a primary-key probe per row) — a UNION would hash every id."""
    earlier = TASK_CANDIDATES.alias("earlier")
    keys, earlier_keys = _candidate_keys(p), _candidate_keys(p, earlier)
    counts = []
    for i, key in enumerate(keys):
        where = [TASK_CANDIDATES.c.assignee.is_(None), key]
        if i:
            where.append(~exists().where(earlier.c.task_id == TASK_CANDIDATES.c.task_id, or_(*earlier_keys[:i])))
        counts.append(select(func.count()).select_from(TASK_CANDIDATES).where(*where).scalar_subquery())
    return reduce(operator.add, counts)


def offered_first(p: Principal, upto: int) -> Any:
    """The first `upto` tasks of `offered_ids` with their due dates and priorities, in the inbox's order (due first,
    then priority, then task id): the first `upto` of each key (an index range scan stopped early), put together.
    A task offered through two keys has the same due date and priority in both, so the first `upto` of the whole are
    among these."""
    firsts = []
    for k in _candidate_keys(p):
        first = select(TASK_CANDIDATES.c.task_id, TASK_CANDIDATES.c.due_at, TASK_CANDIDATES.c.priority) \
            .where(TASK_CANDIDATES.c.assignee.is_(None), k) \
            .order_by(*offered_order(TASK_CANDIDATES.c)).limit(upto).subquery()
        firsts.append(select(first))
    return union(*firsts)


def offered_order(columns: Any) -> tuple[Any, ...]:
    """The candidate inbox's order over rows of `offered_first`: due first (none last), then priority, then task id."""
    return columns.due_at.asc().nulls_last(), columns.priority.desc(), columns.task_id


def tasks_visible(p: Principal) -> list[Any]:
    if p.sees_all_departments:
        return []
    own = TASKS.c.department_id == p.department_id if p.department_id else false()
    return [or_(own, TASKS.c.assignee == p.username, TASKS.c.owner == p.username, candidate_tasks(p))]


def ready_tasks_visible(p: Principal) -> list[Any]:
    """`tasks_visible` and ready, as one id list each part of which an index finds (own department, held, owned,
    offered by a candidate key, claimed or not): an OR over the task table would read all of it. Only ready tasks
    have task_candidates rows, so the list holds ready tasks alone; [] (no condition) for who sees everything."""
    if p.sees_all_departments:
        return []
    ready = TASKS.c.state == "ready"
    parts = [select(TASKS.c.id).where(TASKS.c.assignee == p.username, ready),
             select(TASKS.c.id).where(TASKS.c.owner == p.username, ready),
             *(select(TASK_CANDIDATES.c.task_id).where(k) for k in _candidate_keys(p))]
    if p.department_id:
        parts.append(select(TASKS.c.id).where(TASKS.c.department_id == p.department_id, ready))
    return [TASKS.c.id.in_(union(*parts))]
