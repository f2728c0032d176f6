"""The simulated province (issue #18, parts 4–6): `jixiao simulate` on fresh PostgreSQL databases at 1, 2 and 4
worker processes and at two project counts, then, on the largest simulated database, `audit verify --all` across
processes and the pages people open at that scale.

Each run's summary is printed as `jixiao simulate` prints it. On the largest database: `verify()` over the first
1,000 instances twice (a first run replaying every history and checkpointing it, then a second from those
checkpoints) and over all of them, with one process per core; then, through the WSGI app in this process (a
signed-in session, the pages rendered in full, no network; what loading made frozen, as each gunicorn worker does),
`GET /inbox` for the department user with the most open tasks and for the bureau's reviewer, `GET /dashboard` and
`GET /api/reports/coverage` (the coverage report), each timed N times after a warm-up. Figures are printed, never
asserted; the databases are dropped at the end.

    .venv/bin/python -m bench.run --only province                    # 500 then 5,000 projects (long)
    .venv/bin/python -m bench.province --projects 500 --workers 1,2,4 --large 5000
    .venv/bin/python -m bench.province --pages-only postgresql://…/a_simulated_db   # parts 5 and 6 only
    .venv/bin/python -m bench.province --pages-only postgresql://…/a_simulated_db --no-verify   # part 6
    .venv/bin/python -m bench.province --pages-only postgresql://…/a_simulated_db --copies 99 --no-verify
                                     # part 6 with the projects copied 99 times first (bench/copies.py)
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import figures
from bench.inbox import ADMIN_URL, Skipped, _admin, _database_url, _drop

TARGET_INBOX_MS = 30.0
TARGET_PAGE_MS = 300.0
TARGET_VERIFY_PER_S = 200.0
TARGET_PROJECTS = 50_000
PROJECTS_PER_DEPARTMENT = 50_000 / 1500  # the issue's province: 1,500 departments, 50,000 projects
WARMUP, TIMED = 5, 50
VERIFY_FIRST = 1000  # part 5's "~1k instances"


@dataclass
class Timed:
    label: str
    path: str
    ms: list[float] = field(default_factory=list)
    statements: int = 0  # SQL statements of one request (after the warm-up)

    def p(self, share: float) -> float:
        from service.simulate.summary import percentile

        return percentile(self.ms, share)


def departments_for(projects: int) -> int:
    return max(1, round(projects / PROJECTS_PER_DEPARTMENT))


def simulate_on(name: str, projects: int, workers: int, log: Callable[[str], None], keep: bool = False) -> Any:
    """One `jixiao simulate` run on a fresh database `name` (dropped afterwards unless `keep`)."""
    from service.simulate.run import simulate

    with _admin(ADMIN_URL) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    cores = os.cpu_count() or 1
    try:
        summary = simulate(_database_url(ADMIN_URL, name), departments_for(projects), projects,
                           web_processes=cores, worker_processes=workers, clients=2 * cores, echo=log, progress=False)
    finally:
        if not keep:
            _drop(ADMIN_URL, name)
    for line in summary.lines():
        log(line)
    return summary


def verify_rate(url: str, limit: int | None) -> tuple[int, float, int, int]:
    """(instances checked, instances/s, findings, processes) of verify() over the first `limit` instances (from
    the checkpoints an earlier run wrote, where there are any: service/bpm/verify_checkpoints.py)."""
    from service.bpm.verify import default_jobs, instance_ids, verify
    from service.config import Settings
    from service.runtime import Runtime

    rt = Runtime.build(Settings.from_env({"DATABASE_URL": url}))
    try:
        ids = list(instance_ids(rt.engine))[:limit] if limit else None
        jobs = default_jobs()
        started = time.monotonic()
        report = verify(rt.engine, rt.specs, rt.settings, ids, jobs=jobs)
        seconds = time.monotonic() - started
    finally:
        rt.close()
    return report.checked, report.checked / seconds, len(report.findings), jobs


def pages(url: str, at: datetime) -> list[Timed]:
    """The inbox (a department user, the reviewer), the dashboard and the coverage report, timed in process."""
    from sqlalchemy import func, select

    from service import clock, create_app, db
    from service.config import Settings
    from service.demo.people_demo import DEMO_PASSWORD
    from service.models import TaskRow
    from service.people import tokens
    from service.runtime import Runtime
    from service.simulate.run import YEAR

    clock.set_now(at)
    try:
        settings = Settings.from_env({"DATABASE_URL": url})
        rt = Runtime.build(settings)
        with db.read(rt.engine) as conn:
            busiest = conn.execute(select(TaskRow.department_id, func.count()).where(TaskRow.state == "ready")
                                   .group_by(TaskRow.department_id).order_by(func.count().desc()).limit(1)).first()
        app = create_app(settings)
        gc.collect()  # as each gunicorn worker does once the app is loaded (service/gunicorn_conf.py)
        gc.freeze()
        out = []
        staff = f"{busiest[0]}.staff" if busiest else "jyj.staff"
        executed = _statement_counter(app.extensions["jixiao"].engine)
        for label, user in ((f"/inbox, department user {staff}", staff),
                            ("/inbox, reviewer cz.reviewer", "cz.reviewer")):
            out.append(_time_page(app, label, "/inbox", user, DEMO_PASSWORD, executed))
        out.append(_time_page(app, "dashboard (cz.reviewer)", f"/dashboard?year={YEAR}&level=municipal", "cz.reviewer",
                              DEMO_PASSWORD, executed))
        token = _token(rt, "cz.reviewer", tokens)
        out.append(_time_api(app, "coverage report GET /api/reports/coverage",
                             f"/api/reports/coverage?year={YEAR}&level=municipal", token, executed))
        out.append(_time_api(app, "coverage report without its lines (lines=false)",
                             f"/api/reports/coverage?year={YEAR}&level=municipal&lines=false", token, executed))
        rt.close()
        return out
    finally:
        gc.unfreeze()
        clock.reset()


def _statement_counter(engine: Any) -> list[int]:
    """A one-item list that counts the statements `engine` sends (each round trip a page costs)."""
    from sqlalchemy import event

    executed = [0]

    def count(*_args: Any) -> None:
        executed[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    return executed


def _token(rt: Any, username: str, tokens: Any) -> str:
    from datetime import timedelta

    from sqlalchemy import select

    from service import clock, db
    from service.models import User

    with db.write(rt.engine) as conn:
        uid = conn.execute(select(User.id).where(User.username == username)).scalar_one()
        return str(tokens.issue(conn, uid, clock.now(), timedelta(hours=1))[0])


def _time_page(app: Any, label: str, path: str, username: str, password: str, executed: list[int]) -> Timed:
    import re

    http = app.test_client()
    page = http.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf, "no sign-in form"
    signed = http.post("/login", data={"username": username, "password": password, "csrf_token": csrf.group(1)})
    if signed.status_code not in (302, 303):
        raise RuntimeError(f"province: {username} could not sign in ({signed.status_code})")
    return _timed(label, path, lambda: http.get(path), executed)


def _time_api(app: Any, label: str, path: str, token: str, executed: list[int]) -> Timed:
    http = app.test_client()
    return _timed(label, path, lambda: http.get(path, headers={"Authorization": f"Bearer {token}"}), executed)


def _timed(label: str, path: str, call: Callable[[], Any], executed: list[int]) -> Timed:
    result = Timed(label, path)
    for n in range(WARMUP + TIMED):
        before = executed[0]
        started = time.perf_counter()
        resp = call()
        elapsed = (time.perf_counter() - started) * 1000
        if resp.status_code != 200:
            raise RuntimeError(f"province: {path} answered {resp.status_code}")
        if n >= WARMUP:
            result.ms.append(elapsed)
            result.statements = executed[0] - before
    return result


def part(tmp: Path, projects: int = 500, workers: tuple[int, ...] = (1, 2, 4), large: int | None = 5000,
         log: Callable[[str], None] = print) -> None:
    """Parts 4–6 of the figures table; skipped without a reachable PostgreSQL."""
    del tmp
    try:
        _admin(ADMIN_URL).close()
    except Skipped as exc:
        log(f"bench: province: skipped ({exc})")
        return
    load = os.getloadavg()[0]
    log(f"Simulated province (jixiao simulate on PostgreSQL; 1-min load average {load:.2f} before)")
    scaling = {}
    for k in workers:
        log(f"bench: province: {projects} projects, {k} worker process(es)")
        scaling[k] = simulate_on(f"jixiao_bench_province_{projects}_{k}", projects, k, log)
    figures.record("simulate.workers", ", ".join(f"{k} → {s.wall_seconds:.0f} s ({s.ms_per_project:.0f} ms/project, "
                                                 f"{s.jobs_per_second:.1f} jobs/s)" for k, s in scaling.items())
                   + f" at {projects:,} projects", None)
    base = scaling[max(scaling)] if scaling else None
    largest_db = f"jixiao_bench_province_{large or projects}"
    big = simulate_on(largest_db, large, max(workers), log, keep=True) if large else None
    try:
        if base is not None and big is not None:
            flat = big.ms_per_project <= 1.25 * base.ms_per_project
            figures.record("simulate.projects", f"{base.ms_per_project:.0f} ms/project at {base.projects:,}, "
                                                f"{big.ms_per_project:.0f} at {big.projects:,}", flat)
        last = big or base
        if last is not None:
            hour = last.ms_per_project * TARGET_PROJECTS / 1000
            figures.record("simulate.year", f"not run at 50,000; extrapolated {hour / 60:.0f} min from "
                                            f"{last.projects:,} projects ({last.ms_per_project:.0f} ms/project)",
                           None)  # an extrapolation is no measurement: no verdict
        if big is not None:
            measure_database(_database_url(ADMIN_URL, largest_db), log)
    finally:
        if big is not None:
            _drop(ADMIN_URL, largest_db)


def measure_database(url: str, log: Callable[[str], None] = print, verify: bool = True) -> None:
    """Parts 5 and 6 on a simulated database (part 6 only without `verify`)."""
    from service import clock
    from service.simulate.run import YEAR

    if verify:
        verify_parts(url, log)
    end = datetime(YEAR + 1, 4, 30, 10, tzinfo=clock.LOCAL)
    _vacuum_analyze(url)
    log(f"  pages (1-min load average {os.getloadavg()[0]:.2f} before; the database vacuumed and analyzed):")
    for t in pages(url, end):
        target = TARGET_INBOX_MS if t.path == "/inbox" else TARGET_PAGE_MS
        log(f"  {t.label:<58} median {statistics.median(t.ms):7.1f} ms  p95 {t.p(0.95):7.1f} ms  "
            f"(target p95 ≤ {target:g} ms, {TIMED} requests; {t.statements} SQL statements a request)")
        key = ("inbox.staff" if "department" in t.label else "inbox.reviewer") if t.path == "/inbox" \
            else "dashboard" if t.path.startswith("/dashboard") \
            else "coverage.numbers" if t.path.endswith("lines=false") else "coverage"
        figures.record(key, f"p95 {t.p(0.95):.1f} ms (median {statistics.median(t.ms):.1f})", t.p(0.95) <= target)


def verify_parts(url: str, log: Callable[[str], None]) -> None:
    """Part 5: verify's rate over the first instances, twice (from checkpoints the second time), then over all."""
    # A first run replays every history from its start (and checkpoints it); the second, over the same instances,
    # checks each chain and checkpoint and replays only what came since (nothing: the year is over).
    checked, first, found, jobs = verify_rate(url, VERIFY_FIRST)
    log(f"  audit verify, first {checked:,} instances, {jobs} processes, first run: {first:.1f} instances/s, "
        f"{found} finding(s)")
    checked, second, found_again, jobs = verify_rate(url, VERIFY_FIRST)
    log(f"  audit verify, the same {checked:,} instances, second run (from checkpoints): {second:.1f} instances/s, "
        f"{found_again} finding(s)")
    figures.record("verify.1k", f"first run {first:.1f} instances/s, second run (from checkpoints) {second:.1f} "
                                f"instances/s over {checked:,} simulated cycle instances ({jobs} processes, "
                                f"{found}/{found_again} findings)", second >= TARGET_VERIFY_PER_S)
    if checked == VERIFY_FIRST:  # more instances than that: all of them too (else the first run was all)
        checked, rate, found, jobs = verify_rate(url, None)
        log(f"  audit verify --all, {checked:,} instances, {jobs} processes (the first {VERIFY_FIRST:,} from "
            f"checkpoints): {rate:.1f} instances/s, {found} finding(s)")
    else:
        rate = second
    figures.record("verify.province", f"{rate:.1f} instances/s over {checked:,} ({jobs} processes, {found} findings"
                   + (", from checkpoints)" if checked < VERIFY_FIRST else ")"), rate >= TARGET_VERIFY_PER_S)


