"""The job table: claim due jobs with a lease, run them through the one mutation path, retry, raise incidents.

Claiming uses `FOR UPDATE SKIP LOCKED` on PostgreSQL and a conditional update on SQLite (DESIGN.md,
Workers). A lease that expires (a worker died) makes the job claimable again; effects are idempotent
because completing an external task twice is refused by the engine (the task is no longer waiting).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, or_, select, update

from service import clock, db
from service.bpm import statements as sql
from service.bpm.commands import CompleteExternalTask
from service.bpm.jsonutil import loads
from service.bpm.service import WorkflowService
from service.bpm.statements import JOBS
from service.domain.roles import Principal
from service.errors import AlreadyDone, EngineFailure, InvalidTransition, NotFound, StaleVersion
from workers import leases
from workers.handlers import TaskContext, lookup

WORKER = Principal("worker", None, frozenset(), system=True)


def _claimable(now: datetime) -> Any:
    return claimable_at(clock.to_db(now))


def claimable_at(now: Any) -> Any:
    """The jobs claimable at `now` (a stored time, or a bind parameter for it): due, or their lease ran out."""
    return or_(and_(JOBS.c.status == "pending", JOBS.c.due_at <= now),
               and_(JOBS.c.status == "running", JOBS.c.lock_expires_at < now))


def acquire(service: WorkflowService, owner: str, now: datetime, lease: timedelta, limit: int = 20) -> list[Any]:
    """Claim up to `limit` due jobs (or jobs whose lease ran out) for `owner`."""
    return leases.claim(service.engine, JOBS, _claimable(now), lease_values(owner, now, lease), limit)


def lease_values(owner: str, now: datetime, lease: timedelta) -> dict[str, Any]:
    """What a claim writes on a job: running, `owner`'s until the lease runs out."""
    return {"status": "running", "lock_owner": owner, "lock_expires_at": clock.to_db(now + lease),
            "updated_at": clock.to_db(now)}


@dataclass
class RunResult:
    done: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    incidents: list[int] = field(default_factory=list)
    released: list[int] = field(default_factory=list)


def run(service: WorkflowService, job: Any, owner: str, now: datetime, result: RunResult, follow: int = 0) -> None:
    """Run one claimed job; record its outcome on the job row (only while the lease is still ours).

    `follow`: up to that many jobs of the same instance that are due once this one completed (an external task that
    leads straight to another: a record, then its deadline) run right after it, in one batch with it
    (WorkflowService.unit_of_work(batch=True): each completion writes its own version, rows and event, the state is
    written once). When this job fails there, its outcome is recorded as without `follow`; when one of the others
    fails, nothing of the batch is written and this job runs again alone, the others waiting for the next claim."""
    try:
        if follow > 0:
            followed: list[int] = []
            try:
                with service.unit_of_work(batch=True) as conn:
                    run_within(service, job, owner, now, conn)
                    try:
                        followed = follow_within(service, job.instance_id, owner, now, conn, follow)
                    except Exception as exc:
                        raise _FollowerFailed from exc
            except _FollowerFailed:
                pass
            except Exception:
                if not followed:  # this job's own failure
                    raise
                # (writing the state at the batch's end failed after others followed: this job again, alone)
            else:
                result.done += [job.id, *followed]
                return
        with service.unit_of_work() as conn:  # the job's unit of work: the handler's records and the completion
            run_within(service, job, owner, now, conn)
    except AlreadyDone:  # another worker completed it already: the effect happened
        _finish(service, job, owner, now, "done", None)
        result.done.append(job.id)
        return
    except StaleVersion:  # a lost race on the instance: try again at once, without spending a retry
        # (a handler's own refusal — a Conflict such as "no eligible expert" — is a failure like any other below:
        # retried with backoff, then an incident, never an instant retry for ever)
        _finish(service, job, owner, now, "pending", None, due=now)
        result.released.append(job.id)
        return
    except (InvalidTransition, NotFound) as exc:  # the instance was terminated or suspended meanwhile
        suspended = getattr(exc, "state", None) == "suspended"
        _finish(service, job, owner, now, "pending" if suspended else "done", exc.detail,
                due=now + timedelta(seconds=service.settings.worker_poll_seconds))
        result.released.append(job.id)
        return
    except Exception as exc:  # the handler failed (or the engine refused its result): retry, then incident
        message = exc.detail if isinstance(exc, EngineFailure) else f"{type(exc).__name__}: {exc}"
        if job.retries_left > 0:
            backoff = service.settings.job_backoff_seconds * (2 ** job.attempts)
            _finish(service, job, owner, now, "pending", message, due=now + timedelta(seconds=backoff), spent=True)
            result.retried.append(job.id)
        else:
            _finish(service, job, owner, now, "failed", message, spent=True)
            result.incidents.append(job.id)
        return
    result.done.append(job.id)


