from __future__ import annotations

from sqlalchemy import Connection, text


def check(conn: Connection) -> dict[str, str]:
    """Report the service and database status."""
    conn.execute(text("SELECT 1"))
    return {"status": "ok", "database": conn.dialect.name}
