"""The inbox benchmark: a user's candidate inbox on PostgreSQL with 100,000 open tasks.

A fresh database (`jixiao_bench_<pid>`) is created on the local PostgreSQL, migrated by Alembic and
bulk-loaded with COPY: 200 departments, one instance per task, 100,000 ready task rows (due dates spread
over a year, priorities 0–100, a tenth of them claimed) and their task_candidates rows — mostly the
departmental groups department_staff / department_head, some the bureau-wide finance_reviewer. A
department_staff user of one department and a finance_reviewer get bearer tokens, one gunicorn worker
serves the app on that database, and over one keep-alive connection per user and line are timed:
GET /api/tasks?scope=candidate&per_page=20 (page 1: due first, then priority), the inbox's default tab
GET /api/tasks?scope=actionable&per_page=20 (the user's own tasks first — each bench user holds a few
claimed ones — then their groups' unclaimed tasks) and the page GET /inbox (signed in; its tab counts and
its default tab). The database is dropped at the end, also on an error or Ctrl-C. Without a reachable
PostgreSQL the benchmark is skipped.

    .venv/bin/python -m bench.run --only inbox [--inbox-explain]
"""

from __future__ import annotations

import json
import math
import os
import random
import statistics
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench import figures
from bench.run import ROOT, Client, Server, _bin, running

