"""The daily sweep benchmark: reminders and overdue tasks at 1,000 vs 100,000 open tasks, SQLite and PostgreSQL.

Per database and size N, a fresh schema (the Alembic migrations), the repository's rule rows (seeds/rules.json)
and the official holiday calendar, 40 departments with a staff member and a head each, two finance reviewers.
N open tasks are bulk-inserted as the mutation path writes them (service/bpm/statements.py): one running
instance per ready task, the task row with its candidate groups, and its task_candidates rows (a group, or "@"
+ a named user; claimed tasks keep theirs with the assignee). Of the N, a fixed DUE are due for a reminder today
(half 5, half 1 working day ahead: rule `reminders.lead_working_days`) and OVERDUE are past their due date; the
others are due later than the longest lead time or have no due date. The open monitoring reports and mid-term
reviews among them (rule `reminders.announce_forms`) were announced when they opened: their announcement mails
are in the outbox, as they would be in production.

Each round inserts DUE fresh due tasks (untimed) and times workers.calendar_jobs.daily_reminders — the function
the worker's daily cron job calls — with an explicit time (Monday 08:00 in Asia/Shanghai); every due task must
get its reminders, and a second sweep at the same time must add none. Overdue tasks surface on the dashboard's
"overdue by stage" (service.queries.dashboard_queries.overdue_by_stage), timed too; their escalations are BPMN boundary
timers, measured by the timer sweep benchmark (bench/timers.py). Printed: the median per N and the ratio
100k/1k (target under 2: the sweep costs what is due, not what is open).

PostgreSQL: the database named by JIXIAO_BENCH_SWEEP_PG_URL (its public schema is dropped and recreated), or
else a fresh database `jixiao_bench_sweep_<pid>` on JIXIAO_BENCH_PG_URL's server, dropped at the end; skipped
when PostgreSQL is not reachable.

    .venv/bin/python -m bench.run --only sweep

Environment: JIXIAO_BENCH_SWEEP_SIZES (default "1000,100000"), JIXIAO_BENCH_SWEEP_ROUNDS (5),
JIXIAO_BENCH_SWEEP_WARMUP (1), JIXIAO_BENCH_SWEEP_EXPLAIN=1 prints the plan of the sweep's task query per case.
`python -m bench.sweep SQLite` (or PostgreSQL) runs one backend alone.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.run import ROOT, _ms, _verdict

SIZES = tuple(int(n) for n in os.environ.get("JIXIAO_BENCH_SWEEP_SIZES", "1000,100000").split(","))
DUE = 100  # due for a reminder today, in every round
OVERDUE = 100  # past their due date
ROUNDS = int(os.environ.get("JIXIAO_BENCH_SWEEP_ROUNDS", "5"))  # after one untimed warm-up round
TARGET_RATIO = 2.0
DEPARTMENTS = 40
CHUNK = 5_000
SEED = 14
NOW = datetime(2026, 3, 9, 0, 0, tzinfo=UTC)  # Monday 9 March 2026, 08:00 in Asia/Shanghai
VERSION_HASH = "s" * 64
ADMIN_URL = os.environ.get("JIXIAO_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
OWN_PG_URL = os.environ.get("JIXIAO_BENCH_SWEEP_PG_URL")

# (process, task id, name, form key, candidate groups) of the user tasks in workflows/, in equal shares.
STEPS = [
    ("goal_review", "declare_goal", "编报绩效目标", "declare_goal", "department_staff"),
    ("goal_review", "submit_goal", "部门负责人审核", "submit_goal", "department_head"),
    ("goal_review", "finance_review", "财政审核", "finance_review", "finance_reviewer"),
    ("monitoring", "file_report", "填报监控报告", "monitoring_report", "department_staff"),
    ("monitoring", "midterm_review", "中期评估", "midterm_review", "department_staff,department_head"),
    ("monitoring", "corrective_measures", "提出纠偏措施", "corrective_measures", "department_staff"),
    ("evaluation", "self_evaluation", "单位自评", "self_evaluation", "department_staff"),
    ("rectification", "submit_rectification", "提交整改报告", "submit_rectification", "department_staff"),
    ("rectification", "feed_back_results", "反馈评价结果", "feed_back_results", "department_head"),
    ("budget_linkage", "disclose_results", "绩效信息公开", "disclose_results", "department_staff"),
]
CLAIMED_SHARE = 0.10
NO_DUE_SHARE = 0.10

Log = Callable[[str], None]


class Skipped(Exception):
    """PostgreSQL is not reachable: its half of the benchmark is skipped, not failed."""


@dataclass
class Case:
    backend: str
    open_tasks: int
    load_s: float = 0.0
    sweeps: list[float] = field(default_factory=list)
    again: list[float] = field(default_factory=list)  # the same sweep once more: nothing new to send
    overdue: list[float] = field(default_factory=list)
    reminders: int = 0
    announced_open: int = 0


@dataclass
class Ctx:
    """What one database of one size holds besides the open tasks: for the per-round due tasks."""

    rt: Any
    rng: random.Random
    remind_on: dict[int, datetime]  # lead (working days) → the due time that gets that reminder today
    staff: dict[str, list[str]] = field(default_factory=dict)  # department → users offered its staff tasks
    data: str = ""


# --- the rows -----------------------------------------------------------------------------------------


def _naive(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None)


def _task_rows(ctx: Ctx, due_at: datetime | None, created: datetime, step: tuple[str, ...] | None = None,
               claimed: bool | None = None) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """One running instance, its ready task and the task's candidate rows, as the mutation path writes them."""
    rng = ctx.rng
    process, bpmn_id, name, form_key, groups = step or STEPS[rng.randrange(len(STEPS))]
    dept = f"d{rng.randrange(DEPARTMENTS):02d}"
    claimed = rng.random() < CLAIMED_SHARE if claimed is None else claimed
    assignee = f"staff_{dept}" if claimed else None
    iid, tid = str(uuid.UUID(int=rng.getrandbits(128), version=4)), str(uuid.UUID(int=rng.getrandbits(128), version=4))
    stamp = _naive(created)
    instance = {"id": iid, "process_id": process, "version_hash": VERSION_HASH, "business_key": None,
                "department_id": dept, "status": "running", "state": "{}", "serializer_version": "bench",
                "lock_version": 1, "next_timer_at": None, "data": ctx.data, "event_seq": 1,
                "started_by": f"staff_{dept}", "created_at": stamp, "updated_at": stamp}
    due = _naive(due_at) if due_at is not None else None
    task = {"id": tid, "instance_id": iid, "process_id": process, "department_id": dept, "bpmn_id": bpmn_id,
            "name": name, "state": "ready", "form_key": form_key, "candidate_groups": groups,
            "candidate_users": None, "assignee": assignee, "owner": None, "delegation_state": None, "due_at": due,
            "follow_up_at": None, "priority": 50, "data": ctx.data, "created_at": stamp, "ended_at": None,
            "completed_by": None}
    candidates = [{"task_id": tid, "group_name": g, "department_id": dept, "assignee": assignee, "due_at": due,
                   "priority": 50} for g in groups.split(",")]
    return instance, task, candidates


