"""What a supervisor reads before deciding an escalation (督办): what slipped and since when, its owner, the
reminders sent for it, the instance's timeline and the figures that matter for the kind of slip.

Reads only. The slipped task is the one the escalation's boundary event is attached to (from the model), else the
instance's task that was due and still open when the escalation opened. Reminders are the outbox mails whose
idempotency key names that task (workers/reminder_sweep.py: `reminder:{task}:{lead}:{user}`, `announce:{task}:{user}`).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, or_, select

from service import clock
from service.bpm.jsonutil import loads
from service.bpm.statements import INSTANCES, TASKS
from service.bpm.versions import SpecCache
from service.domain.roles import Principal
from service.domain.workdays import working_days_between
from service.errors import NotFound
from service.models import Department, Evaluation, Event, MonitoringReport, Notification, Project, Rectification, User
from service.queries import escalations_queries
from service.rules import store as rules

EVENTS = Event.__table__
NOTIFICATIONS = Notification.__table__
USERS = User.__table__
PROJECTS = Project.__table__
DEPARTMENTS = Department.__table__
REPORTS = MonitoringReport.__table__
EVALUATIONS = Evaluation.__table__
RECTIFICATIONS = Rectification.__table__
TIMELINE_LIMIT = 200
# Kinds whose facts are the project's monitoring figures (service/domain/escalation_kinds.py).
MONITORING_CODES = ("SERIOUS_DEVIATION", "corrective_overdue")
# Kinds whose facts are the project's mid-term review (workflows/monitoring.bpmn, the review of key projects).
MIDTERM_CODES = ("MIDTERM_OFF_TRACK",)
# The year-end review of a department's coverage (workflows/coverage_review.bpmn): its facts are the targets missed.
COVERAGE_PROCESS = "coverage_review"
# Kinds whose facts are the rectification record.
RECTIFICATION_CODES = ("feedback_overdue", "rectification_overdue")
_SPLIT = ".BoundaryEventSplit"  # SpiffWorkflow's name for the split before a task with boundary events


def facts(conn: Connection, viewer: Principal, escalation_id: int, specs: SpecCache | None = None,
          now: datetime | None = None) -> dict[str, Any]:
    """The escalation as listed, with the slip, the owner, reminders, timeline and the figures of its kind."""
    esc = escalations_queries.get(conn, viewer, escalation_id, specs)  # NotFound when the viewer may not see it
    now = now or clock.now()
    inst = conn.execute(select(INSTANCES.c.id, INSTANCES.c.process_id, INSTANCES.c.version_hash,
                               INSTANCES.c.business_key, INSTANCES.c.data,
                               INSTANCES.c.status).where(INSTANCES.c.id == esc["instance_id"])).mappings().first()
    if inst is None:
        raise NotFound(f"no escalation {escalation_id}")
    project = _project(conn, inst)
    slipped = _slipped_task(conn, specs, inst, esc)
    body: dict[str, Any] = {
        "escalation": esc,
        "process_name": escalations_queries.process_name(specs, inst["version_hash"], inst["process_id"]),
        "instance_status": inst["status"],
        "project": project,
        "slipped": _slip(conn, slipped, esc, now) if slipped else None,
        "reminders": _reminders(conn, slipped["id"]) if slipped else [],
        "timeline": _timeline(conn, inst["id"]),
        "monitoring": None, "evaluation": None, "rectification": None, "coverage": None, "midterm": None,
        "focus": "task",
    }
    if project:
        body.update(_figures(conn, project["id"], esc))
    elif inst["process_id"] == COVERAGE_PROCESS:
        body.update(coverage=_coverage(loads(inst["data"]) or {}), focus="coverage")
    return body


def _project(conn: Connection, inst: Any) -> dict[str, Any] | None:
    """The project the instance works on: its business key, else `project_id` in its data."""
    data = loads(inst["data"]) or {}
    keys = [k for k in (inst["business_key"], data.get("project_id")) if isinstance(k, str) and k]
    for key in keys:
        row = conn.execute(
            select(PROJECTS.c.id, PROJECTS.c.name, PROJECTS.c.fiscal_year, PROJECTS.c.level, PROJECTS.c.amount,
                   PROJECTS.c.status, PROJECTS.c.department_id, DEPARTMENTS.c.name.label("department_name"),
                   DEPARTMENTS.c.name_en.label("department_name_en"))
            .join(DEPARTMENTS, DEPARTMENTS.c.id == PROJECTS.c.department_id).where(PROJECTS.c.id == key)
        ).mappings().first()
        if row is not None:
            return dict(row)
    return None


def _attached_to(specs: SpecCache | None, version_hash: str, element_id: str) -> str | None:
    """The BPMN id of the task a boundary event is attached to, from the deployed model."""
    if specs is None:
        return None
    try:
        version = specs.get(version_hash)
    except NotFound:
        return None
    for top, subs in version.processes.values():
        for spec in (top, *subs.values()):
            found = (getattr(spec, "task_specs", None) or {}).get(element_id)
            for parent in getattr(found, "inputs", None) or []:
                if parent.name.endswith(_SPLIT):
                    return str(parent.name[: -len(_SPLIT)])
    return None


def _slipped_task(conn: Connection, specs: SpecCache | None, inst: Any, esc: dict[str, Any]) -> dict[str, Any] | None:
    """The task whose deadline passed: the boundary's task, else the one due and open when the escalation opened."""
    opened = esc["opened_at"]
    cols = [TASKS.c[name] for name in ("id", "bpmn_id", "name", "process_id", "state", "form_key", "assignee",
                                        "candidate_groups", "candidate_users", "department_id", "due_at",
                                        "created_at", "ended_at", "completed_by")]
    base = [TASKS.c.instance_id == inst["id"], TASKS.c.created_at <= opened]
    if esc["task_id"]:
        base.append(TASKS.c.id != esc["task_id"])
    attached = _attached_to(specs, inst["version_hash"], esc["element_id"]) if esc["kind"] == "deadline" else None
    if attached:
        row = conn.execute(select(*cols).where(*base, TASKS.c.bpmn_id == attached)
                           .order_by(TASKS.c.created_at.desc()).limit(1)).mappings().first()
        if row is not None:
            return dict(row)
    if esc["kind"] != "deadline":
        return None
    row = conn.execute(select(*cols).where(*base, TASKS.c.due_at.is_not(None), TASKS.c.due_at <= opened,
                                           or_(TASKS.c.ended_at.is_(None), TASKS.c.ended_at >= opened))
                       .order_by(TASKS.c.due_at.desc(), TASKS.c.created_at.desc()).limit(1)).mappings().first()
    return dict(row) if row is not None else None


