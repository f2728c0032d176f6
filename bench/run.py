"""`make bench`: the peer workload against a real gunicorn over HTTP, and SpiffWorkflow alone in memory.

Figures are printed, never asserted. Everything runs in a temporary directory (SQLite database, server
logs) that is removed at the end, as are the server processes — also on Ctrl-C or an error. The same peer
workload then runs on a fresh PostgreSQL database (dropped at the end) and is printed beside SQLite's.

Last of all, one table of every performance figure with its target and the date (bench/figures.py).

Then the inbox on PostgreSQL (bench/inbox.py): a fresh database with 100,000 open tasks, the
candidate inbox timed over HTTP; skipped when PostgreSQL is not reachable.

    .venv/bin/python -m bench.run [--n 200] [--warmup 50] [--seconds 10] [--clients 4]
                                  [--only peer|inbox|audit|timers|sweep|jobs|province]
                                  [--inbox-explain]

Then the daily reminder sweep at 1,000 vs 100,000 open tasks on SQLite and PostgreSQL (bench/sweep.py).

Then jobs per second through the full path with one and two worker processes on PostgreSQL (bench/jobs.py);
skipped when PostgreSQL is not reachable.

Last, the simulated province (bench/province.py): `jixiao simulate` at 1, 2, 4 worker processes and at two project
counts, `audit verify --all` across processes and the inbox, dashboard and coverage report on the result.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import figures

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
BPMN_FILE = HERE / "peer.bpmn"
FORM_FILE = HERE / "peer_form.schema.json"
START_FORM_FILE = HERE / "bench_peer_start.schema.json"  # the start event's form: what START_DATA may hold
PROCESS_ID = "bench_peer"
HOST = "127.0.0.1"

START_DATA = {"amount": 7, "title": "bench"}
FORM_DATA = {"approved": True, "score": 88, "comment": "looks fine"}

# the command targets (earlier: ≤ 5 ms and ≥ 150 /s)
TARGET_MEDIAN_MS = 3.0
TARGET_CYCLES_PER_S = 250.0


# --- small helpers ----------------------------------------------------------------------------------


def _bin(name: str) -> str:
    """An executable of the venv running this script (falls back to the repo's .venv)."""
    for directory in (Path(sys.executable).parent, ROOT / ".venv" / "bin"):
        candidate = directory / name
        if candidate.exists():
            return str(candidate)
    raise SystemExit(f"bench: {name} not found next to {sys.executable}; run `make setup` first")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _ms(seconds: list[float]) -> tuple[float, float]:
    """(median, p90) in milliseconds."""
    if not seconds:
        return float("nan"), float("nan")
    ordered = sorted(seconds)
    p90 = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]  # nearest rank
    return statistics.median(ordered) * 1000, p90 * 1000


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process (all its threads), from /proc; None where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _children(pid: int) -> list[int]:
    """Direct children of `pid` (Linux /proc); empty elsewhere."""
    found = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            found.append(int(entry))
    return sorted(found)


# --- the server -------------------------------------------------------------------------------------


