"""What a supervisor reads about an escalation (service/queries/escalation_facts.py): what slipped and since when,
its owner, the reminders sent for it, the instance's timeline and the figures of its kind."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from service import clock
from service.errors import NotFound
from service.queries import dashboard_queries, escalation_facts
from tests.conftest import principal
from tests.service.queries.scenarios import overdue_rectification, serious_deviation
from tests.workflows.stages import start_stage


def test_an_overdue_task_shows_since_when_its_owner_and_the_two_reminders_sent(cycle):
    esc = overdue_rectification(cycle)
    clock.set_now(clock.now().replace(day=8))  # Wednesday 8 April 2015, 09:00
    with cycle.rt.reading() as conn:
        found = escalation_facts.facts(conn, principal("supervisor"), esc["id"], cycle.rt.specs)

    slip = found["slipped"]
    assert (slip["id"], slip["name"], slip["state"]) == (esc["slipped_task_id"], "提交整改报告", "cancelled")
    assert clock.from_db(slip["due_at"]).astimezone(clock.LOCAL).isoformat() == "2015-04-01T23:59:59+08:00"
    # 2, 3, 7 and 8 April are working days; 4-6 April are the weekend and 清明 (Qingming, Monday 6 April 2015).
    assert (slip["overdue_working_days"], slip["overdue_calendar_days"]) == (4, 7)
    assert (slip["assignee"], slip["candidate_groups"], slip["department_id"]) == (None, ["department_staff"],
                                                                                   "dept-a")
    reminders = found["reminders"]
    assert [(r["recipient"], r["kind"], clock.from_db(r["at"]).astimezone(clock.LOCAL).isoformat())
            for r in reminders] == [("staff_a", "reminder", "2015-03-25T09:00:00+08:00"),
                                    ("staff_a", "reminder", "2015-03-31T09:00:00+08:00")]  # not the other task's
    assert found["project"]["name"] == "义务教育学校标准化建设" and found["project"]["department_name"] == "市教育局"
    assert found["process_name"] == "结果反馈与整改"
    assert found["focus"] == "rectification"
    rect = found["rectification"]
    assert (rect["status"], str(rect["due_on"]), rect["submitted_at"]) == ("overdue", "2015-04-01", None)
    assert (found["evaluation"]["grade"], found["evaluation"]["score"]) == ("差", Decimal("52.50"))
    commands = [e["command"] for e in found["timeline"]]
    assert commands[0] == "start" and "fire_timers" in commands
    assert [e["task_name"] for e in found["timeline"] if e["command"] == "complete_task"] == ["反馈评价结果"]


def test_a_red_warning_escalation_shows_the_monitoring_figures(cycle):
    esc = serious_deviation(cycle)
    with cycle.rt.reading() as conn:
        found = escalation_facts.facts(conn, principal("supervisor"), esc["id"], cycle.rt.specs)
    assert found["focus"] == "monitoring" and found["slipped"] is None  # a target slipped, not a deadline
    m = found["monitoring"]
    assert m["warning_level"] == "red" and m["can_meet"] == "impossible"
    assert m["execution_rate"] == Decimal("16.67")  # 200,000 of 1,200,000
    assert m["execution_gap"] == m["time_progress"] - m["execution_rate"] > 0
    assert m["goal_gap"] == m["execution_rate"] - m["goal_progress"]
    assert m["deviation_reasons"] == "征地拆迁滞后"
    assert found["project"]["name"] == "校舍安全工程"


def test_a_department_sees_its_own_escalations_only(cycle):
    esc = overdue_rectification(cycle)
    with cycle.rt.reading() as conn:
        assert escalation_facts.facts(conn, principal("head_a"), esc["id"], cycle.rt.specs)["project"]
    with pytest.raises(NotFound), cycle.rt.reading() as conn:
        escalation_facts.facts(conn, principal("staff_b"), esc["id"], cycle.rt.specs)


def test_the_dashboard_counts_overdue_tasks_by_stage_and_open_escalations_by_department(cycle):
    overdue_rectification(cycle)
    pid = cycle.project("2015-dept-a-003", name="营养改善计划")
    iid = start_stage(cycle, pid, "rectification", final_grade="中", final_score=70)
    clock.advance(timedelta(days=25))  # 20 days to feed back (rule): the reviewer's task is now past due
    with cycle.rt.reading() as conn:
        stages = dashboard_queries.overdue_by_stage(conn, principal("supervisor"), clock.now())
    # the reviewer's feedback, and the supervisor's own decision on the April slip (due by its rule row too)
    assert sorted((r["process_id"], r["bpmn_id"], r["name"], r["overdue"]) for r in stages) == [
        ("rectification", "feed_back_results", "反馈评价结果", 1),
        ("rectification", "supervise_rectification", "整改督办", 1)]
    with cycle.rt.reading() as conn:
        assert dashboard_queries.overdue_by_stage(conn, principal("staff_b"), clock.now()) == []
    assert iid
    with cycle.rt.reading() as conn:
        by_department = dashboard_queries.escalations_by_department(conn, principal("supervisor"))
    assert [(r["department_id"], r["supervisor"], r["leadership"], r["total"]) for r in by_department] == [
        ("dept-a", 1, 0, 1)]
    with cycle.rt.reading() as conn:
        assert dashboard_queries.escalations_by_department(conn, principal("head_b")) == []
