"""Runtime monitoring records (绩效运行监控, DOMAIN.md 2): checkpoint reports with their warning level, the
mid-term review of key projects, and what happens to a project after a warning (project_actions).

Writes are idempotent: reports upsert by project and checkpoint date, the mid-term review by project, actions
by their `key` (instance, report round and action), because the jobs that make them are at-least-once.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, update

from service import clock, db
from service.cycle import projects_records
from service.errors import InvalidInput
from service.models import Evaluation, MonitoringReport, ProjectAction

REPORTS = MonitoringReport.__table__
ACTIONS = ProjectAction.__table__
EVALUATIONS = Evaluation.__table__
PROJECTS = projects_records.PROJECTS

# Statuses before execution starts: monitoring (year N) puts the project to work. Later ones are left alone.
_NOT_STARTED = ("planned", "declaring", "under_review", "approved")
MEASURES = ("continue", "reallocate", "cancel")
DECISIONS = ("resume", "suspend", "stop")


def _money(value: float | int | Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(float(value), 2)))


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def start_running(conn: Connection, project_id: str, now: datetime) -> str:
    """The fiscal year's execution begins: an approved (or not yet reviewed) project is running."""
    status = str(projects_records.get(conn, project_id).status)
    if status in _NOT_STARTED:
        projects_records.set_status(conn, project_id, "running", now)
        return "running"
    return status


def record_report(conn: Connection, now: datetime, *, project_id: str, as_of: date, due_on: date | None,
                  executed: float, assessment: dict[str, Any], can_meet: str, warning_level: str,
                  detail: dict[str, Any]) -> int:
    """Write (or rewrite) the checkpoint's report with its figures and warning level; returns its id."""
    values = {
        "due_on": due_on, "executed_amount": _money(executed),
        "execution_rate": _money(assessment["execution_rate"]), "time_progress": _money(assessment["time_progress"]),
        # Without a quantitative indicator, goal achievement is taken to keep pace with execution (no gap).
        "goal_progress": _money(assessment["goal_progress"] if assessment.get("goal_progress") is not None
                                else assessment["execution_rate"]),
        "can_meet": can_meet, "warning_level": warning_level, "detail": _json(detail),
        "reported_at": clock.to_db(now)}
    where = (REPORTS.c.project_id == project_id, REPORTS.c.checkpoint == as_of)
    row = conn.execute(select(REPORTS.c.id).where(*where)).first()
    if row is not None:
        conn.execute(update(REPORTS).where(REPORTS.c.id == row.id).values(**values))
        return int(row.id)
    return db.inserted_id(conn.execute(insert(REPORTS).values(project_id=project_id, checkpoint=as_of, **values)))


def record_action(conn: Connection, now: datetime, *, key: str, project_id: str, action: str,
                  report_id: int | None = None, due_on: date | None = None, budget_cut: float | None = None,
                  note: str | None = None, actor: str | None = None) -> bool:
    """Add a project action once (a repeated key changes nothing); True if it was added now."""
    if conn.execute(select(ACTIONS.c.id).where(ACTIONS.c.key == key)).first() is not None:
        return False
    conn.execute(insert(ACTIONS).values(key=key[:120], project_id=project_id, report_id=report_id, action=action,
                                        due_on=due_on, budget_cut=_money(budget_cut), note=note,
                                        acted_at=clock.to_db(now), actor=actor))
    return True


def lift_suspension(conn: Connection, now: datetime, *, key: str, project_id: str, report_id: int) -> bool:
    """A suspended project whose new report is no longer a serious deviation resumes (暂缓 lifted)."""
    if str(projects_records.get(conn, project_id).status) != "suspended":
        return False
    record_action(conn, now, key=key, project_id=project_id, action="resumed", report_id=report_id,
                  note="重新报告不再严重偏离目标，恢复执行", actor="system")
    projects_records.set_status(conn, project_id, "running", now)
    return True


