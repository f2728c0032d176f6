"""Database engines and the one place where a write transaction begins and ends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, CursorResult, Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite

_WRITE = "jixiao_write"

# Run before a write transaction of its own begins: the web app retires a GET request's shared read here, so that
# the request's later reads see the write (service/request_reads.py).
BEFORE_WRITE: list[Callable[[], None]] = []


def normalize_url(url: str) -> str:
    """Route plain postgresql:// URLs to psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE for writes."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_hooks(engine)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Take transaction control from pysqlite so that we choose BEGIN vs BEGIN IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred BEGIN that reads then writes fails with "database is locked" under load
        # (DESIGN.md, verified performance facts); writers take the lock up front.
        # Straight to the driver: SQLAlchemy's statement machinery (events, contexts, results) costs more than the
        # BEGIN itself, twice per command and once per request.
        driver: Any = conn.connection.driver_connection
        driver.execute("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


@contextmanager
def write(engine: Engine, within: Connection | None = None) -> Iterator[Connection]:
    """One short write transaction: commit on success, roll back on any exception. `within` is a caller's open
    write transaction (its entry point's unit of work): the writes join it, and the caller commits or rolls back."""
    if within is not None:
        yield within
        return
    for hook in BEFORE_WRITE:
        hook()
    with engine.connect() as conn:
        conn = conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


@contextmanager
def read(engine: Engine, within: Connection | None = None) -> Iterator[Connection]:
    """A short read; never writes. `within` is a caller's open transaction to read in (seeing its own writes)."""
    if within is not None:
        yield within
        return
    with engine.connect() as conn, conn.begin():
        yield conn


def inserted_id(result: CursorResult[Any]) -> int:
    """The integer primary key an INSERT of one row gave it."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the statement inserted no row")
    return int(key[0])


def insert_new(conn: Connection, table: Any, values: dict[str, Any], unique: list[str]) -> bool:
    """Insert the row unless one with the same `unique` columns exists (ON CONFLICT DO NOTHING on both databases):
    True when this call inserted it — the idempotent insert of jobs run at least once, and of claims two workers race
    for."""
    if conn.dialect.name == "postgresql":
        stmt: Any = postgresql.insert(table).values(**values).on_conflict_do_nothing(index_elements=unique)
    else:
        stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing(index_elements=unique)
    return conn.execute(stmt.returning(table.c.id)).first() is not None
