"""Scorecard records (scorecards, scorecard_entries): what the comprehensive_evaluation handlers write.

Every write is idempotent — the scorecard is keyed by department and fiscal year, an entry by scorecard and
indicator code — because the jobs that make them run at least once.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from service import clock, db
from service.domain import scorecard_rules
from service.errors import Conflict, NotFound
from service.models import Event, Instance, Scorecard, ScorecardEntry, TaskRow
from service.queries import scorecard_queries
from service.rules import store

CARDS, ENTRIES, TASKS, EVENTS = Scorecard.__table__, ScorecardEntry.__table__, TaskRow.__table__, Event.__table__
INSTANCES = Instance.__table__


def get(conn: Connection, scorecard_id: int) -> Any:
    row = conn.execute(select(CARDS).where(CARDS.c.id == scorecard_id)).first()
    if row is None:
        raise NotFound(f"no scorecard {scorecard_id}")
    return row


def _detail(row: Any) -> dict[str, Any]:
    return dict(json.loads(row.detail or "{}"))


def _set_detail(conn: Connection, row: Any, now: datetime, **values: Any) -> None:
    detail = {**_detail(row), **{k: v for k, v in values.items() if k != "status"}}
    extra = {"status": values["status"]} if "status" in values else {}
    conn.execute(update(CARDS).where(CARDS.c.id == row.id).values(
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True), updated_at=clock.to_db(now), **extra))


def open_card(conn: Connection, now: datetime, *, department_id: str, year: int, level: str, instance_id: str,
              due_on: date | None) -> int:
    """The evaluation notice: the department's scorecard of the year is opened (or re-opened by a new instance
    after an abandoned one; a scored scorecard is never re-opened). Returns its id."""
    row = conn.execute(select(CARDS).where(CARDS.c.department_id == department_id,
                                           CARDS.c.fiscal_year == year)).first()
    notice = {"notice": {"issued_at": clock.to_local(now).isoformat(),
                         "self_report_due_on": due_on.isoformat() if due_on else None}}
    if row is None:
        return db.inserted_id(conn.execute(insert(CARDS).values(
            department_id=department_id, fiscal_year=year, level=level, status="notified", total=None, grade=None,
            rank=None, instance_id=instance_id, detail=json.dumps(notice, ensure_ascii=False, sort_keys=True),
            created_at=clock.to_db(now), updated_at=clock.to_db(now))))
    if row.instance_id == instance_id:
        return int(row.id)  # the job ran before
    if row.status in scorecard_rules.FINAL:
        raise Conflict(f"{department_id} was already scored for {year} (scorecard {row.id})")
    other = conn.execute(select(INSTANCES.c.status).where(INSTANCES.c.id == row.instance_id)).scalar()
    if other not in (None, "terminated", "completed"):
        # two launchers raced: the second instance becomes an incident, to be terminated by an administrator
        raise Conflict(f"{department_id}'s evaluation of {year} is already under way (instance {row.instance_id})")
    conn.execute(delete(ENTRIES).where(ENTRIES.c.scorecard_id == row.id))
    conn.execute(update(CARDS).where(CARDS.c.id == row.id).values(
        status="notified", instance_id=instance_id, total=None, grade=None, rank=None,
        detail=json.dumps(notice, ensure_ascii=False, sort_keys=True), updated_at=clock.to_db(now)))
    return int(row.id)


def record_self_report(conn: Connection, now: datetime, scorecard_id: int, report: dict[str, Any]) -> None:
    """The department's self-report with its evidence (kept in the scorecard's detail)."""
    _set_detail(conn, get(conn, scorecard_id), now, status="self_reported", self_report=report)


def task_of(conn: Connection, instance_id: str, bpmn_id: str) -> Any:
    """The last completed `bpmn_id` task of the instance (its id and who completed it). A task sent back and done
    again has several rows completed at the same clock time, so the audit log's order decides which was last."""
    rows = {r.id: r for r in conn.execute(select(TASKS.c.id, TASKS.c.completed_by).where(
        TASKS.c.instance_id == instance_id, TASKS.c.bpmn_id == bpmn_id, TASKS.c.state == "completed"))}
    if len(rows) <= 1:
        return next(iter(rows.values()), None)
    for (payload,) in conn.execute(select(EVENTS.c.input).where(
            EVENTS.c.instance_id == instance_id, EVENTS.c.command == "complete_task").order_by(EVENTS.c.seq.desc())):
        task_id = json.loads(payload).get("task_id")
        if task_id in rows:
            return rows[task_id]
    return None


