"""The reminder sweep (DESIGN.md Reminders): mails before due dates, and announcements of reports and reviews.

Before a ready task's due date, at each lead time of rule `reminders.lead_working_days` (working days over the
administrators' holiday calendar, for the fiscal year of the due date and the level of the task's department),
its assignee — or, unclaimed, everyone the inbox offers it to — gets one reminder, and so does the head of the
department for a department's task (one whose candidate groups are departmental roles), claimed or not: the head
answers for the department's deadlines (DOMAIN.md, Roles). Tasks whose form key or BPMN
id is listed in rule `reminders.announce_forms` (monitoring reports, mid-term reviews) are announced once to the
department's staff and head. Every mail goes through the outbox with an idempotency key
(`reminder:{task}:{lead}:{user}`, `announce:{task}:{user}`): the database refuses a second row with the same key,
so no mail is sent twice — across restarts, and with several workers sweeping at the same moment.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, and_, exists, literal, or_, select

from service import clock, db
from service.domain.reminders_rules import current_lead, leads_of
from service.domain.roles import DEPARTMENT_HEAD, DEPARTMENTAL
from service.domain.workdays import Calendar, add_working_days, working_days_between
from service.errors import NotFound
from service.models import Department, Instance, Notification, TaskRow
from service.notifications import outbox
from service.notifications.recipients import department_people, names, task_recipients
from service.rules import store as rules
from service.runtime import Runtime

log = logging.getLogger("jixiao.reminders")

LEAD_RULE = "reminders.lead_working_days"
ANNOUNCE_RULE = "reminders.announce_forms"
TASKS = TaskRow.__table__
INSTANCES = Instance.__table__
DEPARTMENTS = Department.__table__
NOTIFICATIONS = Notification.__table__
SIGNATURE = "——预算绩效管理系统（市财政局）"


@dataclass
class ReminderResult:
    reminders: list[str] = field(default_factory=list)  # idempotency keys of the reminders this sweep added
    announcements: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # task id → why nothing could be decided (a rule)


@dataclass
class _Mail:
    key: str
    recipient: str
    subject: str
    body: str
    kind: str
    instance_id: str | None


class _Rules:
    """Rule values of one sweep, read once per (year, level, key)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.cache: dict[tuple[int, str, str], Any] = {}

    def get(self, year: int, level: str, key: str) -> Any:
        if (year, level, key) not in self.cache:
            try:
                self.cache[year, level, key] = rules.get(self.conn, year, level, key)
            except NotFound as exc:
                self.cache[year, level, key] = exc
        value = self.cache[year, level, key]
        if isinstance(value, NotFound):
            raise value
        return value


def _every_value(conn: Connection, key: str) -> list[Any]:
    """The values of every row of a rule (all years and levels): bounds the sweep's query to what may matter."""
    return [json.loads(v) for v in conn.execute(select(rules.RULES.c.value).where(rules.RULES.c.key == key))
            .scalars()]


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=clock.LOCAL)


def sweep_reminders(rt: Runtime, now: datetime | None = None) -> ReminderResult:
    """Enqueue the reminders and announcements due at `now` (each mail once, ever); returns what was added."""
    now = now or clock.now()
    today = clock.local_today(now)
    result = ReminderResult()
    with db.read(rt.engine) as conn:
        mails = _plan(conn, now, today, result)
    for task_id, planned in mails.items():
        with db.write(rt.engine) as conn:  # one short transaction per task, tasks in id order (no deadlocks)
            for mail in planned:
                if outbox.enqueue(conn, key=mail.key, recipient=mail.recipient, email=None, subject=mail.subject,
                                  body=mail.body, kind=mail.kind, instance_id=mail.instance_id, now=now):
                    (result.reminders if mail.kind == "reminder" else result.announcements).append(mail.key)
        log.debug("task %s: %d mail(s) planned", task_id, len(planned))
    if result.reminders or result.announcements:
        log.info("%d reminder(s), %d announcement(s) enqueued", len(result.reminders), len(result.announcements))
    return result


