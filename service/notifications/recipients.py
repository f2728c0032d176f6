"""Who is told about a task or a department's work: the same people the inbox offers it to (DESIGN.md, People)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, and_, or_, select

from service.domain.roles import DEPARTMENTAL
from service.models import User, UserRole

USERS = User.__table__
ROLES = UserRole.__table__


def names(value: str | None) -> list[str]:
    """A comma-separated list column (candidate_groups, candidate_users) as names."""
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def task_recipients(conn: Connection, *, assignee: str | None, candidate_users: str | None,
                    candidate_groups: str | None, department_id: str | None) -> list[str]:
    """A task's assignee; unclaimed, every active candidate user and every active holder of a candidate group.

    Departmental roles (department_staff, department_head) count only within the task's department, as in the
    candidate inbox (service/queries/visibility.py); bureau roles count everywhere.
    """
    if assignee:
        return [assignee]
    groups = names(candidate_groups)
    departmental = [g for g in groups if g in DEPARTMENTAL]
    bureau = [g for g in groups if g not in DEPARTMENTAL]
    wanted = []
    if departmental and department_id:
        wanted.append(and_(ROLES.c.role.in_(departmental), USERS.c.department_id == department_id))
    if bureau:
        wanted.append(ROLES.c.role.in_(bureau))
    found: set[str] = set()
    if wanted:
        found |= set(conn.execute(select(USERS.c.username).join(ROLES, ROLES.c.user_id == USERS.c.id)
                                  .where(USERS.c.active.is_(True), or_(*wanted))).scalars())
    named = names(candidate_users)
    if named:
        found |= set(conn.execute(select(USERS.c.username)
                                  .where(USERS.c.active.is_(True), USERS.c.username.in_(named))).scalars())
    return sorted(found)


def department_people(conn: Connection, department_id: str, roles: Iterable[str] = DEPARTMENTAL) -> list[str]:
    """Active users of a department holding one of `roles` (by default its staff and head)."""
    return sorted(set(conn.execute(
        select(USERS.c.username).join(ROLES, ROLES.c.user_id == USERS.c.id)
        .where(USERS.c.active.is_(True), USERS.c.department_id == department_id, ROLES.c.role.in_(list(roles)))
    ).scalars()))


def role_people(conn: Connection, roles: Iterable[str]) -> list[str]:
    """Active users holding one of `roles`, in any department (the bureau's roles)."""
    return sorted(set(conn.execute(
        select(USERS.c.username).join(ROLES, ROLES.c.user_id == USERS.c.id)
        .where(USERS.c.active.is_(True), ROLES.c.role.in_(list(roles)))).scalars()))