def _insert(conn: Any, rows: list[tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]]) -> None:
    from sqlalchemy import insert

    from service.bpm.statements import CANDIDATES, TASKS
    from service.models import Instance

    for first in range(0, len(rows), CHUNK):
        part = rows[first:first + CHUNK]
        conn.execute(insert(Instance.__table__), [r[0] for r in part])
        conn.execute(insert(TASKS), [r[1] for r in part])
        conn.execute(insert(CANDIDATES), [c for r in part for c in r[2]])


def _people(conn: Any) -> None:
    """Departments, one staff member and one head each, two finance reviewers (no password: bulk rows)."""
    from sqlalchemy import insert, select

    from service.models import Department, User, UserRole

    stamp = _naive(NOW)
    conn.execute(insert(Department.__table__), [
        {"id": "bureau", "name": "市财政局", "level": "municipal", "kind": "bureau", "active": True},
        *({"id": f"d{i:02d}", "name": f"预算部门{i:02d}", "level": "municipal", "kind": "department", "active": True}
          for i in range(DEPARTMENTS))])
    people = [(f"staff_d{i:02d}", f"d{i:02d}", "department_staff") for i in range(DEPARTMENTS)]
    people += [(f"head_d{i:02d}", f"d{i:02d}", "department_head") for i in range(DEPARTMENTS)]
    people += [(f"reviewer{i}", "bureau", "finance_reviewer") for i in range(2)]
    users = User.__table__
    conn.execute(insert(users), [{"username": u, "display_name": u, "email": f"{u}@czj.example.cn",
                                  "password_hash": "!bench", "department_id": d, "active": True,
                                  "created_at": stamp} for u, d, _ in people])
    ids = dict(conn.execute(select(users.c.username, users.c.id)).all())
    conn.execute(insert(UserRole.__table__), [{"user_id": ids[u], "role": r} for u, _, r in people])


