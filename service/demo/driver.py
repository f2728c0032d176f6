"""Drive the demo's cycle instances through the command path on a moved clock, cohort by cohort.

Fiscal year Y (the current one) is in monitoring, Y+1 is in goal review (declaration opened on 1 September),
Y−1 has been evaluated and is being rectified and linked to the budget. Each step happens at a plausible date; steps
after the real "now" are not taken, so the demo never runs ahead of the calendar.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from service import clock, db
from service.cycle import launch
from service.demo.actors import actor_for
from service.demo.answers import Scenario, answer, indicators_for
from service.engine.jsonutil import loads
from service.errors import JixiaoError
from service.models import Instance, Project, TaskRow
from service.runtime import Runtime

Echo = Callable[[str], None]
# Forms people answer in each phase (others wait for a later phase).
GOAL_FORMS = {"goal_declaration", "goal_submission", "goal_review", "expert_review"}
MID_FORMS = {"midterm_review"}
REPORT_FORMS = {"monitoring_report"}
WARNING_FORMS = {"corrective_measures", "deviation_decision"}
EVALUATION_FORMS = {"self_evaluation", "key_evaluation_report", "spot_check", "agency_rating"}
LINK_FORMS = {"budget_decision", "disclosure"}
RESULT_FORMS = {"results_feedback", "rectification_plan", "rectification_verification"} | LINK_FORMS


class Demo:
    def __init__(self, rt: Runtime, echo: Echo) -> None:
        self.rt, self.echo = rt, echo
        self.scenario: dict[str, Scenario] = {}
        self.indicators: dict[str, list[dict[str, Any]]] = {}
        self.instances: dict[str, str] = {}  # instance id → project id
        self.acted = 0
        self.real_now = clock.now()

    def at(self, when: datetime) -> bool:
        """Move the clock to `when` (Wuhan time) unless that is still in the future; let the workers catch up."""
        if when > clock.to_local(self.real_now):
            return False
        clock.set_now(when)
        self.work()
        return True

    def work(self) -> None:
        from workers.runner import run_once

        for _ in range(50):
            out = run_once(self.rt, "demo-seed", clock.now())
            if not (out.timers.fired or out.jobs.done or out.jobs.retried or out.jobs.released):
                return

    def launch(self, project_ids: list[str]) -> None:
        for pid in project_ids:
            iid = launch.start_cycle(self.rt.workflows, pid, clock.now())
            self.instances[iid] = pid
        self.work()

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
            for task in todo:
                pid = self.instances[task.instance_id]
                data = answer(task.form_key, loads(task.data) or {}, self.scenario[pid],
                              rounds.get(task.instance_id, 0), self.indicators[pid])
                if data is None:
                    skipped.add(task.id)
                    continue
                try:
                    self.rt.workflows.complete_task(task.id, data, actor=actor_for(self.rt.engine, task),
                                                    now=clock.now())
                    self.acted += 1
                except JixiaoError as exc:  # a demo answer the form refused: leave the task open, say why
                    self.echo(f"  ! {pid} {task.bpmn_id}: {exc.detail}")
                    skipped.add(task.id)
            self.work()


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


def _scenarios(pids: list[str], kind: str, rng: random.Random) -> dict[str, Scenario]:
    """Spread a cohort over the paths of the cycle; every path appears within the first twelve projects, so a small
    demo (and its test) shows them all."""
    out: dict[str, Scenario] = {}
    for i, pid in enumerate(pids):
        r = rng.random()
        if kind == "review":  # Y+1: goals under review in November
            k = i % 12
            stall = {0: "goal_declaration", 1: "goal_submission", 2: "goal_review", 3: "goal_review",
                     4: "goal_review", 5: "goal_review"}.get(k)
            reviews = {6: ("中", "优"), 7: ("差",), 8: ("良",)}.get(k, ("优",))
            out[pid] = Scenario(reviews=reviews, stall_at=stall)
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
            out[pid] = Scenario(reviews=("中", "优") if i % 11 == 6 else ("优",), achievement=achievement,
                                spent=0.9 + 0.09 * r, execution=0.55 + 0.2 * r, goal_progress=0.5 + 0.2 * r,
                                stall_at=stall)
    return out


def drive(rt: Runtime, cohorts: dict[int, list[str]], echo: Echo = print) -> None:
    """Run the three cohorts through their part of the cycle, then hand the clock back to real time."""
    demo = Demo(rt, echo)
    demo.real_now = clock.now()
    rng = random.Random(2015)
    years = sorted(cohorts)
    kinds = dict(zip(years, ("evaluated", "running", "review"), strict=True))
    with db.read(rt.engine) as conn:
        sectors = dict(conn.execute(select(Project.id, Project.sector)).all())
        for year in years:
            demo.scenario.update(_scenarios(cohorts[year], kinds[year], rng))
        by_sector = {sector: indicators_for(conn, sector) for sector in set(sectors.values())}
    demo.indicators = {pid: by_sector[sector] for pid, sector in sectors.items()}
    steps = sorted((step for year in years for step in _steps(demo, year, cohorts[year])), key=lambda st: st[0])
    try:
        for year in years:
            echo(f"demo: fiscal year {year}: {len(cohorts[year])} projects ({kinds[year]})")
        for when, step in steps:
            if not demo.at(when):
                break
            step()
    finally:
        clock.reset()
    demo.work()  # timers due by the real now fire at the real now
    with db.read(rt.engine) as conn:
        running = conn.execute(select(Instance.id).where(Instance.status == "running")).all()
    echo(f"demo: {len(demo.instances)} cycle instances, {demo.acted} tasks completed, {len(running)} running")


def _steps(demo: Demo, year: int, pids: list[str]) -> list[tuple[datetime, Callable[[], None]]]:
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
    return [
        (opens, lambda: demo.launch(pids)),
        (opens + timedelta(days=5), act({"goal_declaration", "goal_submission"})),
        (opens + timedelta(days=10), act(GOAL_FORMS)),
        (opens + timedelta(days=14), act(GOAL_FORMS | LINK_FORMS)),
        (local(year, 7, 3), act(MID_FORMS)),
        (local(year, 8, 5), act(REPORT_FORMS)),
        (local(year, 8, 10), act(WARNING_FORMS)),
        (local(year, 8, 17), act(REPORT_FORMS | WARNING_FORMS)),  # a suspended project reports again
        (local(year, 9, 10), act(WARNING_FORMS | LINK_FORMS)),
        (local(year + 1, 1, 20), act(EVALUATION_FORMS)),
        (local(year + 1, 1, 28), act(RESULT_FORMS)),
        (local(year + 1, 2, 20), act(EVALUATION_FORMS)),
        (local(year + 1, 2, 26), act(RESULT_FORMS)),
        (local(year + 1, 3, 20), act(RESULT_FORMS)),
        (local(year + 1, 4, 20), act(RESULT_FORMS)),
    ]
