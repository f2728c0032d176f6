"""The only source of "now" in Jixiao.

Everything (API, workers, engine timers, due dates) asks this module for the time. Tests and the
simulator move it with `set_now`/`advance`; replay pins it per command with `frozen_at`.

`jixiao simulate` moves one clock for several processes (its gunicorn workers and `jixiao worker`s): it starts
them with JIXIAO_CLOCK_FILE naming a file that holds an ISO instant, and every such process reads "now" from the
file (again whenever the file changes). Nothing else sets that variable.
"""

from __future__ import annotations

import contextvars
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import overload
from zoneinfo import ZoneInfo

# Deadlines, working days and what people see are in Wuhan's time; storage is UTC (DESIGN.md, Time).
LOCAL = ZoneInfo("Asia/Shanghai")

_lock = threading.Lock()
_offset = timedelta(0)
_fixed: datetime | None = None
_pinned: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("jixiao_now", default=None)
SHARED_ENV = "JIXIAO_CLOCK_FILE"
_shared_path = os.environ.get(SHARED_ENV) or None
_shared: tuple[tuple[int, int], datetime] | None = None  # ((the file's inode, mtime in ns), the instant it holds)


def _shared_now(path: str) -> datetime:
    """The instant in the shared clock file, re-read when the file changed (written atomically by `share`)."""
    global _shared
    st = os.stat(path)
    stamp = (st.st_ino, st.st_mtime_ns)  # `share` replaces the file: a new inode even within one clock tick
    cached = _shared
    if cached is None or cached[0] != stamp:
        with open(path, encoding="ascii") as fh:
            cached = (stamp, datetime.fromisoformat(fh.read().strip()).astimezone(UTC))
        _shared = cached
    return cached[1]


def share(path: str, value: datetime) -> None:
    """Move the shared clock of the processes started with JIXIAO_CLOCK_FILE=`path` (an atomic replace by a new
    file, so readers notice)."""
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="ascii") as fh:
        fh.write(value.astimezone(UTC).isoformat())
    os.replace(tmp, path)


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    pinned = _pinned.get()
    if pinned is not None:
        return pinned
    if _fixed is not None:
        return _fixed
    if _shared_path is not None:
        return _shared_now(_shared_path)
    return datetime.now(UTC) + _offset


def monotonic() -> float:
    """Monotonic seconds, for budgets and durations (never for dates)."""
    return time.monotonic()


def set_now(value: datetime | None) -> None:
    """Freeze the process clock at `value` (None: back to real time)."""
    global _fixed
    with _lock:
        _fixed = value.astimezone(UTC) if value is not None else None


def advance(delta: timedelta) -> datetime:
    """Move the process clock forward (frozen or real) and return the new now."""
    global _fixed, _offset
    with _lock:
        if _fixed is not None:
            _fixed = _fixed + delta
        else:
            _offset = _offset + delta
    return now()


def reset() -> None:
    """Back to real time with no offset."""
    global _fixed, _offset
    with _lock:
        _fixed = None
        _offset = timedelta(0)


@contextmanager
def restoring() -> Iterator[None]:
    """Within the block the process clock may be moved (`set_now`, `advance`); afterwards it is as it was (frozen,
    moved or real)."""
    global _fixed, _offset
    with _lock:
        saved = _fixed, _offset
    try:
        yield
    finally:
        with _lock:
            _fixed, _offset = saved


@contextmanager
def frozen_at(value: datetime) -> Iterator[datetime]:
    """Within the block (this thread/context only), now() is `value`."""
    token = _pinned.set(value.astimezone(UTC))
    try:
        yield value
    finally:
        _pinned.reset(token)


@overload
def to_db(value: datetime) -> datetime: ...
@overload
def to_db(value: None) -> None: ...
def to_db(value: datetime | None) -> datetime | None:
    """Datetimes are stored as naive UTC on every database."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


@overload
def from_db(value: datetime) -> datetime: ...
@overload
def from_db(value: None) -> None: ...
def from_db(value: datetime | None) -> datetime | None:
    """Stored naive UTC back to aware UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_local(value: datetime) -> datetime:
    """A stored or current UTC time as Wuhan's wall-clock time."""
    return value.astimezone(LOCAL)


def local_today(at: datetime | None = None) -> date:
    """Today's date in Wuhan at `at` (default: now)."""
    return to_local(at or now()).date()