def _prepare(url: str, backend: str, open_tasks: int, log: Log) -> tuple[Ctx, Case]:
    from sqlalchemy import insert

    from service import clock
    from service.config import Settings
    from service.domain.workdays import add_working_days
    from service.migrate import upgrade
    from service.models import Notification, ProcessVersion
    from service.rules import store
    from service.runtime import Runtime
    from workers.reminder_sweep import ANNOUNCE_RULE, LEAD_RULE

    upgrade(url)
    rt = Runtime.build(Settings(database_url=url))
    case = Case(backend, open_tasks)
    t0 = time.perf_counter()
    today = clock.local_today(NOW)
    with rt.engine.begin() as conn:
        store.seed_rules(conn, ROOT / "seeds" / "rules.json", "bench", NOW)
        store.seed_calendar(conn, today.year - 1, today.year + 1)
        conn.execute(insert(ProcessVersion.__table__),
                     [{"hash": VERSION_HASH, "deployed_at": _naive(NOW), "deployed_by": "bench", "file_count": 0}])
        _people(conn)
        leads = store.get(conn, today.year, "municipal", LEAD_RULE)
        announced_forms = set(store.get(conn, today.year, "municipal", ANNOUNCE_RULE))
        calendar = store.calendar(conn, today - timedelta(days=120), today + timedelta(days=400))
    local = clock.LOCAL

    def at_five(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, 17, 0, tzinfo=local)

    remind_on = {lead: at_five(add_working_days(calendar, today, lead)) for lead in leads}
    beyond = at_five(add_working_days(calendar, today, max(leads) + 1))  # past the longest lead time
    ctx = Ctx(rt, random.Random(SEED), remind_on,
              data=json.dumps({"project": "某某项目", "amount": 1250000, "year": today.year, "comment": "x" * 120},
                              ensure_ascii=False))
    rows = []
    rng = ctx.rng
    for i in range(open_tasks - DUE):
        created = NOW - timedelta(seconds=rng.randrange(60 * 24 * 3600))
        if i < OVERDUE:  # from a day to three months late
            due: datetime | None = NOW - timedelta(days=1 + rng.randrange(90), hours=rng.randrange(24))
        elif rng.random() < NO_DUE_SHARE:
            due = None
        else:  # after the longest lead time, up to nine months ahead (to the second)
            due = beyond + timedelta(seconds=rng.randrange(270 * 24 * 3600))
        rows.append(_task_rows(ctx, due, created))
    announcements = [
        {"idempotency_key": f"announce:{task['id']}:{user}", "recipient": user, "email": f"{user}@czj.example.cn",
         "subject": "【工作通知】", "body": "…", "kind": "announcement", "instance_id": task["instance_id"],
         "status": "sent", "attempts": 1, "retries_left": 3, "due_at": task["created_at"],
         "created_at": task["created_at"], "sent_at": task["created_at"]}
        for _, task, _ in rows if task["form_key"] in announced_forms or task["bpmn_id"] in announced_forms
        for user in (f"staff_{task['department_id']}", f"head_{task['department_id']}")]
    case.announced_open = len(announcements) // 2
    with rt.engine.begin() as conn:
        _insert(conn, rows)
        N = Notification.__table__
        for first in range(0, len(announcements), CHUNK):
            conn.execute(insert(N), announcements[first:first + CHUNK])
    with rt.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT") if backend == "PostgreSQL" else conn
        conn.exec_driver_sql("VACUUM ANALYZE" if backend == "PostgreSQL" else "ANALYZE")
    case.load_s = time.perf_counter() - t0
    log(f"bench: sweep: {backend}: {open_tasks - DUE:,} open tasks ({case.announced_open:,} announced monitoring "
        f"reports and reviews, {OVERDUE} overdue) loaded in {case.load_s:.1f} s")
    return ctx, case


# --- one round ----------------------------------------------------------------------------------------


