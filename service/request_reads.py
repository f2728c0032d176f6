"""One read transaction for a whole GET request: the sign-in check and the view's reads share it.

A GET or HEAD request only shows. Its first `Runtime.reading()` opens a read transaction that every later one in
the same request joins — the bearer token or session lookup, the view, the helpers it calls — and the request's
teardown closes it. The request is then one unit of work, as it is for a view that writes, and pays for one
connection, BEGIN and COMMIT instead of one per helper.

Writes never join it: when anything in a GET request opens a write transaction of its own (`db.write`, which
`Runtime.unit_of_work()` and the workflow service use), the shared read is retired first, so reads after the write
open their own transaction and see it (on SQLite a read transaction keeps the snapshot of its first read). Other
methods (POST, PUT, …) read and write as before.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_request_context, request
from sqlalchemy import Connection, Engine

from service import db

_OPEN = "jixiao_request_read"
_RETIRED = "jixiao_request_read_retired"
_SHOWING = frozenset({"GET", "HEAD"})


def shared(engine: Engine) -> Connection | None:
    """The request's shared read connection (opened on first use), or None outside a GET request."""
    if not has_request_context() or request.method not in _SHOWING or g.get(_RETIRED):
        return None
    opened: tuple[Engine, Connection] | None = g.get(_OPEN)
    if opened is None:
        conn = engine.connect()
        conn.begin()
        opened = (engine, conn)
        setattr(g, _OPEN, opened)
    return opened[1] if opened[0] is engine else None


def retire() -> None:
    """A write is about to begin: later reads of this request open their own transaction. The shared one stays open
    (a caller may still hold it) until the request ends."""
    if has_request_context():
        setattr(g, _RETIRED, True)


def _close(error: BaseException | None) -> None:
    opened: tuple[Engine, Connection] | None = g.pop(_OPEN, None)
    if opened is None:
        return
    conn = opened[1]
    try:
        transaction: Any = conn.get_transaction()
        if transaction is not None and transaction.is_active:
            (transaction.rollback if error is not None else transaction.commit)()
    finally:
        conn.close()


def install(app: Flask) -> None:
    """Close each request's shared read when the request ends (also after an error); retire it before a write."""
    app.teardown_request(_close)
    if retire not in db.BEFORE_WRITE:
        db.BEFORE_WRITE.append(retire)
