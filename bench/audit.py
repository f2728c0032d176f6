"""The audit benchmark: state at an event, replay, and `audit verify` over many instances.

In-process on SQLite (WAL) in the benchmark's temp directory, schema by the Alembic migrations, every
history written through the one mutation path (WorkflowService.start/apply, timers by the worker's
fire_due) with the service clock moved between events:

1. One instance of bench/audit_loop.bpmn with exactly 50 events (start; 15 rounds of claim → complete →
   timer, two of them with an extra unclaim/claim pair). Timed: state_at(at=25) — what
   GET /api/instances/{id}/state?at=25 serves — and replay() of the whole history, median and p90.
2. 10,000 instances of the peer workload (bench/peer.bpmn), every second one completed, in a second
   database; then verify() over all of them — what `jixiao audit verify --all` runs — in instances/s, in one
   process (`--jobs 1`) and in one process per core (`--jobs N`, the CLI's default), whose findings must be the
   serial run's.
3. 1,000 instances of the loop process with 10-event histories (start; 3 rounds of claim → complete → timer), in a
   third database; then verify() over all of them, in one process and in one per core, each twice: a first run with
   no checkpoint (every history replayed from its start; the checkpoints written, service/bpm/verify_checkpoints.py)
   and a second run (each history's chain and checkpoint checked, nothing replayed: no event came since).

Where one verify's time goes (process CPU per phase, one process, the 40 longest cycle instances of a demo database,
1,859 events, 2026-12-06): replay 84% — the engine's steps 44%, most of it SpiffWorkflow walking the whole task tree,
completed history included, for each READY query of its steps and each WAITING update after every task it runs, so
that replay grew with the square of the history's length; service/bpm/running.py's derivations 15% (the state
fingerprint 6%), the one walk of the tree per event 11% — then reading the stored state back 12%, the SQL 1%, the
chain's hashes under 1%, the row comparisons under 1%. Since service/bpm/task_queries.py answers those queries from
the task tables, the same run takes 25% less CPU: the engine's steps 31% (the library running tasks: data
inheritance, spec updates), derivations 19%, walk 14%, the stored state 16%. More processes divide that CPU among
the cores; they do not make one replay cheaper.

With checkpoints (service/bpm/verify_checkpoints.py), over the demo's 478 instances (10,595 events, 2026-12-06,
cProfile, one process): a first run costs about 12% more than a full replay (serializing each replayed state 8%,
compressing and signing it 4%; replay itself 69%, loading the stored states 13%); a second run, with no event
since, takes 1.2 s instead of 37 s: reading the batches' rows 38% (each stored state is read for its digest, not
loaded), the checkpoints' signatures and decoding 17%, the chains' hashes 16%, the row comparisons 12%.

    .venv/bin/python -m bench.run --only audit
"""

from __future__ import annotations

import os
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.run import BPMN_FILE, FORM_DATA, FORM_FILE, PROCESS_ID, START_DATA, START_FORM_FILE, _ms, _row, _verdict

HERE = Path(__file__).resolve().parent
LOOP_FILE = HERE / "audit_loop.bpmn"
LOOP_START_FORM = HERE / "bench_audit_start.schema.json"
LOOP_PROCESS = "bench_audit"
DEPARTMENT = "bench"
START = datetime(2015, 3, 2, 1, 0)  # naive: made UTC below, like the tests' frozen clock

EVENTS = 50
ROUNDS = 15  # each: claim, complete_task, fire_timers
EXTRA_PAIRS = 2  # rounds with an unclaim + claim before the completion: 1 + 3·15 + 2·2 = 50 events
AT = 25
WARMUP = 5
TIMED = 50
TARGET_MS = 100.0
VERIFY_INSTANCES = 10_000
LONG_INSTANCES = 1000  # part 5's "~1k instances"
LONG_ROUNDS = 3  # 1 + 3·3 = 10 events each

Log = Callable[[str], None]


