"""`make soak`: 4 clients for 10 minutes against gunicorn on PostgreSQL with a `jixiao worker` running.

The peer workload of bench/run.py (start → find the task → complete, instance ended), with a claim before
every third completion and an evidence upload (a small PDF) before every fifth. A fresh database
`jixiao_soak` on the local PostgreSQL is created, migrated by Alembic and dropped at the end (also on an
error or Ctrl-C); attachments and logs go to a temporary directory that is removed too.

Printed, never asserted on timing: requests and errors per kind (errors must be 0: the exit status is 1
otherwise), p50/p95 per kind, and the resident memory (VmRSS from /proc/<pid>/status) of every gunicorn
worker and of the worker process at boot, after the warm-up and at the end. Memory counts as flat when
every process ends at most 20 % above its size after the warm-up (caches filled, pools opened).

    .venv/bin/python -m bench.soak [--seconds 600] [--warmup 60] [--clients 4] [--workers N]
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.inbox import ADMIN_URL, Skipped, _admin, _database_url
from bench.run import (
    PROCESS_ID,
    ROOT,
    Client,
    HttpError,
    Server,
    _bin,
    _children,
    bench_user,
    deploy,
)

DATABASE = "jixiao_soak"
START_DATA = {"amount": 7, "title": "soak"}
FORM_DATA = {"approved": True, "score": 88, "comment": "soak"}
PDF = b"%PDF-1.4\n% jixiao soak evidence\n" + b"0" * 2048 + b"\n%%EOF\n"
CLAIM_EVERY, UPLOAD_EVERY = 3, 5  # cycles
FLAT_FACTOR = 1.2  # end RSS ≤ RSS after warm-up × this
KINDS = ("start", "find", "claim", "upload", "complete")


def rss_kib(pid: int) -> int | None:
    """Resident set size of a process in KiB (VmRSS from /proc/<pid>/status); None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _upload(client: Client, task_id: str) -> None:
    boundary = f"----jixiao-soak-{uuid.uuid4().hex}"
    raw = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="evidence.pdf"\r\n'
           "Content-Type: application/pdf\r\n\r\n").encode() + PDF + f"\r\n--{boundary}--\r\n".encode()
    client.request("POST", f"/api/tasks/{task_id}/attachments", raw=raw,
                   content_type=f"multipart/form-data; boundary={boundary}")


