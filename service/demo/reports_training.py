"""The demo's periodic performance management reports and training (the plan 二(一)4, 三(四)), after the cycle:

- last year's two municipal training sessions with attendance by group and by department (most municipal
  departments attended the first, about half the second; one attended none, so its scorecard's training
  indicator scores 0);
- last year's reports, started by the calendar job on the first working Monday of this year: every municipal budget
  department filed, its head approved and the bureau accepted — except one department that filed nothing, whose
  report has slipped to the supervisors (and, left undecided, to the leadership).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from service import clock, db
from service.bpm.jsonutil import loads
from service.bpm.live_workflows import LiveWorkflows
from service.cycle import trainings_records
from service.demo.actors import actor_for
from service.errors import JixiaoError
from service.models import Department, TaskRow
from service.runtime import Runtime
from workers.calendar_jobs import REPORT_PROCESS, launch_reports

Echo = Any
ADMIN = "cz.admin"
REPORT_FORMS = ("performance_report", "performance_report_approval", "performance_report_review")
SESSIONS = (("预算绩效目标管理专题培训班", 4, 16, {"bureau_staff": 26, "agencies": 9, "experts": 6}),
            ("绩效评价与结果应用专题培训班", 10, 22, {"bureau_staff": 21, "agencies": 12, "experts": 8}))


def _local(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, 0, tzinfo=clock.LOCAL)


def add(rt: Runtime, echo: Echo, year: int, now: datetime) -> None:
    """Training of `year` and the reports of `year`, as the bureau and the departments would have done them by
    `now` (the demo's now: the cycle's driver ran up to it)."""
    with db.read(rt.engine) as conn:
        departments = list(conn.execute(select(Department.id, Department.name).where(
            Department.kind == "department", Department.level == "municipal", Department.parent_id.is_(None),
            Department.active.is_(True)).order_by(Department.id)))
    if not departments:
        return
    _training(rt, year, [d.id for d in departments])
    rt.workflows.live_workflows = LiveWorkflows()  # each report is acted on again soon after (see driver.py)
    try:
        _reports(rt, echo, year, departments[-1].id, now)
    finally:
        rt.workflows.live_workflows = None


def _training(rt: Runtime, year: int, departments: list[str]) -> None:
    with db.write(rt.engine) as conn:
        for n, (title, month, day, groups) in enumerate(SESSIONS):
            held = date(year, month, day)
            now = _local(year, month, day, 18)
            session = trainings_records.record_session(conn, level="municipal", title=f"{year}年{title}", held_on=held,
                                               organiser="市财政局预算绩效管理处", actor=ADMIN, now=now)
            for group, count in groups.items():
                trainings_records.record_attendance(conn, session, group=group, head_count=count, department_id=None,
                                            actor=ADMIN, now=now)
            # the first session: every department but the last; the second: every other one
            attending = departments[:-1] if n == 0 else departments[::2][:-1]
            for i, dept in enumerate(attending):
                trainings_records.record_attendance(conn, session, group="departments", head_count=2 + i % 2,
                                            department_id=dept, actor=ADMIN, now=now)


def _answer(form: str, data: dict[str, Any]) -> dict[str, Any]:
    name = data.get("department_name", "")
    if form == "performance_report":
        return {"report_summary": f"{name}全年预算绩效管理工作按计划推进，各项目均编报绩效目标。",
                "goal_management": "项目绩效目标全部经财政审核，部门整体支出目标已编报。",
                "monitoring_summary": "按 4 月、7 月、10 月时点报送监控报告，预警项目均已提出纠偏措施。",
                "evaluation_summary": "全部项目完成单位自评，配合财政开展重点评价。",
                "results_use": "评价结果用于下一年度预算安排，整改事项已落实。",
                "problems": "部分效益指标难以量化；下一年度完善个性指标并加强培训。"}
    if form == "performance_report_approval":
        return {"head_approved": True, "head_comment": "同意报送"}
    return {"review_decision": "accept", "review_comment": "内容完整，同意"}


def _reports(rt: Runtime, echo: Echo, year: int, missing: str, real_now: datetime) -> None:
    launched = _local(year + 1, 1, 5, 9)
    if launched > real_now:
        return  # the calendar has not come that far
    try:
        clock.set_now(launched)
        result = launch_reports(rt, launched)
        _work(rt)
        for step, day in enumerate((20, 22, 27)):  # filed, approved, reviewed
            clock.set_now(_local(year + 1, 1, day))
            _work(rt)
            _complete(rt, echo, REPORT_FORMS[step], missing)
        echo(f"demo: {len(result.started)} performance reports of {year}, {missing} filed none")
    finally:
        clock.set_now(real_now)
        _work(rt)  # the missing report's slip (and the leadership's turn) fall due by now
        clock.reset()


def _complete(rt: Runtime, echo: Echo, form: str, missing: str) -> None:
    t = TaskRow.__table__
    with db.read(rt.engine) as conn:
        rows = conn.execute(select(t).where(t.c.state == "ready", t.c.form_key == form,
                                            t.c.department_id != missing).order_by(t.c.created_at)).all()
    for task in rows:
        try:
            rt.workflows.complete_task(task.id, _answer(form, loads(task.data) or {}),
                                       actor=actor_for(rt.engine, task), now=clock.now())
        except JixiaoError as exc:
            echo(f"  ! {REPORT_PROCESS} {task.bpmn_id}: {exc.detail}")
        _work(rt)


def _work(rt: Runtime) -> None:
    from workers.runner import run_once

    for _ in range(50):
        out = run_once(rt, "demo", clock.now())
        if not (out.timers.fired or out.jobs.done or out.jobs.retried or out.jobs.released):
            return
