"""Calendar jobs: the annual cycle launch starts every planned project exactly once — run twice, run by
two workers at once, resumed after a crash, on demand from the CLI —, monitoring checkpoints are announced to the
departments concerned, and the worker schedules them all."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from service import clock, db
from service.cli import main
from service.config import ROOT, Settings
from service.cycle import cycle_launch, projects_records
from service.cycle.projects_records import PROJECTS
from service.models import Instance, Notification
from service.queries import instances_queries
from service.rules import store
from service.runtime import Runtime
from tests.workers.people import only_test_people
from workers.calendar_jobs import issue_checkpoints, launch_cycles
from workers.runner import build_scheduler, cron_trigger

INSTANCES = Instance.__table__
NOTIFICATIONS = Notification.__table__


def local(y: int, m: int, d: int, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=clock.LOCAL)


@pytest.fixture
def reference(runtime, frozen_clock, deploy_fixture):
    """Rule rows and fiscal years from seeds/rules.json (goal declaration for 2016 opens on 2015-09-01) and a
    stand-in `budget_cycle` process (tests/fixtures/cycle_stub.bpmn)."""
    with db.write(runtime.engine) as conn:
        store.seed_rules(conn, ROOT / "seeds" / "rules.json", "test", clock.now())
        store.seed_calendar(conn, 2015, 2015)
    deploy_fixture("cycle_stub.bpmn")
    with only_test_people(runtime.engine):
        yield runtime


def _project(runtime, pid: str, department: str = "dept-a", year: int = 2016, status: str = "planned") -> str:
    with db.write(runtime.engine) as conn:
        projects_records.create(conn, clock.now(), id=pid, fiscal_year=year, department_id=department, name=f"项目{pid}",
                        sector="education", amount=800_000)
        if status != "planned":
            projects_records.set_status(conn, pid, status, clock.now())
    return pid


def _cycles(runtime) -> dict[str, int]:
    """budget_cycle instances per project (business key)."""
    with db.read(runtime.engine) as conn:
        return dict(conn.execute(select(INSTANCES.c.business_key, func.count()).where(INSTANCES.c.process_id == "budget_cycle")
                                 .group_by(INSTANCES.c.business_key)).all())


def _project_row(runtime, pid: str):
    with db.read(runtime.engine) as conn:
        return projects_records.get(conn, pid)


def _launched_at(runtime, year: int) -> datetime | None:
    with db.read(runtime.engine) as conn:
        return conn.execute(select(store.YEARS.c.cycle_launched_at).where(store.YEARS.c.year == year)).scalar_one()


def test_the_launch_starts_every_planned_project_once_when_the_declaration_opens(reference):
    runtime = reference
    planned = [_project(runtime, "2016-a-001"), _project(runtime, "2016-b-001", "dept-b")]
    _project(runtime, "2016-a-002", status="blocked")  # not planned: not the launch's business
    manual = _project(runtime, "2016-a-003")
    with db.write(runtime.engine) as conn:
        cycle_launch.start_cycle(conn, runtime.workflows, manual, clock.now())  # started by hand earlier

    eve = launch_cycles(runtime, local(2015, 8, 31, 23, 59))
    assert eve.started == [] and 2016 not in eve.years and _launched_at(runtime, 2016) is None
    opened = local(2015, 9, 1, 7)
    first = launch_cycles(runtime, opened)
    assert first.started == planned and first.years == [2016] and not first.failed
    assert _cycles(runtime) == {"2016-a-001": 1, "2016-b-001": 1, "2016-a-003": 1}
    for pid, dept in zip(planned, ("dept-a", "dept-b"), strict=True):
        row = _project_row(runtime, pid)
        assert row.status == "declaring" and row.instance_id is not None
        with runtime.reading() as conn:
            inst = instances_queries.get(conn, row.instance_id)
        assert inst["data"]["project_id"] == pid and inst["data"]["fiscal_year"] == 2016
        assert (inst["business_key"], inst["department_id"], inst["status"]) == (pid, dept, "running")
    assert clock.from_db(_launched_at(runtime, 2016)) == opened
    again = launch_cycles(runtime, opened + timedelta(days=1))
    assert again.started == [] and again.years == [] and _cycles(runtime)["2016-a-001"] == 1
    assert _project_row(runtime, "2016-a-002").status == "blocked"


def test_two_workers_launching_at_once_start_each_project_exactly_once(reference, settings):
    runtime = reference
    planned = [_project(runtime, f"2016-{d[-1]}-{n:03d}", d) for n in range(8) for d in ("dept-a", "dept-b")]
    workers = [Runtime.build(settings) for _ in range(2)]
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def run(i: int) -> None:
        barrier.wait(timeout=30)
        results[i] = launch_cycles(workers[i], local(2015, 9, 1, 7))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        for w in workers:
            w.close()
    assert not set(results[0].started) & set(results[1].started)
    assert sorted(results[0].started + results[1].started) == sorted(planned)
    assert _cycles(runtime) == {pid: 1 for pid in planned}
    assert _launched_at(runtime, 2016) is not None  # whichever finished last marked the year


def test_a_launch_that_died_half_way_resumes_without_a_second_instance(reference):
    runtime = reference
    now = local(2015, 9, 2, 7)
    lease = timedelta(seconds=runtime.settings.worker_lease_seconds)
    claimed_then_died = _project(runtime, "2016-a-001")
    started_then_died = _project(runtime, "2016-a-002")
    untouched = _project(runtime, "2016-a-003")
    in_progress = _project(runtime, "2016-a-004")
    with db.write(runtime.engine) as conn:
        for pid, when in ((claimed_then_died, now - 2 * lease), (started_then_died, now - 2 * lease),
                          (in_progress, now - lease / 2)):
            conn.execute(update(PROJECTS).where(PROJECTS.c.id == pid).values(status="declaring", updated_at=clock.to_db(when)))
        row = projects_records.get(conn, started_then_died)
    orphan = runtime.workflows.start("budget_cycle", projects_records.cycle_variables(row), business_key=started_then_died,
                                     department_id="dept-a", now=now - 2 * lease)["id"]

    first = launch_cycles(runtime, now)
    assert first.started == [claimed_then_died, untouched] and first.resumed == [started_then_died]
    assert first.busy == [in_progress] and 2016 not in first.years and _launched_at(runtime, 2016) is None
    assert _project_row(runtime, started_then_died).instance_id == orphan
    later = launch_cycles(runtime, now + lease)  # the other launcher never came back: its lease has passed
    assert later.started == [in_progress] and later.years == [2016]
    assert _cycles(runtime) == {pid: 1 for pid in (claimed_then_died, started_then_died, untouched, in_progress)}


def test_without_a_deployed_cycle_nothing_is_lost_and_the_next_run_starts_it(runtime, frozen_clock, deploy_fixture):
    with db.write(runtime.engine) as conn:
        store.seed_rules(conn, ROOT / "seeds" / "rules.json", "test", clock.now())
    pid = _project(runtime, "2016-a-001")
    failed = launch_cycles(runtime, local(2015, 9, 1, 7))
    assert list(failed.failed) == [pid] and "budget_cycle" in failed.failed[pid] and 2016 not in failed.years
    assert _project_row(runtime, pid).status == "planned" and _launched_at(runtime, 2016) is None
    deploy_fixture("cycle_stub.bpmn")
    assert launch_cycles(runtime, local(2015, 9, 2, 7)).started == [pid]
    assert _launched_at(runtime, 2016) is not None


def test_cli_cycle_launch_runs_the_launch_on_demand(reference, monkeypatch):
    runtime = reference
    planned = [_project(runtime, "2016-a-001"), _project(runtime, "2016-b-001", "dept-b")]
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    runner = CliRunner()
    first = runner.invoke(main, ["cycle", "launch", "--year", "2016"])  # March 2015: before the opening date
    assert first.exit_code == 0, first.output
    assert "2 cycle(s) started" in first.output and "marked launched" in first.output
    assert _cycles(runtime) == {pid: 1 for pid in planned}
    second = runner.invoke(main, ["cycle", "launch", "--year", "2016"])
    assert second.exit_code == 0 and "0 cycle(s) started" in second.output
    unknown = runner.invoke(main, ["cycle", "launch", "--year", "2031"])
    assert unknown.exit_code != 0 and "no fiscal year 2031" in unknown.output
    assert runner.invoke(main, ["cycle", "launch", "--year", "2016", "--at", "soon"]).exit_code == 2


def _checkpoint_mails(runtime) -> list[tuple[str, str]]:
    with db.read(runtime.engine) as conn:
        return sorted(conn.execute(select(NOTIFICATIONS.c.idempotency_key, NOTIFICATIONS.c.subject).where(NOTIFICATIONS.c.kind == "checkpoint")).all())


def test_monitoring_checkpoints_are_announced_once_to_departments_with_running_projects(reference):
    runtime = reference
    _project(runtime, "2015-a-001", year=2015, status="running")
    _project(runtime, "2015-a-002", year=2015, status="running")
    _project(runtime, "2015-b-001", "dept-b", year=2015, status="approved")  # not under monitoring yet
    _project(runtime, "2014-b-009", "dept-b", year=2014, status="running")  # 2014's checkpoint was last year
    assert issue_checkpoints(runtime, local(2015, 7, 30)).announced == []  # as of 31 July: not yet
    first = issue_checkpoints(runtime, local(2015, 7, 31, 8, 30))
    dept_a = [f"checkpoint:2015:07-31:dept-a:{u}" for u in ("head_a", "power", "staff_a", "staff_a2")]
    assert sorted(first.announced) == dept_a and not first.skipped
    assert issue_checkpoints(runtime, local(2015, 8, 1, 8, 30)).announced == []  # once per department
    subjects = {s for k, s in _checkpoint_mails(runtime)}
    assert subjects == {"【运行监控】2015年度绩效运行监控：截至07月31日，请于08月31日前报送"}
    with db.read(runtime.engine) as conn:
        body = conn.execute(select(NOTIFICATIONS.c.body).where(NOTIFICATIONS.c.idempotency_key == dept_a[0])).scalar_one()
    assert "市教育局" in body and "项目2015-a-001" in body and "项目2015-a-002" in body and "2015-08-31" in body

    with db.write(runtime.engine) as conn:  # dept-b's project starts running in August: dept-b is told then
        projects_records.set_status(conn, "2015-b-001", "paused", clock.now())
    assert sorted(issue_checkpoints(runtime, local(2015, 8, 10)).announced) == [
        f"checkpoint:2015:07-31:dept-b:{u}" for u in ("head_b", "staff_b")]
    assert issue_checkpoints(runtime, local(2015, 9, 1)).announced == []  # the report-by day has passed
    assert len(_checkpoint_mails(runtime)) == 6


def test_the_worker_schedules_the_calendar_jobs_in_wuhan_time(runtime, monkeypatch):
    scheduler = build_scheduler(runtime)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"jixiao-pass", "jixiao-reminders", "jixiao-cycle-launch", "jixiao-checkpoints",
                         "jixiao-coverage-review", "jixiao-performance-reports", "jixiao-verify"}
    monday = local(2015, 3, 2, 9)
    assert jobs["jixiao-reminders"].trigger.get_next_fire_time(None, monday) == local(2015, 3, 3, 8)
    assert jobs["jixiao-cycle-launch"].trigger.get_next_fire_time(None, monday) == local(2015, 3, 3, 7)
    assert jobs["jixiao-checkpoints"].trigger.get_next_fire_time(None, monday) == local(2015, 3, 3, 8, 30)
    # The year-end coverage review runs on 2 January (and at each worker start, like every calendar job).
    assert jobs["jixiao-coverage-review"].trigger.get_next_fire_time(None, monday) == local(2016, 1, 2, 9)
    # The periodic reports' launch runs daily (a period's reports start once, the day after it ends or later).
    assert jobs["jixiao-performance-reports"].trigger.get_next_fire_time(None, monday) == local(2015, 3, 2, 9, 15)
    # The nightly verification runs at night only, not also when a worker starts (each night checks everything).
    assert jobs["jixiao-verify"].trigger.get_next_fire_time(None, monday) == local(2015, 3, 3, 2, 30)
    # (APScheduler sets a job's next run from its trigger when the scheduler starts, unless one was given)
    assert getattr(jobs["jixiao-verify"], "next_run_time", None) is None
    assert jobs["jixiao-reminders"].next_run_time is not None

    settings = Settings.from_env({"JIXIAO_CRON_DAILY": "15 6 * * 1-5", "JIXIAO_CRON_LAUNCH": "off",
                                  "JIXIAO_CRON_CHECKPOINTS": "OFF", "JIXIAO_CRON_COVERAGE": "off",
                                  "JIXIAO_CRON_REPORTS": "off", "JIXIAO_CRON_VERIFY": "off"})
    custom = build_scheduler(Runtime(replace(runtime.settings, cron_daily=settings.cron_daily,
                                             cron_launch=settings.cron_launch,
                                             cron_checkpoints=settings.cron_checkpoints,
                                             cron_coverage_review=settings.cron_coverage_review,
                                             cron_reports=settings.cron_reports,
                                             cron_verify=settings.cron_verify),
                                     runtime.engine, runtime.specs, runtime.workflows))
    jobs = {job.id: job for job in custom.get_jobs()}
    assert set(jobs) == {"jixiao-pass", "jixiao-reminders"}
    friday = local(2015, 3, 6, 9)
    assert jobs["jixiao-reminders"].trigger.get_next_fire_time(None, friday) == local(2015, 3, 9, 6, 15)
    assert date(2015, 3, 9).weekday() == 0  # Monday: crontab's 1-5 is Monday to Friday, as in cron(8)
    sunday = cron_trigger("0 9 * * 0", "Asia/Shanghai").get_next_fire_time(None, friday)
    assert sunday == local(2015, 3, 8, 9) and cron_trigger("0 9 * * 7", "UTC").get_next_fire_time(None, friday) == \
        datetime(2015, 3, 8, 9, tzinfo=clock.UTC)
    with pytest.raises(ValueError):
        cron_trigger("0 8 * *", "Asia/Shanghai")