@dataclass
class Figures:
    """What the clients saw, merged from every client thread."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    errors: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    cycles: int = 0
    progress: int = 0  # cycles finished so far, for the progress lines
    failing: int = 0  # failed requests so far, for the progress lines
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values()) + sum(self.errors.values())


def _client_loop(port: int, token: str, stop: threading.Event, out: Figures) -> None:
    client = Client(port, token)
    mine: dict[str, list[float]] = {k: [] for k in KINDS}
    errors: Counter[str] = Counter()
    examples: dict[str, str] = {}
    cycles = 0
    clock = time.perf_counter

    def timed(kind: str, call: Any, *args: Any) -> Any:
        t0 = clock()
        try:
            result = call(*args)
        except Exception as exc:
            key = f"{kind}: HTTP {exc.status}" if isinstance(exc, HttpError) else f"{kind}: {type(exc).__name__}"
            errors[key] += 1
            examples.setdefault(key, str(exc)[:300])
            with out.lock:
                out.failing += 1
            raise
        mine[kind].append(clock() - t0)
        return result

    try:
        while not stop.is_set():
            try:
                body = timed("start", client.request, "POST", "/api/instances",
                             {"process_id": PROCESS_ID, "data": START_DATA})
                found = timed("find", client.request, "GET", f"/api/tasks?instance_id={body['id']}")
                task_id = found["items"][0]["id"]
                if cycles % CLAIM_EVERY == 0:
                    timed("claim", client.request, "POST", f"/api/tasks/{task_id}/claim")
                if cycles % UPLOAD_EVERY == 0:
                    timed("upload", _upload, client, task_id)
                done = timed("complete", client.request, "POST", f"/api/tasks/{task_id}/complete", {"data": FORM_DATA})
                if done.get("instance_status") != "completed":
                    errors["complete: instance not completed"] += 1
                cycles += 1
                with out.lock:
                    out.progress += 1
            except Exception:  # counted by timed(); the next cycle starts afresh
                client.close()
    finally:
        client.close()
        with out.lock:
            for kind, values in mine.items():
                out.latencies[kind].extend(values)
            out.errors.update(errors)
            out.cycles += cycles
            for key, text in examples.items():
                out.examples.setdefault(key, text)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000  # nearest rank, ms


def _memory(pids: dict[str, int]) -> dict[str, int | None]:
    return {label: rss_kib(pid) for label, pid in pids.items()}


def _mib(kib: int | None) -> str:
    return "gone" if kib is None else f"{kib / 1024:.1f}"


def _processes(server: Server, worker: subprocess.Popen[bytes]) -> dict[str, int]:
    assert server.proc is not None
    labels = {f"gunicorn worker {pid}": pid for pid in _children(server.proc.pid)}
    labels[f"jixiao worker {worker.pid}"] = worker.pid
    return labels


def soak(args: argparse.Namespace, tmp: Path) -> int:
    """Run the soak on a fresh PostgreSQL database; return the exit status (1 when any request failed)."""
    with _admin(args.admin_url) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    url = _database_url(args.admin_url, DATABASE)
    env = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1", "SECRET_KEY": uuid.uuid4().hex * 2,
           "JIXIAO_ATTACHMENTS_DIR": str(tmp / "attachments"), "MAIL_SINK_DIR": str(tmp / "mail"),
           "WORKER_POLL_SECONDS": "2"}
    for var in ("HOST", "PORT"):  # the Makefile exports these for `make run`; the soak picks its own port
        env.pop(var, None)
    print(f"soak: PostgreSQL {version}; migrating the fresh database {DATABASE}", flush=True)
    subprocess.run([_bin("jixiao"), "db", "upgrade"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    token = bench_user(url)
    server = Server(workers=args.workers, threads=4, env=env, log_path=tmp / "gunicorn.log",
                    extra=("--worker-connections", str(max(1, math.ceil(args.clients / args.workers)))))
    server.db_label = f"postgresql://…/{DATABASE}"
    worker_log = (tmp / "worker.log").open("ab")
    worker = subprocess.Popen([_bin("jixiao"), "worker"], cwd=ROOT, env=env, stdout=worker_log,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    worker_log.close()
    stop = threading.Event()
    figures = Figures()
    threads: list[threading.Thread] = []
    try:
        print(f"soak: starting {server.command()} and `jixiao worker`", flush=True)
        server.start()
        client = Client(server.port, token)
        deployed = deploy(client)
        client.close()
        time.sleep(1.0)  # gunicorn's workers have booted and the worker process has made its first pass
        pids = _processes(server, worker)
        boot = _memory(pids)
        print(f"soak: deployed {PROCESS_ID} ({str(deployed['version'])[:12]}); {args.clients} clients for "
              f"{args.seconds:g} s (RSS baseline after {args.warmup:g} s of warm-up)", flush=True)
        threads = [threading.Thread(target=_client_loop, args=(server.port, token, stop, figures),
                                    name=f"soak-client-{i}", daemon=True) for i in range(args.clients)]
        began = time.monotonic()
        for t in threads:
            t.start()
        warm: dict[str, int | None] = {}
        next_report = began + args.report_every
        while (now := time.monotonic()) < began + args.seconds:
            if not warm and now >= began + args.warmup:
                warm = _memory(pids)
            if now >= next_report:
                rss = ", ".join(_mib(v) for v in _memory(pids).values())
                print(f"soak: {now - began:5.0f} s  {figures.progress:7d} cycles  RSS MiB [{rss}]  "
                      f"failed requests so far: {figures.failing}", flush=True)
                next_report += args.report_every
            if worker.poll() is not None or (server.proc is not None and server.proc.poll() is not None):
                raise RuntimeError("a server process exited during the soak (see the logs in the temp folder)")
            time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join(timeout=120)
        elapsed = time.monotonic() - began
        end = _memory(pids)
        warm = warm or boot
        replaced = sorted(set(_processes(server, worker).values()) - set(pids.values()))
        counts = _database_counts(url)
    finally:
        stop.set()
        server.stop()
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=5)
    _report(args, version, server.command(), figures, elapsed, pids, boot, warm, end, replaced, counts)
    return 1 if figures.errors else 0


def _database_counts(url: str) -> dict[str, int]:
    from sqlalchemy import text

    from service.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            out = {f"instances {status}": int(n) for status, n in
                   conn.execute(text("SELECT status, COUNT(*) FROM instances GROUP BY status ORDER BY status"))}
            for table in ("events", "attachments"):
                out[table] = int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())
            return out
    finally:
        engine.dispose()


def _report(args: argparse.Namespace, version: str, command: str, figures: Figures, elapsed: float,
            pids: dict[str, int], boot: dict[str, int | None], warm: dict[str, int | None],
            end: dict[str, int | None], replaced: list[int], counts: dict[str, int]) -> None:
    errors = sum(figures.errors.values())
    print()
    print(f"Jixiao soak — {args.clients} clients, {elapsed:.0f} s, peer workload (start → find → "
          f"[claim every {CLAIM_EVERY}] → [upload every {UPLOAD_EVERY}] → complete)")
    print(f"  server: {command}; `jixiao worker`; PostgreSQL {version}")
    print(f"  machine: {os.cpu_count()} CPUs; 1-min load average {args.load_before:.2f} before the run")
    print(f"  requests: {figures.requests}   cycles: {figures.cycles} ({figures.cycles / elapsed:.1f}/s)   "
          f"errors: {errors}")
    for key, count in figures.errors.most_common():
        print(f"    {key:<36}{count:6}   e.g. {figures.examples.get(key, '')}")
    print(f"  {'kind':<12}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}")
    for kind in KINDS:
        values = figures.latencies[kind]
        print(f"  {kind:<12}{len(values):9d}{_pct(values, 0.5):9.2f}{_pct(values, 0.95):9.2f}")
    print("  database: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(f"  memory (VmRSS, MiB): {'process':<28}{'boot':>8}{'warm':>8}{'end':>8}   end/warm")
    flat = True
    for label in pids:
        ratio = (end[label] or 0) / warm[label] if warm.get(label) else float("nan")
        ok = end[label] is not None and ratio <= FLAT_FACTOR
        flat = flat and ok
        print(f"    {label:<41}{_mib(boot[label]):>8}{_mib(warm[label]):>8}{_mib(end[label]):>8}   "
              f"{ratio:.2f}{'' if ok else '  (grew)'}")
    if replaced:
        print(f"  note: gunicorn started new workers during the run: {replaced}")
    print(f"  verdict: errors {'0 — met' if errors == 0 else f'{errors} — NOT met'}; memory "
          f"{'flat' if flat else 'NOT flat'} (end ≤ warm × {FLAT_FACTOR:g} for every process)")
    print()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n", 1)[0])
    p.add_argument("--seconds", type=float, default=600.0, help="length of the soak (600)")
    p.add_argument("--warmup", type=float, default=60.0, help="seconds before the RSS baseline is taken (60)")
    p.add_argument("--clients", type=int, default=4, help="concurrent clients (4)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                   help="gunicorn gthread workers (default: the number of CPUs)")
    p.add_argument("--report-every", type=float, default=60.0, help="seconds between progress lines (60)")
    p.add_argument("--admin-url", default=ADMIN_URL,
                   help="PostgreSQL maintenance database to create and drop jixiao_soak from "
                        "(JIXIAO_BENCH_PG_URL)")
    args = p.parse_args(argv)
    if args.seconds <= 0 or args.clients < 1 or args.workers < 1 or not 0 <= args.warmup < args.seconds:
        p.error("--seconds > 0, --clients and --workers ≥ 1, 0 ≤ --warmup < --seconds")
    return args


def _on_sigterm(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    signal.signal(signal.SIGTERM, _on_sigterm)
    tmp = Path(tempfile.mkdtemp(prefix="jixiao-soak-"))
    try:
        return soak(args, tmp)
    except Skipped as exc:
        print(f"soak: skipped — {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nsoak: interrupted; cleaning up", file=sys.stderr)
        return 130
    except (RuntimeError, HttpError, OSError, subprocess.CalledProcessError) as exc:
        print(f"soak: failed: {exc}", file=sys.stderr)
        for log in sorted(tmp.glob("*.log")):
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
            print(f"--- {log.name} (last lines)\n{tail}", file=sys.stderr)
        return 1
    finally:
        import shutil

        try:
            with _admin(args.admin_url) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        except Skipped:
            pass
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
