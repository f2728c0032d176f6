"""Jobs per second through the full path, with one and with two worker processes on PostgreSQL.

A fresh database `jixiao_bench_jobs` on the local PostgreSQL (dropped at the end, also on an error), migrated by
Alembic; bench/jobs.bpmn deployed (start → external service task, topic `bench.echo` → end). Per round, JOBS
instances are started (each leaves one due job); then the worker processes (`python -m bench.jobs worker DIR`:
the real worker pass, workers.runner.run_once, with a registered `bench.echo` handler) wait at a start line,
and the time from "go" to the last job done is measured. Each job is the full path: claimed with a lease
(FOR UPDATE SKIP LOCKED), its handler run, the result applied as CompleteExternalTask through the one mutation
path (load the workflow, run the engine, write the instance, its events and the job row), the lease released.
Afterwards every job is checked done and every instance completed by exactly one completion event.
Without a reachable PostgreSQL the part is skipped.

    .venv/bin/python -m bench.run --only jobs
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.inbox import ADMIN_URL, Skipped, _admin, _database_url
from bench.run import ROOT, _bin

HERE = Path(__file__).resolve().parent
BPMN = HERE / "jobs.bpmn"
PROCESS = "bench_jobs"
TOPIC = "bench.echo"
DATABASE = "jixiao_bench_jobs"
JOBS = 1000  # per round
BATCH = 10  # jobs claimed per acquisition (workers.runner.run_once)
ROUNDS = (1, 2, 1, 2)  # worker processes per round; each count twice, the better one reported (a busy machine)


@dataclass
class Round:
    workers: int
    start_seconds: float = 0.0  # starting the JOBS instances (in this process), for scale
    seconds: float = 0.0  # go → the last job done
    done: list[int] = field(default_factory=list)  # jobs per worker process
    cpu: float = 0.0  # CPU seconds the worker processes used, go → exit

    @property
    def per_second(self) -> float:
        return JOBS / self.seconds if self.seconds else 0.0


@dataclass
class JobsResult:
    server_version: str = ""
    rounds: list[Round] = field(default_factory=list)
    load_before: float = 0.0


# --- the worker process -----------------------------------------------------------------------------


def worker(folder: str) -> int:
    """One worker process: warm up, wait for DIR/go, run worker passes until no job is left; print a summary."""
    from sqlalchemy import func, select

    from service import db
    from service.bpm.service import INSTANCES
    from service.config import Settings
    from service.runtime import Runtime
    from workers import handlers
    from workers.job_queue import JOBS
    from workers.runner import run_once

    here = Path(folder)
    handlers.HANDLERS[TOPIC] = lambda _ctx, variables: {"echoed": variables.get("n")}
    rt = Runtime.build(Settings.from_env())
    owner = f"bench-{os.getpid()}"
    with db.read(rt.engine) as conn:  # the spec cache and a pooled connection are ready before the clock starts
        version = conn.execute(select(INSTANCES.c.version_hash).limit(1)).scalar_one()
    rt.specs.get(version)
    handlers.lookup(TOPIC)  # imports the product's handlers (workers/tasks/) now, not during the first job
    (here / f"ready-{os.getpid()}").touch()
    deadline = time.monotonic() + 120
    while not (here / "go").exists():
        if time.monotonic() > deadline:
            return 2
        time.sleep(0.005)
    done, incidents, last, cpu = 0, 0, time.monotonic(), time.process_time()
    while True:
        outcome = run_once(rt, owner, batch=BATCH).jobs
        done += len(outcome.done)
        incidents += len(outcome.incidents)
        if outcome.done:
            last = time.monotonic()
        if not (outcome.done or outcome.released or outcome.retried):
            with db.read(rt.engine) as conn:  # nothing claimable: finished, or the other worker holds the rest
                pending = select(func.count()).select_from(JOBS).where(JOBS.c.status == "pending")
                if conn.execute(pending).scalar_one() == 0:
                    break
    cpu = time.process_time() - cpu
    rt.close()
    print(json.dumps({"owner": owner, "done": done, "incidents": incidents, "last": last, "cpu": cpu}))
    return 0


# --- the run ----------------------------------------------------------------------------------------


def _start_instances(rt: Any, n: int) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        rt.workflows.start(PROCESS, {"n": i})
    return time.perf_counter() - t0


def _round(rt: Any, url: str, tmp: Path, workers: int, number: int, log: Any) -> Round:
    from sqlalchemy import text

    result = Round(workers)
    result.start_seconds = _start_instances(rt, JOBS)
    folder = tmp / f"jobs-{number}"
    folder.mkdir()
    env = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    procs = [subprocess.Popen([sys.executable, "-m", "bench.jobs", "worker", str(folder)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(workers)]
    try:
        deadline = time.monotonic() + 120
        while len(list(folder.glob("ready-*"))) < workers:
            for p in procs:
                if p.poll() is not None:
                    told = p.stderr.read() if p.stderr else ""
                    raise RuntimeError(f"jobs: a worker exited early ({p.returncode}): {told[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError("jobs: the workers did not get ready within 120 s")
            time.sleep(0.01)
        go = time.monotonic()
        (folder / "go").touch()
        outputs = [p.communicate(timeout=600) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    if any(p.returncode for p in procs):
        raise RuntimeError("jobs: a worker failed: " + " | ".join(err[-2000:] for _, err in outputs))
    summaries = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    result.done = [s["done"] for s in summaries]
    result.seconds = max(s["last"] for s in summaries) - go
    result.cpu = sum(s["cpu"] for s in summaries)
    total = JOBS * number  # the tables keep earlier rounds (the event log is append-only)
    with rt.engine.connect() as conn:
        jobs = dict(conn.execute(text("SELECT status, COUNT(*) FROM jobs GROUP BY status")).all())
        completed = conn.execute(text("SELECT COUNT(*) FROM instances WHERE status = 'completed'")).scalar_one()
        events = conn.execute(text("SELECT COUNT(*), COUNT(DISTINCT instance_id) FROM events "
                                   "WHERE command = 'complete_external_task'")).one()
    if jobs != {"done": total} or completed != total or tuple(events) != (total, total) or sum(result.done) != JOBS \
            or any(s["incidents"] for s in summaries):
        raise RuntimeError(f"jobs: {workers} worker(s): jobs {jobs}, {completed} instances completed, "
                           f"completion events {tuple(events)}, per worker {result.done}")
    log(f"bench: jobs: {workers} worker process(es): {JOBS} jobs in {result.seconds:.2f} s")
    return result


def run(tmp: Path, *, admin_url: str = ADMIN_URL, log: Any = print) -> JobsResult:
    """The whole scenario; raises Skipped when PostgreSQL is not reachable."""
    from service.bpm.deploy import deploy
    from service.config import Settings
    from service.runtime import Runtime

    with _admin(admin_url) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    url = _database_url(admin_url, DATABASE)
    result = JobsResult(server_version=version, load_before=os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0)
    try:
        env = {**os.environ, "DATABASE_URL": url}
        log(f"bench: jobs: migrating the fresh PostgreSQL database {DATABASE}")
        subprocess.run([_bin("jixiao"), "db", "upgrade"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        rt = Runtime.build(Settings(database_url=url))
        try:
            with rt.unit_of_work() as conn:
                deploy(conn, rt.specs, {BPMN.name: BPMN.read_bytes()}, rt.settings, actor="bench")
            for number, workers in enumerate(ROUNDS, start=1):
                log(f"bench: jobs: round {number}: starting {JOBS} instances, then {workers} worker process(es)")
                result.rounds.append(_round(rt, url, tmp, workers, number, log))
        finally:
            rt.close()
        return result
    finally:
        with _admin(admin_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def report(result: JobsResult) -> None:
    print(f"Jobs: external task job → handler → CompleteExternalTask through the mutation path, "
          f"{JOBS:,} jobs per round")
    print("  command: .venv/bin/python -m bench.run --only jobs")
    print(f"  PostgreSQL {result.server_version}, fresh database {DATABASE} (dropped afterwards); worker processes "
          f"run workers.runner.run_once (claims of {BATCH}, FOR UPDATE SKIP LOCKED); bench/jobs.bpmn")
    print(f"  machine: {os.cpu_count()} CPUs (PostgreSQL on the same machine); 1-min load average "
          f"{result.load_before:.2f} before this part" + ("  (other processes were busy: figures may be pessimistic)"
                                                          if result.load_before > 0.5 else ""))
    best = {n: max((r for r in result.rounds if r.workers == n), key=lambda r: r.per_second)
            for n in sorted({r.workers for r in result.rounds})}
    print(f"  {len(result.rounds)} rounds ({', '.join(str(r.workers) for r in result.rounds)} workers); the better "
          f"round of each count is shown, all rounds: "
          + ", ".join(f"{r.workers}w {r.per_second:.0f}/s" for r in result.rounds))
    print(f"  {'worker processes':<20}{'jobs/s':>9}{'ms/job':>9}{'seconds':>9}{'CPU ms/job':>12}   jobs per worker")
    for n, r in best.items():
        print(f"  {n:<20}{r.per_second:9.1f}{1000 / r.per_second if r.per_second else 0:9.2f}{r.seconds:9.2f}"
              f"{1000 * r.cpu / JOBS:12.2f}   {' / '.join(str(d) for d in r.done)}")
    if len(best) == 2 and best[1].per_second:
        print(f"  two workers / one worker = {best[2].per_second / best[1].per_second:.2f}×  (CPU ms/job: the "
              "worker processes' own CPU time, which a busy machine inflates less than the wall clock)")
    starts = result.rounds[0]
    print(f"  (for scale: starting the {JOBS:,} instances in one process took {starts.start_seconds:.2f} s, "
          f"{JOBS / starts.start_seconds:.0f}/s)")
    print()


def part(tmp: Path) -> None:
    """Run and print the jobs benchmark (bench/run.py calls this); skipped without PostgreSQL."""
    try:
        result = run(tmp, log=lambda m: print(m, flush=True))
    except Skipped as exc:
        print()
        print(f"Jobs: skipped — {exc}")
        print()
        return
    print()
    report(result)


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        sys.exit(worker(sys.argv[2]))
    sys.exit("usage: python -m bench.jobs worker DIR (started by bench/jobs.py)")