@dataclass
class Server:
    """One gunicorn master (own process group) serving the app on a free port with the settings `make run` and
    production use (service/gunicorn_conf.py); workers and threads left None keep that module's values."""

    workers: int | None
    threads: int | None
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=_free_port)
    proc: subprocess.Popen[bytes] | None = None
    extra: tuple[str, ...] = ()
    db_label: str = "sqlite:///<tmp>/bench.sqlite3"  # DATABASE_URL as shown in the report

    @property
    def argv(self) -> list[str]:
        sizes = [*(["-w", str(self.workers)] if self.workers else []),
                 *(["--threads", str(self.threads)] if self.threads else [])]
        return [_bin("gunicorn"), "-c", "python:service.gunicorn_conf", *sizes, "-b", f"{HOST}:{self.port}",
                "--log-level", "warning", *self.extra]

    def command(self) -> str:
        shown = [Path(self.argv[0]).relative_to(ROOT).as_posix() if self.argv[0].startswith(str(ROOT))
                 else self.argv[0], *self.argv[1:]]
        return f"DATABASE_URL={self.db_label} " + shlex.join(shown)

    def start(self, timeout: float = 30.0) -> None:
        log = self.log_path.open("ab")
        try:
            self.proc = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n{self._log_tail()}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", "/api/health")
                resp = conn.getresponse()
                resp.read()
                conn.close()
                if resp.status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer /api/health within {timeout:.0f} s:\n{self._log_tail()}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)  # the master stops its workers
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            # the master and its workers are alone in the process group we created for them
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)

    def worker_cpu(self) -> dict[int, float]:
        """CPU seconds used so far by each gunicorn worker (Linux only; empty elsewhere)."""
        if self.proc is None:
            return {}
        out = {}
        for pid in _children(self.proc.pid):
            cpu = _cpu_seconds(pid)
            if cpu is not None:
                out[pid] = cpu
        return out

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        server.start()
        yield server
    finally:
        server.stop()


# --- the HTTP client --------------------------------------------------------------------------------


class HttpError(Exception):
    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"HTTP {status}: {body[:300].decode(errors='replace')}")
        self.status = status