def _plan(conn: Connection, now: datetime, today: date, result: ReminderResult) -> dict[str, list[_Mail]]:
    all_leads = [lead for value in _every_value(conn, LEAD_RULE) for lead in _safe_leads(value)]
    forms = sorted({str(f) for value in _every_value(conn, ANNOUNCE_RULE) if isinstance(value, list) for f in value})
    span = timedelta(days=3 * max(all_leads, default=0) + 30)
    calendar = rules.calendar(conn, today - span, today + span)
    # A task of an announced form is planned until it was announced (each mail once, ever): not every day while
    # it is open, which would make the sweep cost every open monitoring report instead of what is due.
    announced = exists().where(NOTIFICATIONS.c.instance_id == TASKS.c.instance_id, NOTIFICATIONS.c.kind
                               == "announcement",
                               NOTIFICATIONS.c.idempotency_key.startswith(literal("announce:") + TASKS.c.id + ":"))
    clauses = [and_(TASKS.c.form_key.in_(forms), ~announced), and_(TASKS.c.bpmn_id.in_(forms), ~announced)]
    if all_leads:  # a task due beyond the longest lead time has no reminder day yet (service.domain.reminders_rules)
        horizon = _local_midnight(add_working_days(calendar, today, max(all_leads)) + timedelta(days=1))
        clauses.append(and_(TASKS.c.due_at > clock.to_db(now), TASKS.c.due_at < clock.to_db(horizon)))
    if conn.dialect.name == "postgresql":  # one index probe per open announced task looks costly to the planner,
        conn.exec_driver_sql("SET LOCAL jit = off")  # whose JIT compilation would then take longer than the query
    rows = conn.execute(
        select(TASKS.c.id, TASKS.c.instance_id, TASKS.c.process_id, TASKS.c.bpmn_id, TASKS.c.name, TASKS.c.form_key,
               TASKS.c.department_id,
               TASKS.c.assignee, TASKS.c.candidate_users, TASKS.c.candidate_groups, TASKS.c.due_at,
               DEPARTMENTS.c.name.label("department"),
               DEPARTMENTS.c.level)
        .select_from(TASKS.join(INSTANCES, INSTANCES.c.id == TASKS.c.instance_id).outerjoin(DEPARTMENTS,
                                                                                            DEPARTMENTS.c.id
                                                                                            == TASKS.c.department_id))
        # the open-task condition inside each branch: each branch is then one index range (a union of three)
        .where(INSTANCES.c.status == "running", or_(*(and_(TASKS.c.state == "ready", c) for c in clauses)))
        .order_by(TASKS.c.id)).all()
    cached = _Rules(conn)
    planned: dict[str, list[_Mail]] = {}
    for row in rows:
        mails: list[_Mail] = []
        for kind in (_reminders, _announcements):
            try:
                mails += kind(conn, cached, calendar, row, now, today)
            except (NotFound, ValueError) as exc:  # a missing or malformed rule: say so, go on with the rest
                result.skipped[row.id] = str(getattr(exc, "detail", exc))
                log.warning("task %s: %s", row.id, result.skipped[row.id])
        if mails:
            planned[row.id] = mails
    return planned


def _safe_leads(value: Any) -> list[int]:
    try:
        return leads_of(value)
    except ValueError:
        return []


def _due_day(row: Any) -> date | None:
    due = clock.from_db(row.due_at)
    return clock.to_local(due).date() if due is not None else None


def _reminders(conn: Connection, cached: _Rules, calendar: Calendar, row: Any, now: datetime,
               today: date) -> list[_Mail]:
    due, due_day = clock.from_db(row.due_at), _due_day(row)
    if due is None or due_day is None or due <= now:
        return []
    leads = leads_of(cached.get(due_day.year, row.level or "*", LEAD_RULE))
    lead = current_lead(calendar, due_day, today, leads)
    if lead is None:
        return []
    people = set(task_recipients(conn, assignee=row.assignee, candidate_users=row.candidate_users,
                                 candidate_groups=row.candidate_groups, department_id=row.department_id))
    if row.department_id and DEPARTMENTAL & set(names(row.candidate_groups)):
        people |= set(department_people(conn, row.department_id, [DEPARTMENT_HEAD]))
    left = working_days_between(calendar, today, due_day)
    subject, body = _reminder_text(row, left)
    return [_Mail(f"reminder:{row.id}:{lead}:{user}", user, subject, body, "reminder", row.instance_id)
            for user in sorted(people)]


def _announcements(conn: Connection, cached: _Rules, _calendar: Calendar, row: Any, _now: datetime,
                   today: date) -> list[_Mail]:
    if row.department_id is None:
        return []
    due_day = _due_day(row)
    forms = cached.get(due_day.year if due_day else today.year, row.level or "*", ANNOUNCE_RULE)
    if not isinstance(forms, list):
        raise ValueError(f"{ANNOUNCE_RULE} must be a list of form keys or task ids, not {forms!r}")
    if row.form_key not in forms and row.bpmn_id not in forms:
        return []
    subject, body = _announcement_text(row)
    return [_Mail(f"announce:{row.id}:{user}", user, subject, body, "announcement", row.instance_id)
            for user in department_people(conn, row.department_id)]


def _due_text(row: Any) -> str:
    due = clock.from_db(row.due_at)
    return clock.to_local(due).strftime("%Y-%m-%d %H:%M") if due is not None else ""


def _reminder_text(row: Any, left: int) -> tuple[str, str]:
    due = _due_text(row)
    subject = f"【待办提醒】{row.name}将于{due}到期"
    body = (f"您好：\n\n您有一项待办任务将于 {due}（北京时间）到期，距到期还有 {left} 个工作日。\n"
            f"  任务：{row.name}\n  流程：{row.process_id}\n  单位：{row.department or '—'}\n\n"
            f"请登录系统办理：/tasks/{row.id}\n\n"
            f"Reminder: the task \"{row.name}\" is due on {due} (Asia/Shanghai), in {left} working day(s).\n\n"
            f"{SIGNATURE}")
    return subject, body


def _announcement_text(row: Any) -> tuple[str, str]:
    due = _due_text(row)
    until = f"，请于 {due}（北京时间）前完成" if due else ""
    subject = f"【工作通知】{row.name}已开始"
    body = (f"您好：\n\n{row.department or '贵单位'}的「{row.name}」已开始{until}。\n"
            f"  流程：{row.process_id}\n\n请登录系统查看：/tasks/{row.id}\n\n"
            f"Notice: \"{row.name}\" has started for your department" + (f" and is due on {due}" if due else "")
            + f".\n\n{SIGNATURE}")
    return subject, body
