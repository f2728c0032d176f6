"""Department names for pages that show a department id."""

from __future__ import annotations

from sqlalchemy import Connection, select

from service.models import Department

DEPARTMENTS = Department.__table__


def department_names(conn: Connection, lang: str) -> dict[str, str]:
    """Department id → name in the page's language."""
    rows = conn.execute(select(DEPARTMENTS.c.id, DEPARTMENTS.c.name, DEPARTMENTS.c.name_en)).all()
    return {r.id: (r.name_en or r.name) if lang == "en" else r.name for r in rows}
