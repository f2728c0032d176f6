"""Python task handlers: one registered function per camunda:topic of an external service task.

A handler takes a `TaskContext` (which instance, which task, the time, a way to write domain records) and the
task's variables, and returns the variables to put back into the process. The job runner (workers/job_queue.py) owns
the transaction: the handler's records and the completion carrying its result are one commit, or none. Raising
fails the attempt: the job is retried with backoff, then becomes an incident. Jobs are at-least-once (a worker may
die after the commit, before marking the job done), so a handler's writes must be idempotent (keyed by the
project, the instance or the task).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine

from service import db
from service.config import Settings


@dataclass(frozen=True)
class TaskContext:
    engine: Engine
    settings: Settings
    now: datetime
    instance_id: str | None
    task_id: str | None
    topic: str
    department_id: str | None = None
    business_key: str | None = None
    # The job's unit of work: the handler's records commit with the external task's completion, or not at all.
    conn: Connection | None = None

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """Where the handler writes its domain records: the job's transaction (or one of its own without a job)."""
        with db.write(self.engine, within=self.conn) as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with db.read(self.engine, within=self.conn) as conn:
            yield conn


Handler = Callable[[TaskContext, dict[str, Any]], dict[str, Any]]

HANDLERS: dict[str, Handler] = {}


def handler(topic: str) -> Callable[[Handler], Handler]:
    """Register `fn` as the handler of `topic`."""

    def register(fn: Handler) -> Handler:
        HANDLERS[topic] = fn
        return fn

    return register


class NoHandler(LookupError):
    pass


def lookup(topic: str | None) -> Handler:
    _load_builtin()
    try:
        return HANDLERS[topic or ""]
    except KeyError:
        raise NoHandler(f"no handler is registered for topic {topic!r}") from None


def _load_builtin() -> None:
    """Import the product's handlers (workers/tasks/) once, so registering them needs no central list."""
    import workers.tasks  # noqa: F401
