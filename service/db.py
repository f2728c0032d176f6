"""Database engines and the one place where a write transaction begins and ends."""

from __future__ import annotations

import fcntl
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
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
    """Create an engine; SQLite gets WAL, a busy timeout, BEGIN IMMEDIATE for writes and, for a database in a file,
    writers' turns (`_WriterTurn`)."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_hooks(engine)
        if "///" in url and path and path != ":memory:":
            lock_path = os.path.abspath(path) + "-writer"
            _TURNS[engine] = _BY_PATH.setdefault(lock_path, _WriterTurn(lock_path))
        return engine
    # PostgreSQL compiles a query whose estimated cost passes jit_above_cost: the reports' per-project subqueries pass
    # it at a few thousand projects, and the coverage summary then spent 40 ms compiling for 30 ms of work. The
    # service's queries are short: its connections run without JIT (a URL that sets `options` itself keeps its own).
    options = {} if "options=" in url else {"connect_args": {"options": "-c jit=off"}}
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, **options)


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
    turn = _TURNS.get(engine)
    with engine.connect() as conn, turn() if turn is not None else nullcontext():
        conn = conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


class _WriterTurn:
    """SQLite's writers in turn, woken as soon as the writer before them ends.

    SQLite lets one write transaction run at a time. A writer that finds another's lock sleeps in its busy handler
    for 1, 2, 5, 10, 20 … ms and tries again: under load a commit waits in such sleeps while the database is free
    and the processor idles (on `make run`'s server, two gunicorn processes: p90 46 ms per cycle, 8 % of the workers'
    samples in BEGIN IMMEDIATE). Here a writer first takes a lock on the file beside the database (`…-writer`):
    the threads of one process in turn on a thread lock (with the busy timeout's 30 s as its limit), the processes
    on `flock`, which the kernel hands to the next waiter the moment it is released. A writer outside `write()`
    (the migrations) still meets the busy handler, as before."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.threads = threading.Lock()
        self.holder: int | None = None  # the thread holding the turn
        self.fd: int | None = None  # its descriptor of the lock file

    def reset(self) -> None:
        """Free: a forked child's copy. The thread that held the turn in the parent is not in the child, and the
        child closes its copy of that thread's descriptor, or the parent's flock would outlive the parent's turn."""
        if self.fd is not None:
            os.close(self.fd)
        self.threads, self.holder, self.fd = threading.Lock(), None, None

    @contextmanager
    def __call__(self) -> Iterator[None]:
        me = threading.get_ident()
        if self.holder == me:  # a second write of the same thread (another connection): SQLite's own lock decides
            yield
            return
        if not self.threads.acquire(timeout=30):
            raise TimeoutError("another write of this process held the database for 30 s")
        try:
            self.fd = fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)  # per turn, closed on exec (PEP 446)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                self.holder = me
                try:
                    yield
                finally:
                    self.holder = None
            finally:
                os.close(fd)  # releases the flock
                self.fd = None
        finally:
            self.threads.release()


_BY_PATH: dict[str, _WriterTurn] = {}  # one per database file: every engine on it takes the same turns
_TURNS: weakref.WeakKeyDictionary[Engine, _WriterTurn] = weakref.WeakKeyDictionary()


def _reset_turns() -> None:
    for turn in _BY_PATH.values():
        turn.reset()


os.register_at_fork(after_in_child=_reset_turns)


@contextmanager
def read(engine: Engine, within: Connection | None = None) -> Iterator[Connection]:
    """A short read; never writes. `within` is a caller's open transaction to read in (seeing its own writes)."""
    if within is not None:
        yield within
        return
    with engine.connect() as conn, conn.begin():
        yield conn


def run_for_dialect(conn: Connection, statements: dict[str, list[str]]) -> None:
    """Run the statements written for the connection's dialect (DDL that differs per database: triggers and their
    functions); none for another dialect."""
    for statement in statements.get(conn.dialect.name, []):
        conn.exec_driver_sql(statement)


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