def indicators_of(conn: Connection, row: Any) -> tuple[scorecard_rules.Indicator, ...]:
    return scorecard_queries.indicators(conn, row.fiscal_year, row.level)[0]


def compute(conn: Connection, now: datetime, row: Any,
            entered: dict[str, scorecard_rules.EnteredScore] | None = None) -> tuple[scorecard_rules.Entry, ...]:
    """The scorecard's entries from the records as they are now (and the bureau's entered scores, if given)."""
    subject = next((s for s in scorecard_queries.subjects(conn, row.fiscal_year, row.level)
                    if s.department_id == row.department_id), None)
    if subject is None:
        raise NotFound(f"{row.department_id} is not scored at the {row.level} level")
    facts = scorecard_queries.gather(conn, row.fiscal_year, row.level, [subject],
                                     clock.local_today(now))[row.department_id]
    return scorecard_rules.score(facts, indicators_of(conn, row), entered)


def write_entries(conn: Connection, now: datetime, scorecard_id: int, entries: tuple[scorecard_rules.Entry,
                                                                                     ...]) -> None:
    """Store the entries (a code written before is replaced)."""
    for e in entries:
        task_id = next((x.id for x in e.evidence if x.table == "tasks"),
                       None) if e.formula == scorecard_rules.ENTERED else None
        values = {"dimension": e.dimension, "source": "entered" if e.formula == scorecard_rules.ENTERED else "measured",
                  "points": e.points, "max_points": e.max_points, "task_id": task_id,
                  "evidence": scorecard_queries.entry_json(e),
                  "updated_at": clock.to_db(now)}
        where = (ENTRIES.c.scorecard_id == scorecard_id, ENTRIES.c.code == e.code)
        if conn.execute(update(ENTRIES).where(*where).values(**values)).rowcount == 0:
            conn.execute(insert(ENTRIES).values(scorecard_id=scorecard_id, code=e.code, **values))


def finalize(conn: Connection, now: datetime, scorecard_id: int, entries: tuple[scorecard_rules.Entry, ...],
             feedback: dict[str, Any]) -> dict[str, Any]:
    """The bureau's result: every entry stored, total and grade (rule scorecard.grade_floors), the year's ranks."""
    row = get(conn, scorecard_id)
    total = scorecard_rules.total(entries)
    if total is None:
        raise Conflict(f"scorecard {scorecard_id} has unscored indicators")
    floors = store.get(conn, row.fiscal_year, row.level, scorecard_rules.FLOORS_KEY)
    grade = scorecard_rules.grade_of(total, floors)
    write_entries(conn, now, scorecard_id, entries)
    conn.execute(update(CARDS).where(CARDS.c.id == scorecard_id).values(
        total=total, grade=grade, scored_at=clock.to_db(now)))
    _set_detail(conn, get(conn, scorecard_id), now, status="scored", feedback=feedback)
    ranks = rerank(conn, row.fiscal_year, row.level)
    return {"total": total, "grade": grade, "rank": ranks.get(row.department_id), "of": len(ranks)}


def rerank(conn: Connection, year: int, level: str) -> dict[str, int]:
    """Rank every final scorecard of the year and level again (a new score can move the others)."""
    rows = conn.execute(select(CARDS.c.id, CARDS.c.department_id, CARDS.c.total).where(
        CARDS.c.fiscal_year == year, CARDS.c.level == level, CARDS.c.status.in_(scorecard_rules.FINAL),
        CARDS.c.total.is_not(None))).all()
    ranks = scorecard_rules.ranks({r.department_id: Decimal(str(r.total)) for r in rows})
    for r in rows:
        conn.execute(update(CARDS).where(CARDS.c.id == r.id).values(rank=ranks[r.department_id]))
    return ranks


def acknowledge(conn: Connection, now: datetime, scorecard_id: int, by: str | None, comment: str | None) -> None:
    """The department acknowledged the result fed back to it."""
    row = get(conn, scorecard_id)
    if row.status == "acknowledged":
        return
    if row.status != "scored":
        raise Conflict(f"scorecard {scorecard_id} is {row.status}, not scored")
    conn.execute(update(CARDS).where(CARDS.c.id == scorecard_id).values(acknowledged_at=clock.to_db(now)))
    _set_detail(conn, row, now, status="acknowledged",
                acknowledgement={"by": by, "comment": comment, "at": clock.to_local(now).isoformat()})
