"""A user as pages show them: display name, department names and roles."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from service.errors import NotFound
from service.models import Department, User, UserRole

DEPARTMENTS = Department.__table__
USERS = User.__table__
USER_ROLES = UserRole.__table__

_PROFILE = (
    select(USERS.c.id, USERS.c.username, USERS.c.display_name, USERS.c.department_id,
           DEPARTMENTS.c.name.label("department_name"), DEPARTMENTS.c.name_en.label("department_name_en"))
    .select_from(USERS.outerjoin(DEPARTMENTS, DEPARTMENTS.c.id == USERS.c.department_id))
)


def profile(conn: Connection, username: str) -> dict[str, Any]:
    """Who `username` is: display name, department id and names (None for the unattached), sorted roles."""
    row = conn.execute(_PROFILE.where(USERS.c.username == username)).first()
    if row is None:
        raise NotFound(f"no user {username!r}")
    roles = sorted(conn.execute(select(USER_ROLES.c.role).where(USER_ROLES.c.user_id == row.id)).scalars())
    item = dict(row._mapping)
    del item["id"]
    return {**item, "roles": roles}
