"""A gunicorn configuration file for tests/service/test_web_server_kill.py only: it can hold one write of the mutation path.

    gunicorn -c tests/service/gunicorn_pause.py 'service:create_app()'   (with JIXIAO_PAUSE_DIR set)

Production loads no file from tests/ (and `make run` names none), so the pause cannot be switched on there by
accident; nothing in service/ knows of it. In each worker process (gunicorn's post_fork hook) it wraps
service.db.write: a write transaction that appended an audit event (so a command of the one mutation path, not
a token check) looks for a file `pause-before-commit` or `pause-after-commit` in $JIXIAO_PAUSE_DIR. The first
transaction to claim the file (an atomic rename to `paused-<stage>-<pid>`, so exactly one) then sleeps at that
point — everything written but not committed, or committed but not yet answered — for the test to SIGKILL
that worker, whose pid the file name gives.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_EVENT_WRITTEN = "jixiao_test_event_written"


def _claim(stage: str) -> bool:
    folder = Path(os.environ["JIXIAO_PAUSE_DIR"])
    try:
        os.rename(folder / f"pause-{stage}", folder / f"paused-{stage}-{os.getpid()}")
    except FileNotFoundError:
        return False
    return True


def post_fork(server: Any, worker: Any) -> None:
    """Wrap service.db.write in this worker (the engine's service calls it as db.write at each command)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from service import db

    @event.listens_for(Engine, "after_cursor_execute")
    def _note_events(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO EVENTS"):
            conn.info[_EVENT_WRITTEN] = True

    original = db.write

    @contextmanager
    def write(engine: Any, within: Any = None) -> Iterator[Any]:
        if within is not None:  # a caller's transaction: the caller commits (and is not a request's command)
            with original(engine, within) as conn:
                yield conn
            return
        with original(engine) as conn:
            yield conn
            command = conn.info.pop(_EVENT_WRITTEN, False)
            if command and _claim("before-commit"):
                time.sleep(300)
        if command and _claim("after-commit"):
            time.sleep(300)

    db.write = write