def run_within(service: WorkflowService, job: Any, owner: str, now: datetime, conn: Connection) -> None:
    """Run one claimed job in the caller's write transaction: its handler, the external task's completion with the
    handler's result, and the job marked done, all in one commit; any failure is the caller's to handle (`run`
    records it on the job)."""
    variables = loads(job.payload) or {}
    output = lookup(job.topic)(_context(service, job, now, conn), dict(variables))
    if not isinstance(output, dict):
        raise TypeError(f"the handler of {job.topic!r} returned {type(output).__name__}, not a dict")
    service.apply(job.instance_id, CompleteExternalTask(job.task_id, output), actor=WORKER, now=now, conn=conn)
    _mark(conn, job, owner, now, "done", None)  # done in the same commit as the completion


_OF_INSTANCE = select(sql.INSTANCES.c.department_id, sql.INSTANCES.c.business_key) \
    .where(sql.INSTANCES.c.id == bindparam("b_id"))


class _FollowerFailed(Exception):
    """A job run after another in its batch failed (`run`'s `follow`): the batch is not written."""


def follow_within(service: WorkflowService, instance_id: str, owner: str, now: datetime, conn: Connection,
                  limit: int) -> list[int]:
    """Claim and run, in `conn`, the instance's jobs due now (also those the ones before made due), one at a time, at
    most `limit`; their ids."""
    params = {"b_instance": instance_id, "b_now": clock.to_db(now)}
    values = lease_values(owner, now, timedelta(seconds=service.settings.worker_lease_seconds))
    done: list[int] = []
    while len(done) < limit:
        claimed = _FOLLOWER(service.engine, params, values, within=conn)
        if not claimed:
            break
        run_within(service, claimed[0], owner, now, conn)
        done.append(claimed[0].id)
    return done


# The next due job of an instance (its id and the time bound by `follow_within`).
_FOLLOWER = leases.Prepared(
    JOBS, and_(JOBS.c.instance_id == bindparam("b_instance"), claimable_at(bindparam("b_now"))), 1)


def _context(service: WorkflowService, job: Any, now: datetime, conn: Connection) -> TaskContext:
    row = conn.execute(_OF_INSTANCE, {"b_id": job.instance_id}).first()
    return TaskContext(service.engine, service.settings, now, job.instance_id, job.task_id, job.topic or "",
                       row.department_id if row else None, row.business_key if row else None, conn)


def _finish(service: WorkflowService, job: Any, owner: str, now: datetime, status: str, error: str | None, *,
            due: datetime | None = None, spent: bool = False) -> None:
    with db.write(service.engine) as conn:
        _mark(conn, job, owner, now, status, error, due=due, spent=spent)


def _mark(conn: Connection, job: Any, owner: str, now: datetime, status: str, error: str | None, *,
          due: datetime | None = None, spent: bool = False) -> None:
    """Record a job's outcome on its row, only while the lease is still `owner`'s."""
    values: dict[str, Any] = {"status": status, "lock_owner": None, "lock_expires_at": None,
                              "updated_at": clock.to_db(now)}
    if error is not None:
        values["last_error"] = error[:4000]
    if due is not None:
        values["due_at"] = clock.to_db(due)
    if spent:
        values["attempts"] = job.attempts + 1
        values["retries_left"] = max(0, job.retries_left - 1)
    columns = tuple(values)
    statement = _MARKS.get(columns)
    if statement is None:  # built once per set of columns (a job's followers are marked thousands of times)
        statement = _MARKS[columns] = update(JOBS).where(
            JOBS.c.id == bindparam("b_id"), JOBS.c.lock_owner == bindparam("b_owner")).values(leases.bound(values))
    conn.execute(statement, {"b_id": job.id, "b_owner": owner, **leases.binding(values)})


_MARKS: dict[tuple[str, ...], Any] = {}