class Client:
    """One persistent (keep-alive) HTTP/1.1 connection; counts how often it had to reconnect."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.token = token
        self.connects = 0
        self.conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
            self.connects += 1
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None,
                content_type: str = "application/json") -> Any:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload: bytes | None = raw
        if body is not None:
            payload = json.dumps(body).encode()
        if payload is not None:
            headers["Content-Type"] = content_type
        conn = self._connection()
        try:
            conn.request(method, path, body=payload, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except Exception:
            self.close()
            raise
        if resp.will_close:
            self.close()
        if not 200 <= resp.status < 300:
            raise HttpError(resp.status, data)
        return json.loads(data) if data else None


def deploy(client: Client) -> dict[str, Any]:
    """POST /api/process-models with the .bpmn and its forms in the multipart field `files`."""
    boundary = f"----jixiao-bench-{uuid.uuid4().hex}"
    parts = []
    for path, ctype in ((BPMN_FILE, "application/xml"), (FORM_FILE, "application/json"),
                        (START_FORM_FILE, "application/json")):
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{path.name}"\r\n'
            f"Content-Type: {ctype}\r\n\r\n".encode() + path.read_bytes() + b"\r\n")
    raw = b"".join(parts) + f"--{boundary}--\r\n".encode()
    result: dict[str, Any] = client.request("POST", "/api/process-models", raw=raw,
                                            content_type=f"multipart/form-data; boundary={boundary}")
    return result


def start_instance(client: Client) -> str:
    body = client.request("POST", "/api/instances", {"process_id": PROCESS_ID, "data": START_DATA})
    return str(body["id"])


def find_task(client: Client, instance_id: str) -> str:
    body = client.request("GET", f"/api/tasks?instance_id={instance_id}")
    items = body["items"]
    if len(items) != 1:
        raise LookupError(f"expected one ready task for instance {instance_id}, found {len(items)}")
    return str(items[0]["id"])


def complete_task(client: Client, task_id: str) -> None:
    body = client.request("POST", f"/api/tasks/{task_id}/complete", {"data": FORM_DATA})
    if body.get("instance_status") != "completed":
        raise LookupError(f"instance not completed after the task: {body.get('instance_status')!r}")


# --- 1 + 2: sequential latencies --------------------------------------------------------------------


@dataclass
class Sequential:
    start: list[float] = field(default_factory=list)
    find: list[float] = field(default_factory=list)
    complete: list[float] = field(default_factory=list)
    connects: int = 0


def sequential(port: int, n: int, warmup: int, token: str) -> Sequential:
    client = Client(port, token)
    out = Sequential()
    clock = time.perf_counter
    try:
        for i in range(warmup + n):
            t0 = clock()
            instance_id = start_instance(client)
            t1 = clock()
            task_id = find_task(client, instance_id)
            t2 = clock()
            complete_task(client, task_id)
            t3 = clock()
            if i >= warmup:
                out.start.append(t1 - t0)
                out.find.append(t2 - t1)
                out.complete.append(t3 - t2)
    finally:
        client.close()
    out.connects = client.connects
    return out


# --- 3: SpiffWorkflow alone -------------------------------------------------------------------------


@dataclass
class EngineOnly:
    run: list[float] = field(default_factory=list)
    run_serialized: list[float] = field(default_factory=list)


def engine_only(n: int, warmup: int) -> EngineOnly:
    """Parse once; per run: BpmnWorkflow → do_engine_steps → complete the user task → do_engine_steps."""
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
    from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG
    from SpiffWorkflow.util.task import TaskState

    parser = CamundaParser()
    parser.add_bpmn_file(str(BPMN_FILE))
    spec = parser.get_spec(PROCESS_ID)
    subs = parser.get_subprocess_specs(PROCESS_ID)
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))

    def complete(wf: Any) -> None:
        ready = wf.get_tasks(state=TaskState.READY, manual=True)
        if len(ready) != 1:
            raise RuntimeError(f"expected one ready user task, found {len(ready)}")
        ready[0].data.update(FORM_DATA)
        ready[0].run()
        wf.do_engine_steps()
        if not wf.is_completed():
            raise RuntimeError("the workflow did not complete")

    def plain() -> None:
        wf = BpmnWorkflow(spec, subs)
        wf.task_tree.data.update(START_DATA)
        wf.do_engine_steps()
        complete(wf)

    def with_serializer() -> None:
        # what a stateless service must add at least: store after start, load + store around complete
        wf = BpmnWorkflow(spec, subs)
        wf.task_tree.data.update(START_DATA)
        wf.do_engine_steps()
        state = serializer.serialize_json(wf)
        wf = serializer.deserialize_json(state)
        complete(wf)
        serializer.serialize_json(wf)

    out = EngineOnly()
    clock = time.perf_counter
    for fn, sink in ((plain, out.run), (with_serializer, out.run_serialized)):
        for i in range(warmup + n):
            t0 = clock()
            fn()
            if i >= warmup:
                sink.append(clock() - t0)
    return out


# --- 4: throughput with concurrent clients ----------------------------------------------------------


@dataclass
class Throughput:
    cycles: int = 0
    seconds: float = 0.0
    errors: Counter[str] = field(default_factory=Counter)
    cycle_times: list[float] = field(default_factory=list)
    connects: int = 0
    examples: dict[str, str] = field(default_factory=dict)
    client_cpu: float = 0.0
    worker_cpu: dict[int, float] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.cycles / self.seconds if self.seconds else 0.0


def _cpu_per_cycle(tp: Throughput) -> float:
    """Milliseconds of gunicorn worker CPU per completed full cycle in the throughput window (NaN if unknown)."""
    return sum(tp.worker_cpu.values()) / tp.cycles * 1000 if tp.worker_cpu and tp.cycles else float("nan")


def _error_key(exc: BaseException) -> str:
    if isinstance(exc, HttpError):
        return f"HTTP {exc.status}"
    return type(exc).__name__


def throughput(server: Server, clients: int, seconds: float, warmup_cycles: int, token: str) -> Throughput:
    port = server.port
    out = Throughput()
    lock = threading.Lock()
    window: dict[str, float] = {}
    cpu_before: dict[int, float] = {}

    def open_window() -> None:  # run by one thread when every client has warmed up
        cpu_before.update(server.worker_cpu())
        window["cpu"] = time.process_time()
        window["end"] = time.perf_counter() + seconds

    ready = threading.Barrier(clients + 1, action=open_window)

    def worker() -> None:
        client = Client(port, token)
        errors: Counter[str] = Counter()
        examples: dict[str, str] = {}
        times: list[float] = []
        done = 0

        def attempt() -> bool:
            try:
                complete_task(client, find_task(client, start_instance(client)))
                return True
            except Exception as exc:
                key = _error_key(exc)
                errors[key] += 1
                examples.setdefault(key, str(exc)[:300])
                return False

        try:
            for _ in range(warmup_cycles):  # each worker process loads and caches the spec
                attempt()
            ready.wait()
            end = window["end"]
            while True:
                t0 = time.perf_counter()
                if t0 >= end:
                    break
                ok = attempt()
                t1 = time.perf_counter()
                if ok and t1 <= end:
                    done += 1
                    times.append(t1 - t0)
        except threading.BrokenBarrierError:
            pass
        finally:
            client.close()
            with lock:
                out.cycles += done
                out.errors.update(errors)
                out.cycle_times.extend(times)
                out.connects += client.connects
                for k, v in examples.items():
                    out.examples.setdefault(k, v)

    threads = [threading.Thread(target=worker, name=f"bench-client-{i}", daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    try:
        ready.wait(timeout=120)
    except threading.BrokenBarrierError:
        raise RuntimeError("the clients did not finish their warm-up in time") from None
    for t in threads:
        t.join(timeout=seconds + 120)
    out.client_cpu = time.process_time() - window["cpu"]
    after = server.worker_cpu()
    out.worker_cpu = {pid: after[pid] - cpu for pid, cpu in cpu_before.items() if pid in after}
    out.seconds = seconds
    return out


# --- the report -------------------------------------------------------------------------------------


def _row(label: str, median: float, p90: float | None, target: str = "", verdict: str = "") -> str:
    p90_text = f"{p90:8.2f}" if p90 is not None else f"{'':8}"
    return f"  {label:<44}{median:9.2f}{p90_text}   {target:<12}{verdict}".rstrip()


def report(args: argparse.Namespace, seq: Sequential, eng: EngineOnly, tp: Throughput, seq_cmd: str,
           tp_cmd: str, deployed: dict[str, Any], spread: tuple[Throughput, str] | None = None) -> None:
    start_med, start_p90 = _ms(seq.start)
    find_med, find_p90 = _ms(seq.find)
    complete_med, complete_p90 = _ms(seq.complete)
    eng_med, eng_p90 = _ms(eng.run)
    ser_med, ser_p90 = _ms(eng.run_serialized)
    cycle_med, cycle_p90 = _ms(tp.cycle_times)
    service_med = start_med + complete_med
    errors = sum(tp.errors.values())

    print()
    print(f"Jixiao benchmark — peer workload (start → script → user task → end), process {PROCESS_ID!r}, "
          f"version {str(deployed.get('version', ''))[:12]}")
    print(f"  command: .venv/bin/python -m bench.run --n {args.n} --warmup {args.warmup} "
          f"--seconds {args.seconds:g} --clients {args.clients}")
    print(f"  python {sys.version.split()[0]}, SQLite (WAL) in a temp dir, client: http.client keep-alive")
    print(f"  machine: {os.cpu_count()} CPUs; 1-min load average {args.load_before:.2f} before the run"
          + ("  (other processes were busy: figures may be pessimistic)"
             if args.load_before > 0.5 else ""))
    print()
    print(f"Sequential client, one keep-alive connection ({args.warmup} warm-up + {args.n} timed cycles)")
    print(f"  server: {seq_cmd}")
    print(f"  {'':<44}{'median':>9}{'p90':>8}   target")
    print(_row("start  POST /api/instances", start_med, start_p90, f"≤ {TARGET_MEDIAN_MS:g} ms",
               _verdict(start_med <= TARGET_MEDIAN_MS)))
    print(_row("find   GET /api/tasks?instance_id=…", find_med, find_p90))
    print(_row("complete POST /api/tasks/<id>/complete", complete_med, complete_p90,
               f"≤ {TARGET_MEDIAN_MS:g} ms", _verdict(complete_med <= TARGET_MEDIAN_MS)))
    print(_row("full cycle (start + find + complete)", start_med + find_med + complete_med, None))
    print(f"  connections opened: {seq.connects} (1 = keep-alive held for the whole run)")
    print()
    print(f"SpiffWorkflow alone, in memory (parsed once; {args.warmup} warm-up + {args.n} timed runs)")
    print(_row("full run (new → steps → complete → steps)", eng_med, eng_p90))
    print(_row("  + JSON serialize/deserialize round trips", ser_med, ser_p90))
    ratio = service_med / eng_med if eng_med else float("nan")
    print(f"  ratio service/bpm = (start + complete medians) / engine run median = "
          f"{service_med:.2f} / {eng_med:.2f} = {ratio:.1f}×")
    print()
    print(f"Throughput: {args.clients} concurrent clients, each reusing its connection while the server keeps "
          f"it alive, {args.seconds:g} s")
    from service import gunicorn_conf

    print(f"  (`make run`'s server: service/gunicorn_conf.py, {gunicorn_conf.workers} gthread worker(s) × "
          f"{gunicorn_conf.threads} threads, at most {gunicorn_conf.worker_connections} connections each)")
    print(f"  server: {tp_cmd}")
    print(f"  full cycles/s: {tp.per_second:8.1f}   ({tp.cycles} cycles)   "
          f"target ≥ {TARGET_CYCLES_PER_S:g}/s with 0 errors: "
          f"{_verdict(tp.per_second >= TARGET_CYCLES_PER_S and errors == 0)}")
    print(f"  cycle latency: median {cycle_med:.2f} ms, p90 {cycle_p90:.2f} ms; "
          f"connections opened: {tp.connects}")
    if tp.worker_cpu:
        split = ", ".join(f"{cpu:.1f} s" for cpu in sorted(tp.worker_cpu.values(), reverse=True))
        print(f"  CPU used in the window: gunicorn workers {split}; this client {tp.client_cpu:.1f} s "
              f"(of {tp.seconds:g} s × {os.cpu_count()} CPUs)")
        print(f"  server CPU per full cycle: {_cpu_per_cycle(tp):.2f} ms (the figure to compare across runs when "
              "the machine is shared: wall-clock figures grow with the load, this one much less)")
        busiest, total = max(tp.worker_cpu.values()), sum(tp.worker_cpu.values())
        if len(tp.worker_cpu) > 1 and total > 0 and busiest / total > 0.8:
            print("  note: one worker served (nearly) all connections — a gthread worker keeps the keep-alive "
                  "connections it accepted, so the other worker idled")
    print(f"  errors: {errors}" + (" (warm-up included)" if errors else ""))
    for key, count in tp.errors.most_common():
        print(f"    {key:<24}{count:6}   e.g. {tp.examples.get(key, '')}")
    if spread is not None:
        tp2, cmd2 = spread
        split2 = ", ".join(f"{cpu:.1f} s" for cpu in sorted(tp2.worker_cpu.values(), reverse=True))
        print("  the same server with the connections spread over its workers (a worker at its cap closes a "
              "connection after its response, and the client reconnects):")
        print(f"  server: {cmd2}")
        print(f"  full cycles/s: {tp2.per_second:8.1f}   ({tp2.cycles} cycles), errors {sum(tp2.errors.values())}, "
              f"connections opened {tp2.connects}; CPU of the workers {split2}")
    print()


# --- main -------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n", 1)[0])
    p.add_argument("--n", type=int, default=200, help="timed sequential cycles and engine runs (200)")
    p.add_argument("--warmup", type=int, default=50, help="untimed warm-up cycles (50)")
    p.add_argument("--seconds", type=float, default=10.0, help="length of the throughput window (10)")
    p.add_argument("--clients", type=int, default=4, help="concurrent clients for throughput (4)")
    p.add_argument("--only", choices=("peer", "demo", "inbox", "audit", "timers", "sweep", "jobs", "province"),
                   help="run one part: the peer workload on SQLite, the inbox on PostgreSQL, the audit "
                        "benchmark (bench/audit.py), the timer sweep (bench/timers.py) in-process on SQLite, the "
                        "daily reminder sweep (bench/sweep.py) on SQLite and PostgreSQL, jobs per second with worker "
                        "processes on PostgreSQL (bench/jobs.py), the demo's build (bench/demo.py) or the simulated "
                        "province (bench/province.py) (default: all)")
    p.add_argument("--inbox-explain", action="store_true",
                   help="also print EXPLAIN ANALYZE of the inbox queries")
    args = p.parse_args(argv)
    if args.n < 1 or args.warmup < 0 or args.seconds <= 0 or args.clients < 1:
        p.error("--n and --clients must be ≥ 1, --warmup ≥ 0, --seconds > 0")
    return args


def _on_sigterm(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def bench_user(database_url: str) -> str:
    """A bearer token for a user who may deploy, start and complete the peer workload (staff of `bench`)."""
    from datetime import timedelta

    from service import clock, db
    from service.people import directory, tokens

    engine = db.make_engine(database_url)
    try:
        with db.write(engine) as conn:
            directory.upsert_department(conn, {"id": "bench", "name": "bench"})
            user = directory.create_user(conn, "bench", username="bench", display_name="bench",
                                         password="bench-password", roles=["process_designer", "department_staff"],
                                         department_id="bench")
            token, _ = tokens.issue(conn, user["id"], clock.now(), timedelta(hours=12))
        return token
    finally:
        engine.dispose()


@dataclass
class PeerRun:
    """The peer workload on one database: sequential latencies and throughput through `make run`'s server."""

    label: str
    seq: Sequential
    tp: Throughput
    seq_cmd: str
    tp_cmd: str
    deployed: dict[str, Any]
    spread: tuple[Throughput, str] | None = None


