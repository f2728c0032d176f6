"""Drive the demo's cycle instances through the command path on a moved clock, cohort by cohort.

Fiscal year Y (the current one) is in monitoring, Y+1 is in goal review (declaration opened on 1 September),
Y−1 has been evaluated and is being rectified and linked to the budget. Each step happens at a plausible date; steps
after the real "now" are not taken, so the demo never runs ahead of the calendar.
"""

from __future__ import annotations

import multiprocessing
import random
from collections.abc import Callable, Collection
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, select

from service import clock, db
from service.bpm import statements as sql
from service.bpm.commands import FireTimers
from service.bpm.jsonutil import loads
from service.bpm.live_workflows import LiveWorkflows
from service.cycle import cycle_launch
from service.demo.actors import actor_for
from service.demo.answers import Scenario, answer, indicators_for
from service.demo.progress import Progress
from service.demo.projects_demo import evaluation_of, shown_in_full
from service.domain.roles import TIMER
from service.errors import Conflict, EngineFailure, InvalidTransition, JixiaoError, NotFound
from service.models import Instance, Project, TaskRow
from service.runtime import Runtime

Echo = Callable[[str], None]
OWNER = "demo-seed"  # the demo's worker name on the jobs it runs
JOBS = sql.JOBS
# Forms people answer in each phase (others wait for a later phase).
GOAL_FORMS = {"goal_declaration", "goal_submission", "goal_review", "expert_review"}
MID_FORMS = {"midterm_review"}
REPORT_FORMS = {"monitoring_report"}
WARNING_FORMS = {"corrective_measures", "deviation_decision"}
EVALUATION_FORMS = {"self_evaluation", "key_evaluation_report", "spot_check", "agency_rating"}
LINK_FORMS = {"budget_decision", "disclosure"}
RESULT_FORMS = {"results_feedback", "rectification_plan", "rectification_verification"} | LINK_FORMS