def pause(conn: Connection, now: datetime, *, key: str, project_id: str, report_id: int | None,
          due_on: date | None) -> None:
    """No corrective measures by the deadline: the project is paused automatically (local practice)."""
    record_action(conn, now, key=key, project_id=project_id, action="paused", report_id=report_id, due_on=due_on,
                  note="逾期未提出纠偏措施，项目自动暂停执行", actor="system")
    projects_records.set_status(conn, project_id, "paused", now)


def stop(conn: Connection, now: datetime, *, key: str, project_id: str, report_id: int | None, budget_cut: float,
         note: str | None, actor: str) -> None:
    """Stop the project's execution and cut its budget for reallocation (停止执行，核减预算统筹使用)."""
    if budget_cut < 0:
        raise InvalidInput("a budget cut cannot be negative", [{"field": "budget_cut", "message": "must be ≥ 0"}])
    record_action(conn, now, key=key, project_id=project_id, action="stopped", report_id=report_id,
                  budget_cut=budget_cut, note=note, actor=actor)
    projects_records.set_status(conn, project_id, "stopped", now, budget_cut=_money(budget_cut))


def cancel(conn: Connection, now: datetime, *, project_id: str, budget_cut: float) -> None:
    """The department cancels its project (corrective measure "cancel"): its unexecuted budget is cut for
    reallocation. Its own choice, not a supervisor's stop: the project is "cancelled", never "stopped"."""
    if budget_cut < 0:
        raise InvalidInput("a budget cut cannot be negative", [{"field": "budget_cut", "message": "must be ≥ 0"}])
    projects_records.set_status(conn, project_id, "cancelled", now, budget_cut=_money(budget_cut))


def record_measure(conn: Connection, now: datetime, *, key: str, project_id: str, report_id: int | None,
                   measure: str, explanation: str, amount: float | None) -> None:
    """The department's corrective measure; a reallocation records the amount moved off the project."""
    if measure not in MEASURES:
        raise InvalidInput("unknown corrective measure", [{"field": "corrective_measure",
                                                          "message": ", ".join(MEASURES)}])
    record_action(conn, now, key=key, project_id=project_id, action=measure, report_id=report_id,
                  budget_cut=amount if measure in ("reallocate", "cancel") else None, note=explanation,
                  actor="department")


def decide(conn: Connection, now: datetime, *, key: str, project_id: str, report_id: int | None, decision: str,
           note: str | None) -> None:
    """A supervisor resumes or suspends the project (stopping goes through `stop`)."""
    if decision not in ("resume", "suspend"):
        raise InvalidInput("unknown decision", [{"field": "decision", "message": ", ".join(DECISIONS)}])
    action, status = ("resumed", "running") if decision == "resume" else ("suspended", "suspended")
    record_action(conn, now, key=key, project_id=project_id, action=action, report_id=report_id, note=note,
                  actor="supervisor")
    projects_records.set_status(conn, project_id, status, now)


def report_id(conn: Connection, project_id: str, as_of: date) -> int | None:
    """The id of the project's report at a checkpoint date, if filed."""
    row = conn.execute(select(REPORTS.c.id).where(REPORTS.c.project_id == project_id,
                                                  REPORTS.c.checkpoint == as_of)).first()
    return int(row.id) if row else None


def record_midterm(conn: Connection, now: datetime, *, project_id: str, detail: dict[str, Any]) -> int:
    """The mid-term review (中期评估) of a key project, kept with the project's evaluations (kind "midterm")."""
    values = {"score": None, "grade": None, "evaluated_amount": None, "agency_id": None, "detail": _json(detail),
              "completed_at": clock.to_db(now)}
    where = (EVALUATIONS.c.project_id == project_id, EVALUATIONS.c.kind == "midterm")
    row = conn.execute(select(EVALUATIONS.c.id).where(*where)).first()
    if row is not None:
        conn.execute(update(EVALUATIONS).where(EVALUATIONS.c.id == row.id).values(**values))
        return int(row.id)
    return db.inserted_id(conn.execute(insert(EVALUATIONS).values(project_id=project_id, kind="midterm", **values)))
