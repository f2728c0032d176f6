"""The demo's build time (issue #18, part 3): `jixiao seed --demo` on a fresh SQLite database, as `make run` builds it.

In a temporary directory: `jixiao db upgrade`, `jixiao deploy workflows` and `jixiao seed` (not timed), then
`jixiao seed --demo` (timed: wall clock, and the CPU of it and its driving processes). Printed, never asserted.

    .venv/bin/python -m bench.run --only demo
    .venv/bin/python -m bench.demo
"""

from __future__ import annotations

import os
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench import figures
from bench.run import ROOT, _bin

TARGET_SECONDS = 20.0


@dataclass
class DemoRun:
    wall: float
    cpu: float  # user + system seconds of `jixiao seed --demo` and its children
    summary: str  # the demo's last line ("435 cycle instances, 2651 tasks completed, 289 running")
    size_mb: float  # the database file afterwards


def build(tmp: Path) -> DemoRun:
    database = tmp / "demo.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    jixiao = _bin("jixiao")
    for args in (["db", "upgrade"], ["deploy", "workflows"], ["seed"]):
        subprocess.run([jixiao, *args], cwd=ROOT, env=env, check=True, capture_output=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([jixiao, "seed", "--demo"], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = next((line.removeprefix("demo: ") for line in done.stdout.splitlines()
                    if line.startswith("demo: ") and "cycle instances" in line), "")
    return DemoRun(wall, cpu, summary, database.stat().st_size / 2**20)


def part(tmp: Path) -> None:
    """Build the demo once and print the figures (bench/run.py calls this)."""
    load = os.getloadavg()[0]
    print(f"bench: building the demo on a fresh SQLite database (1-min load average {load:.2f})", flush=True)
    run = build(tmp)
    print(f"Demo (`jixiao seed --demo`, SQLite): {run.wall:.1f} s wall clock, {run.cpu:.1f} s CPU "
          f"({run.summary}; database {run.size_mb:.0f} MB)  target ≤ {TARGET_SECONDS:g} s: "
          f"{figures.verdict(run.wall <= TARGET_SECONDS)}")
    print()
    figures.record("demo", f"{run.wall:.1f} s ({run.cpu:.1f} s CPU; {run.summary})", run.wall <= TARGET_SECONDS)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="jixiao-bench-demo-") as directory:
        part(Path(directory))
    print(figures.table("demo"))
