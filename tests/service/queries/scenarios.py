"""Escalations as supervisors meet them, driven through the real workflows on the test clock, with the rows other
stages would have written (reminders sent, a self-evaluation graded 差) added by hand."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert

from service import clock, db
from service.cycle import goals_records
from service.models import Evaluation
from service.notifications import outbox
from tests.workflows.stages import FEEDBACK, start_stage
from tests.workflows.test_monitoring import INDICATORS

REMINDED_AT = ("2015-03-25T09:00:00+08:00", "2015-03-31T09:00:00+08:00")  # 5 and 1 working days before 1 April


def local(text: str) -> datetime:
    return datetime.fromisoformat(text)


def overdue_rectification(cycle: Any, pid: str = "2015-dept-a-001") -> dict[str, Any]:
    """A project graded 差 whose unit lets the rectification deadline (1 April 2015) pass after two reminders:
    on 2 April the rectification_overdue boundary timer withdraws the task and opens an escalation."""
    cycle.project(pid, name="义务教育学校标准化建设")
    iid = start_stage(cycle, pid, "rectification", final_grade="差", final_score=52)
    with db.write(cycle.rt.engine) as conn:
        conn.execute(insert(Evaluation).values(project_id=pid, kind="self", score=Decimal("52.50"), grade="差",
                                               detail=json.dumps({}), completed_at=clock.to_db(clock.now())))
    cycle.complete(iid, "feed_back_results", FEEDBACK, user="reviewer")
    task = cycle.task(iid, "submit_rectification", "staff_a")
    with db.write(cycle.rt.engine) as conn:
        for lead, at in zip((5, 1), REMINDED_AT, strict=True):
            assert outbox.enqueue(conn, key=f"reminder:{task['id']}:{lead}:staff_a", recipient="staff_a",
                                  email="staff_a@example.org", subject=f"提醒：{task['name']}", body="请按期提交",
                                  kind="reminder", instance_id=iid, now=local(at))
        outbox.enqueue(conn, key=f"reminder:{'0' * 36}:1:staff_a", recipient="staff_a", email="staff_a@example.org",
                       subject="另一任务", body="其他任务的提醒", kind="reminder", instance_id=None, now=local(at))
    cycle.advance(days=31)  # 2 April 2015, 09:00: the deadline has passed
    [esc] = [e for e in cycle.as_user("supervisor").get("/api/escalations?per_page=200").get_json()["items"]
             if e["instance_id"] == iid]
    return {**esc, "slipped_task_id": task["id"]}


def serious_deviation(cycle: Any, pid: str = "2015-dept-a-002") -> dict[str, Any]:
    """A monitored project whose department reports on 10 August 2015 that its goal cannot be met: a red warning
    and a SERIOUS_DEVIATION escalation."""
    cycle.project(pid, name="校舍安全工程")
    with db.write(cycle.rt.engine) as conn:
        goals_records.record_declaration(conn, clock.now(), project_id=pid, revision=1, summary="校舍安全",
                                 indicators=INDICATORS)
        goals_records.approve(conn, clock.now(), project_id=pid, revision=1)
    iid = cycle.start(pid, process_id="monitoring")
    clock.set_now(local("2015-08-10T09:00:00+08:00"))
    cycle.work()
    cycle.complete(iid, "file_report", {"executed_amount": 200_000, "can_meet": "impossible",
                                        "deviation_reasons": "征地拆迁滞后", "indicator_actuals": [
                                            {"name": "新建校舍面积", "actual": 100, "expected": 1000}]},
                   user="staff_a")
    [esc] = [e for e in cycle.as_user("supervisor").get("/api/escalations?per_page=200").get_json()["items"]
             if e["instance_id"] == iid]
    return dict(esc)
