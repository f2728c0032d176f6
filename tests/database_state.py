"""Putting the test database back between tests: the process tables emptied, or filled from a snapshot.

People (departments, users, roles, tokens) live for the whole session: hashing passwords is slow on purpose.
Every other table is emptied before each test (`wipe`): one query finds the tables that hold rows, then one DELETE
per such table, children first, and the event log's append-only triggers are lifted (DDL) only when the log holds
rows. Many tests leave no table filled and most a few; a DELETE of each of the 44 tables through SQLAlchemy, the
triggers lifted every time, cost 5 ms of CPU on SQLite and 9 ms on PostgreSQL even when all were empty (0.5 and
0.9 ms now), and one TRUNCATE of them all 1.0-1.7 s (it replaces every table's files): not used.

A state that many tests build the same way (the real workflows deployed, the rules, calendar and libraries
seeded: the `cycle` fixture; the instances of tests/service/bpm/test_event_log.py, test_verify_escalations.py and
test_verify_derived_rows.py: `built_once`) is built once per session and kept as a `Snapshot` of its rows; the
next test that asks for it gets the rows put back instead of building it again: only the tables whose rows
differ from the snapshot's (and their children) are rewritten.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, func, insert, literal, select, text, union_all
from sqlalchemy.engine import make_url

from service.db import normalize_url
from service.models import Base

PEOPLE_TABLES = {"departments", "users", "user_roles", "api_tokens"}


@contextmanager
def bypassed_audit_guard(conn: Any) -> Iterator[None]:
    """Tests that wipe or tamper with the event log lift its append-only triggers, inside one transaction."""
    from service.bpm import audit_guard

    audit_guard.remove(conn)
    try:
        yield
    finally:
        audit_guard.install(conn)


def process_tables() -> list[Any]:
    """Every table but the people's, parents first."""
    return [t for t in Base.metadata.sorted_tables if t.name not in PEOPLE_TABLES]


def wipe(engine: Engine) -> None:
    """Empty every table but the people's (the people's are filled once per session)."""
    with engine.begin() as conn:
        _empty(conn)


def occupied(conn: Connection, tables: list[Any]) -> set[str]:
    """The names of those of `tables` that hold at least one row, in one query."""
    return {name for (name,) in conn.exec_driver_sql(_probe(tuple(t.name for t in tables)))}


@cache
def _probe(names: tuple[str, ...]) -> str:
    # Plain SQL, written once: building and compiling the 44-part union with SQLAlchemy cost more than the DELETEs
    # it saves.
    return " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})" for name in names)


def _empty(conn: Connection) -> None:
    tables = process_tables()
    filled = occupied(conn, tables)
    with bypassed_audit_guard(conn) if "events" in filled else nullcontext():
        for table in reversed(tables):
            if table.name in filled:
                conn.exec_driver_sql(f"DELETE FROM {table.name}")


def row_counts(engine: Engine) -> tuple[int, ...]:
    """The number of rows of each table (people's too), in one query: the fingerprint of an untouched database."""
    counts = [select(literal(t.name).label("name"), func.count().label("n")).select_from(t)
              for t in Base.metadata.sorted_tables]
    with engine.connect() as conn:
        found = {name: n for name, n in conn.execute(union_all(*counts))}
    return tuple(found[t.name] for t in Base.metadata.sorted_tables)


class Snapshot:
    """The rows of the process tables at one moment, to be written back into an emptied database."""

    def __init__(self, engine: Engine) -> None:
        with engine.connect() as conn:
            self.rows = {t.name: [dict(r._mapping) for r in conn.execute(select(t))] for t in process_tables()}
            self.raw = {t.name: _raw(conn, t) for t in process_tables()}

    def restore(self, engine: Engine) -> None:
        """Put the process tables back as they were, in one transaction: a table that still holds the snapshot's
        rows, and whose parents do, is left alone (tests seldom touch the seeded rules, calendar, libraries and
        deployed versions); the others are emptied, children first, and get the snapshot's rows back."""
        tables = process_tables()
        with engine.begin() as conn:
            filled = occupied(conn, tables)
            stale: set[str] = set()
            for table in tables:  # parents first: a stale parent makes its children stale
                kept = self.rows[table.name]
                parents = {key.column.table.name for key in table.foreign_keys}
                if (parents & stale or (table.name in filled) != bool(kept)
                        or (kept and _raw(conn, table) != self.raw[table.name])):
                    stale.add(table.name)
            with bypassed_audit_guard(conn) if "events" in stale & filled else nullcontext():
                for table in reversed(tables):
                    if table.name in stale & filled:
                        conn.exec_driver_sql(f"DELETE FROM {table.name}")
            for table in tables:
                if table.name in stale and self.rows[table.name]:
                    conn.execute(insert(table), self.rows[table.name])


def _raw(conn: Connection, table: Any) -> list[tuple[Any, ...]]:
    """The table's rows as the driver gives them (SQLAlchemy's conversions cost more than the comparison)."""
    order = ", ".join(c.name for c in table.primary_key.columns)
    return [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {table.name} ORDER BY {order}")]


T = TypeVar("T")


@dataclass
class _Built:
    before: tuple[int, ...]  # the row counts of the emptied database it was built on
    started: datetime  # the process clock when the building began, and when it ended
    ended: datetime
    rows: Snapshot
    value: Any  # what the building returned
    versions: list[Any]  # the workflow versions it parsed


_BUILT: dict[tuple[str, str], _Built] = {}


def built_once(runtime: Any, name: str, build: Callable[[], T]) -> T:
    """What `build()` writes and returns, built by the first test of the session that asks for `name` and copied
    back for the next ones: when they start from the same emptied database at the same frozen time (the clock,
    the parsed workflow versions and a copy of the returned value are put back with the rows). `build` must
    write nothing but database rows (no files, no mail) and return plain data."""
    from service import clock

    key = (name, runtime.settings.database_url)
    before, started = row_counts(runtime.engine), clock.now()
    kept = _BUILT.get(key)
    if kept is not None and (kept.before, kept.started) == (before, started):
        kept.rows.restore(runtime.engine)
        for version in kept.versions:
            runtime.specs.put(version)
        clock.set_now(kept.ended)
        return copy.deepcopy(kept.value)
    value = build()
    people = [t.name in PEOPLE_TABLES for t in Base.metadata.sorted_tables]
    if all(n == 0 for n, person in zip(before, people, strict=True) if not person):
        _BUILT[key] = _Built(before, started, clock.now(), Snapshot(runtime.engine), copy.deepcopy(value),
                             list(runtime.specs._items.values()))
    return value


@contextmanager
def worker_database(base: str, worker: str) -> Iterator[str]:
    """A PostgreSQL database of one pytest-xdist worker beside `base` (the server's and base's name + the worker's),
    new and empty; dropped at the end, whoever is still connected."""
    url = make_url(normalize_url(base))
    name = f"{url.database}_{worker}".lower()
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
