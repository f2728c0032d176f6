"""One worker pass (fire due timers, run due jobs) and the worker process that repeats it and runs the calendar
jobs on their cron schedules (APScheduler 3)."""

from __future__ import annotations

import logging
import os
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from service import clock, logging_setup
from service.bpm import engine_clock
from service.runtime import Runtime
from workers import calendar_jobs, job_queue, nightly_verify, notify, timers

if TYPE_CHECKING:
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

log = logging.getLogger("jixiao.worker")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class PassResult:
    timers: timers.SweepResult
    jobs: job_queue.RunResult
    notifications: notify.DeliveryResult


# Jobs of an instance due once a job of it completed (a record, then its deadline) run in one batch with it
# (workers/job_queue.py `run`): one transaction and one write of the instance's state instead of one each.
FOLLOW = 10


def run_once(rt: Runtime, owner: str, now: datetime | None = None, batch: int = 50) -> PassResult:
    """Fire due timers, run due jobs, then deliver due mails, until none is left (each its own unit of work)."""
    now = now or clock.now()
    swept = timers.fire_due(rt.workflows, now)
    result = job_queue.RunResult()
    lease = timedelta(seconds=rt.settings.worker_lease_seconds)
    while True:
        claimed = job_queue.acquire(rt.workflows, owner, now, lease, batch)
        if not claimed:
            break
        for job in claimed:
            job_queue.run(rt.workflows, job, owner, now, result, follow=FOLLOW)
        if len(claimed) < batch:
            break
    return PassResult(swept, result, notify.deliver_due(rt, owner, now, batch))


_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _day_of_week(field: str) -> str:
    """Crontab weekday numbers (0 or 7 = Sunday) as day names: APScheduler 3 numbers days from Monday, so its
    from_crontab would run "1-5" from Tuesday to Saturday (agronholm/apscheduler#286, fixed only in 4.x)."""
    days: list[str] = []
    for item in field.split(","):
        span, _, step = item.partition("/")
        if span == "*" and not step:
            return "*"
        if span == "*":
            low, high = 0, 6
        elif re.fullmatch(r"\d+(-\d+)?", span):
            first, _, last = span.partition("-")
            low, high = int(first), int(last or first)
        else:  # names (mon-fri, sun) mean the same to both
            days.append(item)
            continue
        if not low <= high <= 7:
            raise ValueError(f"invalid day of week {item!r} in a crontab line")
        days += [_CRON_DAYS[d] for d in range(low, high + 1, int(step or 1))]
    return ",".join(dict.fromkeys(days))


def cron_trigger(crontab: str, timezone: str) -> CronTrigger:
    """A standard five-field crontab line ("minute hour day month weekday") in `timezone`."""
    from apscheduler.triggers.cron import CronTrigger

    fields = crontab.split()
    if len(fields) != 5:
        raise ValueError(f"a crontab line has five fields, not {len(fields)}: {crontab!r}")
    minute, hour, day, month, weekday = fields
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=_day_of_week(weekday),
                       timezone=timezone)


def _calendar_job(rt: Runtime, name: str, job: Callable[[Runtime, datetime], Any]) -> Callable[[], None]:
    def run() -> None:
        try:
            job(rt, clock.now())
        except Exception:  # a database restart, say: log it; the job is idempotent and runs again on schedule
            log.exception("calendar job %s failed", name)

    return run


def build_scheduler(rt: Runtime) -> BlockingScheduler:
    """The worker's APScheduler clock: a pass every WORKER_POLL_SECONDS, plus the calendar jobs' cron schedules.

    Each calendar job (workers/calendar_jobs.py) also runs once when the worker starts, so a worker that was
    down at the scheduled time catches up; they are idempotent, so several workers may all run them. The nightly
    verification (workers/nightly_verify.py) runs on its schedule only, once a day whatever the workers.
    """
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

    # APScheduler keeps real time (a moved service clock — `jixiao simulate`'s — would put the first run months away)
    start = datetime.now(UTC)
    scheduler.add_job(tick, "interval", seconds=rt.settings.worker_poll_seconds, id="jixiao-pass", name="jixiao-pass",
                      max_instances=1, coalesce=True, next_run_time=start)
    calendar = (("jixiao-reminders", rt.settings.cron_daily, calendar_jobs.daily_reminders),
                ("jixiao-cycle-launch", rt.settings.cron_launch, calendar_jobs.launch_cycles),
                ("jixiao-checkpoints", rt.settings.cron_checkpoints, calendar_jobs.issue_checkpoints),
                ("jixiao-coverage-review", rt.settings.cron_coverage_review, calendar_jobs.review_coverage),
                ("jixiao-performance-reports", rt.settings.cron_reports, calendar_jobs.launch_reports))
    for job_id, crontab, job in calendar:
        if crontab.strip().lower() == "off":
            continue
        scheduler.add_job(_calendar_job(rt, job_id, job), cron_trigger(crontab, rt.settings.cron_timezone),
                          id=job_id, name=job_id, max_instances=1, coalesce=True, misfire_grace_time=3600,
                          next_run_time=start)
    if rt.settings.cron_verify.strip().lower() != "off":
        # Not also at the worker's start, unlike the others: each night's run checks every history, so a missed
        # night costs nothing the next one does not catch, and a full verification is no work for the daytime.
        scheduler.add_job(_calendar_job(rt, "jixiao-verify", nightly_verify.nightly_verify),
                          cron_trigger(rt.settings.cron_verify, rt.settings.cron_timezone), id="jixiao-verify",
                          name="jixiao-verify", max_instances=1, coalesce=True, misfire_grace_time=3600)
    return scheduler


def configure_logging() -> None:
    """The worker's console: what each pass did at INFO; the engine's per-task lines only with JIXIAO_ENGINE_LOG."""

    logging_setup.console(logging.INFO)
    # APScheduler logs every job it adds and every 5-second pass at INFO; the worker logs its schedule and what
    # a pass did itself.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.scheduler").setLevel(logging.WARNING)


def serve(rt: Runtime) -> None:
    """The worker process: an APScheduler clock that runs a pass every WORKER_POLL_SECONDS and the calendar jobs."""
    configure_logging()
    engine_clock.install()  # the timers this worker fires are due by the service clock
    scheduler = build_scheduler(rt)
    log.info("worker %s polling every %.1f s; calendar jobs: %s", worker_name(), rt.settings.worker_poll_seconds,
             ", ".join(j.id for j in scheduler.get_jobs() if j.id != "jixiao-pass") or "none")
    scheduler.start()
