"""One worker pass (fire due timers, run due jobs) and the worker process that repeats it (APScheduler 3)."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from service import clock
from service.runtime import Runtime
from workers import jobs, notify, timers

log = logging.getLogger("jixiao.worker")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class PassResult:
    timers: timers.SweepResult
    jobs: jobs.RunResult
    notifications: notify.DeliveryResult


def run_once(rt: Runtime, owner: str, now: datetime | None = None, batch: int = 50) -> PassResult:
    """Fire due timers, run due jobs, then deliver due mails, until none is left (each its own unit of work)."""
    now = now or clock.now()
    swept = timers.fire_due(rt.workflows, now)
    result = jobs.RunResult()
    lease = timedelta(seconds=rt.settings.worker_lease_seconds)
    while True:
        claimed = jobs.acquire(rt.workflows, owner, now, lease, batch)
        if not claimed:
            break
        for job in claimed:
            jobs.run(rt.workflows, job, owner, now, result)
        if len(claimed) < batch:
            break
    return PassResult(swept, result, notify.deliver_due(rt, owner, now, batch))


def serve(rt: Runtime) -> None:
    """The worker process: an APScheduler clock that runs a pass every WORKER_POLL_SECONDS."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    owner = worker_name()
    scheduler = BlockingScheduler(timezone="UTC")

    def tick() -> None:
        try:
            outcome = run_once(rt, owner)
        except Exception:  # a database restart, say: log it, the next tick tries again
            log.exception("worker pass failed")
            return
        fired, done = len(outcome.timers.fired), len(outcome.jobs.done)
        if fired or done or outcome.jobs.incidents:
            log.info("fired %d timer(s), ran %d job(s), %d incident(s)", fired, done, len(outcome.jobs.incidents))

    scheduler.add_job(tick, "interval", seconds=rt.settings.worker_poll_seconds, id="jixiao-pass",
                      max_instances=1, coalesce=True, next_run_time=clock.now())
    log.info("worker %s polling every %.1f s", owner, rt.settings.worker_poll_seconds)
    scheduler.start()
