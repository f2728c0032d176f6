"""What the workers guarantee across processes — real OS processes against one database.

1. Two worker processes sweep 1,000 due timers at the same time: each timer fires exactly once, and both
   processes did part of the work (the optimistic lock turns the lost races into Conflicts).
2. A worker killed with SIGKILL while it holds a job's lease loses nothing: once the lease has expired,
   another worker runs the job and the instance gets the result.
(PostgreSQL going away under a running worker: tests/workers/test_runner_pg_restart.py.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from service import clock
from service.queries import instances_queries
from tests.conftest import principal
from tests.workers.proc import RECORDED_DAY, record_day
from workers import handlers, timers
from workers.runner import run_once

ROOT = Path(__file__).resolve().parents[2]
TIMERS = 1000


def _spawn(runtime, mode: str, folder: Path, at) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": runtime.settings.database_url, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "tests.workers.proc", mode, str(folder), at.isoformat()],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(folder: Path, prefix: str, count: int, procs: list[subprocess.Popen], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(list(folder.glob(f"{prefix}-*"))) < count:
        for p in procs:
            if p.poll() is not None:
                raise AssertionError(f"a worker process exited early ({p.returncode}): {p.stderr.read()}")
        assert time.monotonic() < deadline, f"no {prefix} file from the worker process(es) within {timeout:g} s"
        time.sleep(0.02)


def _by_command(runtime, command: str) -> dict[str, int]:
    with runtime.engine.connect() as conn:
        rows = conn.execute(text("SELECT instance_id, COUNT(*) FROM events WHERE command = :c GROUP BY instance_id"),
                            {"c": command})
        return {r[0]: int(r[1]) for r in rows}


def test_two_worker_processes_fire_each_of_1000_timers_exactly_once(runtime, deploy_fixture, frozen_clock,
                                                                    tmp_path):
    deploy_fixture("timer_once.bpmn")
    ids = {runtime.workflows.start("timer_once")["id"] for _ in range(TIMERS)}
    later = frozen_clock + timedelta(hours=1, minutes=1)
    assert len(timers.due_instances(runtime.workflows, later, limit=2 * TIMERS)) == TIMERS

    workers = [_spawn(runtime, "timers", tmp_path, later) for _ in range(2)]
    try:
        _wait_for(tmp_path, "ready", 2, workers)
        (tmp_path / "go").touch()
        outputs = [p.communicate(timeout=120) for p in workers]
    finally:
        for p in workers:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert [p.returncode for p in workers] == [0, 0], [err for _, err in outputs]
    summaries = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]

    fired = _by_command(runtime, "fire_timers")
    assert set(fired) == ids and set(fired.values()) == {1}  # every timer fired, none twice
    with runtime.engine.connect() as conn:
        statuses = dict(conn.execute(text("SELECT status, COUNT(*) FROM instances GROUP BY status")).all())
    assert statuses == {"completed": TIMERS}
    assert sum(s["fired"] for s in summaries) == TIMERS
    assert all(s["fired"] > 0 for s in summaries), summaries  # both processes did some of the work
    assert timers.due_instances(runtime.workflows, later) == []


def test_a_worker_killed_mid_job_loses_nothing(runtime, deploy_fixture, frozen_clock, tmp_path, monkeypatch):
    deploy_fixture("external.bpmn")
    iid = runtime.workflows.start("external", {"amount": 3}, actor=principal("staff_a"))["id"]
    worker = _spawn(runtime, "block", tmp_path, frozen_clock)
    try:
        _wait_for(tmp_path, "ready", 1, [worker])
        (tmp_path / "go").touch()
        _wait_for(tmp_path, "holding", 1, [worker])  # the handler runs: the job is leased to that process
        with runtime.engine.connect() as conn:
            job = conn.execute(text("SELECT status, lock_owner, lock_expires_at FROM jobs")).one()
        assert job.status == "running" and job.lock_owner == f"block-{worker.pid}"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == -signal.SIGKILL

    monkeypatch.setitem(handlers.HANDLERS, "test-score", lambda ctx, variables: {"score": variables["amount"] * 10})
    assert run_once(runtime, "w2").jobs.done == []  # the dead worker's lease still holds
    clock.advance(timedelta(seconds=runtime.settings.worker_lease_seconds + 1))
    assert len(run_once(runtime, "w2").jobs.done) == 1
    with runtime.engine.connect() as conn:
        job = conn.execute(text("SELECT status, lock_owner, attempts FROM jobs")).one()
    assert (job.status, job.lock_owner, job.attempts) == ("done", None, 0)
    with runtime.reading() as conn:
        assert instances_queries.get(conn, iid)["data"]["score"] == 30
    assert _by_command(runtime, "complete_external_task") == {iid: 1}
    assert run_once(runtime, "w2").jobs.done == []  # nothing runs twice



def test_a_worker_killed_between_a_handlers_record_and_the_completion_leaves_neither(runtime, deploy_fixture,
                                                                                     frozen_clock, tmp_path,
                                                                                     monkeypatch):
    """The handler's record and the external task's completion are one commit: killed between the two, the
    worker leaves neither; the next worker (after the lease) writes both, once."""
    deploy_fixture("external.bpmn")
    iid = runtime.workflows.start("external", {"amount": 4}, actor=principal("staff_a"))["id"]
    worker = _spawn(runtime, "record", tmp_path, frozen_clock)
    try:
        _wait_for(tmp_path, "ready", 1, [worker])
        (tmp_path / "go").touch()
        worker.wait(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    try:
        assert worker.returncode == -signal.SIGKILL  # it died inside the mutation path, after the handler wrote
        assert _recorded_days(runtime) == 0
        assert _by_command(runtime, "complete_external_task") == {}
        with runtime.reading() as conn:
            assert "score" not in instances_queries.get(conn, iid)["data"]

        monkeypatch.setitem(handlers.HANDLERS, "test-score", record_day)
        clock.advance(timedelta(seconds=runtime.settings.worker_lease_seconds + 1))
        assert len(run_once(runtime, "w2").jobs.done) == 1
        assert _recorded_days(runtime) == 1
        assert _by_command(runtime, "complete_external_task") == {iid: 1}
        with runtime.reading() as conn:
            assert instances_queries.get(conn, iid)["data"]["score"] == 40
    finally:
        with runtime.engine.begin() as conn:
            conn.execute(text("DELETE FROM calendar_days WHERE day = :d"), {"d": RECORDED_DAY})


def _recorded_days(runtime) -> int:
    with runtime.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM calendar_days WHERE day = :d"), {"d": RECORDED_DAY}).scalar_one()