class Demo:
    def __init__(self, rt: Runtime, echo: Echo, progress: Progress | None = None) -> None:
        self.rt, self.echo = rt, echo
        self.progress = progress
        self.step_share = (0.0, 0.0)  # the part of the whole build the current step covers (from, to)
        self.scenario: dict[str, Scenario] = {}
        self.indicators: dict[str, list[dict[str, Any]]] = {}
        self.instances: dict[str, str] = {}  # instance id → project id
        self.acted = 0
        self.real_now = clock.now()
        # One driver does what the worker does for every instance; one of several (one process each) only for its
        # own instances, so that no two drive the same instance at once, and the first of them delivers the mail.
        self.catch_all, self.mail = True, True

    def at(self, when: datetime) -> bool:
        """Move the clock to `when` (Wuhan time) unless that is still in the future; let the workers catch up."""
        if when > clock.to_local(self.real_now):
            return False
        clock.set_now(when)
        self.work()
        return True

    def work(self) -> None:
        """What the worker does at this moment: fire every due timer and run every due job (each instance settled
        at once, see `settle`), then, driving alone, a full worker pass (anything else, mail) until nothing is left."""
        from workers import job_queue, notify, timers
        from workers.runner import run_once

        for _ in range(50):
            now = clock.now()
            due = [iid for iid in timers.due_instances(self.rt.workflows, now, limit=100_000)
                   if self.catch_all or iid in self.instances]
            for iid in due:
                self.settle(iid)
            with db.read(self.rt.engine) as conn:
                pending = [iid for iid in conn.execute(select(JOBS.c.instance_id).distinct()
                                                       .where(job_queue._claimable(now))).scalars()
                           if iid in self.instances]
            for iid in pending:
                self.settle(iid)
            busy = bool(due or pending)
            if self.catch_all:
                out = run_once(self.rt, OWNER, now)
                busy = busy or bool(out.timers.fired or out.jobs.done or out.jobs.retried or out.jobs.released)
            elif self.mail:
                notify.deliver_due(self.rt, OWNER, now, 50)
            if not busy:
                return

    def settle(self, instance_id: str) -> None:
        """What the worker would run for one instance at this moment (`batch`)."""
        self.batch(lambda _conn: instance_id)

    def batch(self, first: Callable[[Connection], str]) -> str:
        """Run `first` (a person's answer, a start; it returns the instance it acted on) and then what the worker would
        run for that instance at this moment: its due timer and its due jobs (each external task's handler, then its
        completion through the command path), until it waits for a person or a later time. The instance's id.

        All of it is one batch (WorkflowService.unit_of_work(batch=True)): one transaction in which every command
        writes its own version, task rows, jobs and event, and the instance's state is written once, at the end. A
        refused `first` raises as it would alone (nothing of the batch is written). When a timer or a job of the
        batch fails, nothing of it is written either, and it is done again one command at a time, as the worker
        would: `first` alone, then each due timer and job in a transaction of its own (`_settle_one_by_one`), where
        a failing job is retried with backoff and ends as an incident, and a failing timer marks the instance."""
        try:
            with self.rt.workflows.unit_of_work(batch=True) as conn:
                try:
                    instance_id = first(conn)
                except Exception as exc:
                    raise _Refused(exc) from exc
                self._settle_in(instance_id, conn)
            return instance_id
        except _Refused as refused:
            raise refused.cause from None
        except Exception:  # noqa: BLE001  (a timer or job of the batch failed: again, one command at a time)
            with self.rt.workflows.unit_of_work() as conn:
                instance_id = first(conn)
            self._settle_one_by_one(instance_id)
            return instance_id

    def _settle_in(self, instance_id: str, conn: Connection) -> None:
        """The instance's due timer and due jobs, in the batch's transaction; any failure raises."""
        from workers import job_queue

        now = clock.now()
        for _ in range(100):
            timer, pending = conn.execute(_DUE, {"b_id": instance_id, "b_now": clock.to_db(now)}).one()
            if not timer and not pending:
                return
            if timer:  # as workers/timers.fire_due does for each due instance
                with suppress(Conflict, InvalidTransition, NotFound):  # refused before it ran: nothing written
                    self.rt.workflows.apply(instance_id, FireTimers(), actor=TIMER, now=now, conn=conn)
            if pending:  # as the worker's following jobs (workers/job_queue.py `run`)
                job_queue.follow_within(self.rt.workflows, instance_id, OWNER, now, conn, 20)

    def _settle_one_by_one(self, instance_id: str) -> None:
        """`settle`'s timers and jobs as the worker runs them: each in a transaction of its own."""
        from workers import job_queue, leases

        now, result = clock.now(), job_queue.RunResult()
        for _ in range(100):
            with db.read(self.rt.engine) as conn:
                timer, pending = conn.execute(_DUE, {"b_id": instance_id, "b_now": clock.to_db(now)}).one()
            if not timer and not pending:
                return
            if timer:  # as workers/timers.fire_due does for each due instance
                try:
                    self.rt.workflows.apply(instance_id, FireTimers(), actor=TIMER, now=now)
                except (Conflict, InvalidTransition, NotFound):
                    pass
                except EngineFailure as exc:  # the instance is marked `error`; say so
                    self.echo(f"  ! {self.instances.get(instance_id, instance_id)}: {exc.detail}")
            if pending:
                for job in leases.claim(self.rt.engine, JOBS, and_(JOBS.c.instance_id == instance_id,
                                                                   job_queue._claimable(now)), self._lease(now), 20):
                    job_queue.run(self.rt.workflows, job, OWNER, now, result)

    def _lease(self, now: datetime) -> dict[str, Any]:
        from workers import job_queue

        return job_queue.lease_values(OWNER, now, timedelta(seconds=self.rt.settings.worker_lease_seconds))

    def launch(self, project_ids: list[str]) -> None:
        for n, pid in enumerate(project_ids):
            self._advance(n / len(project_ids))
            iid = self.batch(lambda conn, pid=pid: cycle_launch.start_cycle(  # type: ignore[misc]
                conn, self.rt.workflows, pid, clock.now(), evaluation=evaluation_of(pid)))
            self.instances[iid] = pid
        self.work()

    def _advance(self, within: float) -> None:
        """Show progress `within` (0..1) the current step (a later pass over the same step never moves it back)."""
        if self.progress is not None:
            start, end = self.step_share
            self.progress.update(start + (end - start) * within)

    def act(self, forms: set[str], projects: set[str] | None = None) -> None:
        """Everyone answers their open tasks of `forms` (as the scenario says) until nothing is left to answer."""
        skipped: set[str] = set()
        while True:
            with db.read(self.rt.engine) as conn:
                t = TaskRow.__table__
                rows = conn.execute(select(t).where(t.c.state == "ready", t.c.form_key.in_(forms),
                                                    t.c.instance_id.in_(list(self.instances)))
                                    .order_by(t.c.created_at)).all()
                rounds = _review_rounds(conn, [r.instance_id for r in rows if r.form_key == "goal_review"])
            todo = [r for r in rows if r.id not in skipped
                    and (projects is None or self.instances[r.instance_id] in projects)]
            if not todo:
                return
            for n, task in enumerate(todo):
                self._advance(n / len(todo))
                pid = self.instances[task.instance_id]
                data = answer(task.form_key, loads(task.data) or {}, self.scenario[pid],
                              rounds.get(task.instance_id, 0), self.indicators[pid])
                if data is None:
                    skipped.add(task.id)
                    continue
                actor = actor_for(self.rt.engine, task)
                try:
                    self.batch(lambda conn, task=task, data=data, actor=actor: str(  # type: ignore[misc]
                        self.rt.workflows.complete_task(task.id, data, actor=actor, now=clock.now(), conn=conn)["id"]))
                    self.acted += 1
                except JixiaoError as exc:  # a demo answer the form refused: leave the task open, say why
                    self.echo(f"  ! {pid} {task.bpmn_id}: {exc.detail}")
                    skipped.add(task.id)
            self.work()


