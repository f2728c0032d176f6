"""Python task handlers: one registered function per camunda:topic of an external service task.

A handler takes the task's variables (a dict) and returns the variables to put back into the process.
Raising fails the attempt: the job is retried with backoff, then becomes an incident.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any]], dict[str, Any]]

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
    try:
        return HANDLERS[topic or ""]
    except KeyError:
        raise NoHandler(f"no handler is registered for topic {topic!r}") from None
