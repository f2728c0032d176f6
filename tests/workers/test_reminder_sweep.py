"""Reminders before due dates and announcements: exact days over the holiday calendar, the right
people, delivered by SMTP, and never twice — not after a restart, not with two workers sweeping at once."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from service import clock, db
from service.bpm.commands import Claim
from service.config import ROOT
from service.domain.reminders_rules import checkpoint_window, current_lead
from service.domain.workdays import Calendar
from service.models import Notification, TaskRow, User
from service.rules import store
from service.runtime import Runtime
from tests.conftest import principal
from tests.workers.people import only_test_people
from workers.reminder_sweep import ANNOUNCE_RULE, sweep_reminders
from workers.runner import run_once

DUE = "2015-04-08T17:00:00+08:00"  # a Wednesday; Monday 6 April 2015 is the Qingming holiday (清明节)
NOTIFICATIONS = Notification.__table__


def local(y: int, m: int, d: int, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=clock.LOCAL)


@pytest.fixture
def reference(runtime, frozen_clock):
    """The repository's rule rows and the official 2015 calendar (清明节 included); only the test accounts active."""
    with db.write(runtime.engine) as conn:
        store.seed_rules(conn, ROOT / "seeds" / "rules.json", "test", clock.now())
        store.seed_calendar(conn, 2015, 2015)
    with only_test_people(runtime.engine):
        yield runtime


@pytest.fixture
def emails(runtime):
    """Every test user gets an address for the test (people live for the whole session: put back afterwards)."""
    users = User.__table__
    with db.write(runtime.engine) as conn:
        conn.execute(update(users).values(email=users.c.username + "@czj.example.cn"))
    yield
    with db.write(runtime.engine) as conn:
        conn.execute(update(users).values(email=None))


def _start(runtime, due: str = DUE) -> str:
    # `checkers` names who checks: only a starter who may assign tasks (a supervisor) may set it.
    return runtime.workflows.start("reminders", {"due_at": due, "checkers": ["expert", "agency"]},
                                   actor=principal("supervisor"), department_id="dept-a")["id"]


def _tasks(runtime, iid: str) -> dict[str, str]:
    t = TaskRow.__table__
    with db.read(runtime.engine) as conn:
        return {r.bpmn_id: r.id for r in conn.execute(select(t.c.bpmn_id, t.c.id).where(t.c.instance_id == iid))}


def _mails(runtime) -> list[tuple[str, str]]:
    with db.read(runtime.engine) as conn:
        return sorted((r.idempotency_key, r.recipient) for r in conn.execute(select(NOTIFICATIONS.c.idempotency_key, NOTIFICATIONS.c.recipient)))


def _expected(tasks: dict[str, str], lead: int, only: dict[str, list[str]] | None = None) -> set[str]:
    people = {"fill": ["head_a", "power", "staff_a", "staff_a2"],  # dept-a's staff (not staff_b) and its heads
              "check": ["agency", "expert"],  # the named candidate users
              "review": ["power", "reviewer"]}  # finance_reviewer: a bureau role, any department
    people.update(only or {})
    return {f"reminder:{tasks[b]}:{lead}:{u}" for b, users in people.items() for u in users}


def test_reminders_5_and_1_working_days_before_the_due_date_over_a_weekend_and_a_holiday(reference, deploy_fixture):
    runtime = reference
    deploy_fixture("reminders.bpmn")
    with db.read(runtime.engine) as conn:
        assert not store.calendar(conn, date(2015, 4, 6), date(2015, 4, 6)).is_working_day(date(2015, 4, 6))
    tasks = _tasks(runtime, _start(runtime))
    sent_on: dict[date, set[str]] = {}
    day = date(2015, 3, 20)
    while day <= date(2015, 4, 10):  # the daily sweep at 08:00 in Wuhan
        added = sweep_reminders(runtime, local(day.year, day.month, day.day))
        if added.reminders:
            sent_on[day] = set(added.reminders)
        assert not added.skipped and not added.announcements
        day += timedelta(days=1)
    # 5 working days before Wed 8 April, counting back over Mon 6 April (holiday) and the weekend: Tue 31 March.
    assert sent_on == {date(2015, 3, 31): _expected(tasks, 5), date(2015, 4, 7): _expected(tasks, 1)}
    assert sweep_reminders(runtime, local(2015, 4, 8, 17, 30)).reminders == []  # overdue: no more reminders
    assert len(_mails(runtime)) == 2 * 8