def _due() -> Any:
    from workers import job_queue

    iid: Any = bindparam("b_id")
    now: Any = bindparam("b_now")
    timer = (select(Instance.id).where(Instance.id == iid, Instance.status == "running", Instance.next_timer_at < now)
             .exists())
    claimable = select(JOBS.c.id).where(JOBS.c.instance_id == iid, job_queue.claimable_at(now)).exists()
    return select(timer.label("timer"), claimable.label("pending"))


_DUE = _due()  # one statement asks both questions: is an instance's timer due, has it a claimable job


class _Refused(Exception):
    """A batch's first command was refused (`Demo.batch`): raised as it is, not done again."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _review_rounds(conn: Any, iids: list[str]) -> dict[str, int]:
    if not iids:
        return {}
    done = conn.execute(select(TaskRow.instance_id).where(TaskRow.instance_id.in_(iids),
                                                          TaskRow.form_key == "goal_review",
                                                          TaskRow.state == "completed")).scalars().all()
    out: dict[str, int] = {}
    for iid in done:
        out[iid] = out.get(iid, 0) + 1
    return out


def _scenarios(pids: list[str], kind: str, rng: random.Random, majors: Collection[str] = (),
               keys: Collection[str] = ()) -> dict[str, Scenario]:
    """Spread a cohort over the paths of the cycle; every path appears within the first twelve projects, so a small
    demo (and its test) shows them all. The experts and the agencies have open work too: two major projects' goals
    wait for the drawn experts, and a key evaluation slipped and was given more time."""
    out: dict[str, Scenario] = {}
    expert_waits = [pid for i, pid in enumerate(pids) if pid in majors and i % 12 in (6, 8, 9, 10, 11)][:2]
    # key projects are evaluated by an agency, and so are major ones in the focus sectors (the rule decides)
    # (never one whose own story goes on after its evaluation: the overdue rectification, the open budget decision,
    # the grades 中 and 差 and their budget cuts)
    free = [pid for i, pid in enumerate(pids) if kind == "evaluated" and i % 10 < 7 and i % 30 != 7 and i % 17 != 2
            and shown_in_full(pid) is None]
    agency_late = ([pid for pid in free if pid in keys] + [pid for pid in free if pid in majors])[:2]
    for i, pid in enumerate(pids):
        r = rng.random()
        if kind == "review":  # Y+1: goals under review in November
            k = i % 12
            stall = {0: "goal_declaration", 1: "goal_submission", 2: "goal_review", 3: "goal_review",
                     4: "goal_review", 5: "goal_review"}.get(k)
            reviews = {6: ("中", "优"), 7: ("差",), 8: ("良",)}.get(k, ("优",))
            # k == 1: declared in the second week, so the head's submission is still open (not yet escalated) now
            out[pid] = Scenario(reviews=reviews, stall_at="expert_review" if pid in expert_waits else stall,
                                declares_late=k == 1)
        elif kind == "running":  # Y: monitoring reports filed in August, warnings being handled
            k = i % 25
            reviews = ("差",) if k == 4 and i % 50 == 4 else ("中", "良") if k == 5 else ("优",)
            if k == 0:  # red and serious: suspended, still serious when reported again, stopped and the budget cut
                out[pid] = Scenario(reviews=reviews, execution=0.2, goal_progress=0.15, can_meet="impossible",
                                    stop=True)
            elif k == 1:  # red and serious, the supervisor's decision still open
                out[pid] = Scenario(reviews=reviews, execution=0.25, goal_progress=0.2, can_meet="impossible",
                                    stall_at="deviation_decision")
            elif k == 2:  # red, nobody answered the corrective measures: paused automatically
                out[pid] = Scenario(reviews=reviews, execution=0.3, goal_progress=0.25, can_meet="possible",
                                    stall_at="corrective_measures")
            elif k in (3, 11, 19):  # yellow, answered
                out[pid] = Scenario(reviews=reviews, execution=0.45, goal_progress=0.4, can_meet="possible")
            else:
                out[pid] = Scenario(reviews=reviews, execution=0.6 + 0.15 * r, goal_progress=0.55 + 0.15 * r)
        else:  # Y-1: evaluated, results fed back, rectified and applied to the budget
            k = i % 10
            achievement = 1.0 if k < 4 else 0.88 if k < 7 else 0.72 if k < 9 else 0.45
            stall = "rectification_plan" if i % 30 == 7 else "budget_decision" if i % 17 == 2 else None
            late = pid in agency_late
            out[pid] = Scenario(reviews=("中", "优") if i % 11 == 6 else ("优",), achievement=achievement,
                                spent=0.9 + 0.09 * r, execution=0.55 + 0.2 * r, goal_progress=0.5 + 0.2 * r,
                                stall_at="key_evaluation_report" if late else stall, extend=late,
                                opens_case=stall == "rectification_plan")
            reached = shown_in_full(pid)
            if reached is not None:  # key evaluation over, graded, decided, disclosed and reported
                out[pid] = Scenario(achievement=reached, spent=0.93 + 0.05 * r, execution=0.6 + 0.1 * r,
                                    goal_progress=0.55 + 0.1 * r)
    return out


def drive(rt: Runtime, cohorts: dict[int, list[str]], echo: Echo = print, progress: Progress | None = None,
          processes: int = 1) -> None:
    """Run the three cohorts through their part of the cycle, then hand the clock back to real time.

    With `processes` > 1 the projects are split between that many forked processes that take each dated step
    together (a barrier between steps, as several workers on one clock); each drives only its own instances."""
    real_now = clock.now()
    rng = random.Random(2015)
    years = sorted(cohorts)
    kinds = dict(zip(years, ("evaluated", "running", "review"), strict=True))
    plan = Demo(rt, echo)
    plan.real_now = real_now
    with db.read(rt.engine) as conn:
        projects = conn.execute(select(Project.id, Project.sector, Project.is_major, Project.is_key)).all()
        sectors = {p.id: p.sector for p in projects}
        majors, keys = {p.id for p in projects if p.is_major}, {p.id for p in projects if p.is_key}
        for year in years:
            plan.scenario.update(_scenarios(cohorts[year], kinds[year], rng, majors, keys))
        by_sector = {sector: indicators_for(conn, sector) for sector in set(sectors.values())}
    plan.indicators = {pid: by_sector[sector] for pid, sector in sectors.items()}
    for year in years:
        echo(f"demo: fiscal year {year}: {len(cohorts[year])} projects ({kinds[year]})")
    processes = max(1, min(processes, *(len(pids) for pids in cohorts.values())))
    if processes == 1 or "fork" not in multiprocessing.get_all_start_methods():
        acted = _drive_part(plan, cohorts, progress)
    else:
        acted = _drive_parallel(plan, cohorts, progress, processes)
    final = Demo(rt, echo)  # timers due by the real now fire at the real now, for every instance
    try:
        if progress is not None:
            progress.update(progress.fraction, "到期计时器")
        final.work()
    finally:
        clock.reset()
    with db.read(rt.engine) as conn:
        count = conn.execute(select(func.count()).select_from(Instance)).scalar_one()
        running = conn.execute(select(func.count()).select_from(Instance)
                               .where(Instance.status == "running")).scalar_one()
    summary = f"{count} cycle instances, {acted} tasks completed, {running} running"
    if progress is not None:
        progress.finish(summary)
    echo(f"demo: {summary}")


def _part_of(plan: Demo, cohorts: dict[int, list[str]], progress: Any) -> Demo:
    demo = Demo(plan.rt, plan.echo, progress)
    demo.real_now, demo.scenario, demo.indicators = plan.real_now, plan.scenario, plan.indicators
    return demo


def _dated_steps(demo: Demo, cohorts: dict[int, list[str]]) -> list[tuple[datetime, str, Callable[[], None]]]:
    steps = sorted((step for year in sorted(cohorts) for step in _steps(demo, year, cohorts[year])),
                   key=lambda st: st[0])
    return [st for st in steps if st[0] <= clock.to_local(demo.real_now)]  # later steps wait for the calendar


def _drive_part(plan: Demo, cohorts: dict[int, list[str]], progress: Any, barrier: Any = None,
                alone: bool = True, mail: bool = True) -> int:
    """Drive `cohorts` (all of them, or one process's part) through the dated steps; the number of tasks completed."""
    demo = _part_of(plan, cohorts, progress)
    demo.catch_all, demo.mail = alone, mail
    due = _dated_steps(demo, cohorts)
    weights = [_weight(phase) for _, phase, _ in due]
    total, done = sum(weights) + 1, 0.0  # + 1: the timers due by the real now, at the end
    # Each instance is settled right after acting on it; the size holds every instance one driving process of the
    # full demo acts on (each round of a step visits all of them: a smaller cache would drop each one before its next
    # command).
    demo.rt.workflows.live_workflows = LiveWorkflows(512)
    try:
        with clock.restoring():  # afterwards the clock is as the driver found it (real time, or a test's frozen now)
            for (when, phase, step), weight in zip(due, weights, strict=True):
                demo.step_share = (done / total, (done + weight) / total)
                if progress is not None:
                    progress.update(done / total, f"{clock.to_local(when):%Y-%m-%d} {phase}")
                if barrier is not None:
                    barrier.wait()  # every process takes the step at the same moment of the moved clock
                demo.at(when)
                step()
                done += weight
            if barrier is not None:
                barrier.wait()
    finally:
        demo.rt.workflows.live_workflows = None
    if progress is not None:
        progress.update(done / total)
    return demo.acted


class _Shared:
    """A forked process's progress, read by the parent that draws the bar."""

    def __init__(self, fractions: Any, steps: Any, index: int) -> None:
        self.fractions, self.steps, self.index, self.fraction = fractions, steps, index, 0.0

    def update(self, fraction: float, phase: str | None = None) -> None:
        self.fraction = max(self.fraction, fraction)
        self.fractions[self.index] = self.fraction
        if phase is not None:
            self.steps[self.index] += 1


def _drive_parallel(plan: Demo, cohorts: dict[int, list[str]], progress: Progress | None, processes: int) -> int:
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(processes, timeout=_STEP_TIMEOUT)
    fractions, steps, acted = ctx.Array("d", processes), ctx.Array("i", processes), ctx.Array("i", processes)
    phases = [f"{clock.to_local(when):%Y-%m-%d} {phase}" for when, phase, _ in _dated_steps(plan, cohorts)]
    plan.rt.engine.dispose()  # no pooled connection crosses the fork

    def run(k: int) -> None:
        part = {year: pids[k::processes] for year, pids in cohorts.items()}
        try:
            acted[k] = _drive_part(plan, part, _Shared(fractions, steps, k), barrier, alone=False, mail=k == 0)
        except BaseException:
            barrier.abort()
            raise

    children = [ctx.Process(target=run, args=(k,), name=f"demo-{k}") for k in range(processes)]
    for child in children:
        child.start()
    while any(child.is_alive() for child in children):
        for child in children:
            child.join(0.25)
        if progress is not None:
            step = min(steps[:])
            progress.update(min(fractions[:]), phases[step - 1] if 0 < step <= len(phases) else None)
    failed = [child.name for child in children if child.exitcode != 0]
    if failed:
        raise RuntimeError(f"the demo's process(es) {', '.join(failed)} failed (see above)")
    return sum(acted[:])


_STEP_TIMEOUT = 3600  # seconds one process waits for the others at a step before giving up


# The relative cost of each kind of step (commands it drives), for an even progress bar.
_WEIGHTS = {"启动周期": 3.0, "评价": 2.0}


def _weight(phase: str) -> float:
    return _WEIGHTS.get(phase, 1.0)


def _steps(demo: Demo, year: int, pids: list[str]) -> list[tuple[datetime, str, Callable[[], None]]]:
    """The dated steps of one fiscal year's cohort, from the declaration notice to the budget decision."""
    own = set(pids)

    def local(y: int, m: int, d: int, h: int = 10) -> datetime:
        return datetime(y, m, d, h, 0, tzinfo=clock.LOCAL)

    def act(forms: set[str]) -> Callable[[], None]:
        return lambda: demo.act(forms, own)

    opens = local(year - 1, 9, 1, 9)
    if year > clock.to_local(demo.real_now).year:
        # Next year's goals: declared in the last two weeks, so the reviews still open are due in the days ahead
        # (the inbox shows upcoming deadlines and the worker has reminders to send).
        opens = max(opens, clock.to_local(demo.real_now - timedelta(days=16)).replace(hour=9, minute=0, second=0,
                                                                                       microsecond=0))
    steps = [
        (opens, "启动周期", lambda: demo.launch(pids)),
        (opens + timedelta(days=5), "目标申报",
         lambda: demo.act({"goal_declaration", "goal_submission"},
                          {pid for pid in own if not demo.scenario[pid].declares_late})),
        (opens + timedelta(days=10), "目标审核", act(GOAL_FORMS)),
        (opens + timedelta(days=14), "目标审核", act(GOAL_FORMS | LINK_FORMS)),
        (local(year, 7, 3), "中期评估", act(MID_FORMS)),
        (local(year, 8, 5), "监控报告", act(REPORT_FORMS)),
        (local(year, 8, 10), "预警处理", act(WARNING_FORMS)),
        (local(year, 8, 17), "监控报告", act(REPORT_FORMS | WARNING_FORMS)),  # a suspended project reports again
        (local(year, 9, 10), "预警处理", act(WARNING_FORMS | LINK_FORMS)),
        (local(year + 1, 1, 20), "评价", act(EVALUATION_FORMS)),
        (local(year + 1, 1, 28), "结果反馈", act(RESULT_FORMS)),
        (local(year + 1, 2, 20), "评价", act(EVALUATION_FORMS)),
        (local(year + 1, 2, 26), "结果反馈", act(RESULT_FORMS)),
        (local(year + 1, 3, 20), "整改", act(RESULT_FORMS)),
        (local(year + 1, 4, 20), "整改", act(RESULT_FORMS)),
    ]
    if year < clock.to_local(demo.real_now).year:
        # A few days ago the supervisors (or the leadership) gave a slipped key evaluation more time: the agency
        # has it open again, due in the days ahead; and they opened an accountability case on the overdue
        # rectification, which the supervisors now handle.
        late = clock.to_local(demo.real_now - timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
        steps.append((late, "督办", act({"deadline_escalation", "escalation_handling"})))
    return steps
