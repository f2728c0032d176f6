"""The performance figures in one table: every figure the issue asks for, its target, the value this run measured
and the command that reproduces it. `make bench` prints it last, once; a figure no part of this run measured says
"not measured" (its part is not built yet) or "not run" (built, left out by --only) — never a number from elsewhere.

A part records what it measured with `record(key, value, met)`; the rows and their order are fixed here.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Row:
    key: str
    part: str  # the part number
    figure: str
    target: str
    command: str
    built: str | None = None  # the bench part (--only …) that measures it; None: not built yet


BENCH = ".venv/bin/python -m bench.run"
ROWS: tuple[Row, ...] = (
    Row("serve", "1", "`make run`'s web server", "gunicorn gthread, from the cores",
        "make run (service/gunicorn_conf.py)", "peer"),
    Row("peer.sqlite.start", "2", "start `POST /api/instances`, median, SQLite", "≤ 3 ms", f"{BENCH} --only peer",
        "peer"),
    Row("peer.sqlite.complete", "2", "complete `POST /api/tasks/{id}/complete`, median, SQLite", "≤ 3 ms",
        f"{BENCH} --only peer", "peer"),
    Row("peer.sqlite.cycles", "2", "full cycles/s, 4 clients, `make run`'s server, SQLite", "≥ 250 /s, 0 errors",
        f"{BENCH} --only peer", "peer"),
    Row("peer.pg.start", "2", "start, median, PostgreSQL", "(beside SQLite)", f"{BENCH} --only peer", "peer"),
    Row("peer.pg.complete", "2", "complete, median, PostgreSQL", "(beside SQLite)", f"{BENCH} --only peer", "peer"),
    Row("peer.pg.cycles", "2", "full cycles/s, 4 clients, PostgreSQL", "(beside SQLite)", f"{BENCH} --only peer",
        "peer"),
    Row("demo", "3", "`jixiao seed --demo`, wall clock, fresh SQLite", "≤ 20 s", f"{BENCH} --only demo", "demo"),
    Row("simulate.year", "4", "`jixiao simulate --departments 1500 --projects 50000`, one fiscal year, PostgreSQL",
        "< 1 h", ".venv/bin/jixiao simulate --departments 1500 --projects 50000 --database-url postgresql://…",
        "province"),
    Row("simulate.workers", "4", "simulate: scaling with 1 → 2 → 4 worker processes", "(reported)",
        ".venv/bin/python -m bench.province --workers 1,2,4 --large 0", "province"),
    Row("simulate.projects", "4", "simulate: cost per project at two project counts", "flat",
        ".venv/bin/python -m bench.province --projects 500 --large 5000", "province"),
    Row("verify.1k", "5", "`jixiao audit verify --all --processes N` (N = the cores), ~1,000 simulated instances",
        "≥ 200 instances/s", f"{BENCH} --only province", "province"),
    Row("verify.10k", "5", "`audit verify --all` (verify()), 10,000 peer instances, one process", "≥ 200 instances/s",
        f"{BENCH} --only audit", "audit"),
    Row("verify.10k.jobs", "5", "`audit verify --all --jobs N` (verify(), N = the cores), 10,000 peer instances",
        "≥ 200 instances/s, the serial run's findings", f"{BENCH} --only audit", "audit"),
    Row("verify.1k.first", "5", "`audit verify --all --jobs N`, 1,000 10-event histories, first run (no checkpoint: "
        "every history replayed, checkpoints written)", "≥ 200 instances/s", f"{BENCH} --only audit", "audit"),
    Row("verify.1k.second", "5", "`audit verify --all --jobs N`, the same 1,000 histories, second run (chains and "
        "checkpoints checked, nothing replayed)", "≥ 200 instances/s", f"{BENCH} --only audit", "audit"),
    Row("verify.province", "5", "`jixiao audit verify --all --processes N`, the simulated province",
        "≥ 200 instances/s",
        f"{BENCH} --only province", "province"),
    Row("inbox.staff", "6", "`/inbox` p95, department user, simulated province", "≤ 30 ms", f"{BENCH} --only province",
        "province"),
    Row("inbox.reviewer", "6", "`/inbox` p95, reviewer, simulated province", "≤ 30 ms", f"{BENCH} --only province",
        "province"),
    Row("inbox.100k.staff", "6", "`/inbox` p95, department user, 100,000 open tasks, PostgreSQL", "≤ 30 ms",
        f"{BENCH} --only inbox", "inbox"),
    Row("inbox.100k.reviewer", "6", "`/inbox` p95, reviewer, 100,000 open tasks, PostgreSQL", "≤ 30 ms",
        f"{BENCH} --only inbox", "inbox"),
    Row("dashboard", "6", "dashboard, simulated province", "≤ 300 ms", f"{BENCH} --only province", "province"),
    Row("coverage", "6", "coverage report, simulated province", "≤ 300 ms", f"{BENCH} --only province", "province"),
    Row("coverage.numbers", "6", "coverage report without its lines (`lines=false`), simulated province", "≤ 300 ms",
        f"{BENCH} --only province", "province"),
)
_KEYS = {r.key for r in ROWS}
_measured: dict[str, tuple[str, bool | None]] = {}


def record(key: str, value: str, met: bool | None) -> None:
    """What this run measured for one row of the table (`met`: None where the issue sets no target)."""
    if key not in _KEYS:
        raise KeyError(f"bench.figures: no row {key!r}")
    _measured[key] = (value, met)


def verdict(met: bool | None) -> str:
    return "" if met is None else ("met" if met else "NOT met")


def reference_ms() -> float:
    """The CPU time of a fixed pure-Python workload (dicts, tuples, a sort; the median of 5 runs), in ms.

    The same code on this machine ran from one day to the next at speeds 1.6 times apart (the peer workload's server
    CPU per cycle, 8.8 and 14.4 ms); a run prints this figure at its start and its end, beside the table, so that two
    tables can be told apart by the machine as well as by the code. Only figures whose reference agrees compare."""
    runs = []
    for _ in range(5):
        started = time.process_time()
        found = {str(i): (i, i * 2) for i in range(200_000)}
        sorted(found.items(), key=lambda item: item[1][1] % 977)
        runs.append((time.process_time() - started) * 1000)
    return statistics.median(runs)


def table(only: str | None, now: datetime | None = None, load_before: float | None = None,
          reference_before: float | None = None) -> str:
    """The table as Markdown (what `make bench` prints and the README shows)."""
    now = now or datetime.now(UTC)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    before = f"{load_before:.2f} before the run, " if load_before is not None else ""
    at_start = f"{reference_before:.0f} ms at the start, " if reference_before is not None else ""
    lines = [f"Performance — every figure with its target, measured {now:%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs, "
             f"1-min load average {before}{load:.2f} at the end (python {sys.version.split()[0]}); the machine's "
             f"reference workload (bench/figures.py `reference_ms`) {at_start}{reference_ms():.0f} ms at the end", "",
             "| part | figure | measured | target | verdict | reproduce |", "|---|---|---|---|---|---|"]
    for r in ROWS:
        if r.key in _measured:
            value, met = _measured[r.key]
        elif r.built is None:
            value, met = "not measured", None
        elif only is not None and only != r.built:
            value, met = f"not run (--only {only})", None
        else:
            value, met = "not measured", None
        lines.append(f"| {r.part} | {r.figure} | {value} | {r.target} | {verdict(met)} | `{r.command}` |")
    return "\n".join(lines)