def test_a_claimed_task_reminds_its_assignee_and_the_departments_heads_by_smtp(reference, deploy_fixture, emails,
                                                                          smtp_server, tmp_path):
    runtime = reference
    mail_rt = Runtime(replace(runtime.settings, smtp_host="127.0.0.1", smtp_port=smtp_server.port,
                              smtp_from="jixiao@czj.example.cn", mail_sink_dir=tmp_path / "never"),
                      runtime.engine, runtime.specs, runtime.workflows)
    deploy_fixture("reminders.bpmn")
    tasks = _tasks(runtime, _start(runtime))
    first = local(2015, 3, 31)
    assert set(sweep_reminders(mail_rt, first).reminders) == _expected(tasks, 5)
    assert len(run_once(mail_rt, "w1", now=first).notifications.sent) == 8
    to_fill = [m for m in smtp_server.inbox.messages() if "填报自评表" in m["Subject"]]
    assert sorted(m["To"] for m in to_fill) == ["head_a@czj.example.cn", "power@czj.example.cn",
                                                "staff_a2@czj.example.cn", "staff_a@czj.example.cn"]
    body = to_fill[0].get_content()
    assert to_fill[0]["Subject"] == "【待办提醒】填报自评表将于2015-04-08 17:00到期"
    assert "还有 5 个工作日" in body and "市教育局" in body and f"/tasks/{tasks['fill']}" in body

    runtime.workflows.apply_to_task(tasks["fill"], Claim(tasks["fill"]), actor=principal("staff_a2"))
    second = local(2015, 4, 7)
    # Claimed: its assignee, and still the department's heads (a department's task), not the other candidates.
    assert set(sweep_reminders(mail_rt, second).reminders) == \
        _expected(tasks, 1, {"fill": ["head_a", "power", "staff_a2"]})
    assert len(run_once(mail_rt, "w1", now=second).notifications.sent) == 7
    latest = [m for m in smtp_server.inbox.messages()[8:] if "填报自评表" in m["Subject"]]
    assert sorted(m["To"] for m in latest) == ["head_a@czj.example.cn", "power@czj.example.cn",
                                               "staff_a2@czj.example.cn"]
    assert all("还有 1 个工作日" in m.get_content() for m in latest)
    assert run_once(mail_rt, "w1", now=second).notifications.sent == []  # nothing is sent twice


