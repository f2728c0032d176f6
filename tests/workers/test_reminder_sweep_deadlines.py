"""The catalogued deadlines of the real workflows are reminded like any other: the mid-term review of a key project
(now with a due date) is announced to the department and reminded to the bureau's reviewers 5 working days ahead,
by SMTP, once — and not again after it is done."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from service import clock, db
from service.cycle import goals_records
from service.models import Notification, User
from service.runtime import Runtime
from tests.workers.people import only_test_people
from tests.workflows.conftest import cycle  # noqa: F401  (the repository's workflows, deployed and seeded)
from workers.reminder_sweep import sweep_reminders
from workers.runner import run_once

NOTIFICATIONS = Notification.__table__
INDICATORS = [{"name": "新建校舍面积", "category": "quantity", "unit": "平方米", "comparator": ">=", "target": 10000,
               "weight": 60, "standard_source": "plan"},
              {"name": "受益学生数", "category": "social", "unit": "万人", "comparator": ">=", "target": 5, "weight": 40,
               "standard_source": "plan"}]
MIDTERM = {"midterm_executed_amount": 480_000, "midterm_conclusion": "on_track", "midterm_comment": "按计划推进",
           "midterm_indicator_actuals": [{"name": "新建校舍面积", "actual": 5000, "expected": 10000}]}


@pytest.fixture
def mail_rt(cycle, smtp_server, tmp_path) -> Any:  # noqa: F811
    users = User.__table__
    with db.write(cycle.rt.engine) as conn:
        conn.execute(update(users).values(email=users.c.username + "@czj.example.cn"))
    with only_test_people(cycle.rt.engine):
        yield Runtime(replace(cycle.rt.settings, smtp_host="127.0.0.1", smtp_port=smtp_server.port,
                              smtp_from="jixiao@czj.example.cn", mail_sink_dir=tmp_path / "never"),
                      cycle.rt.engine, cycle.rt.specs, cycle.rt.workflows)
    with db.write(cycle.rt.engine) as conn:
        conn.execute(update(users).values(email=None))


def _keys(rt: Runtime) -> list[str]:
    with db.read(rt.engine) as conn:
        return sorted(conn.execute(select(NOTIFICATIONS.c.idempotency_key)).scalars())


def test_the_midterm_review_is_announced_reminded_once_and_not_after_it_is_done(cycle, mail_rt, smtp_server):  # noqa: F811
    pid = cycle.project(is_key=True)
    with db.write(cycle.rt.engine) as conn:
        goals_records.record_declaration(conn, clock.now(), project_id=pid, revision=1, summary="标准化建设",
                                 indicators=INDICATORS)
        goals_records.approve(conn, clock.now(), project_id=pid, revision=1)
    iid = cycle.start(pid, process_id="monitoring")
    day, sent_on = date(2015, 6, 29), {}
    task_id = None
    while day <= date(2015, 7, 31):  # the daily sweep at 08:00 in Wuhan, between two worker passes
        now = datetime(day.year, day.month, day.day, 8, tzinfo=clock.LOCAL)
        clock.set_now(now)
        run_once(mail_rt, "w1", now)
        added = sweep_reminders(mail_rt, now)
        assert not added.skipped
        if added.reminders or added.announcements:
            sent_on[day] = sorted(k.rsplit(":", 1)[1] + ":" + k.split(":")[0] for k in
                                  added.reminders + added.announcements)
        run_once(mail_rt, "w1", now)
        if day == date(2015, 7, 1):
            task_id = cycle.task(iid, "midterm_review", "reviewer")["id"]
        if day == date(2015, 7, 22):  # the review is done the day after the 5-day reminder
            clock.set_now(now + timedelta(hours=2))
            cycle.complete(iid, "midterm_review", MIDTERM, user="reviewer")
        day += timedelta(days=1)

    # Announced to the department the day it opens; reminded to the bureau's reviewers 5 working days before
    # 28 July (21 July); done on 22 July, so no 1-day reminder on 27 July.
    assert sent_on == {
        date(2015, 7, 1): ["head_a:announce", "power:announce", "staff_a2:announce", "staff_a:announce"],
        date(2015, 7, 21): ["power:reminder", "reviewer:reminder"],
    }
    assert _keys(mail_rt) == sorted([f"announce:{task_id}:{u}" for u in ("head_a", "power", "staff_a", "staff_a2")]
                                    + [f"reminder:{task_id}:5:{u}" for u in ("power", "reviewer")])
    reminded = [m for m in smtp_server.inbox.messages() if m["Subject"].startswith("【待办提醒】中期评估")]
    assert sorted(m["To"] for m in reminded) == ["power@czj.example.cn", "reviewer@czj.example.cn"]
    assert reminded[0]["Subject"] == "【待办提醒】中期评估将于2015-07-28 23:59到期"
    assert "还有 5 个工作日" in reminded[0].get_content()