@dataclass
class AuditResult:
    instances: int = VERIFY_INSTANCES
    timed: int = TIMED
    warmup: int = WARMUP
    events: Counter[str] = field(default_factory=Counter)
    loop_status: str = ""
    loop_build_s: float = 0.0
    state_at: list[float] = field(default_factory=list)
    state_at_last: list[float] = field(default_factory=list)
    replay: list[float] = field(default_factory=list)
    verify_one: list[float] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)  # median CPU seconds per run of each timed call
    load_before: float = 0.0
    start_s: float = 0.0
    complete_s: float = 0.0
    completed: int = 0
    verify_s: float = 0.0
    verify_cpu_s: float = 0.0
    checked: int = 0
    findings: list[str] = field(default_factory=list)
    jobs: int = 1  # processes of the parallel run
    par_verify_s: float = 0.0
    par_checked: int = 0
    par_findings: list[str] = field(default_factory=list)
    long_instances: int = LONG_INSTANCES
    long_events: int = 0
    long_build_s: float = 0.0
    long_runs: list[CheckpointRun] = field(default_factory=list)

    @property
    def par_rate(self) -> float:
        return self.par_checked / self.par_verify_s if self.par_verify_s else 0.0

    @property
    def par_same(self) -> bool:
        """The parallel run found what the serial one did, over as many instances."""
        return self.par_checked == self.checked and self.par_findings == self.findings


@dataclass
class CheckpointRun:
    """One verify() over the long histories."""

    jobs: int
    run: str  # "first" (no checkpoint) or "second" (from the first run's checkpoints)
    seconds: float
    checked: int
    findings: int
    from_checkpoint: int
    written: int

    @property
    def rate(self) -> float:
        return self.checked / self.seconds if self.seconds else 0.0


def _runtime(url: str) -> Any:
    from service.config import Settings
    from service.runtime import Runtime

    return Runtime.build(Settings(database_url=url))


def _prepare(tmp: Path, name: str, files: dict[str, bytes]) -> Any:
    """A migrated SQLite database with the bench department and `files` deployed; its Runtime."""
    from service.bpm.deploy import deploy
    from service.migrate import upgrade
    from service.people import directory

    url = f"sqlite:///{tmp / name}"
    upgrade(url)
    rt = _runtime(url)
    with rt.engine.begin() as conn:
        directory.upsert_department(conn, {"id": DEPARTMENT, "name": DEPARTMENT})
    with rt.unit_of_work() as conn:
        deploy(conn, rt.specs, files, rt.settings, actor="bench")
    return rt


def _staff() -> Any:
    from service.domain.roles import Principal

    return Principal("bench_staff", DEPARTMENT, frozenset({"department_staff"}))


def _auditor() -> Any:
    from service.domain.roles import Principal

    return Principal("bench_auditor", None, frozenset({"auditor"}))


def _ready_task(rt: Any, instance_id: str) -> str:
    from sqlalchemy import text

    with rt.engine.connect() as conn:
        ids = list(conn.execute(text("SELECT id FROM tasks WHERE instance_id = :i AND state = 'ready'"),
                                {"i": instance_id}).scalars())
    if len(ids) != 1:
        raise RuntimeError(f"audit: expected one ready task in {instance_id}, found {len(ids)}")
    return str(ids[0])


# --- 1: one 50-event instance -----------------------------------------------------------------------


def build_loop(rt: Any) -> str:
    """Start the loop process and drive it through exactly EVENTS events; returns the instance id."""
    from service import clock
    from service.bpm.commands import Claim, CompleteTask, Unclaim
    from workers.timers import fire_due

    wf, staff = rt.workflows, _staff()
    iid = str(wf.start(LOOP_PROCESS, {"round": 0, "rounds": ROUNDS, "title": "bench"}, actor=staff)["id"])
    for n in range(1, ROUNDS + 1):
        clock.advance(timedelta(minutes=7))
        task = _ready_task(rt, iid)
        wf.apply(iid, Claim(task), actor=staff)
        if n <= EXTRA_PAIRS:
            clock.advance(timedelta(minutes=3))
            wf.apply(iid, Unclaim(task), actor=staff)
            clock.advance(timedelta(minutes=3))
            wf.apply(iid, Claim(task), actor=staff)
        clock.advance(timedelta(minutes=20))
        wf.apply(iid, CompleteTask(task, {"note": f"第{n}轮已处理", "score": 60 + n, "checked": n % 2 == 0}),
                 actor=staff)
        fired = fire_due(wf, clock.advance(timedelta(hours=1, minutes=1)))
        if fired.fired != [iid]:
            raise RuntimeError(f"audit: round {n}: the timer did not fire as expected: {fired}")
    return iid