ADMIN_URL = os.environ.get("JIXIAO_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

DEPARTMENTS = 200
TASKS = 100_000
CLAIMED_SHARE = 0.10  # claimed tasks stay ready but leave the candidate inbox
WARMUP = 50
TIMED = 500
PER_PAGE = 20
TARGET_P95_MS = 30.0
SEED = 3
INBOX_PATH = f"/api/tasks?scope=candidate&per_page={PER_PAGE}"
ACTIONABLE_PATH = f"/api/tasks?scope=actionable&per_page={PER_PAGE}"
PAGE_PATH = "/inbox"
LINE_BUDGET_S = 60.0  # a slow line stops timing after this long (it reports how many requests it timed)
OWN_TASKS = 25  # claimed tasks handed to each bench user: the "mine first" part of the actionable tab

STAFF_USER = "bench_staff"
REVIEWER_USER = "bench_reviewer"
STAFF_DEPARTMENT = "d042"
BUREAU = "bureau"
VERSION_HASH = "b" * 64

# candidate_groups of a task → its share of the tasks
GROUP_MIX: list[tuple[str, float]] = [
    ("department_staff", 0.45),
    ("department_head", 0.30),
    ("department_staff,department_head", 0.15),
    ("finance_reviewer", 0.10),
]
PROCESSES = [("goal_review", "declare", "填报绩效目标"), ("goal_review", "head_review", "部门负责人审核"),
             ("goal_review", "finance_review", "财政审核"), ("monitoring", "report", "运行监控填报"),
             ("evaluation", "self_evaluation", "部门自评")]


class Skipped(Exception):
    """PostgreSQL is not reachable: the benchmark is skipped, not failed."""


@dataclass
class UserRun:
    label: str
    expected_total: int
    path: str = INBOX_PATH
    total: int = 0
    first_page_ok: bool = False
    latencies: list[float] = field(default_factory=list)
    connects: int = 0
    cpu_ms: float | None = None  # server CPU per timed request: the gunicorn worker + the database's backends


@dataclass
class InboxResult:
    server_version: str = ""
    database: str = ""
    load_seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    command: str = ""
    users: list[UserRun] = field(default_factory=list)
    explains: dict[str, str] = field(default_factory=dict)
    load_before: float = 0.0


# --- the data ---------------------------------------------------------------------------------------


@dataclass
class Task:
    id: str
    department_id: str
    groups: str
    assignee: str | None
    users: str | None
    due_at: datetime
    priority: int
    created_at: datetime


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def generate(now: datetime, seed: int = SEED) -> list[Task]:
    """The task rows (naive UTC datetimes, as stored): deterministic for a given seed and `now`."""
    rng = random.Random(seed)
    groups = [g for g, _ in GROUP_MIX]
    weights = [w for _, w in GROUP_MIX]
    year = 365 * 24 * 3600
    tasks = []
    for _ in range(TASKS):
        claimed = rng.random() < CLAIMED_SHARE
        tasks.append(Task(
            id=_uuid(rng),
            department_id=f"d{rng.randrange(DEPARTMENTS):03d}",
            groups=rng.choices(groups, weights)[0],
            assignee=f"user{rng.randrange(5000)}" if claimed else None,
            users=f"user{rng.randrange(5000)},user{rng.randrange(5000)}" if rng.random() < 0.02 else None,
            # from three months overdue to nine months ahead, to the second
            due_at=now + timedelta(seconds=rng.randrange(year) - year // 4),
            priority=rng.randint(0, 100),
            created_at=now - timedelta(seconds=rng.randrange(60 * 24 * 3600)),
        ))
    return tasks


def hand_out(tasks: list[Task]) -> None:
    """Give each bench user OWN_TASKS of the claimed tasks they could have claimed (a departmental group's
    in the staff user's department; finance_reviewer's), so that the actionable tab has a "mine" part."""
    from service.domain.roles import DEPARTMENTAL

    left = {STAFF_USER: OWN_TASKS, REVIEWER_USER: OWN_TASKS}
    for t in tasks:
        if t.assignee is None:
            continue
        groups = t.groups.split(",")
        if left[STAFF_USER] and t.department_id == STAFF_DEPARTMENT and all(g in DEPARTMENTAL for g in groups):
            t.assignee, left[STAFF_USER] = STAFF_USER, left[STAFF_USER] - 1
        elif left[REVIEWER_USER] and groups == ["finance_reviewer"]:
            t.assignee, left[REVIEWER_USER] = REVIEWER_USER, left[REVIEWER_USER] - 1


def expected_actionable(tasks: list[Task], username: str, groups: set[str], department_id: str | None) -> list[Task]:
    """What scope=actionable must answer, in its order: the user's own tasks, then their candidate inbox."""
    mine = sorted((t for t in tasks if t.assignee == username),
                  key=lambda t: (t.due_at, -t.priority, t.created_at, t.id))
    return mine + expected_inbox(tasks, groups, department_id)


def expected_inbox(tasks: list[Task], groups: set[str], department_id: str | None) -> list[Task]:
    """What scope=candidate must answer, in the list's order (due first, then priority)."""
    from service.domain.roles import DEPARTMENTAL

    def offered(t: Task) -> bool:
        return any(g in groups and (g not in DEPARTMENTAL or t.department_id == department_id)
                   for g in t.groups.split(","))

    found = [t for t in tasks if t.assignee is None and offered(t)]
    found.sort(key=lambda t: (t.due_at, -t.priority, t.id))
    return found


def _copy(cur: Any, table: str, columns: tuple[str, ...], rows: Any) -> int:
    n = 0
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def load(url: str, tasks: list[Task], now: datetime) -> dict[str, int]:
    """Bulk-load departments, a version row, instances, tasks and task_candidates with COPY; then ANALYZE."""
    import psycopg

    rng = random.Random(SEED + 1)
    counts: dict[str, int] = {}
    data = json.dumps({"project": "某某项目绩效目标", "amount": 1250000, "year": 2026,
                       "indicators": [{"name": "完成率", "target": "≥95%"}, {"name": "满意度", "target": "≥90%"}],
                       "comment": "x" * 120}, ensure_ascii=False)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        counts["departments"] = _copy(cur, "departments", ("id", "name", "level", "kind", "active"), [
            (BUREAU, "市财政局", "municipal", "bureau", True),
            *((f"d{i:03d}", f"预算部门 {i:03d}", "municipal", "department", True) for i in range(DEPARTMENTS))])
        cur.execute("INSERT INTO process_versions (hash, deployed_at, deployed_by, file_count) "
                    "VALUES (%s, %s, 'bench', 0)", (VERSION_HASH, now))
        instance_ids = [_uuid(rng) for _ in tasks]
        processes = [PROCESSES[rng.randrange(len(PROCESSES))] for _ in tasks]
        counts["instances"] = _copy(
            cur, "instances",
            ("id", "process_id", "version_hash", "department_id", "status", "state", "serializer_version",
             "lock_version", "data", "event_seq", "started_by", "created_at", "updated_at"),
            ((iid, proc[0], VERSION_HASH, t.department_id, "running", "{}", "bench", 1, data, 1,
              f"user{rng.randrange(5000)}", t.created_at, t.created_at)
             for iid, proc, t in zip(instance_ids, processes, tasks, strict=True)))
        counts["tasks"] = _copy(
            cur, "tasks",
            ("id", "instance_id", "process_id", "department_id", "bpmn_id", "name", "state", "form_key",
             "candidate_groups", "candidate_users", "assignee", "due_at", "priority", "data", "created_at"),
            ((t.id, iid, proc[0], t.department_id, proc[1], proc[2], "ready", proc[1], t.groups, t.users,
              t.assignee, t.due_at, t.priority, data, t.created_at)
             for iid, proc, t in zip(instance_ids, processes, tasks, strict=True)))
        counts["task_candidates"] = _copy(
            cur, "task_candidates", ("task_id", "group_name", "department_id", "due_at", "priority", "assignee"),
            ((t.id, key, t.department_id, t.due_at, t.priority, t.assignee) for t in tasks
             for key in dict.fromkeys([*t.groups.split(","), *("@" + u for u in (t.users or "").split(",") if u)])))
        conn.commit()
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE")  # as autovacuum would have done on a live database
    return counts


# --- the database -----------------------------------------------------------------------------------


def _database_url(admin_url: str, name: str) -> str:
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}"


def _admin(admin_url: str) -> Any:
    import psycopg

    try:
        return psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Skipped(f"PostgreSQL not reachable at {admin_url}: {reason}") from None


def _drop(admin_url: str, name: str) -> None:
    with _admin(admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- users, requests, plans -------------------------------------------------------------------------


def _users(url: str, now: datetime) -> dict[str, str]:
    """The two users of the scenario, with a bearer token each."""
    from service import db
    from service.people import directory, tokens

    engine = db.make_engine(url)
    try:
        issued = {}
        for name, dept, role in ((STAFF_USER, STAFF_DEPARTMENT, "department_staff"),
                                 (REVIEWER_USER, BUREAU, "finance_reviewer")):
            with db.write(engine) as conn:
                user = directory.create_user(conn, "bench", username=name, display_name=name,
                                             password=f"pw-{name}-bench", roles=[role], department_id=dept, now=now)
                issued[name], _ = tokens.issue(conn, user["id"], now, timedelta(hours=12))
        return issued
    finally:
        engine.dispose()


def _p95(seconds: list[float]) -> float:
    ordered = sorted(seconds)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] * 1000  # nearest rank


def measure(port: int, token: str, run: UserRun, expected_ids: list[str]) -> None:
    client = Client(port, token=token)
    try:
        body = client.request("GET", run.path)
        run.total = int(body["total"])
        run.first_page_ok = [item["id"] for item in body["items"]] == expected_ids
        _time(lambda: client.request("GET", run.path), run)
    finally:
        client.close()
    run.connects = client.connects


def _time(call: Any, run: UserRun) -> None:
    """WARMUP + TIMED calls, the TIMED ones kept; a line slower than LINE_BUDGET_S stops early."""
    clock = time.perf_counter
    started = clock()
    for i in range(WARMUP + TIMED):
        t0 = clock()
        call()
        if i >= WARMUP:
            run.latencies.append(clock() - t0)
        if clock() - started > LINE_BUDGET_S and len(run.latencies) >= 20:
            break


class _PageClient:
    """One keep-alive connection holding a signed-in session cookie (the web pages, not the API)."""

    def __init__(self, port: int) -> None:
        import http.client

        from bench.run import HOST

        self.conn = http.client.HTTPConnection(HOST, port, timeout=120)
        self.connects = 1
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        import urllib.parse

        headers = {"Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        text = resp.read().decode()
        for header, value in resp.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        if resp.will_close:
            self.conn.close()
            self.connects += 1
        return resp.status, text

    def sign_in(self, username: str, password: str) -> None:
        import re

        _, page = self.request("GET", "/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if not csrf:
            raise RuntimeError("bench: inbox: no sign-in form")
        status, _ = self.request("POST", "/login", {"username": username, "password": password,
                                                    "csrf_token": csrf.group(1)})
        if status not in (302, 303):
            raise RuntimeError(f"bench: inbox: {username} could not sign in ({status})")


def measure_page(port: int, username: str, run: UserRun, expected_ids: list[str]) -> None:
    """GET /inbox signed in as `username`: its default tab (actionable) with the tab counts."""
    import re

    client = _PageClient(port)

    def get() -> str:
        status, text = client.request("GET", run.path)
        if status != 200:
            raise RuntimeError(f"bench: inbox: {run.path} answered {status}")
        return text

    try:
        client.sign_in(username, f"pw-{username}-bench")
        page = get()
        tabs = dict(re.findall(r'data-scope="(\w+)"[^>]*>[^<]*<span class="count">(\d+)</span>', page))
        run.total = int(tabs.get("actionable", -1))
        run.first_page_ok = re.findall(r'<tr data-task="([^"]+)"', page) == expected_ids
        _time(get, run)
    finally:
        client.conn.close()
    run.connects = client.connects


def explain(url: str, username: str, scope: str = "candidate") -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the statements page 1 of `username`'s inbox runs: list_tasks for scope
    candidate; for actionable, what the page /inbox runs (count_by_scope, then list_tasks given that count)."""
    from sqlalchemy import event
    from sqlalchemy.dialects import postgresql

    from service import clock, db
    from service.people.directory import principal_of
    from service.queries import tasks_queries

    engine = db.make_engine(url)
    statements: list[Any] = []

    @event.listens_for(engine, "before_execute")
    def _keep(_conn: Any, clauseelement: Any, *_args: Any) -> None:
        statements.append(clauseelement)

    try:
        with engine.connect() as conn:
            viewer = principal_of(conn, username)
        assert viewer is not None, username
        statements.clear()
        with db.read(engine) as conn:
            total = tasks_queries.count_by_scope(conn, viewer)[scope] if scope == "actionable" else None
            tasks_queries.list_tasks(conn, page=1, per_page=PER_PAGE, now=clock.now(), viewer=viewer, scope=scope,
                                     total=total)
        event.remove(engine, "before_execute", _keep)
        out = []
        dialect = postgresql.dialect(paramstyle="named")  # literal % stays single
        with engine.connect() as conn:
            for stmt in statements:
                sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
                plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql.replace("%", "%%")).scalars()
                out.append(sql + "\n\n" + "\n".join(plan))
        return "\n\n".join(out)
    finally:
        engine.dispose()


def _server_cpu(server: Server, admin_url: str, database: str) -> float | None:
    """CPU seconds so far of the gunicorn workers and of the PostgreSQL backends connected to `database` (their
    pids from pg_stat_activity, their CPU from /proc: Linux, PostgreSQL on this machine; None otherwise). CPU, unlike
    wall-clock time, hardly moves with what else the shared machine runs."""
    from bench.run import _cpu_seconds

    workers = server.worker_cpu()
    with _admin(admin_url) as conn:
        pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,))]
    backends = [_cpu_seconds(pid) for pid in pids]
    if not workers or not pids or any(b is None for b in backends):
        return None
    return sum(workers.values()) + sum(b for b in backends if b is not None)


# --- the run ----------------------------------------------------------------------------------------


def run(tmp: Path, *, admin_url: str = ADMIN_URL, explain_plans: bool = False, log: Any = print) -> InboxResult:
    """The whole scenario; raises Skipped when PostgreSQL is not reachable."""
    from service import clock

    name = f"jixiao_bench_{os.getpid()}"
    with _admin(admin_url) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _database_url(admin_url, name)
    result = InboxResult(server_version=version, database=name,
                         load_before=os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0)
    try:
        env = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
        for var in ("HOST", "PORT"):
            env.pop(var, None)
        log(f"bench: inbox: migrating the fresh PostgreSQL database {name}")
        subprocess.run([_bin("jixiao"), "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)

        now = clock.now().replace(tzinfo=None)  # naive UTC, as stored
        tasks = generate(now)
        hand_out(tasks)
        log(f"bench: inbox: loading {TASKS:,} tasks in {DEPARTMENTS} departments (COPY)")
        t0 = time.perf_counter()
        result.rows = load(url, tasks, now)
        result.load_seconds = time.perf_counter() - t0
        tokens = _users(url, clock.now())

        scenario = [
            (STAFF_USER, f"department_staff of {STAFF_DEPARTMENT}", {"department_staff"}, STAFF_DEPARTMENT),
            (REVIEWER_USER, "finance_reviewer (all departments)", {"finance_reviewer"}, BUREAU),
        ]
        server = Server(workers=1, threads=4, env=env, log_path=tmp / "gunicorn-inbox.log",
                        db_label=_database_url(admin_url, "<db>"))
        result.command = server.command()
        log(f"bench: inbox: starting {result.command}; {WARMUP} + {TIMED} requests per user and line")
        with running(server):
            for username, label, groups, dept in scenario:
                expected = expected_inbox(tasks, groups, dept)
                actionable = [t.id for t in expected_actionable(tasks, username, groups, dept)]
                for path in (INBOX_PATH, ACTIONABLE_PATH, PAGE_PATH):
                    log(f"bench: inbox: {label}: GET {path}")
                    cpu_before = _server_cpu(server, admin_url, name)
                    if path == INBOX_PATH:
                        user_run = UserRun(label, len(expected), path)
                        measure(server.port, tokens[username], user_run, [t.id for t in expected[:PER_PAGE]])
                    elif path == ACTIONABLE_PATH:
                        user_run = UserRun(label, len(actionable), path)
                        measure(server.port, tokens[username], user_run, actionable[:PER_PAGE])
                    else:
                        user_run = UserRun(label, len(actionable), path)
                        measure_page(server.port, username, user_run, actionable[:PER_PAGE])
                    cpu_after = _server_cpu(server, admin_url, name)
                    if cpu_before is not None and cpu_after is not None:  # warm-up included: + WARMUP + 1 requests
                        user_run.cpu_ms = (cpu_after - cpu_before) * 1000 / (len(user_run.latencies) + WARMUP + 1)
                    result.users.append(user_run)
        if explain_plans:
            for username, label, _, _ in scenario:
                for scope in ("candidate", "actionable"):
                    result.explains[f"{label}, scope={scope}"] = explain(url, username, scope)
        return result
    finally:
        _drop(admin_url, name)


def report(result: InboxResult) -> None:
    print(f"Inbox: GET {INBOX_PATH} (page 1: due first, then priority), GET {ACTIONABLE_PATH} (the "
          f"default tab: mine first) and the page GET {PAGE_PATH} (signed in: tab counts + the default tab), "
          f"{TASKS:,} ready tasks in {DEPARTMENTS} departments")
    print(f"  PostgreSQL {result.server_version}, fresh database {result.database} (Alembic head, dropped "
          f"afterwards); loaded with COPY + VACUUM ANALYZE in {result.load_seconds:.1f} s: "
          + ", ".join(f"{n:,} {t}" for t, n in result.rows.items()))
    mix = ", ".join(f"{g} {w:.0%}" for g, w in GROUP_MIX)
    print(f"  candidate groups: {mix}; 2% also name candidate users; {CLAIMED_SHARE:.0%} of the tasks claimed "
          f"({OWN_TASKS} of them by each bench user); due dates over a year")
    print(f"  server: {result.command}")
    print(f"  machine: {os.cpu_count()} CPUs (PostgreSQL on the same machine); 1-min load average "
          f"{result.load_before:.2f} before this part" + ("  (other processes were busy: figures may be pessimistic)"
                                                          if result.load_before > 0.5 else ""))
    print(f"  one keep-alive connection per user and line, {WARMUP} warm-up + {TIMED} timed requests (a line "
          f"stops timing after {LINE_BUDGET_S:g} s: n says how many it timed)")
    print("  cpu: server CPU per request (the gunicorn worker + the database's PostgreSQL backends, warm-up "
          "included), the figure to compare on a shared machine")
    print(f"  {'':<38}{'':<40}{'n':>5}{'median':>9}{'p95':>9}{'cpu':>9}   target")
    for u in result.users:
        median = statistics.median(u.latencies) * 1000
        p95 = _p95(u.latencies)
        verdict = "met" if p95 <= TARGET_P95_MS else "NOT met"
        target = f"p95 ≤ {TARGET_P95_MS:g} ms"
        cpu = f"{u.cpu_ms:9.2f}" if u.cpu_ms is not None else f"{'–':>9}"
        print(f"  {u.label:<38}{u.path:<40}{len(u.latencies):5d}{median:9.2f}{p95:9.2f}{cpu}   {target:<14}{verdict}")
        if u.path == PAGE_PATH:
            figures.record("inbox.100k.reviewer" if u.label.startswith("finance_reviewer") else "inbox.100k.staff",
                           f"p95 {p95:.1f} ms (median {median:.1f}; {u.cpu_ms or 0:.1f} ms server CPU per page)",
                           p95 <= TARGET_P95_MS)
    for u in result.users:
        check = "as expected" if u.total == u.expected_total and u.first_page_ok else "UNEXPECTED"
        print(f"    {u.label}, {u.path}: total {u.total:,} (generated {u.expected_total:,}), first page "
              f"{'matches' if u.first_page_ok else 'differs from'} the generated order — {check}; "
              f"connections opened: {u.connects}")
    for label, plan in result.explains.items():
        print()
        print(f"  EXPLAIN ANALYZE, {label}:")
        print("\n".join("    " + line for line in plan.splitlines()))
    print()


def skipped(reason: str) -> None:
    print(f"Inbox: skipped — {reason}")
    print()
