"""Claiming the start of a process that one worker alone may start — a department's periodic performance report, a
department's coverage review: a row keyed by what is started, inserted by the first claimant or taken over from one
whose lease ran out before it linked an instance. The row's table has `id`, `instance_id` and `claimed_at`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, select, update

from service import clock, db


def claim(conn: Connection, table: Table, key: dict[str, Any], values: dict[str, Any], now: datetime,
          lease: timedelta) -> bool:
    """True if the caller is to start the instance of `key` now (its row inserted with `values`, or taken over)."""
    at = clock.to_db(now)
    where = [table.c[column] == value for column, value in key.items()]
    row = conn.execute(select(table.c.instance_id, table.c.claimed_at).where(*where)).first()
    if row is None:
        return db.insert_new(conn, table, {**key, **values, "claimed_at": at}, list(key))
    if row.instance_id is not None or (clock.from_db(row.claimed_at) or now) + lease >= now:
        return False  # started already, or claimed by a worker that may still be at work
    taken = update(table).where(*where, table.c.instance_id.is_(None), table.c.claimed_at == row.claimed_at)
    return conn.execute(taken.values(claimed_at=at)).rowcount == 1


def started(conn: Connection, table: Table, key: dict[str, Any], instance_id: str) -> None:
    """Link the claimed row to the instance started for it."""
    conn.execute(update(table).where(*[table.c[c] == v for c, v in key.items()]).values(instance_id=instance_id))


def release(conn: Connection, table: Table, key: dict[str, Any]) -> None:
    """Give a claim back when its instance could not start (the next run tries again)."""
    conn.execute(table.delete().where(*[table.c[c] == v for c, v in key.items()], table.c.instance_id.is_(None)))