def _round(ctx: Ctx, case: Case | None) -> None:
    from sqlalchemy import delete, update

    from service.bpm.statements import CANDIDATES, TASKS
    from service.domain.roles import Principal
    from service.models import Instance
    from service.queries.dashboard_queries import overdue_by_stage
    from workers.calendar_jobs import daily_reminders

    rt, leads = ctx.rt, sorted(ctx.remind_on)
    plain = [s for s in STEPS if s[3] not in ("monitoring_report", "midterm_review")]
    due = [_task_rows(ctx, ctx.remind_on[leads[i % len(leads)]], NOW - timedelta(days=10),
                      plain[i % len(plain)], claimed=False) for i in range(DUE)]
    with rt.engine.begin() as conn:
        _insert(conn, due)
    t0 = time.perf_counter()
    swept = daily_reminders(rt, NOW)
    elapsed = time.perf_counter() - t0
    expected = sum(len(_recipients(t)) for _, t, _ in due)
    if len(swept.reminders) != expected or swept.announcements or swept.skipped:
        raise RuntimeError(f"sweep: {len(swept.reminders)} reminder(s) for {DUE} due tasks (expected {expected}), "
                           f"{len(swept.announcements)} announcement(s), {len(swept.skipped)} skipped")
    t0 = time.perf_counter()
    again = daily_reminders(rt, NOW)
    again_s = time.perf_counter() - t0
    if again.reminders or again.announcements:
        raise RuntimeError(f"sweep: a second sweep sent {len(again.reminders)} reminder(s) again")
    viewer = Principal(username="reviewer0", department_id=None, roles=frozenset({"finance_reviewer"}))
    t0 = time.perf_counter()
    with rt.reading() as conn:
        stages = overdue_by_stage(conn, viewer, NOW)
    overdue_s = time.perf_counter() - t0
    if sum(s["overdue"] for s in stages) != OVERDUE:
        raise RuntimeError(f"sweep: {sum(s['overdue'] for s in stages)} overdue tasks shown, expected {OVERDUE}")
    ids = [t["id"] for _, t, _ in due]
    stamp = _naive(NOW)
    with rt.engine.begin() as conn:  # done by their assignees: out of the next round, as the mutation path does
        conn.execute(update(TASKS).where(TASKS.c.id.in_(ids)).values(state="completed", ended_at=stamp))
        conn.execute(delete(CANDIDATES).where(CANDIDATES.c.task_id.in_(ids)))
        instances = Instance.__table__
        conn.execute(update(instances).where(instances.c.id.in_([t["instance_id"] for _, t, _ in due]))
                     .values(status="completed", updated_at=stamp))
    if case is not None:
        case.sweeps.append(elapsed)
        case.again.append(again_s)
        case.overdue.append(overdue_s)
        case.reminders = expected


def _recipients(task: dict[str, Any]) -> set[str]:
    dept = task["department_id"]
    people = {"department_staff": {f"staff_{dept}"}, "department_head": {f"head_{dept}"},
              "finance_reviewer": {"reviewer0", "reviewer1"}}
    return set().union(*(people[g] for g in task["candidate_groups"].split(",")))


# --- the databases ------------------------------------------------------------------------------------


def _pg_admin(url: str) -> Any:
    import psycopg

    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Skipped(f"PostgreSQL not reachable: {reason}") from None


def _pg_fresh(url: str) -> None:
    with _pg_admin(url) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def explain(rt: Any) -> str:
    """The query plan of the sweep's task query, captured from daily_reminders as the worker runs it."""
    from sqlalchemy import event

    from workers.calendar_jobs import daily_reminders

    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM tasks JOIN instances" in statement:
            seen.append((statement, parameters))

    event.listen(rt.engine, "before_cursor_execute", keep)
    try:
        daily_reminders(rt, NOW)
    finally:
        event.remove(rt.engine, "before_cursor_execute", keep)
    if not seen:
        return "(the sweep ran no task query)"
    statement, parameters = seen[0]
    with rt.engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()
        if rt.engine.dialect.name == "postgresql":
            cursor.execute("SET jit = off")  # as the sweep does (workers/reminder_sweep.py)
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def _case(url: str, backend: str, open_tasks: int, log: Log) -> Case:
    ctx, case = _prepare(url, backend, open_tasks, log)
    try:
        if os.environ.get("JIXIAO_BENCH_SWEEP_EXPLAIN"):
            log(f"bench: sweep: {backend}, {open_tasks:,} open: the sweep's task query\n{explain(ctx.rt)}")
        warmup = int(os.environ.get("JIXIAO_BENCH_SWEEP_WARMUP", "1"))
        for n in range(warmup + ROUNDS):
            _round(ctx, case if n >= warmup else None)
    finally:
        ctx.rt.close()
    log(f"bench: sweep: {backend}: {open_tasks:,} open: {ROUNDS} sweeps of {DUE} due tasks done")
    return case