def peer_on(args: argparse.Namespace, tmp: Path, cleanups: list[Callable[[], None]], url: str, label: str,
            db_label: str, *, spread: bool) -> PeerRun:
    """Migrate the database at `url`, then the sequential client and the concurrent clients against gunicorn."""
    env = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    for var in ("HOST", "PORT"):  # the Makefile exports these for `make run`; the bench picks its own
        env.pop(var, None)
    print(f"bench: migrating a fresh {label} database", flush=True)
    subprocess.run([_bin("jixiao"), "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    token = bench_user(url)
    tag = label.lower()

    one = Server(workers=1, threads=4, env=env, log_path=tmp / f"gunicorn-{tag}-w1.log", db_label=db_label)
    cleanups.append(one.stop)
    print(f"bench: starting {one.command()}", flush=True)
    with running(one):
        client = Client(one.port, token)
        deployed = deploy(client)
        client.close()
        print(f"bench: deployed {PROCESS_ID} ({str(deployed['version'])[:12]}); "
              f"{args.warmup} + {args.n} sequential cycles", flush=True)
        seq = sequential(one.port, args.n, args.warmup, token)

    # `make run`'s server as it is: service/gunicorn_conf.py's workers (one per core) and threads.
    two = Server(workers=None, threads=None, env=env, log_path=tmp / f"gunicorn-{tag}-make-run.log", db_label=db_label)
    cleanups.append(two.stop)
    print(f"bench: starting {two.command()}; {args.clients} clients for {args.seconds:g} s", flush=True)
    with running(two):
        tp = throughput(two, args.clients, args.seconds, warmup_cycles=5, token=token)
    out = PeerRun(label, seq, tp, one.command(), two.command(), deployed)
    if spread:
        # Few long-lived clients may all land on one gthread worker; capping each worker's connections spreads them.
        three = Server(workers=None, threads=None, env=env, log_path=tmp / f"gunicorn-{tag}-spread.log",
                       extra=("--worker-connections", str(max(1, args.clients // 2))), db_label=db_label)
        cleanups.append(three.stop)
        print(f"bench: starting {three.command()}; {args.clients} clients for {args.seconds:g} s", flush=True)
        with running(three):
            out.spread = (throughput(three, args.clients, args.seconds, warmup_cycles=5, token=token),
                          three.command())
    return out


def peer_postgres(args: argparse.Namespace, tmp: Path, cleanups: list[Callable[[], None]]) -> PeerRun | None:
    """The same workload on a fresh PostgreSQL database (dropped at the end); None when PostgreSQL is unreachable."""
    from bench import inbox

    name = f"jixiao_bench_peer_{os.getpid()}"
    try:
        with inbox._admin(inbox.ADMIN_URL) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except inbox.Skipped as exc:
        print(f"bench: the peer workload on PostgreSQL is skipped: {exc}", flush=True)
        return None
    cleanups.append(lambda: inbox._drop(inbox.ADMIN_URL, name))
    url = inbox._database_url(inbox.ADMIN_URL, name)
    return peer_on(args, tmp, cleanups, url, f"PostgreSQL {version.split()[0]}", f"{url.rpartition('/')[0]}/<tmp db>",
                   spread=False)


def side_by_side(runs: list[PeerRun], clients: int) -> None:
    """The peer workload's figures on each database, one column each (PostgreSQL beside SQLite)."""
    print("Peer workload side by side (sequential medians through gunicorn -w 1 --threads 4; full cycles/s with "
          f"{clients} clients through `make run`'s server)")
    print(f"  {'':<40}" + "".join(f"{r.label:>18}" for r in runs) + "   target")
    rows = [("start   POST /api/instances", lambda r: f"{_ms(r.seq.start)[0]:.2f} ms", f"≤ {TARGET_MEDIAN_MS:g} ms"),
            ("find    GET /api/tasks?instance_id=…", lambda r: f"{_ms(r.seq.find)[0]:.2f} ms", ""),
            ("complete POST …/complete", lambda r: f"{_ms(r.seq.complete)[0]:.2f} ms", f"≤ {TARGET_MEDIAN_MS:g} ms"),
            ("full cycles/s", lambda r: f"{r.tp.per_second:.1f}", f"≥ {TARGET_CYCLES_PER_S:g}"),
            ("server CPU per full cycle", lambda r: f"{_cpu_per_cycle(r.tp):.2f} ms", ""),
            ("errors", lambda r: f"{sum(r.tp.errors.values())}", "0")]
    for name, value, target in rows:
        print(f"  {name:<40}" + "".join(f"{value(r):>18}" for r in runs) + f"   {target}")
    print()


def record_peer(run: PeerRun, key: str) -> None:
    """This database's figures into the figures table (bench/figures.py); SQLite's against their targets."""
    start, complete = _ms(run.seq.start)[0], _ms(run.seq.complete)[0]
    errors = sum(run.tp.errors.values())
    judged = key == "sqlite"
    figures.record(f"peer.{key}.start", f"{start:.2f} ms", start <= TARGET_MEDIAN_MS if judged else None)
    figures.record(f"peer.{key}.complete", f"{complete:.2f} ms", complete <= TARGET_MEDIAN_MS if judged else None)
    figures.record(f"peer.{key}.cycles", f"{run.tp.per_second:.1f} /s, {errors} errors "
                                         f"({_cpu_per_cycle(run.tp):.2f} ms server CPU per cycle)",
                   run.tp.per_second >= TARGET_CYCLES_PER_S and errors == 0 if judged else None)


def peer(args: argparse.Namespace, tmp: Path, cleanups: list[Callable[[], None]]) -> None:
    from service import gunicorn_conf

    figures.record("serve", f"gunicorn {gunicorn_conf.worker_class}, {gunicorn_conf.workers} workers × "
                            f"{gunicorn_conf.threads} threads", gunicorn_conf.worker_class == "gthread"
                   and gunicorn_conf.workers == gunicorn_conf.cores())
    sqlite = peer_on(args, tmp, cleanups, f"sqlite:///{tmp / 'bench.sqlite3'}", "SQLite",
                     "sqlite:///<tmp>/bench.sqlite3", spread=True)
    print(f"bench: SpiffWorkflow alone, {args.warmup} + {args.n} runs", flush=True)
    eng = engine_only(args.n, args.warmup)
    report(args, sqlite.seq, eng, sqlite.tp, sqlite.seq_cmd, sqlite.tp_cmd, sqlite.deployed, sqlite.spread)
    record_peer(sqlite, "sqlite")
    pg = peer_postgres(args, tmp, cleanups)
    if pg is None:
        return
    print(f"The same workload on {pg.label} (a fresh database, dropped at the end)")
    print(f"  sequential: {pg.seq_cmd}")
    print(f"  throughput: {pg.tp_cmd}")
    for key, count in pg.tp.errors.most_common():
        print(f"    {key:<24}{count:6}   e.g. {pg.tp.examples.get(key, '')}")
    print()
    side_by_side([sqlite, pg], args.clients)
    record_peer(pg, "pg")


def inbox_part(args: argparse.Namespace, tmp: Path) -> None:
    """The inbox on PostgreSQL (bench/inbox.py); skipped, not failed, without a reachable PostgreSQL."""
    from bench import inbox

    try:
        result = inbox.run(tmp, explain_plans=args.inbox_explain, log=lambda m: print(m, flush=True))
    except inbox.Skipped as exc:
        print()
        inbox.skipped(str(exc))
        return
    except (RuntimeError, HttpError, LookupError, OSError, subprocess.CalledProcessError):
        raise
    except Exception as exc:  # a database or driver error: report it like the other failures
        raise RuntimeError(f"inbox: {type(exc).__name__}: {exc}") from exc
    print()
    inbox.report(result)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    args.reference_before = figures.reference_ms()
    print(f"bench: the machine's reference workload took {args.reference_before:.0f} ms of CPU (bench/figures.py)",
          flush=True)
    signal.signal(signal.SIGTERM, _on_sigterm)
    tmp = Path(tempfile.mkdtemp(prefix="jixiao-bench-"))
    cleanups: list[Callable[[], None]] = [lambda: shutil.rmtree(tmp, ignore_errors=True)]
    try:
        if args.only in (None, "peer"):
            peer(args, tmp, cleanups)
        if args.only in (None, "demo"):  # `jixiao seed --demo` on a fresh SQLite database (bench/demo.py)
            from bench import demo

            demo.part(tmp)
        if args.only in (None, "inbox"):
            inbox_part(args, tmp)
        if args.only in (None, "audit"):  # state at an event, replay, `audit verify` (bench/audit.py)
            from bench import audit

            audit.part(tmp)
        if args.only in (None, "timers"):  # the timer sweep with 1k vs 100k waiting (bench/timers.py)
            from bench import timers

            timers.part(tmp)
        if args.only in (None, "sweep"):  # the daily reminder sweep with 1k vs 100k open tasks (bench/sweep.py)
            from bench import sweep

            sweep.part(tmp)
        if args.only in (None, "jobs"):  # jobs/s through the full path, 1 and 2 workers (bench/jobs.py)
            from bench import jobs

            jobs.part(tmp)
        if args.only in (None, "province"):  # jixiao simulate, verify and the pages at scale (bench/province.py)
            from bench import province

            province.part(tmp)
        print(figures.table(args.only, load_before=args.load_before, reference_before=args.reference_before))
        print()
        return 0
    except KeyboardInterrupt:
        print("\nbench: interrupted; cleaning up", file=sys.stderr)
        return 130
    except (RuntimeError, HttpError, LookupError, OSError, subprocess.CalledProcessError) as exc:
        print(f"bench: failed: {exc}", file=sys.stderr)
        return 1
    finally:
        for cleanup in reversed(cleanups):
            try:
                cleanup()
            except Exception as exc:  # keep cleaning up
                print(f"bench: cleanup: {exc}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