def overdue_days(conn: Connection, due_at: datetime | None, now: datetime) -> tuple[int, int] | None:
    """Working days and calendar days from the due date to today (display zone), or None without a due date."""
    due = clock.from_db(due_at) if due_at is not None else None
    if due is None:
        return None
    due_day, today = due.astimezone(clock.LOCAL).date(), clock.local_today(now)
    calendar = rules.calendar(conn, min(due_day, today) - timedelta(days=1), max(due_day, today) + timedelta(days=1))
    return working_days_between(calendar, due_day, today), (today - due_day).days


def _slip(conn: Connection, task: dict[str, Any], esc: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The slipped task with since when it is overdue and who owns it."""
    # Overdue until the task was done; a task withdrawn by the escalation stays a slip until the decision.
    if task["state"] == "completed":
        until = clock.from_db(task["ended_at"]) or now
    else:
        until = (clock.from_db(esc["resolved_at"]) if esc["resolved_at"] else None) or now
    days = overdue_days(conn, task["due_at"], until)
    groups = [g for g in (task["candidate_groups"] or "").split(",") if g]
    users = [u for u in (task["candidate_users"] or "").split(",") if u]
    names = _display_names(conn, [u for u in (task["assignee"], task["completed_by"], *users) if u])
    return {**task, "overdue_working_days": days[0] if days else None,
            "overdue_calendar_days": days[1] if days else None,
            "assignee_name": names.get(task["assignee"] or "", task["assignee"]),
            "completed_by_name": names.get(task["completed_by"] or "", task["completed_by"]),
            "candidate_groups": groups, "candidate_users": [{"username": u, "name": names.get(u, u)} for u in users]}


def _display_names(conn: Connection, usernames: list[str]) -> dict[str, str]:
    if not usernames:
        return {}
    return {r.username: r.display_name for r in conn.execute(
        select(USERS.c.username, USERS.c.display_name).where(USERS.c.username.in_(sorted(set(usernames)))))}


def _reminders(conn: Connection, task_id: str) -> list[dict[str, Any]]:
    """Mails of the outbox about the task (reminders, announcements), oldest first."""
    mail = NOTIFICATIONS.c
    named = or_(mail.idempotency_key.like(f"%:{task_id}:%"), mail.idempotency_key.like(f"%:{task_id}"))
    rows = conn.execute(select(mail.created_at, mail.sent_at, mail.recipient, mail.kind, mail.status, mail.subject,
                               USERS.c.display_name)
                        .select_from(NOTIFICATIONS.outerjoin(USERS, USERS.c.username == mail.recipient)).where(named)
                        .order_by(mail.created_at, mail.id)).mappings().all()
    return [{"at": r["created_at"], "sent_at": r["sent_at"], "recipient": r["recipient"],
             "recipient_name": r["display_name"] or r["recipient"], "kind": r["kind"], "status": r["status"],
             "subject": r["subject"]} for r in rows]


def _timeline(conn: Connection, instance_id: str) -> list[dict[str, Any]]:
    """The instance's events (latest TIMELINE_LIMIT), each with its actor's name and the task it touched."""
    rows = conn.execute(select(EVENTS.c.seq, EVENTS.c.at, EVENTS.c.actor, EVENTS.c.command, EVENTS.c.input,
                               USERS.c.display_name)
                        .select_from(EVENTS.outerjoin(USERS, USERS.c.username == EVENTS.c.actor))
                        .where(EVENTS.c.instance_id == instance_id).order_by(EVENTS.c.seq.desc())
                        .limit(TIMELINE_LIMIT)).mappings().all()
    names = dict(conn.execute(select(TASKS.c.id, TASKS.c.name).where(TASKS.c.instance_id == instance_id))
                 .tuples().all())
    items = []
    for r in reversed(rows):
        given = loads(r["input"]) or {}
        task_id = given.get("task_id") if isinstance(given, dict) else None
        items.append({"seq": r["seq"], "at": r["at"], "actor": r["actor"],
                      "actor_name": r["display_name"] or r["actor"], "command": r["command"],
                      "task_name": names.get(task_id) if isinstance(task_id, str) else None,
                      "decision": given.get("decision") if isinstance(given, dict) else None})
    return items


def _figures(conn: Connection, project_id: str, esc: dict[str, Any]) -> dict[str, Any]:
    """The project's latest monitoring figures, latest graded evaluation and rectification record."""
    report = conn.execute(select(REPORTS).where(REPORTS.c.project_id == project_id)
                          .order_by(REPORTS.c.checkpoint.desc(), REPORTS.c.id.desc()).limit(1)).mappings().first()
    graded = conn.execute(select(EVALUATIONS)
                          .where(EVALUATIONS.c.project_id == project_id, EVALUATIONS.c.grade.is_not(None))
                          .order_by(EVALUATIONS.c.completed_at.desc(), EVALUATIONS.c.id.desc()).limit(1)
                          ).mappings().first()
    fix = conn.execute(select(RECTIFICATIONS).where(RECTIFICATIONS.c.project_id == project_id)).mappings().first()
    if (esc["code"] or "") in MIDTERM_CODES:
        review = conn.execute(select(EVALUATIONS).where(EVALUATIONS.c.project_id == project_id,
                                                        EVALUATIONS.c.kind == "midterm")).mappings().first()
        return {"monitoring": _monitoring(report) if report else None, "evaluation": None, "rectification": None,
                "midterm": _midterm(review) if review else None, "focus": "midterm" if review else "task"}
    return {"monitoring": _monitoring(report) if report else None,
            "evaluation": {k: graded[k] for k in ("kind", "score", "grade", "completed_at")} if graded else None,
            "rectification": {k: fix[k] for k in ("status", "due_on", "fed_back_at", "submitted_at", "verified_at",
                                                  "verdict", "plan")} if fix else None,
            "focus": _focus(esc, report, graded, fix)}


def _coverage(data: dict[str, Any]) -> dict[str, Any]:
    """The department, year and the coverage targets it missed, as the year-end job found them."""
    keys = ("measure", "label", "label_en", "actual", "target", "numerator", "denominator", "target_year", "source")
    missed = [{k: m.get(k) for k in keys} for m in data.get("missed_targets") or [] if isinstance(m, dict)]
    return {"department_id": data.get("department_id"), "department_name": data.get("department_name"),
            "fiscal_year": data.get("fiscal_year"), "level": data.get("level"), "missed": missed}


def _midterm(review: Any) -> dict[str, Any]:
    """The mid-term review's figures as recorded (workers/tasks/monitoring_handlers.py, monitoring.midterm): execution
    against time, goal achievement against execution, each indicator's achievement and its gap to execution, and the
    reviewer's conclusion and comment."""
    detail = json.loads(review["detail"]) if review["detail"] else {}
    detail = detail if isinstance(detail, dict) else {}

    def number(key: str) -> Decimal | None:
        value = detail.get(key)
        return Decimal(str(value)) if isinstance(value, (int, float, str)) and value != "" else None

    rate = number("execution_rate")
    indicators = []
    for ind in detail.get("indicators") or []:
        if not isinstance(ind, dict):
            continue
        progress = Decimal(str(ind["progress"])) if isinstance(ind.get("progress"), (int, float)) else None
        indicators.append({"name": ind.get("name"), "weight": ind.get("weight"), "progress": progress,
                           "reported": bool(ind.get("reported")),
                           "gap": rate - progress if rate is not None and progress is not None else None})
    return {"as_of": detail.get("as_of"), "reviewed_at": review["completed_at"],
            "executed_amount": number("executed_amount"), "execution_rate": rate,
            "time_progress": number("time_progress"), "goal_progress": number("goal_progress"),
            "execution_gap": number("execution_gap"), "goal_gap": number("goal_gap"), "indicators": indicators,
            "conclusion": detail.get("conclusion"), "comment": detail.get("comment"),
            "serious": bool(detail.get("serious"))}


def _monitoring(report: Any) -> dict[str, Any]:
    """A monitoring report's figures with its two gaps (service/domain/warnings.py)."""
    rate, progress, goal = (Decimal(report[k]) for k in ("execution_rate", "time_progress", "goal_progress"))
    detail = json.loads(report["detail"]) if report["detail"] else {}
    return {"checkpoint": report["checkpoint"], "due_on": report["due_on"], "reported_at": report["reported_at"],
            "executed_amount": report["executed_amount"], "execution_rate": rate, "time_progress": progress,
            "goal_progress": goal, "execution_gap": progress - rate, "goal_gap": rate - goal,
            "can_meet": report["can_meet"], "warning_level": report["warning_level"],
            "deviation_reasons": detail.get("deviation_reasons") if isinstance(detail, dict) else None}


def _focus(esc: dict[str, Any], report: Any, graded: Any, fix: Any) -> str:
    """Which facts answer the escalation: monitoring, grade, rectification, or the missing submission."""
    code = esc["code"] or ""
    if code in MONITORING_CODES or (esc["kind"] == "escalation" and report is not None
                                    and report["warning_level"] in ("red", "yellow")):
        return "monitoring"
    if code in RECTIFICATION_CODES or "rectif" in code:
        return "rectification" if fix is not None else "task"
    if "grade" in code.lower() or (graded is not None and graded["grade"] == "差" and esc["kind"] == "escalation"):
        return "evaluation"
    return "task"


def version_of(conn: Connection, instance_id: str) -> str | None:
    """The model version an instance runs (for its forms' labels)."""
    return conn.execute(select(INSTANCES.c.version_hash).where(INSTANCES.c.id == instance_id)).scalar_one_or_none()


def slips(conn: Connection, specs: SpecCache | None, items: list[dict[str, Any]],
          now: datetime | None = None) -> dict[int, dict[str, Any]]:
    """For a page of listed escalations: each deadline's slipped task with since when and its owner (by id)."""
    now = now or clock.now()
    found: dict[int, dict[str, Any]] = {}
    for esc in items:
        if esc["kind"] != "deadline":
            continue
        inst = conn.execute(select(INSTANCES.c.id, INSTANCES.c.version_hash)
                            .where(INSTANCES.c.id == esc["instance_id"])).mappings().first()
        task = _slipped_task(conn, specs, inst, esc) if inst is not None else None
        if task is not None:
            found[esc["id"]] = _slip(conn, task, esc, now)
    return found