def run(tmp: Path, log: Log, backends: tuple[str, ...] = ("SQLite", "PostgreSQL")) -> dict[str, list[Case]]:
    """Both sizes on each backend; PostgreSQL is left out (with a line saying why) when unreachable."""
    out: dict[str, list[Case]] = {}
    if "SQLite" in backends:
        out["SQLite"] = [_case(f"sqlite:///{tmp / f'sweep-{n}.sqlite3'}", "SQLite", n, log) for n in SIZES]
    if "PostgreSQL" in backends:
        try:
            out["PostgreSQL"] = _postgres(log)
        except Skipped as exc:
            log(f"bench: sweep: PostgreSQL skipped: {exc}")
    return out


def _postgres(log: Log) -> list[Case]:
    if OWN_PG_URL:
        cases = []
        for n in SIZES:
            _pg_fresh(OWN_PG_URL)
            cases.append(_case(OWN_PG_URL, "PostgreSQL", n, log))
        return cases
    name = f"jixiao_bench_sweep_{os.getpid()}"
    base = ADMIN_URL.rpartition("/")[0]
    with _pg_admin(ADMIN_URL) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        cases = []
        for n in SIZES:
            _pg_fresh(f"{base}/{name}")
            cases.append(_case(f"{base}/{name}", "PostgreSQL", n, log))
        return cases
    finally:
        with _pg_admin(ADMIN_URL) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the report ---------------------------------------------------------------------------------------


def _ratio_line(label: str, cases: list[Case], pick: Callable[[Case], list[float]], target: bool) -> str:
    small, big = (statistics.median(pick(c)) for c in cases)
    ratio = big / small if small else float("nan")
    verdict = f"   target < {TARGET_RATIO:g}: {_verdict(ratio < TARGET_RATIO)}" if target else ""
    return (f"  ratio {cases[1].open_tasks:,} / {cases[0].open_tasks:,} ({label}) = {big * 1000:.2f} / "
            f"{small * 1000:.2f} = {ratio:.2f}{verdict}")


def report(results: dict[str, list[Case]]) -> None:
    print(f"Daily sweep: workers.calendar_jobs.daily_reminders at Monday 08:00 (Asia/Shanghai) with {DUE} tasks "
          f"due for a reminder among N open tasks ({OVERDUE} overdue), in-process")
    print("  command: .venv/bin/python -m bench.run --only sweep")
    print(f"  {ROUNDS} timed sweeps per case after 1 warm-up; each sends the reminders of {DUE} fresh due tasks; "
          f"the open monitoring reports and mid-term reviews were announced before")
    for backend, cases in results.items():
        print(f"  {backend}")
        print(f"  {'':<50}{'median':>10}{'p90':>10}")
        for case in cases:
            med, p90 = _ms(case.sweeps)
            print(f"  {f'N = {case.open_tasks:,}: daily sweep (ms)':<50}{med:10.2f}{p90:10.2f}"
                  f"   {case.reminders} reminders; {case.announced_open:,} open announced tasks")
            amed, ap90 = _ms(case.again)
            print(f"  {'  the same sweep again, nothing new (ms)':<50}{amed:10.2f}{ap90:10.2f}")
            omed, op90 = _ms(case.overdue)
            print(f"  {'  overdue by stage, dashboard (ms)':<50}{omed:10.2f}{op90:10.2f}")
        if len(cases) == 2:
            print(_ratio_line("median daily sweep", cases, lambda c: c.sweeps, True))
            print(_ratio_line("the sweep again", cases, lambda c: c.again, False))
            print(_ratio_line("overdue by stage", cases, lambda c: c.overdue, True))
    print(f"  machine: {os.cpu_count()} CPUs; 1-min load average "
          f"{os.getloadavg()[0] if hasattr(os, 'getloadavg') else 0.0:.2f} at the end")
    print()


def part(tmp: Path) -> None:
    """Run and print the daily sweep benchmark (bench/run.py calls this)."""
    results = run(tmp, log=lambda m: print(m, flush=True))
    print()
    report(results)


if __name__ == "__main__":
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="jixiao-sweep-") as where:
        chosen = tuple(a for a in sys.argv[1:] if a in ("SQLite", "PostgreSQL")) or ("SQLite", "PostgreSQL")
        res = run(Path(where), log=lambda m: print(m, flush=True), backends=chosen)
        print()
        report(res)
