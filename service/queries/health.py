from __future__ import annotations

from sqlalchemy import Engine, text

from service import db


def check(engine: Engine) -> dict[str, str]:
    """Report the service and database status."""
    with db.read(engine) as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok", "database": engine.dialect.name}
