"""Putting the test database back between tests: the process tables emptied, or filled from a snapshot.

People (departments, users, roles, tokens) live for the whole session: hashing passwords is slow on purpose.
Every other table is emptied before each test (`wipe`): one DELETE per table, children first, which took
10-35 ms on SQLite and 50-120 ms on PostgreSQL on this machine, where one TRUNCATE of the 44 tables took
1.0-1.7 s (it replaces every table's files) and is not used.

A state that many tests build the same way (the real workflows deployed, the rules, calendar and libraries
seeded: the `cycle` fixture) is built once per session and kept as a `Snapshot` of its rows; the next test
that asks for it gets the rows copied back in instead of seeding and deploying again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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
    with engine.begin() as conn, bypassed_audit_guard(conn):
        _empty(conn)


def _empty(conn: Connection) -> None:
    for table in reversed(process_tables()):
        conn.execute(table.delete())


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

    def restore(self, engine: Engine) -> None:
        """Empty the process tables and write the snapshot's rows back, in one transaction."""
        with engine.begin() as conn, bypassed_audit_guard(conn):
            _empty(conn)
            for table in process_tables():
                if self.rows[table.name]:
                    conn.execute(insert(table), self.rows[table.name])


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
