"""Department names for pages that show a department id."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, select

from service.models import Department

DEPARTMENTS = Department.__table__


def department_names(conn: Connection, lang: str, ids: Collection[str] | None = None) -> dict[str, str]:
    """Department id → name in the page's language: of every department, or of those in `ids` (a list page names
    only the departments of its rows, not the province's 1,500)."""
    query = select(DEPARTMENTS.c.id, DEPARTMENTS.c.name, DEPARTMENTS.c.name_en)
    if ids is not None:
        if not ids:
            return {}
        query = query.where(DEPARTMENTS.c.id.in_(sorted(ids)))
    rows = conn.execute(query).all()
    return {r.id: (r.name_en or r.name) if lang == "en" else r.name for r in rows}