def _history(rt: Any, instance_id: str) -> tuple[Counter[str], str]:
    from sqlalchemy import text

    with rt.engine.connect() as conn:
        commands = Counter(conn.execute(text("SELECT command FROM events WHERE instance_id = :i"),
                                        {"i": instance_id}).scalars())
        status = conn.execute(text("SELECT status FROM instances WHERE id = :i"), {"i": instance_id}).scalar()
    return commands, str(status)


def _timed(fn: Callable[[], Any], warmup: int, n: int) -> tuple[list[float], float]:
    """Wall-clock seconds of the timed runs, and the median CPU seconds of one run."""
    wall, cpu = [], []
    for i in range(warmup + n):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        if i >= warmup:
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    return wall, statistics.median(cpu) if cpu else float("nan")


def state_and_replay(rt: Any, iid: str, out: AuditResult) -> None:
    from service.bpm.replay import replay
    from service.bpm.verify import verify_instance
    from service.queries.audit_queries import state_at

    auditor = _auditor()

    def at_25() -> None:
        with rt.reading() as conn:
            body = state_at(conn, rt.specs, rt.settings, iid, auditor, AT)
        if body["seq"] != AT or not body["replay_matches"]:
            raise RuntimeError(f"audit: state_at({AT}) answered seq {body['seq']}, "
                               f"replay_matches {body['replay_matches']}")

    def at_last() -> None:
        with rt.reading() as conn:
            body = state_at(conn, rt.specs, rt.settings, iid, auditor, None)
        if body["seq"] != EVENTS:
            raise RuntimeError(f"audit: state_at() answered seq {body['seq']}")

    def whole() -> None:
        result = replay(rt.engine, rt.specs, rt.settings, iid)
        if not result.ok or result.events != EVENTS:
            raise RuntimeError(f"audit: replay failed: {result.first_mismatch}")

    def verify_one() -> None:
        finding = verify_instance(rt.engine, rt.specs, rt.settings, iid)
        if finding is not None:
            raise RuntimeError(f"audit: verify_instance: {finding}")

    out.state_at, out.cpu["state_at"] = _timed(at_25, out.warmup, out.timed)
    out.state_at_last, out.cpu["state_at_last"] = _timed(at_last, out.warmup, out.timed)
    out.replay, out.cpu["replay"] = _timed(whole, out.warmup, out.timed)
    out.verify_one, out.cpu["verify_one"] = _timed(verify_one, out.warmup, out.timed)


# --- 2: verify over many instances ------------------------------------------------------------------


def build_many(rt: Any, n: int, out: AuditResult, log: Log) -> None:
    """n peer instances through WorkflowService.start; every second one completed through apply."""
    from sqlalchemy import text

    from service.bpm.commands import CompleteTask

    wf, staff = rt.workflows, _staff()
    t0 = time.perf_counter()
    for i in range(n):
        wf.start(PROCESS_ID, START_DATA, actor=staff)
        if (i + 1) % 2500 == 0:
            log(f"bench: audit: {i + 1} of {n} instances started")
    out.start_s = time.perf_counter() - t0
    with rt.engine.connect() as conn:
        ready = conn.execute(text("SELECT instance_id, id FROM tasks WHERE state = 'ready' "
                                  "ORDER BY instance_id")).all()
    if len(ready) != n:
        raise RuntimeError(f"audit: expected {n} ready tasks, found {len(ready)}")
    t0 = time.perf_counter()
    for instance_id, task_id in ready[::2]:
        wf.apply(instance_id, CompleteTask(task_id, FORM_DATA), actor=staff)
        out.completed += 1
    out.complete_s = time.perf_counter() - t0


