"""Claiming due rows with a lease, shared by the job table and the notification outbox (DESIGN.md, Workers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, select, update

from service import db


def claim(engine: Engine, table: Table, claimable: Any, values: dict[str, Any], limit: int,
          within: Connection | None = None) -> list[Any]:
    """Mark up to `limit` claimable rows (due first) with `values` (owner, lease expiry) and return them, due first;
    `within`: a caller's open write transaction to claim in (the demo's batch, which runs the jobs in it too).

    One statement: `UPDATE … WHERE id IN (the first claimable ids) AND <claimable> RETURNING *`. PostgreSQL's inner
    select skips rows another worker is claiming (FOR UPDATE SKIP LOCKED); on SQLite the write lock is ours for the
    transaction (BEGIN IMMEDIATE). The outer condition checks each row again.
    """
    with db.write(engine, within) as conn:
        rows = conn.execute(_statement(table, claimable, values, limit, conn.dialect.name)).all()
    return _due_first(rows)


class Prepared:
    """A claim (as `claim` makes it) from a condition that names bind parameters, built once per dialect and set of
    columns written, not at every call: for the claims made thousands of times (a job's followers, one at a time),
    where building the statement and its cache key each time cost 4 % of the demo's time. Call it with the
    condition's parameters and the values to write."""

    def __init__(self, table: Table, claimable: Any, limit: int) -> None:
        self._table, self._claimable, self._limit = table, claimable, limit
        self._built: dict[tuple[str, tuple[str, ...]], Any] = {}

    def __call__(self, engine: Engine, params: dict[str, Any], values: dict[str, Any],
                 within: Connection | None = None) -> list[Any]:
        with db.write(engine, within) as conn:
            key = (conn.dialect.name, tuple(values))
            statement = self._built.get(key)
            if statement is None:
                statement = self._built[key] = _statement(self._table, self._claimable, bound(values), self._limit,
                                                          conn.dialect.name)
            rows = conn.execute(statement, {**params, **binding(values)}).all()
        return _due_first(rows)


def bound(values: dict[str, Any]) -> dict[str, Any]:
    """Each column to write, set from a bind parameter of its own (`binding` gives their values)."""
    return {column: bindparam(f"v_{column}") for column in values}


def binding(values: dict[str, Any]) -> dict[str, Any]:
    """The parameters of `bound(values)`."""
    return {f"v_{column}": value for column, value in values.items()}


def _statement(table: Table, claimable: Any, values: dict[str, Any], limit: int, dialect: str) -> Any:
    due = select(table.c.id).where(claimable).order_by(table.c.due_at, table.c.id).limit(limit)
    if dialect == "postgresql":
        due = due.with_for_update(skip_locked=True)
    return update(table).where(table.c.id.in_(due.scalar_subquery()), claimable).values(**values).returning(*table.c)


def _due_first(rows: Sequence[Any]) -> list[Any]:
    return sorted(rows, key=lambda row: (row.due_at, row.id))
