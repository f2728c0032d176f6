"""`jixiao simulate`: set up a fresh database, start the processes, drive the year, summarise."""

from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select, text

from service import clock, db
from service.config import ROOT, Settings
from service.demo.progress import Progress
from service.errors import InvalidInput
from service.models import Project
from service.runtime import Runtime
from service.simulate import province, province_driver
from service.simulate.processes import Fleet
from service.simulate.summary import Summary

Echo = Callable[[str], None]
YEAR = 2026  # a fiscal year of seeds/rules.json: its declaration opens on 1 September 2025


def prepare(rt: Runtime) -> None:
    """Schema, workflows, organisation and reference data, as `make deploy` and `jixiao seed` leave them."""
    from service.bpm.deploy import deploy, read_dir
    from service.demo.reference import seed_reference
    from service.migrate import upgrade
    from service.people.directory import load_seed

    upgrade(rt.settings.database_url)
    with rt.unit_of_work() as conn:
        if conn.execute(select(func.count()).select_from(Project)).scalar_one():
            raise InvalidInput("simulate needs a database without projects (a fresh one): it drives a year of its own")
        deploy(conn, rt.specs, read_dir(rt.settings.workflows_dir), rt.settings, actor="simulate")
        load_seed(conn, ROOT / "seeds" / "organisation.json")
    seed_reference(rt.engine, ROOT, clock.now())


def database_bytes(rt: Runtime) -> int:
    if rt.engine.dialect.name == "postgresql":
        with db.read(rt.engine) as conn:
            return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
    path = rt.engine.url.database or ""
    return sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p))


def coverage_lines(rt: Runtime, year: int) -> list[str]:
    from service.queries.coverage_queries import coverage_report

    with rt.reading() as conn:
        report = coverage_report(conn, year, "municipal", lines=False)  # the measures' numbers only
    out = [f"  coverage {year} municipal (jixiao report coverage --year {year} --level municipal):"]
    for m in report.measures:
        actual = "—" if m.actual is None else f"{m.actual}%"
        target = "—" if m.target is None else f"{m.target}%"
        met = "—" if m.met is None else ("yes" if m.met else "NO")
        out.append(f"    {m.key:<36} {actual:>9} {target:>9}  {met}")
    return out


def simulate(database_url: str, departments: int, projects: int, web_processes: int, worker_processes: int,
             clients: int, echo: Echo = print, progress: bool = True) -> Summary:
    started = time.monotonic()
    work_dir = Path(tempfile.mkdtemp(prefix="jixiao-simulate-"))
    settings = replace(Settings.from_env(), database_url=database_url, mail_sink_dir=work_dir / "mail")
    rt = Runtime.build(settings)
    clock_file = work_dir / "clock"
    opens = datetime(YEAR - 1, 9, 1, 9, tzinfo=clock.LOCAL)
    clock.set_now(opens)
    clock.share(str(clock_file), opens)
    fleet = Fleet(database_url, clock_file, work_dir, web_processes, worker_processes)
    try:
        prepare(rt)
        made = province.build(rt.engine, ROOT, departments, projects, YEAR, clock.now())
        echo(f"simulate: {len(made.projects):,} projects of {YEAR} in {made.departments:,} departments; "
             f"{web_processes} web and {worker_processes} worker process(es) on {database_url.split('@')[-1]}")
        rt.engine.dispose()
        fleet.start()
        bar = Progress(None, sys.stdout) if progress else None
        sim = province_driver.Simulation(rt, made, (fleet.host, fleet.port), clock_file, clients, echo, bar)
        setup = time.monotonic() - started
        t0 = time.monotonic()
        province_driver.drive(sim)
        wall = time.monotonic() - t0
        peaks = fleet.peaks()
        peaks["driver"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        tally = province_driver.counts(rt)
        if bar is not None:
            bar.finish(f"{sim.acted:,} tasks completed")
        return Summary(departments=made.departments, projects=len(made.projects), web_processes=web_processes,
                       worker_processes=worker_processes, wall_seconds=wall, setup_seconds=setup,
                       timings=dict(sim.tally.timings), refused=dict(sim.tally.refused),
                       jobs_done=tally.pop("jobs done"),
                       instances={k.removeprefix("instances "): v for k, v in tally.items()},
                       database_bytes=database_bytes(rt), peak_mib=peaks, stuck_steps=sim.tally.stuck,
                       coverage=coverage_lines(rt, YEAR))
    finally:
        fleet.stop()
        clock.reset()
        rt.close()
        shutil.rmtree(work_dir, ignore_errors=True)