def verify_all(url: str, out: AuditResult) -> None:
    """verify() over every instance, as `jixiao audit verify --all` does, with a fresh (cold) Runtime each time:
    once in one process, once in one process per core, each a first run (the checkpoints the serial run writes are
    dropped before the parallel one)."""
    from service.bpm.verify import default_jobs, verify

    rt = _runtime(url)
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        report = verify(rt.engine, rt.specs, rt.settings, jobs=1)
        out.verify_s = time.perf_counter() - t0
        out.verify_cpu_s = time.process_time() - c0
    finally:
        rt.close()
    out.checked = report.checked
    out.findings = [str(f) for f in report.findings]
    out.jobs = default_jobs()
    _drop_checkpoints(url)  # the parallel run a first run too, as the serial one was
    rt = _runtime(url)
    try:
        t0 = time.perf_counter()
        report = verify(rt.engine, rt.specs, rt.settings, jobs=out.jobs)
        out.par_verify_s = time.perf_counter() - t0
    finally:
        rt.close()
    out.par_checked = report.checked
    out.par_findings = [str(f) for f in report.findings]


# --- 3: checkpoints over 1,000 10-event histories ----------------------------------------------------


def build_long(rt: Any, n: int, rounds: int, log: Log) -> None:
    """n loop instances, each `rounds` rounds of claim, complete and the timer (all instances' timers fire in one
    sweep per round); still running, their task of the next round ready."""
    from sqlalchemy import text

    from service import clock
    from service.bpm.commands import Claim, CompleteTask
    from workers.timers import fire_due

    wf, staff = rt.workflows, _staff()
    ids = [str(wf.start(LOOP_PROCESS, {"round": 0, "rounds": rounds + 1, "title": "bench"}, actor=staff)["id"])
           for _ in range(n)]
    for r in range(1, rounds + 1):
        clock.advance(timedelta(minutes=7))
        with rt.engine.connect() as conn:
            ready = dict(conn.execute(text("SELECT instance_id, id FROM tasks WHERE state = 'ready'")).all())
        for iid in ids:
            wf.apply(iid, Claim(ready[iid]), actor=staff)
            wf.apply(iid, CompleteTask(ready[iid], {"note": f"第{r}轮", "score": 60 + r}), actor=staff)
        now, fired = clock.advance(timedelta(hours=1, minutes=1)), 0
        while swept := len(fire_due(wf, now).fired):  # the sweep fires at most 500 instances at a time
            fired += swept
        if fired != n:
            raise RuntimeError(f"audit: round {r}: {fired} of {n} timers fired")
        log(f"bench: audit: round {r} of {rounds} done on {n} instances")


def _drop_checkpoints(url: str) -> None:
    """No verify checkpoint left: the next verify replays every history from its start (and writes them anew)."""
    from sqlalchemy import text

    rt = _runtime(url)
    try:
        with rt.engine.begin() as conn:
            conn.execute(text("DELETE FROM verify_checkpoints"))
    finally:
        rt.close()


def verify_checkpointed(url: str, out: AuditResult) -> None:
    """verify() over the long histories with 1 and with N processes, each a first run without checkpoints and a
    second run from them; a fresh (cold) Runtime each time."""

    from service.bpm.verify import default_jobs, verify

    for jobs in dict.fromkeys((1, default_jobs())):
        _drop_checkpoints(url)
        for run in ("first", "second"):
            rt = _runtime(url)
            try:
                t0 = time.perf_counter()
                report = verify(rt.engine, rt.specs, rt.settings, jobs=jobs)
                seconds = time.perf_counter() - t0
            finally:
                rt.close()
            out.long_runs.append(CheckpointRun(jobs, run, seconds, report.checked, len(report.findings),
                                               report.from_checkpoint, report.checkpoints_written))


# --- run + report -----------------------------------------------------------------------------------


