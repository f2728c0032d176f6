"""Calendar jobs of the worker (DESIGN.md Workers): the daily reminder sweep, the annual cycle launch, the
monitoring checkpoints, the year-end coverage review and the departments' periodic performance reports. Each is
a plain function (rt, now) — the worker's cron schedules call them with the clock's time, tests with explicit
datetimes — and each is idempotent: running it twice, or from two workers at once, has the effect of running it
once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from service import clock, db
from service.cycle import coverage_reviews, cycle_launch, performance_reports_records
from service.cycle.projects_records import PROJECTS
from service.domain.coverage_rules import NOT_ENTERED, PER_DEPARTMENT, department_shortfalls
from service.domain.reminders_rules import checkpoint_window
from service.domain.report_periods import Period, last_ended, period_of
from service.domain.roles import ADMINISTRATOR, FINANCE_REVIEWER, SYSTEM
from service.errors import InvalidInput, JixiaoError, NotFound
from service.models import Department, Instance
from service.notifications import outbox
from service.notifications.recipients import department_people, task_recipients
from service.queries.coverage_queries import coverage_report
from service.rules import store as rules
from service.rules.store import YEARS
from service.runtime import Runtime
from workers.reminder_sweep import SIGNATURE, ReminderResult, sweep_reminders

log = logging.getLogger("jixiao.calendar")

INSTANCES = Instance.__table__
DEPARTMENTS = Department.__table__
CHECKPOINT_RULE = "monitoring.checkpoints"
# Projects under runtime monitoring (DOMAIN.md 2): running, or paused while the department owes corrective measures.
MONITORED = ("running", "paused")


def daily_reminders(rt: Runtime, now: datetime) -> ReminderResult:
    """(a) The daily reminder sweep (workers/reminder_sweep.py)."""
    return sweep_reminders(rt, now)


# --- (b) the annual cycle launch ------------------------------------------------------------------------


@dataclass
class LaunchResult:
    started: list[str] = field(default_factory=list)  # projects whose cycle this run started
    resumed: list[str] = field(default_factory=list)  # a crashed launch had started the instance: linked now
    busy: list[str] = field(default_factory=list)  # another launcher holds the project right now
    failed: dict[str, str] = field(default_factory=dict)  # project → why its cycle could not start
    years: list[int] = field(default_factory=list)  # fiscal years marked launched by this run


def launch_cycles(rt: Runtime, now: datetime, year: int | None = None) -> LaunchResult:
    """(b) Start `budget_cycle` for every planned project of each year whose goal declaration has opened.

    Without `year`: every fiscal year whose declaration_opens_on has come (Asia/Shanghai) and whose cycle was not
    launched yet. With `year` (`jixiao cycle launch --year N`): that year, whatever its dates say. A year is marked
    launched (cycle_launched_at) once every planned project of it has its instance.
    """
    today = clock.local_today(now)
    with db.read(rt.engine) as conn:
        if year is not None:
            if conn.execute(select(YEARS.c.year).where(YEARS.c.year == year)).first() is None:
                raise NotFound(f"no fiscal year {year}")
            years = [year]
        else:
            years = list(conn.execute(select(YEARS.c.year).where(YEARS.c.declaration_opens_on <= today,
                                                             YEARS.c.cycle_launched_at.is_(None))
                                      .order_by(YEARS.c.year)).scalars())
    result = LaunchResult()
    for y in years:
        # "declaring" without an instance: another launcher claimed it (and may have died): see _launch.
        pending = select(PROJECTS.c.id).where(PROJECTS.c.fiscal_year == y, PROJECTS.c.instance_id.is_(None),
                                              PROJECTS.c.status.in_(("planned", "declaring")))
        with db.read(rt.engine) as conn:
            project_ids = list(conn.execute(pending.order_by(PROJECTS.c.id)).scalars())
        for project_id in project_ids:
            _launch(rt, project_id, now, result)
        with db.write(rt.engine) as conn:  # the last launcher to finish sees none left and marks the year
            if conn.execute(pending.limit(1)).first() is None and conn.execute(
                    update(YEARS).where(YEARS.c.year == y, YEARS.c.cycle_launched_at.is_(None))
                    .values(cycle_launched_at=clock.to_db(now))).rowcount:
                result.years.append(y)
    if result.started or result.resumed or result.failed:
        log.info("cycle launch: %d started, %d resumed, %d failed, years marked %s", len(result.started),
                 len(result.resumed), len(result.failed), result.years)
    return result


def _launch(rt: Runtime, project_id: str, now: datetime, result: LaunchResult) -> None:
    """Claim the project (planned → declaring, or an abandoned claim after the lease), then start or link.

    The claim is a conditional update, so of two launchers only one holds a project; a launcher that died
    after its claim leaves the project "declaring" without an instance, which another takes over once the
    worker lease has passed; one that died after starting the instance left that instance, which is linked
    instead of starting a second one.
    """
    lease = timedelta(seconds=rt.settings.worker_lease_seconds)
    stamp = clock.to_db(now)
    with db.write(rt.engine) as conn:
        row = conn.execute(select(PROJECTS.c.status, PROJECTS.c.instance_id, PROJECTS.c.updated_at)
                           .where(PROJECTS.c.id == project_id)).first()
        if row is None or row.instance_id is not None or row.status not in ("planned", "declaring"):
            return
        if row.status == "declaring" and (clock.from_db(row.updated_at) or now) + lease >= now:
            result.busy.append(project_id)  # claimed by a launcher that may still be at work
            return
        claim = update(PROJECTS).where(PROJECTS.c.id == project_id, PROJECTS.c.instance_id.is_(None),
                                       PROJECTS.c.status == row.status, PROJECTS.c.updated_at == row.updated_at)
        if conn.execute(claim.values(status="declaring", updated_at=stamp)).rowcount != 1:
            result.busy.append(project_id)  # another launcher got there first
            return
        existing = conn.execute(select(INSTANCES.c.id).where(INSTANCES.c.process_id == cycle_launch.CYCLE_PROCESS,
                                                     INSTANCES.c.business_key == project_id, INSTANCES.c.status
                                                     != "terminated")
                                .order_by(INSTANCES.c.created_at)).scalars().first()
        if existing is not None:
            conn.execute(update(PROJECTS).where(PROJECTS.c.id == project_id)
                         .values(instance_id=existing, updated_at=stamp))
            result.resumed.append(project_id)
            return
    try:
        with db.write(rt.engine) as conn:
            cycle_launch.start_cycle(conn, rt.workflows, project_id, now)
    except (JixiaoError, ValueError) as exc:  # nothing deployed, a rule missing…: back to planned, say why
        with db.write(rt.engine) as conn:
            conn.execute(update(PROJECTS).where(PROJECTS.c.id == project_id, PROJECTS.c.instance_id.is_(None),
                                                PROJECTS.c.status == "declaring", PROJECTS.c.updated_at == stamp)
                         .values(status="planned", updated_at=stamp))
        result.failed[project_id] = str(getattr(exc, "detail", exc))
        log.warning("cycle of project %s not started: %s", project_id, result.failed[project_id])
        return
    result.started.append(project_id)


# --- (c) monitoring checkpoints -------------------------------------------------------------------------


@dataclass
class CheckpointResult:
    announced: list[str] = field(default_factory=list)  # idempotency keys of the mails this run added
    skipped: dict[str, str] = field(default_factory=dict)  # "year:department" → why (a missing rule)


def issue_checkpoints(rt: Runtime, now: datetime) -> CheckpointResult:
    """(c) Announce each open monitoring checkpoint (rule `monitoring.checkpoints`) to the departments with
    monitored projects of the year, once per department, checkpoint and person.

    A checkpoint is open from its as-of day to its report-by day (Asia/Shanghai). The report tasks themselves
    come from the timers of the `monitoring` process; this is the notice to the department.
    """
    today = clock.local_today(now)
    result = CheckpointResult()
    planned: list[tuple[str, str, str, str]] = []  # key, recipient, subject, body
    with db.read(rt.engine) as conn:
        rows = conn.execute(
            select(PROJECTS.c.fiscal_year, PROJECTS.c.department_id, PROJECTS.c.name,
                   DEPARTMENTS.c.name.label("department"),
                   DEPARTMENTS.c.level)
            .join(DEPARTMENTS, DEPARTMENTS.c.id == PROJECTS.c.department_id).where(PROJECTS.c.status.in_(MONITORED))
            .order_by(PROJECTS.c.fiscal_year, PROJECTS.c.department_id, PROJECTS.c.id)).all()
        groups: dict[tuple[int, str], list[Any]] = {}
        for row in rows:
            groups.setdefault((row.fiscal_year, row.department_id), []).append(row)
        for (year, dept), projects in groups.items():
            try:
                checkpoints = rules.get(conn, year, projects[0].level, CHECKPOINT_RULE)
                windows = [(cp["as_of"], *checkpoint_window(year, cp)) for cp in checkpoints]
            except (NotFound, KeyError, TypeError, ValueError) as exc:
                result.skipped[f"{year}:{dept}"] = str(getattr(exc, "detail", exc))
                log.warning("checkpoints of %s for %s: %s", dept, year, result.skipped[f"{year}:{dept}"])
                continue
            people = None
            for label, as_of, report_by in windows:
                if not as_of <= today <= report_by:
                    continue
                people = department_people(conn, dept) if people is None else people
                subject, body = _checkpoint_text(year, as_of, report_by, projects)
                planned += [(f"checkpoint:{year}:{label}:{dept}:{user}", user, subject, body) for user in people]
    with db.write(rt.engine) as conn:
        for key, user, subject, body in planned:
            if outbox.enqueue(conn, key=key, recipient=user, email=None, subject=subject, body=body,
                              kind="checkpoint", instance_id=None, now=now):
                result.announced.append(key)
    if result.announced:
        log.info("%d checkpoint notice(s) enqueued", len(result.announced))
    return result


def _checkpoint_text(year: int, as_of: Any, report_by: Any, projects: list[Any]) -> tuple[str, str]:
    names = "\n".join(f"  · {p.name}" for p in projects)
    subject = f"【运行监控】{year}年度绩效运行监控：截至{as_of:%m月%d日}，请于{report_by:%m月%d日}前报送"
    body = (f"您好：\n\n{projects[0].department}：{year}年度绩效运行监控时点已到。请于 {report_by:%Y-%m-%d} 前报送截至 "
            f"{as_of:%Y-%m-%d} 的预算执行情况和绩效目标实现情况（实际值、全年预计值、偏差原因，以及目标能否实现）。\n\n"
            f"涉及项目：\n{names}\n\n"
            f"Monitoring checkpoint: report budget execution and goal progress as of {as_of:%Y-%m-%d} "
            f"by {report_by:%Y-%m-%d}.\n\n{SIGNATURE}")
    return subject, body


# --- (d) the year-end coverage review -------------------------------------------------------------------------

COVERAGE_PROCESS = "coverage_review"


@dataclass
class CoverageReviewResult:
    year: int
    started: list[str] = field(default_factory=list)  # departments whose review this run started
    resumed: list[str] = field(default_factory=list)  # a crashed run had started the instance: linked now
    skipped: dict[str, str] = field(default_factory=dict)  # level → why it was not measured
    failed: dict[str, str] = field(default_factory=dict)  # department → why its review could not start
    # level → the fiscal years whose figures the evaluated-money share needs and nobody entered: nobody is
    # escalated over that share, the bureau's finance reviewers and administrators are asked for the figures
    figures_missing: dict[str, list[int]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)  # notices enqueued asking for the figures


def review_coverage(rt: Runtime, now: datetime, year: int | None = None) -> CoverageReviewResult:
    """(d) Escalate to the bureau each department whose own projects missed the plan's coverage targets of the fiscal
    year that has ended (default: the year before today's, Asia/Shanghai): one `coverage_review` per department
    and year (service/domain/coverage_rules.py `department_shortfalls`, workflows/coverage_review.bpmn)."""
    result = CoverageReviewResult(year if year is not None else clock.local_today(now).year - 1)
    lease = timedelta(seconds=rt.settings.worker_lease_seconds)
    for level in rules.LEVELS:
        try:
            with rt.reading() as conn:
                report = coverage_report(conn, result.year, level)
        except (InvalidInput, NotFound) as exc:  # no rules for that year: nothing to measure against
            result.skipped[level] = str(getattr(exc, "detail", exc))
            continue
        missing = sorted({m.figure_year for m in report.measures if m.status == NOT_ENTERED and m.key in PER_DEPARTMENT
                          and m.target is not None and m.figure_year is not None})
        if missing:
            result.figures_missing[level] = missing
            _ask_for_figures(rt, now, result, level, missing)
        names = {line.department_id: line.department_name for m in report.measures for line in m.projects}
        for department_id, shortfalls in department_shortfalls(report).items():
            missed = [{"measure": s.measure, "label": s.label, "label_en": s.label_en, "actual": float(s.actual),
                       "target": float(s.target), "numerator": float(s.numerator),
                       "denominator": float(s.denominator), "target_year": s.target_year, "source": s.source}
                      for s in shortfalls]
            data = {"department_id": department_id, "department_name": names.get(department_id, department_id),
                    "fiscal_year": result.year, "level": level, "missed_targets": missed}
            _start_review(rt, now, lease, data, result)
    if result.started or result.resumed or result.failed:
        log.info("coverage review of %d: %d started, %d resumed, %d failed", result.year, len(result.started),
                 len(result.resumed), len(result.failed))
    return result


def _ask_for_figures(rt: Runtime, now: datetime, result: CoverageReviewResult, level: str, years: list[int]) -> None:
    """Ask the bureau's finance reviewers and administrators, once per year and level, to enter the public
    spending that the evaluated-money share divides by (the plan 二(三)3: “占上一年度公共财政支出的比例”)."""
    level_name = {"municipal": "市级", "district": "区级"}[level]
    with db.write(rt.engine) as conn:
        people = task_recipients(conn, assignee=None, candidate_users=None, department_id=None,
                                 candidate_groups=f"{FINANCE_REVIEWER},{ADMINISTRATOR}")
        for year in years:
            subject = f"【覆盖面】请录入{year}年度{level_name}公共财政支出和民生支出"
            body = (f"您好：\n\n{result.year}年度绩效评价覆盖面的年终核查需要{year}年度{level_name}公共财政支出"
                    f"（方案二(三)3：“占上一年度公共财政支出的比例”），该数据尚未录入，评价资金占比无法计算，各部门暂不因此项督办。"
                    f"请在“财政支出数据”页面（/admin/fiscal-figures）录入。\n\n"
                    f"The {level} public spending of {year} is not entered: the evaluated-money share of "
                    f"{result.year} cannot be measured and nobody is escalated over it. Please enter it at "
                    f"/admin/fiscal-figures.\n\n{SIGNATURE}")
            for user in people:
                key = f"fiscal-figures:{year}:{level}:{user}"
                if outbox.enqueue(conn, key=key, recipient=user, email=None, subject=subject, body=body,
                                  kind="fiscal_figures", instance_id=None, now=now):
                    result.asked.append(key)
    log.warning("coverage review of %d: the %s public spending of %s is not entered; asked %d people",
                result.year, level, ", ".join(map(str, years)), len(people))


def _start_review(rt: Runtime, now: datetime, lease: timedelta, data: dict[str, Any],
                  result: CoverageReviewResult) -> None:
    """Claim the department's review of the year, then start its instance (or link the one a crashed run started)."""
    year, department_id = data["fiscal_year"], data["department_id"]
    key = f"coverage:{year}:{department_id}"
    with db.write(rt.engine) as conn:
        if not coverage_reviews.claim(conn, now, year=year, level=data["level"], department_id=department_id,
                                      missed=data["missed_targets"], lease=lease):
            return
        existing = conn.execute(select(INSTANCES.c.id).where(INSTANCES.c.process_id == COVERAGE_PROCESS,
                                                             INSTANCES.c.business_key == key,
                                                     INSTANCES.c.status != "terminated")).scalars().first()
        if existing is not None:
            coverage_reviews.started(conn, year=year, department_id=department_id, instance_id=existing)
            result.resumed.append(department_id)
            return
    try:
        inst = rt.workflows.start(COVERAGE_PROCESS, data, business_key=key, actor=SYSTEM,
                                  department_id=department_id, now=now)
    except (JixiaoError, ValueError) as exc:  # nothing deployed, a rule missing…: give the claim back, say why
        with db.write(rt.engine) as conn:
            coverage_reviews.release(conn, year=year, department_id=department_id)
        result.failed[department_id] = str(getattr(exc, "detail", exc))
        log.warning("coverage review of %s for %d not started: %s", department_id, year,
                    result.failed[department_id])
        return
    with db.write(rt.engine) as conn:
        coverage_reviews.started(conn, year=year, department_id=department_id, instance_id=str(inst["id"]))
    result.started.append(department_id)


# --- (e) the departments' periodic performance management reports ---------------------------------------------

REPORT_PROCESS = "performance_report"
PERIOD_RULE = "report.period_months"


@dataclass
class ReportLaunchResult:
    periods: dict[str, str] = field(default_factory=dict)  # level → the period launched ("2015")
    started: list[str] = field(default_factory=list)  # departments whose report this run started
    resumed: list[str] = field(default_factory=list)  # a crashed run had started the instance: linked now
    skipped: dict[str, str] = field(default_factory=dict)  # level → why (no rule for the period)
    failed: dict[str, str] = field(default_factory=dict)  # department → why its report could not start


def launch_reports(rt: Runtime, now: datetime, period_day: date | None = None) -> ReportLaunchResult:
    """(e) Start `performance_report` for every active budget department (kind "department") of each level, for the
    last period of rule report.period_months that has ended (Asia/Shanghai), or for the period holding
    `period_day` (`jixiao cycle reports --period-day D`): one instance per department and period (the plan 二(一)4
    “预算部门要定期提交预算绩效管理报告”, workflows/performance_report.bpmn)."""
    today = clock.local_today(now)
    result = ReportLaunchResult()
    lease = timedelta(seconds=rt.settings.worker_lease_seconds)
    for level in rules.LEVELS:
        with db.read(rt.engine) as conn:
            try:
                def months_of(year: int, conn: Any = conn, level: str = level) -> int:
                    return int(rules.get(conn, year, level, PERIOD_RULE))
                period = period_of(period_day, months_of(period_day.year)) if period_day is not None \
                    else last_ended(today, months_of)
            except (NotFound, TypeError, ValueError) as exc:
                result.skipped[level] = str(getattr(exc, "detail", exc))
                continue
            departments = conn.execute(select(DEPARTMENTS.c.id, DEPARTMENTS.c.name).where(DEPARTMENTS.c.level == level,
                                                                                          DEPARTMENTS.c.kind
                                                                                          == "department",
                                                                      DEPARTMENTS.c.active.is_(True)).order_by(DEPARTMENTS.c.id)).all()
        result.periods[level] = period.label
        for dept in departments:
            data = {"department_id": dept.id, "department_name": dept.name, "fiscal_year": period.start.year,
                    "level": level, "period_start": period.start.isoformat(), "period_end": period.end.isoformat(),
                    "period_label": period.label}
            _start_report(rt, now, lease, period, data, result)
    if result.started or result.resumed or result.failed:
        log.info("performance reports: %d started, %d resumed, %d failed", len(result.started),
                 len(result.resumed), len(result.failed))
    return result


def _start_report(rt: Runtime, now: datetime, lease: timedelta, period: Period, data: dict[str, Any],
                  result: ReportLaunchResult) -> None:
    """Claim the department's report of the period, then start its instance (or link the one a crashed run
    started)."""
    department_id = data["department_id"]
    key = f"report:{department_id}:{period.start.isoformat()}"
    with db.write(rt.engine) as conn:
        if not performance_reports_records.claim(conn, now, department_id=department_id, level=data["level"],
                                         fiscal_year=data["fiscal_year"], period_start=period.start,
                                         period_end=period.end, period_label=period.label, lease=lease):
            return
        existing = conn.execute(select(INSTANCES.c.id).where(INSTANCES.c.process_id == REPORT_PROCESS,
                                                             INSTANCES.c.business_key == key,
                                                     INSTANCES.c.status != "terminated")).scalars().first()
        if existing is not None:
            performance_reports_records.started(conn, department_id=department_id, period_start=period.start,
                                        instance_id=existing)
            result.resumed.append(department_id)
            return
    try:
        inst = rt.workflows.start(REPORT_PROCESS, data, business_key=key, actor=SYSTEM, department_id=department_id,
                                  now=now)
    except (JixiaoError, ValueError) as exc:  # nothing deployed, a rule missing…: give the claim back, say why
        with db.write(rt.engine) as conn:
            performance_reports_records.release(conn, department_id=department_id, period_start=period.start)
        result.failed[department_id] = str(getattr(exc, "detail", exc))
        log.warning("performance report of %s for %s not started: %s", department_id, period.label,
                    result.failed[department_id])
        return
    with db.write(rt.engine) as conn:
        performance_reports_records.started(conn, department_id=department_id, period_start=period.start,
                                    instance_id=str(inst["id"]))
    result.started.append(department_id)
