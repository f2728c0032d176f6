"""Route SpiffWorkflow's timers through the service clock, installed at start-up, never at import.

SpiffWorkflow's timer module reads `datetime.now(timezone.utc)` through its module-level `datetime` name
(SPIFFWORKFLOW.md §14): replacing that name with a subclass whose `now()` asks `service.clock` moves both
the anchoring of durations and the firing. The replacement is process-wide, so it is an explicit step of
start-up: `Runtime.build` (which every process that runs the engine goes through — the app factory, the
worker, the CLI, the benches and the test fixtures) and, to say so where a process starts, `create_app`
and the worker call `install()`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module

from service import clock


class ClockDatetime(datetime):
    """`datetime` whose now() is the service clock's (aware in `tz`, naive UTC without one)."""

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        current = clock.now()
        return current.astimezone(tz) if tz is not None else current.replace(tzinfo=None)


def install() -> None:
    """Route SpiffWorkflow's timers through the service clock; installing twice changes nothing."""
    _timer_module.datetime = ClockDatetime


def installed() -> bool:
    """Whether SpiffWorkflow's timers read the service clock."""
    return _timer_module.datetime is ClockDatetime