def run(tmp: Path, *, instances: int = VERIFY_INSTANCES, timed: int = TIMED, warmup: int = WARMUP,
        long_instances: int = LONG_INSTANCES, log: Log = print) -> AuditResult:
    from service import clock

    out = AuditResult(instances=instances, timed=timed, warmup=warmup, long_instances=long_instances,
                      load_before=os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0)
    clock.set_now(START.replace(tzinfo=clock.UTC))
    try:
        log(f"bench: audit: migrating {tmp / 'audit-state.sqlite3'}; building a {EVENTS}-event instance")
        rt = _prepare(tmp, "audit-state.sqlite3", {p.name: p.read_bytes() for p in (LOOP_FILE, LOOP_START_FORM)})
        try:
            t0 = time.perf_counter()
            iid = build_loop(rt)
            out.loop_build_s = time.perf_counter() - t0
            out.events, out.loop_status = _history(rt, iid)
            if sum(out.events.values()) != EVENTS:
                raise RuntimeError(f"audit: the instance has {sum(out.events.values())} events, not {EVENTS}")
            log(f"bench: audit: state_at / replay, {warmup} + {timed} runs each")
            state_and_replay(rt, iid, out)
        finally:
            rt.close()
    finally:
        clock.reset()

    log(f"bench: audit: migrating {tmp / 'audit-verify.sqlite3'}; {instances} instances through the service")
    files = {p.name: p.read_bytes() for p in (BPMN_FILE, FORM_FILE, START_FORM_FILE)}
    rt = _prepare(tmp, "audit-verify.sqlite3", files)
    url = rt.settings.database_url
    try:
        build_many(rt, instances, out, log)
    finally:
        rt.close()
    log(f"bench: audit: verify() over {instances} instances")
    verify_all(url, out)

    log(f"bench: audit: migrating {tmp / 'audit-long.sqlite3'}; {long_instances} instances of {1 + 3 * LONG_ROUNDS} "
        "events")
    clock.set_now(START.replace(tzinfo=clock.UTC))
    try:
        rt = _prepare(tmp, "audit-long.sqlite3", {p.name: p.read_bytes() for p in (LOOP_FILE, LOOP_START_FORM)})
        url = rt.settings.database_url
        try:
            t0 = time.perf_counter()
            build_long(rt, long_instances, LONG_ROUNDS, log)
            out.long_build_s = time.perf_counter() - t0
            out.long_events = _event_count(rt)
        finally:
            rt.close()
    finally:
        clock.reset()
    log(f"bench: audit: verify() over {long_instances} instances, first and second runs")
    verify_checkpointed(url, out)
    return out


def _event_count(rt: Any) -> int:
    from sqlalchemy import text

    with rt.engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM events WHERE instance_id IS NOT NULL")).scalar() or 0)


