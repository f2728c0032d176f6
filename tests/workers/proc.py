"""A worker process for tests/workers/test_runner_processes.py: `python -m tests.workers.proc MODE DIR NOW`.

It builds a Runtime from DATABASE_URL, freezes the service clock at NOW (ISO-8601), writes DIR/ready-<pid>,
waits for DIR/go, then:
  timers — calls run_once until no timer is due any more; prints a JSON summary of what it did.
  block  — registers a "test-score" handler that writes DIR/holding-<pid> and then sleeps forever (the test
           kills the process with SIGKILL while it holds the job's lease).
  record — registers a "test-score" handler that writes a record (a calendar day, RECORDED_DAY) through its
           context, and dies by SIGKILL the moment the mutation path begins to complete the external task: after
           the handler's write, before the completion's commit.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import insert

from service import clock
from service.bpm.service import WorkflowService
from service.config import Settings
from service.models import CalendarDay
from service.runtime import Runtime
from workers import handlers, timers
from workers.runner import run_once

RECORDED_DAY = date(2099, 1, 1)


def record_day(ctx: handlers.TaskContext, variables: dict) -> dict:
    """A handler with a record of its own: the day it writes and the score it returns go together."""
    with ctx.write() as conn:
        conn.execute(insert(CalendarDay.__table__).values(day=RECORDED_DAY, kind="holiday", name="test",
                                                          source="local practice: a test record"))
    return {"score": variables["amount"] * 10}


def main(mode: str, folder: str, at: str) -> int:
    here = Path(folder)
    now = datetime.fromisoformat(at)
    clock.set_now(now)
    rt = Runtime.build(Settings.from_env())
    owner = f"{mode}-{os.getpid()}"
    if mode == "block":
        def hold(_ctx, _variables: dict) -> dict:
            (here / f"holding-{os.getpid()}").write_text(owner)
            while True:
                time.sleep(60)

        handlers.HANDLERS["test-score"] = hold
    if mode == "record":
        def die(*_args: object, **_kwargs: object) -> None:
            os.kill(os.getpid(), signal.SIGKILL)

        handlers.HANDLERS["test-score"] = record_day
        WorkflowService._apply = die  # type: ignore[method-assign]
    (here / f"ready-{os.getpid()}").write_text(owner)
    deadline = time.monotonic() + 60
    while not (here / "go").exists():
        if time.monotonic() > deadline:
            return 2
        time.sleep(0.01)
    fired, conflicts, passes = 0, 0, 0
    while True:
        result = run_once(rt, owner, now=now, batch=20)
        passes += 1
        fired += len(result.timers.fired)
        conflicts += len(result.timers.conflicts)
        if not timers.due_instances(rt.workflows, now, limit=1):
            break
    print(json.dumps({"owner": owner, "fired": fired, "conflicts": conflicts, "passes": passes}))
    rt.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
