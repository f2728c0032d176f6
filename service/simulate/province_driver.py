"""Drive one fiscal year of the province over HTTP on the shared moved clock.

The dated steps and the people's answers are the demo's (service/demo/demo_driver.py, service/demo/answers.py): launch
at the declaration's opening, goals declared and reviewed, the mid-term review, the monitoring checkpoint with its
yellow and red warnings, self-evaluations and key evaluations, results fed back, rectification, the budget linkage,
the supervisors' handling of slipped deadlines. What differs is who runs them: every person's answer is a
`POST /api/tasks/{id}/complete` with that person's bearer token, sent to the gunicorn processes by several client
threads (an instance's tasks always by one thread, in order); the timers and the external tasks' jobs are run by the
`jixiao worker` processes, and the driver waits at each step until they have nothing left to do. The calendar jobs
(cycle launch, checkpoint announcements, reminders) run in the driver on their simulated dates, as a worker would.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from service import clock, db
from service.bpm import statements as sql
from service.bpm.jsonutil import loads
from service.cycle import cycle_launch
from service.demo.actors import actor_for
from service.demo.answers import Scenario, answer, indicators_for
from service.demo.demo_driver import _review_rounds, _scenarios, _steps, _weight  # the demo's year, reused
from service.demo.progress import Progress
from service.models import Instance, Project, TaskRow, User
from service.people import tokens
from service.runtime import Runtime
from service.simulate.province import Province
from workers import calendar_jobs, job_queue, timers

Echo = Callable[[str], None]
JOBS = sql.JOBS
QUIET_TIMEOUT = 300.0  # seconds the driver waits for the workers at one step before it says they are stuck


def year_scenarios(pids: list[str], rng: random.Random, majors: set[str], keys: set[str]) -> dict[str, Scenario]:
    """A whole year's story for each project from the demo's three cohorts' proportions: the goal review's rounds,
    the checkpoint's yellow and red warnings, the year-end grades; one slip per project at most (a goal
    declaration never made, a warning nobody answers, a rectification or budget decision left overdue, a key
    evaluation late and extended)."""
    review = _scenarios(pids, "review", rng, majors, keys)
    running = _scenarios(pids, "running", rng, majors, keys)
    evaluated = _scenarios(pids, "evaluated", rng, majors, keys)
    out = {}
    for i, pid in enumerate(pids):
        r, m, e = review[pid], running[pid], evaluated[pid]
        goal_slip = r.stall_at if i % 24 == 0 else None  # about 4 %: the goals are never declared
        out[pid] = replace(e, reviews=r.reviews, declares_late=r.declares_late, execution=m.execution,
                           goal_progress=m.goal_progress, can_meet=m.can_meet, stop=m.stop,
                           stall_at=goal_slip or m.stall_at or e.stall_at)
    return out


@dataclass
class Tally:
    """What the drive did: each command's wall time by kind (seconds), refusals, the worker's waits."""

    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    refused: Counter[str] = field(default_factory=Counter)
    stuck: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.timings[kind].append(seconds)


class Simulation:
    """The demo's driver interface (launch, act, scenario, real_now) over HTTP, for one fiscal year."""

    def __init__(self, rt: Runtime, province: Province, base: tuple[str, int], clock_file: Path, clients: int,
                 echo: Echo, progress: Progress | None) -> None:
        self.rt, self.province, self.base, self.clock_file = rt, province, base, clock_file
        self.clients, self.echo, self.progress = clients, echo, progress
        self.real_now = datetime(province.year + 1, 4, 30, 10, tzinfo=clock.LOCAL)  # the simulation's end
        self.scenario: dict[str, Scenario] = {}
        self.indicators: dict[str, list[dict[str, Any]]] = {}
        self.instances: dict[str, str] = {}  # instance id → project id
        self.tally = Tally()
        self.acted = 0
        self.step_share = (0.0, 0.0)
        self._tokens: dict[str, str] = {}
        self._token_lock = threading.Lock()
        self._local = threading.local()

    # --- the clock and the workers -------------------------------------------------------------------------

    def at(self, when: datetime) -> None:
        """Move every process's clock to `when`, run the calendar jobs due that day, let the workers catch up."""
        clock.set_now(when)
        clock.share(str(self.clock_file), when)
        now = clock.now()
        calendar_jobs.issue_checkpoints(self.rt, now)
        calendar_jobs.daily_reminders(self.rt, now)
        self.quiet()

    def quiet(self) -> None:
        """Wait until the workers have fired every due timer and run every due job (or say they are stuck)."""
        now, started = clock.now(), time.monotonic()
        while time.monotonic() - started < QUIET_TIMEOUT:
            with db.read(self.rt.engine) as conn:
                leased = (JOBS.c.status == "running") & (JOBS.c.lock_expires_at >= clock.to_db(now))
                busy = conn.execute(select(JOBS.c.id).where(job_queue._claimable(now) | leased).limit(1)).first()
            if busy is None and not timers.due_instances(self.rt.workflows, now, limit=1):
                return
            time.sleep(0.05)
        self.tally.stuck += 1
        self.echo(f"simulate: the workers still had work after {QUIET_TIMEOUT:.0f} s at {clock.to_local(now):%Y-%m-%d}")

    # --- the demo's steps --------------------------------------------------------------------------------

    def launch(self, project_ids: list[str]) -> None:
        """The cycle launch (the worker's calendar job on the day the declaration opens), one project at a time."""
        for n, pid in enumerate(project_ids):
            self._advance(n / len(project_ids))
            t0 = time.perf_counter()
            with self.rt.unit_of_work() as conn:
                iid = cycle_launch.start_cycle(conn, self.rt.workflows, pid, clock.now())
            self.tally.add("launch (start_cycle)", time.perf_counter() - t0)
            self.instances[iid] = pid
        self.quiet()

    def act(self, forms: set[str], projects: set[str] | None = None) -> None:
        """Everyone answers their open tasks of `forms` over HTTP until nothing is left to answer."""
        skipped: set[str] = set()
        while True:
            with db.read(self.rt.engine) as conn:
                t = TaskRow.__table__
                rows = conn.execute(select(t).where(t.c.state == "ready", t.c.form_key.in_(forms))
                                    .order_by(t.c.created_at)).all()
                rows = [r for r in rows if r.instance_id in self.instances and r.id not in skipped
                        and (projects is None or self.instances[r.instance_id] in projects)]
                rounds = _review_rounds(conn, [r.instance_id for r in rows if r.form_key == "goal_review"])
            todo: dict[str, list[tuple[Any, dict[str, Any]]]] = defaultdict(list)
            for task in rows:
                pid = self.instances[task.instance_id]
                data = answer(task.form_key, loads(task.data) or {}, self.scenario[pid],
                              rounds.get(task.instance_id, 0), self.indicators[pid])
                if data is None:
                    skipped.add(task.id)
                else:
                    todo[task.instance_id].append((task, data))
            if not todo:
                return
            lanes: list[list[tuple[Any, dict[str, Any]]]] = [[] for _ in range(self.clients)]
            for n, items in enumerate(todo.values()):
                lanes[n % self.clients].extend(items)
            count = [0, sum(len(lane) for lane in lanes)]  # answered, to answer in this round
            with ThreadPoolExecutor(self.clients) as pool:
                list(pool.map(self._answer, lanes, [skipped] * len(lanes), [count] * len(lanes)))
            self.quiet()

    def _answer(self, lane: list[tuple[Any, dict[str, Any]]], skipped: set[str], count: list[int]) -> None:
        """One client thread's share of a round, in order (an instance's tasks are all in one lane)."""
        for task, data in lane:
            if not self._complete(task, data):
                skipped.add(task.id)
            with self.tally.lock:
                count[0] += 1
                self._advance(count[0] / count[1])

    def _advance(self, within: float) -> None:
        if self.progress is not None:
            start, end = self.step_share
            self.progress.update(start + (end - start) * within)

    # --- HTTP ----------------------------------------------------------------------------------------

    def _complete(self, task: Any, data: dict[str, Any]) -> bool:
        """One person's answer: POST /api/tasks/{id}/complete with their token; False if the service refused it."""
        token = self._token(actor_for(self.rt.engine, task).username)
        t0 = time.perf_counter()
        status, body = self._post(f"/api/tasks/{task.id}/complete", {"data": data}, token)
        self.tally.add(task.form_key, time.perf_counter() - t0)
        if 200 <= status < 300:
            with self.tally.lock:
                self.acted += 1
            return True
        with self.tally.lock:
            self.tally.refused[f"{task.form_key} {status}"] += 1
        if status != 409:  # a conflict is looked at again in the next round; anything else is the answer's fault
            self.echo(f"  ! {self.instances[task.instance_id]} {task.bpmn_id}: HTTP {status} {body[:200]!r}")
        return status == 409

    def _post(self, path: str, body: dict[str, Any], token: str) -> tuple[int, bytes]:
        conn = getattr(self._local, "conn", None)
        for attempt in (1, 2):
            if conn is None:
                conn = self._local.conn = http.client.HTTPConnection(*self.base, timeout=120)
            try:
                conn.request("POST", path, body=json.dumps(body).encode(),
                             headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                                      "Accept": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                if resp.will_close:
                    conn.close()
                    self._local.conn = None
                return resp.status, data
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = self._local.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _token(self, username: str) -> str:
        with self._token_lock:
            if username not in self._tokens:
                with self.rt.unit_of_work() as conn:
                    user_id = conn.execute(select(User.id).where(User.username == username)).scalar_one()
                    self._tokens[username] = tokens.issue(conn, user_id, clock.now(), timedelta(days=800))[0]
            return self._tokens[username]


def drive(sim: Simulation) -> None:
    """The province's year, step by step on the moved clock, with the progress bar."""
    pids = sim.province.projects
    with db.read(sim.rt.engine) as conn:
        rows = conn.execute(select(Project.id, Project.sector, Project.is_major, Project.is_key)
                            .where(Project.id.in_(pids))).all()
        sectors = {p.id: p.sector for p in rows}
        by_sector = {s: indicators_for(conn, s) for s in set(sectors.values())}
    sim.scenario = year_scenarios(pids, random.Random(2015), {p.id for p in rows if p.is_major},
                                  {p.id for p in rows if p.is_key})
    sim.indicators = {pid: by_sector[s] for pid, s in sectors.items()}
    steps = sorted(_steps(sim, sim.province.year, pids), key=lambda st: st[0])  # type: ignore[arg-type]
    weights = [_weight(phase) for _, phase, _ in steps]
    total, done = sum(weights), 0.0
    for (when, phase, step), weight in zip(steps, weights, strict=True):
        sim.step_share = (done / total, (done + weight) / total)
        if sim.progress is not None:
            sim.progress.update(done / total, f"{clock.to_local(when):%Y-%m-%d} {phase}")
        sim.at(when)
        step()
        done += weight
    sim.at(sim.real_now)  # the deadlines still running out by the end


def counts(rt: Runtime) -> dict[str, int]:
    """Instances by status and jobs done (for the summary)."""
    with db.read(rt.engine) as conn:
        by_status = dict(conn.execute(select(Instance.status, func.count()).group_by(Instance.status)).all())
        done = conn.execute(select(func.count()).select_from(JOBS).where(JOBS.c.status == "done")).scalar_one()
    return {**{f"instances {k}": int(v) for k, v in by_status.items()}, "jobs done": int(done)}
