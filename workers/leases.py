"""Claiming due rows with a lease, shared by the job table and the notification outbox (DESIGN.md, Workers)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, Table, select, update

from service import db


def claim(engine: Engine, table: Table, claimable: Any, values: dict[str, Any], limit: int,
          within: Connection | None = None) -> list[Any]:
    """Mark up to `limit` claimable rows (due first) with `values` (owner, lease expiry) and return them, due first;
    `within`: a caller's open write transaction to claim in (the demo's batch, which runs the jobs in it too).

    One statement: `UPDATE … WHERE id IN (the first claimable ids) AND <claimable> RETURNING *`. PostgreSQL's inner
    select skips rows another worker is claiming (FOR UPDATE SKIP LOCKED); on SQLite the write lock is ours for the
    transaction (BEGIN IMMEDIATE). The outer condition checks each row again.
    """
    due = select(table.c.id).where(claimable).order_by(table.c.due_at, table.c.id).limit(limit)
    with db.write(engine, within) as conn:
        if conn.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        rows = conn.execute(update(table).where(table.c.id.in_(due.scalar_subquery()), claimable).values(**values)
                            .returning(*table.c)).all()
    return sorted(rows, key=lambda row: (row.due_at, row.id))
