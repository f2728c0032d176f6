"""The demo driver's batches (Demo.batch): a command and the jobs it leads to in one transaction, the state written
once; a job that fails there is done again as the worker does it, one transaction each, retried with backoff."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from service.bpm import statements as sql
from service.bpm.replay import replay
from service.demo.demo_driver import Demo
from service.errors import InvalidInput
from tests.conftest import principal
from workers import handlers


def _start(runtime, conn):
    return str(runtime.workflows.start("external", {"amount": 3}, actor=principal("staff_a"), conn=conn)["id"])


def _instances_and_jobs(runtime):
    with runtime.reading() as conn:
        count = conn.execute(select(func.count()).select_from(sql.INSTANCES)).scalar_one()
        jobs = conn.execute(select(sql.JOBS.c.status, sql.JOBS.c.attempts, sql.JOBS.c.last_error)).all()
    return count, [tuple(j) for j in jobs]


def test_a_command_and_its_job_run_as_one_batch(runtime, deploy_fixture, frozen_clock, monkeypatch):
    deploy_fixture("external.bpmn")
    monkeypatch.setitem(handlers.HANDLERS, "test-score", lambda _ctx, variables: {"score": 64})
    iid = Demo(runtime, print).batch(lambda conn: _start(runtime, conn))
    assert _instances_and_jobs(runtime) == (1, [("done", 0, None)])
    with runtime.reading() as conn:
        row = conn.execute(select(sql.INSTANCES.c.lock_version, sql.INSTANCES.c.data)
                           .where(sql.INSTANCES.c.id == iid)).one()
    assert row.lock_version == 2 and json.loads(row.data)["score"] == 64
    assert replay(runtime.engine, runtime.specs, runtime.settings, iid).ok


def test_a_failing_job_is_done_again_one_command_at_a_time_and_retried_as_the_worker_does(
        runtime, deploy_fixture, frozen_clock, monkeypatch):
    deploy_fixture("external.bpmn")

    def broken(_ctx, _variables):
        raise RuntimeError("the agency's system is down")

    monkeypatch.setitem(handlers.HANDLERS, "test-score", broken)
    iid = Demo(runtime, print).batch(lambda conn: _start(runtime, conn))
    # The batch's start was rolled back with it and done again alone: one instance, its job failed once, to be retried.
    assert _instances_and_jobs(runtime) == (1, [("pending", 1, "RuntimeError: the agency's system is down")])
    assert replay(runtime.engine, runtime.specs, runtime.settings, iid).ok


def test_a_refused_first_command_raises_as_it_is_and_writes_nothing(runtime, deploy_fixture, frozen_clock):
    deploy_fixture("external.bpmn")

    def refused(conn):
        _start(runtime, conn)
        raise InvalidInput("the form has 1 error(s)")

    with pytest.raises(InvalidInput):
        Demo(runtime, print).batch(refused)
    assert _instances_and_jobs(runtime) == (0, [])
