"""A user as pages show them: display name, department names and roles."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from service.errors import NotFound
from service.models import Department, User, UserRole

D = Department.__table__
U = User.__table__
R = UserRole.__table__

_PROFILE = (
    select(U.c.id, U.c.username, U.c.display_name, U.c.department_id,
           D.c.name.label("department_name"), D.c.name_en.label("department_name_en"))
    .select_from(U.outerjoin(D, D.c.id == U.c.department_id))
)


def profile(conn: Connection, username: str) -> dict[str, Any]:
    """Who `username` is: display name, department id and names (None for the unattached), sorted roles."""
    row = conn.execute(_PROFILE.where(U.c.username == username)).first()
    if row is None:
        raise NotFound(f"no user {username!r}")
    roles = sorted(conn.execute(select(R.c.role).where(R.c.user_id == row.id)).scalars())
    item = dict(row._mapping)
    del item["id"]
    return {**item, "roles": roles}