def test_no_reminder_is_sent_twice_after_a_restart_or_by_two_workers_at_once(reference, deploy_fixture, settings):
    runtime = reference
    deploy_fixture("reminders.bpmn")
    tasks = _tasks(runtime, _start(runtime))
    assert set(sweep_reminders(runtime, local(2015, 3, 31)).reminders) == _expected(tasks, 5)
    assert sweep_reminders(runtime, local(2015, 3, 31, 8, 1)).reminders == []  # the same sweep again
    runtime.close()  # the worker restarts: a new process, new connections
    restarted = Runtime.build(settings)
    try:
        assert sweep_reminders(restarted, local(2015, 4, 1)).reminders == []
        assert sweep_reminders(restarted, local(2015, 4, 3, 18)).reminders == []
    finally:
        restarted.close()

    workers = [Runtime.build(settings) for _ in range(2)]
    barrier = threading.Barrier(2)
    added: list[list[str]] = [[], []]

    def sweep(i: int) -> None:
        barrier.wait(timeout=30)
        added[i] = sweep_reminders(workers[i], local(2015, 4, 7)).reminders

    threads = [threading.Thread(target=sweep, args=(i,)) for i in range(2)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        for w in workers:
            w.close()
    assert not set(added[0]) & set(added[1])  # no key was added by both workers
    assert set(added[0]) | set(added[1]) == _expected(tasks, 1)
    keys = [k for k, _ in _mails(runtime)]
    assert len(keys) == len(set(keys)) == 16


def test_a_midterm_review_is_announced_once_to_the_departments_staff_and_head(reference, deploy_fixture):
    runtime = reference
    deploy_fixture("reminders.bpmn")
    iid = runtime.workflows.start("midterm", {}, actor=principal("staff_a"))["id"]
    review = _tasks(runtime, iid)["midterm_review"]
    first = sweep_reminders(runtime, clock.now())
    assert sorted(first.announcements) == [f"announce:{review}:{u}" for u in ("head_a", "power", "staff_a", "staff_a2")]
    assert first.reminders == []  # due in 30 days: no reminder day yet
    assert sweep_reminders(runtime, clock.now() + timedelta(hours=1)).announcements == []
    with db.read(runtime.engine) as conn:
        subjects = set(conn.execute(select(NOTIFICATIONS.c.subject).where(NOTIFICATIONS.c.kind == "announcement")).scalars())
    assert subjects == {"【工作通知】重点项目中期评估已开始"}

    with db.write(runtime.engine) as conn:  # the announced kinds are a rule an administrator may change
        store.set_rule(conn, 2015, "*", ANNOUNCE_RULE, ["monitoring_report"], "test: no mid-term notices", "admin",
                       clock.now())
    other = _tasks(runtime, runtime.workflows.start("midterm", {}, actor=principal("staff_b"))["id"])
    assert sweep_reminders(runtime, clock.now() + timedelta(hours=2)).announcements == []
    assert not [k for k, _ in _mails(runtime) if other["midterm_review"] in k]


def test_an_announced_midterm_review_is_still_reminded_before_its_due_date_and_never_announced_again(
        reference, deploy_fixture):
    runtime = reference
    deploy_fixture("reminders.bpmn")
    review = _tasks(runtime, runtime.workflows.start("midterm", {}, actor=principal("staff_a"))["id"])["midterm_review"]
    start = clock.now()
    announced = sweep_reminders(runtime, start).announcements
    assert announced and all(k.startswith(f"announce:{review}:") for k in announced)
    leads_sent: dict[str, set[str]] = {}
    for day in range(1, 31):  # the daily sweep until the due date (P30D)
        added = sweep_reminders(runtime, start + timedelta(days=day))
        assert added.announcements == []
        for key in added.reminders:
            leads_sent.setdefault(key.split(":")[2], set()).add(key.split(":")[3])
    # the department head (and `power`, who holds every role) is reminded 5 and 1 working days ahead
    assert leads_sent == {"5": {"head_a", "power"}, "1": {"head_a", "power"}}
    assert len([k for k, _ in _mails(runtime) if k.startswith("announce:")]) == len(announced)


def test_a_malformed_rule_is_reported_and_the_other_tasks_are_still_reminded(reference, deploy_fixture):
    runtime = reference
    deploy_fixture("reminders.bpmn")
    with db.write(runtime.engine) as conn:
        store.set_rule(conn, 2016, "*", "reminders.lead_working_days", "five", "test: malformed", "admin", clock.now())
    this_year = _tasks(runtime, _start(runtime, due="2015-12-31T17:00:00+08:00"))
    next_year = _tasks(runtime, _start(runtime, due="2016-01-05T17:00:00+08:00"))  # the 2016 row is malformed
    result = sweep_reminders(runtime, local(2015, 12, 29))
    assert set(result.skipped) == set(next_year.values())
    assert "lead_working_days" in result.skipped[next_year["fill"]]
    assert set(result.reminders) == _expected(this_year, 5)  # 5 working days before Thu 31 Dec: Thu 24 Dec


def test_current_lead_and_checkpoint_window_are_plain_date_rules():
    week = Calendar(holidays=frozenset({date(2015, 4, 6)}))
    due = date(2015, 4, 8)
    assert current_lead(week, due, date(2015, 3, 30), [5, 1]) is None
    assert current_lead(week, due, date(2015, 3, 31), [5, 1]) == 5
    assert current_lead(week, due, date(2015, 4, 6), [5, 1]) == 5
    assert current_lead(week, due, date(2015, 4, 7), [1, 5]) == 1
    assert current_lead(week, due, date(2015, 4, 8), [5, 1, 0]) == 0
    assert current_lead(week, due, date(2015, 4, 9), [5, 1]) is None
    assert checkpoint_window(2015, {"as_of": "07-31", "report_by": "08-31"}) == (date(2015, 7, 31), date(2015, 8, 31))
    assert checkpoint_window(2015, {"as_of": "12-31", "report_by": "01-31"}) == (date(2015, 12, 31), date(2016, 1, 31))
