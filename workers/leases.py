"""Claiming due rows with a lease, shared by the job table and the notification outbox (DESIGN.md, Workers)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Table, select, update

from service import db


def claim(engine: Engine, table: Table, claimable: Any, values: dict[str, Any], limit: int) -> list[Any]:
    """Mark up to `limit` claimable rows (due first) with `values` (owner, lease expiry) and return them.

    PostgreSQL skips rows another worker is claiming (FOR UPDATE SKIP LOCKED); on SQLite the write lock is
    ours for the transaction (BEGIN IMMEDIATE) and each update re-checks the condition.
    """
    order = (table.c.due_at, table.c.id)
    with db.write(engine) as conn:
        query = select(table.c.id).where(claimable).order_by(*order).limit(limit)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list(conn.execute(query).scalars())
        claimed = [i for i in ids
                   if conn.execute(update(table).where(table.c.id == i, claimable).values(**values)).rowcount == 1]
        return list(conn.execute(select(table).where(table.c.id.in_(claimed)).order_by(*order))) if claimed else []
