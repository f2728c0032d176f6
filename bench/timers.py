"""The timer sweep benchmark: one sweep's cost must not grow with the number of waiting instances.

In-process on SQLite (WAL) in the benchmark's temp directory, schema by the Alembic migrations. Two
databases, one with 1,000 and one with 100,000 instances waiting on a timer; in each, ROUNDS sweeps
(workers.timers.fire_due) that each find exactly DUE due timers. The due instances are real: started through
WorkflowService (tests/fixtures/timer_once.bpmn: start → one-hour timer → end) and fired by the sweep. The
others are bulk-inserted copies of a real waiting instance whose timer is due in 2100: the sweep reads the
indexed next_timer_at column and must never touch them. Printed: time per sweep in both cases, and the
ratio 100k/1k (target under 2).

    .venv/bin/python -m bench.run --only timers
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.run import ROOT, _ms, _verdict

BPMN = ROOT / "tests" / "fixtures" / "timer_once.bpmn"
PROCESS = "timer_once"
SIZES = (1_000, 100_000)
DUE = 100
ROUNDS = 10  # after one untimed warm-up round
TARGET_RATIO = 2.0
START = datetime(2015, 3, 2, 1, 0, tzinfo=UTC)
FAR = datetime(2100, 1, 1, tzinfo=UTC)
CHUNK = 5_000

Log = Callable[[str], None]


@dataclass
class Case:
    waiting: int
    load_s: float = 0.0
    sweeps: list[float] = field(default_factory=list)
    empty: list[float] = field(default_factory=list)  # a sweep with nothing due: the due query alone
    fired: list[int] = field(default_factory=list)


def _prepare(tmp: Path, waiting: int, log: Log) -> tuple[Any, Case]:
    from sqlalchemy import insert, select

    from service import clock
    from service.bpm.deploy import deploy
    from service.bpm.service import INSTANCES
    from service.config import Settings
    from service.migrate import upgrade
    from service.runtime import Runtime

    url = f"sqlite:///{tmp / f'timers-{waiting}.sqlite3'}"
    upgrade(url)
    rt = Runtime.build(Settings(database_url=url))
    with rt.unit_of_work() as conn:
        deploy(conn, rt.specs, {BPMN.name: BPMN.read_bytes()}, rt.settings, actor="bench")
    case = Case(waiting)
    t0 = time.perf_counter()
    clock.set_now(START)
    template_id = rt.workflows.start(PROCESS)["id"]
    with rt.engine.connect() as conn:
        template = dict(conn.execute(select(INSTANCES).where(INSTANCES.c.id == template_id)).mappings().one())
    template["next_timer_at"] = clock.to_db(FAR)
    fillers = waiting - DUE  # the DUE due ones are started anew before every sweep
    with rt.engine.begin() as conn:
        conn.execute(INSTANCES.delete().where(INSTANCES.c.id == template_id))
        for first in range(0, fillers, CHUNK):
            conn.execute(insert(INSTANCES), [{**template, "id": str(uuid.uuid4())}
                                             for _ in range(min(CHUNK, fillers - first))])
        conn.exec_driver_sql("ANALYZE")
    case.load_s = time.perf_counter() - t0
    log(f"bench: timers: {fillers:,} waiting instances (timer in 2100) loaded in {case.load_s:.1f} s")
    return rt, case


def _round(rt: Any, at: datetime, case: Case | None) -> None:
    from service import clock
    from workers.timers import fire_due

    clock.set_now(at)
    for _ in range(DUE):
        rt.workflows.start(PROCESS)
    due_at = at + timedelta(hours=1, minutes=1)
    clock.set_now(due_at)
    t0 = time.perf_counter()
    swept = fire_due(rt.workflows, due_at)
    elapsed = time.perf_counter() - t0
    if len(swept.fired) != DUE or swept.conflicts or swept.failed:
        raise RuntimeError(f"timers: a sweep fired {len(swept.fired)} of {DUE} timers, "
                           f"{len(swept.conflicts)} conflict(s), {len(swept.failed)} failure(s)")
    t0 = time.perf_counter()
    again = fire_due(rt.workflows, due_at)
    empty = time.perf_counter() - t0
    if again.fired:
        raise RuntimeError(f"timers: {len(again.fired)} timer(s) fired twice")
    if case is not None:
        case.sweeps.append(elapsed)
        case.empty.append(empty)
        case.fired.append(len(swept.fired))


def run(tmp: Path, log: Log) -> list[Case]:
    from sqlalchemy import func, select

    from service import clock
    from service.bpm.service import INSTANCES

    cases = []
    try:
        for waiting in SIZES:
            rt, case = _prepare(tmp, waiting, log)
            try:
                at = START + timedelta(days=1)
                for n in range(ROUNDS + 1):
                    _round(rt, at, case if n else None)
                    at += timedelta(days=1)
                with rt.engine.connect() as conn:
                    left = conn.execute(select(func.count()).select_from(INSTANCES)
                                        .where(INSTANCES.c.status == "running")).scalar_one()
                if left != waiting - DUE:
                    raise RuntimeError(f"timers: {left} instances still running, expected {waiting - DUE}")
            finally:
                rt.close()
            cases.append(case)
            log(f"bench: timers: {waiting:,} waiting: {ROUNDS} sweeps of {DUE} due timers done")
    finally:
        clock.reset()
    return cases


def report(cases: list[Case]) -> None:
    print(f"Timer sweep: workers.timers.fire_due with {DUE} due timers among N waiting instances, "
          f"SQLite (WAL), in-process")
    print("  command: .venv/bin/python -m bench.run --only timers")
    print(f"  {ROUNDS} timed sweeps per case after 1 warm-up; each sweep fires {DUE} real instances "
          f"({BPMN.name}); the others wait on a timer due in 2100")
    print(f"  {'':<44}{'median':>9}{'p90':>8}")
    for case in cases:
        med, p90 = _ms(case.sweeps)
        print(f"  {f'N = {case.waiting:,}: one sweep (ms)':<44}{med:9.2f}{p90:8.2f}")
        print(f"  {'  per fired timer (ms)':<44}{med / DUE:9.3f}")
        emed, ep90 = _ms(case.empty)
        print(f"  {'  a sweep with nothing due (ms)':<44}{emed:9.3f}{ep90:8.3f}")
    small, big = (statistics.median(c.sweeps) for c in cases)
    ratio = big / small if small else float("nan")
    print(f"  ratio {cases[1].waiting:,} / {cases[0].waiting:,} (median sweep) = {big * 1000:.2f} / "
          f"{small * 1000:.2f} = {ratio:.2f}   target < {TARGET_RATIO:g}: {_verdict(ratio < TARGET_RATIO)}")
    print(f"  machine: {os.cpu_count()} CPUs; 1-min load average "
          f"{os.getloadavg()[0] if hasattr(os, 'getloadavg') else 0.0:.2f} at the end")
    print()


def part(tmp: Path) -> None:
    """Run and print the timer benchmark (bench/run.py calls this)."""
    cases = run(tmp, log=lambda m: print(m, flush=True))
    print()
    report(cases)