def _vacuum_analyze(url: str) -> None:
    """VACUUM ANALYZE the simulated database before its pages are timed: autovacuum would have over a real year, but
    this machine's PostgreSQL runs with autovacuum off. A planner without statistics guessed one row for the year's
    projects (at 1,000 projects, the dashboard's warnings per department took 27.6 ms without them, 3.9 ms with);
    and each write of a goal, report or evaluation leaves a dead version of its project's row (the triggers of
    service/models/project_facts.py update it), which every read of the year's projects would otherwise step over
    (50,000 copied projects left 149,731: the dashboard's warnings took 38-41 ms, 26-27 ms after a vacuum)."""
    from sqlalchemy import create_engine

    from service.db import normalize_url

    engine = create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    finally:
        engine.dispose()


def _copy_projects(url: str, times: int) -> None:
    from bench.copies import copy_projects
    from service import db

    engine = db.make_engine(url)
    try:
        with db.write(engine) as conn:
            print(f"bench: province: {copy_projects(conn, times):,} projects after {times} copies", flush=True)
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=500)
    parser.add_argument("--workers", default="1,2,4", help="worker processes of the scaling runs")
    parser.add_argument("--large", type=int, default=5000, help="the larger project count (0: none)")
    parser.add_argument("--pages-only", metavar="URL", help="only parts 5 and 6, on this simulated database")
    parser.add_argument("--no-verify", action="store_true", help="with --pages-only: part 6 only (the pages)")
    parser.add_argument("--copies", type=int, default=0, metavar="K",
                        help="with --pages-only: first copy the database's projects K times under new departments "
                             "(bench/copies.py; it stays changed)")
    args = parser.parse_args(argv)
    if args.pages_only:
        if args.copies:
            _copy_projects(args.pages_only, args.copies)
        measure_database(args.pages_only, verify=not args.no_verify)
    else:
        part(Path("."), args.projects, tuple(int(k) for k in args.workers.split(",") if k), args.large or None)
    print(figures.table("province"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
