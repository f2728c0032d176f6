"""Task lists (inboxes) and details from the derived task rows (never from workflow state)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union,
    union_all,
)

from service import clock
from service.bpm import access
from service.bpm.jsonutil import loads
from service.bpm.versions import SpecCache
from service.domain.roles import SYSTEM, Principal
from service.errors import NotFound
from service.models import Instance, TaskRow
from service.queries.visibility import (
    candidate_tasks,
    contains,
    like_pattern,
    offered_count,
    offered_first,
    offered_ids,
    offered_order,
    ready_tasks_visible,
    tasks_visible,
)

TASKS = TaskRow.__table__
INSTANCES = Instance.__table__

_COLUMNS = (TASKS.c.id, TASKS.c.instance_id, TASKS.c.process_id, TASKS.c.department_id, TASKS.c.bpmn_id, TASKS.c.name,
            TASKS.c.state,
            TASKS.c.form_key, TASKS.c.candidate_groups, TASKS.c.candidate_users, TASKS.c.assignee, TASKS.c.owner,
            TASKS.c.delegation_state,
            TASKS.c.due_at, TASKS.c.follow_up_at, TASKS.c.priority, TASKS.c.created_at, TASKS.c.ended_at,
            TASKS.c.completed_by)
# "actionable": what the user can act on now: the tasks assigned to them, then their groups' unclaimed ones.
SCOPES = ("all", "mine", "candidate", "department", "actionable")
SORTS = ("due", "priority", "created", "name")


def list_tasks(conn: Connection, *, page: int, per_page: int, now: datetime, viewer: Principal = SYSTEM,
               scope: str = "all", state: str = "ready", instance_id: str | None = None,
               process_id: str | None = None, assignee: str | None = None, candidate_group: str | None = None,
               due_before: datetime | None = None, due_within_days: int | None = None,
               overdue: bool = False, sort: str = "due", total: int | None = None) -> dict[str, Any]:
    """The tasks `viewer` may see, in one of the inbox scopes: due first then by priority (or another `sort`).
    `total` is how many the list holds when the caller has counted them already (the inbox's tab count of an
    unfiltered scope): then they are not counted again."""
    if scope in ("candidate", "actionable") and state == "ready" and sort == "due" and not any(
            (instance_id, process_id, assignee, candidate_group, due_before, due_within_days is not None, overdue)):
        if scope == "candidate":
            return _candidate_inbox(conn, viewer, page, per_page, now, total)
        return _actionable_inbox(conn, viewer, page, per_page, now, total)
    values: dict[str, Any] = {}
    if instance_id:
        values["f_instance"] = instance_id
    if process_id:
        values["f_process"] = process_id
    if assignee:
        values["f_assignee"] = assignee
    if candidate_group:
        values["f_group"] = like_pattern(candidate_group)
    if due_before:
        values["f_due_before"] = clock.to_db(due_before)
    if due_within_days is not None:
        values["f_due_within"] = clock.to_db(now + timedelta(days=due_within_days))
    if overdue:
        values["f_overdue"] = clock.to_db(now)
    listing, counting = _statements(viewer, scope, state, tuple(values), sort)
    values.update(f_limit=per_page, f_offset=(page - 1) * per_page)
    rows = conn.execute(listing, values).mappings().all()
    # A first page that is not full is the whole list: no need to count.
    if total is None:
        total = len(rows) if page == 1 and len(rows) < per_page else conn.execute(counting, values).scalar_one()
    return {"items": [_item(r, now) for r in rows], "total": total}


_FILTERS: dict[str, Any] = {
    "f_instance": lambda: TASKS.c.instance_id == bindparam("f_instance"),
    "f_process": lambda: TASKS.c.process_id == bindparam("f_process"),
    "f_assignee": lambda: TASKS.c.assignee == bindparam("f_assignee"),
    "f_group": lambda: contains(TASKS.c.candidate_groups, bindparam("f_group")),
    "f_due_before": lambda: TASKS.c.due_at <= bindparam("f_due_before"),
    "f_due_within": lambda: TASKS.c.due_at <= bindparam("f_due_within"),
    "f_overdue": lambda: TASKS.c.due_at < bindparam("f_overdue"),
}


@lru_cache(maxsize=1024)
def _statements(viewer: Principal, scope: str, state: str, filters: tuple[str, ...], sort: str) -> tuple[Any, Any]:
    """The list and count statements of one viewer's scope with these filters, their values left as parameters:
    built (and given their SQL cache key) once, not on every request."""
    where = _scoped(viewer, scope, state, narrow="f_instance" in filters) + [_FILTERS[name]() for name in filters]
    order = _ORDERS.get(sort, _ORDERS["due"])
    if scope == "actionable":  # mine first, then what I may claim
        held = TASKS.c.assignee == viewer.username
        if sort == "due":  # as _actionable_inbox: the claimable ones' ties by task id, as the candidate inbox's
            order = (TASKS.c.due_at.asc().nulls_last(), TASKS.c.priority.desc(), case((held, TASKS.c.created_at)),
                     TASKS.c.id)
        order = (case((held, 0), else_=1), *order)
    listing = select(*_COLUMNS).where(*where).order_by(*order) \
        .limit(bindparam("f_limit", type_=Integer)).offset(bindparam("f_offset", type_=Integer))
    return listing, select(func.count()).select_from(TASKS).where(*where)


def _scoped(viewer: Principal, scope: str, state: str, narrow: bool = False) -> list[Any]:
    """The WHERE clauses of an inbox scope: the task state, what the viewer may see, and the scope's own.

    A task the viewer holds, owns or is offered is visible to them, and so is one of their own department: the
    scopes made of those leave the visibility rule out, which would otherwise make the database test it on every
    task in the state. They are id lists each part of which an index finds (held, owned, offered from
    task_candidates, which holds exactly the ready tasks' candidates): with no other condition on the state, SQLite
    (which keeps no statistics) drives the query from the list too, not from every task in the state. All the
    viewer may see is such a list as well, unless another filter (`narrow`: one instance's tasks) finds the few
    rows first."""
    in_state = TASKS.c.state == state
    me = viewer.username
    if state == "ready" and scope == "candidate":
        return [TASKS.c.id.in_(offered_ids(viewer))]
    if state == "ready" and scope == "actionable":
        return [TASKS.c.id.in_(offered_ids(viewer, select(TASKS.c.id).where(TASKS.c.assignee == me, in_state)))]
    if state == "ready" and scope == "all" and not narrow and not viewer.sees_all_departments:
        return ready_tasks_visible(viewer)
    if scope == "mine":
        return [TASKS.c.id.in_(union(select(TASKS.c.id).where(TASKS.c.assignee == me, in_state),
                                     select(TASKS.c.id).where(TASKS.c.owner == me, in_state)))]
    if scope == "candidate":
        return [in_state, TASKS.c.assignee.is_(None), candidate_tasks(viewer)]
    if scope == "actionable":
        return [in_state, or_(TASKS.c.assignee == me, and_(TASKS.c.assignee.is_(None), candidate_tasks(viewer)))]
    if scope == "department" and viewer.department_id:
        return [in_state, TASKS.c.department_id == viewer.department_id]
    if scope == "department":  # department_id IS NULL: not all of those are the viewer's to see
        return [in_state, TASKS.c.department_id.is_(None), *tasks_visible(viewer)]
    return [in_state, *tasks_visible(viewer)]


def count_by_scope(conn: Connection, viewer: Principal, state: str = "ready") -> dict[str, int]:
    """How many tasks each inbox scope holds for the viewer (the inbox's tab counts)."""
    counts = dict(conn.execute(_counting(viewer, state)).one()._mapping)
    if state == "ready":  # held and offered are apart (an offered task has no assignee): counted once each
        counts["actionable"] = counts.pop(_HELD) + counts["candidate"]
    return counts


@lru_cache(maxsize=1024)
def _counting(viewer: Principal, state: str) -> Any:
    """One statement answering every scope's count (a scalar subquery each, so each keeps its own plan): one round
    trip instead of five, built once per viewer."""
    fast = ("candidate", "actionable") if state == "ready" else ()
    counts = [select(func.count()).select_from(TASKS).where(*_scoped(viewer, scope, state)).scalar_subquery()
              .label(scope) for scope in SCOPES if scope not in fast]
    if state == "ready":  # the candidate inbox reads task_candidates alone (index-only), as listing it does
        counts += [offered_count(viewer).label("candidate"), _held_count(viewer).label(_HELD)]
    return select(*counts)


_HELD = "held"  # count_by_scope's part of the actionable count: the tasks the viewer holds


def _held_count(viewer: Principal) -> Any:
    """How many ready tasks the viewer holds (by the assignee index): the actionable tab's first part."""
    return select(func.count()).select_from(TASKS).where(TASKS.c.assignee == viewer.username,
                                                         TASKS.c.state == "ready").scalar_subquery()


_ORDERS: dict[str, tuple[Any, ...]] = {
    # NULLS LAST, not an "IS NULL" key first: PostgreSQL then reads ix_tasks_state_due in order (due first)
    "due": (TASKS.c.due_at.asc().nulls_last(), TASKS.c.priority.desc(), TASKS.c.created_at, TASKS.c.id),
    "priority": (TASKS.c.priority.desc(), TASKS.c.due_at.asc().nulls_last(), TASKS.c.id),
    "created": (TASKS.c.created_at.desc(), TASKS.c.id),
    "name": (TASKS.c.name, TASKS.c.created_at, TASKS.c.id),
}


def _candidate_inbox(conn: Connection, viewer: Principal, page: int, per_page: int, now: datetime,
                     total: int | None = None) -> dict[str, Any]:
    """The candidate inbox from task_candidates alone (index-only), joined to tasks for one page."""
    firsts = offered_first(viewer, page * per_page).subquery()
    page_ids = select(firsts).order_by(*offered_order(firsts.c)).limit(per_page).offset((page - 1) * per_page) \
        .subquery()
    rows = conn.execute(select(*_COLUMNS).join(page_ids, page_ids.c.task_id == TASKS.c.id)
                        .order_by(*offered_order(page_ids.c))).mappings().all()
    if total is None:
        total = len(rows) if page == 1 and len(rows) < per_page else \
            conn.execute(select(offered_count(viewer))).scalar_one()
    return {"items": [_item(r, now) for r in rows], "total": total}


def _actionable_inbox(conn: Connection, viewer: Principal, page: int, per_page: int, now: datetime,
                      total: int | None = None) -> dict[str, Any]:
    """What the viewer can act on now: the ready tasks they hold (by the assignee index; due first, then priority,
    then the oldest), then the candidate inbox (from task_candidates, in its own order: due, priority, task id).
    Each part is cut at the end of the page before the two are put together, so neither is read in full."""
    upto = page * per_page
    held = select(*_COLUMNS, literal(0).label("part"), TASKS.c.created_at.label("tie")) \
        .where(TASKS.c.assignee == viewer.username, TASKS.c.state == "ready") \
        .order_by(*_ORDERS["due"]).limit(upto).subquery()
    firsts = offered_first(viewer, upto).subquery()
    page_ids = select(firsts.c.task_id).order_by(*offered_order(firsts.c)).limit(upto).subquery()
    claimable = select(*_COLUMNS, literal(1).label("part"), cast(null(), DateTime).label("tie")) \
        .join(page_ids, page_ids.c.task_id == TASKS.c.id).subquery()
    both = union_all(select(held), select(claimable)).subquery()
    order = (both.c.part, both.c.due_at.asc().nulls_last(), both.c.priority.desc(), both.c.tie, both.c.id)
    rows = conn.execute(select(*(both.c[c.name] for c in _COLUMNS)).order_by(*order)
                        .limit(per_page).offset((page - 1) * per_page)).mappings().all()
    if total is None:
        total = len(rows) if page == 1 and len(rows) < per_page else conn.execute(
            select(_held_count(viewer) + offered_count(viewer))).scalar_one()
    return {"items": [_item(r, now) for r in rows], "total": total}


def get(conn: Connection, specs: SpecCache, task_id: str, viewer: Principal = SYSTEM,
        now: datetime | None = None) -> dict[str, Any]:
    """A task with its form (schema and UI hints of the instance's version) and its current data."""
    row = conn.execute(select(*_COLUMNS, TASKS.c.data, INSTANCES.c.version_hash,
                              INSTANCES.c.status.label("instance_status"),
                              INSTANCES.c.department_id.label("instance_department_id"), INSTANCES.c.started_by)
                       .join(INSTANCES, INSTANCES.c.id == TASKS.c.instance_id).where(TASKS.c.id
                                                                                     == task_id)).mappings().first()
    if row is None:
        raise NotFound(f"task {task_id} not found")
    return detail(specs, row, viewer, now)


def detail(specs: SpecCache, row: Mapping[Any, Any], viewer: Principal = SYSTEM,
           now: datetime | None = None) -> dict[str, Any]:
    """What `get` answers, from the row it reads — or from the row a task command of the mutation path reports
    having written (its result's "task"), so the API answers a command without reading the task again."""
    if not access.task_visible(viewer, _Row(row), _Instance(row)):
        raise NotFound(f"task {row['id']} not found")
    item = _item(row, now or clock.now())
    item["data"] = loads(row["data"]) or {}
    item["instance_status"] = row["instance_status"]
    item["version_hash"] = row["version_hash"]
    version = specs.get(row["version_hash"])
    key = row["form_key"]
    item["form"] = {"key": key, "schema": version.forms.get(key), "ui": version.ui.get(key)} if key else None
    return item


class _Row:
    def __init__(self, row: Any) -> None:
        self.__dict__.update(row)


class _Instance:
    def __init__(self, row: Any) -> None:
        self.department_id = row["instance_department_id"]
        self.started_by = row["started_by"]


def _item(r: Any, now: datetime) -> dict[str, Any]:
    d = {k: r[k] for k in ("id", "instance_id", "process_id", "department_id", "bpmn_id", "name", "state",
                           "form_key", "assignee", "owner", "delegation_state", "due_at", "follow_up_at", "priority",
                           "created_at", "ended_at", "completed_by")}
    d["candidate_groups"] = r["candidate_groups"].split(",") if r["candidate_groups"] else []
    d["candidate_users"] = r["candidate_users"].split(",") if r["candidate_users"] else []
    # Overdue the moment its due date passes, while still open (the escalation comes later, after a grace period).
    d["overdue"] = r["state"] == "ready" and r["due_at"] is not None and clock.from_db(r["due_at"]) < now
    return d