def report(r: AuditResult) -> None:
    state_med, state_p90 = _ms(r.state_at)
    last_med, last_p90 = _ms(r.state_at_last)
    replay_med, replay_p90 = _ms(r.replay)
    one_med, one_p90 = _ms(r.verify_one)
    kinds = ", ".join(f"{count} {command}" for command, count in r.events.most_common())
    build_s = r.start_s + r.complete_s
    rate = r.checked / r.verify_s if r.verify_s else 0.0

    print("Audit — in-process on SQLite (WAL) in a temp dir, histories written through "
          "WorkflowService")
    print("  command: .venv/bin/python -m bench.run --only audit")
    print(f"  machine: {os.cpu_count()} CPUs; 1-min load average {r.load_before:.2f} before the part"
          + ("  (other processes were busy: wall-clock figures may be pessimistic; CPU times shown too)"
             if r.load_before > 0.5 else ""))
    print()
    print(f"State at an event and replay of a {EVENTS}-event instance ({r.warmup} warm-up + {r.timed} timed runs)")
    print(f"  instance: {LOOP_PROCESS!r} (bench/audit_loop.bpmn), {r.loop_status}, built in {r.loop_build_s:.2f} s")
    print(f"  events: {kinds}")
    print(f"  {'':<44}{'median':>9}{'p90':>8}   target")
    print(_row(f"state_at(at={AT})  (GET …/state?at={AT})", state_med, state_p90, f"≤ {TARGET_MS:g} ms",
               _verdict(state_med <= TARGET_MS)))
    print(_row(f"replay of all {EVENTS} events", replay_med, replay_p90, f"≤ {TARGET_MS:g} ms",
               _verdict(replay_med <= TARGET_MS)))
    print(_row("state_at(last)  (GET …/state)", last_med, last_p90))
    print(_row("verify_instance (chain + replay + stored)", one_med, one_p90))
    cpu = {k: v * 1000 for k, v in r.cpu.items()}
    print(f"  CPU per run (median): state_at(at={AT}) {cpu.get('state_at', 0):.2f} ms, replay "
          f"{cpu.get('replay', 0):.2f} ms, state_at(last) {cpu.get('state_at_last', 0):.2f} ms, verify_instance "
          f"{cpu.get('verify_one', 0):.2f} ms")
    print()
    print(f"`audit verify` over {r.checked:,} instances (verify(), as `jixiao audit verify --all`; cold spec cache)")
    starts = r.instances / r.start_s if r.start_s else float("nan")
    completes = r.completed / r.complete_s if r.complete_s else float("nan")
    print(f"  data: {r.instances:,} × {PROCESS_ID!r} started, {r.completed:,} of them completed, through "
          f"WorkflowService in {build_s:.1f} s ({starts:.0f} starts/s, {completes:.0f} completes/s)")
    print(f"  verified: {r.checked:,} instances in {r.verify_s:.1f} s = {rate:,.0f} instances/s "
          f"({1000 * r.verify_s / r.checked if r.checked else float('nan'):.2f} ms each); "
          f"findings: {len(r.findings)}")
    print(f"  CPU: {r.verify_cpu_s:.1f} s = {r.checked / r.verify_cpu_s if r.verify_cpu_s else 0:,.0f} instances "
          "per CPU-second (the database is SQLite in-process: its time is in the CPU figure)")
    for finding in r.findings[:5]:
        print(f"    {finding}")
    print(f"  --jobs {r.jobs} ({r.jobs} processes, instances partitioned by id, each its own engine): "
          f"{r.par_checked:,} instances in {r.par_verify_s:.1f} s = {r.par_rate:,.0f} instances/s "
          f"({r.par_rate / rate if rate else float('nan'):.2f}× one process); findings: {len(r.par_findings)}, "
          + ("the same as one process" if r.par_same else "DIFFERENT from one process"))
    print()
    print(f"`audit verify` with checkpoints over {r.long_instances:,} instances of {LOOP_PROCESS!r} "
          f"({r.long_events:,} events, {1 + 3 * LONG_ROUNDS} each; built in {r.long_build_s:.0f} s)")
    print("  first run: no checkpoint, every history replayed from its start, checkpoints written; second run: "
          "chains and checkpoints checked, nothing replayed")
    for c in r.long_runs:
        print(f"  --jobs {c.jobs}, {c.run} run: {c.checked:,} instances in {c.seconds:.1f} s = {c.rate:,.0f} "
              f"instances/s; {c.from_checkpoint:,} from a checkpoint, {c.written:,} checkpoints written; "
              f"findings: {c.findings}")
    print()


def part(tmp: Path) -> None:
    """Run and print the audit benchmark (bench/run.py calls this)."""
    from bench import figures

    result = run(tmp, log=lambda m: print(m, flush=True))
    print()
    report(result)
    rate = result.checked / result.verify_s if result.verify_s else 0.0
    figures.record("verify.10k", f"{rate:,.0f} instances/s, {len(result.findings)} findings",
                   rate >= 200 and not result.findings)
    figures.record("verify.10k.jobs", f"{result.par_rate:,.0f} instances/s with --jobs {result.jobs}, "
                   f"{len(result.par_findings)} findings" + ("" if result.par_same else ", NOT the serial run's"),
                   result.par_rate >= 200 and not result.par_findings and result.par_same)
    for c in result.long_runs:
        if c.jobs == max(x.jobs for x in result.long_runs):
            figures.record(f"verify.1k.{c.run}", f"{c.rate:,.0f} instances/s with --jobs {c.jobs} over {c.checked:,} "
                           f"{1 + 3 * LONG_ROUNDS}-event histories ({c.from_checkpoint:,} from a checkpoint, "
                           f"{c.findings} findings)", c.rate >= 200 and not c.findings)
