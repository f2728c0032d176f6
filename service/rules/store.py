"""Read and write rule rows and calendar days. Domain code gets plain values from here, never rows."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, case, delete, insert, select, update

from service import clock
from service.domain.workdays import Calendar
from service.errors import InvalidInput, NotFound
from service.models import CalendarDay, FiscalYear, Rule

RULES = Rule.__table__
DAYS = CalendarDay.__table__
YEARS = FiscalYear.__table__
LEVELS = ("municipal", "district")


@dataclass(frozen=True)
class RuleRow:
    """The rule row in force for a year and level, and where its value comes from."""

    key: str
    fiscal_year: int
    level: str
    value: Any
    source: str


_ROW_IN_FORCE = (
    select(RULES.c.fiscal_year, RULES.c.level, RULES.c.value, RULES.c.source)
    .where(RULES.c.key == bindparam("key"), RULES.c.fiscal_year <= bindparam("year"),
           RULES.c.level.in_([bindparam("level"), "*"]))
    .order_by(RULES.c.fiscal_year.desc(), case((RULES.c.level == "*", 1), else_=0))
    .limit(1)
)  # built once: the deadline handlers read several rules per job


def get_row(conn: Connection, year: int, level: str, key: str) -> RuleRow:
    """The row in force for the year and level: the latest year ≤ `year`; within it the level's own row over "*"."""
    row = conn.execute(_ROW_IN_FORCE, {"key": key, "year": year, "level": level}).first()
    if row is None:
        raise NotFound(f"no rule {key!r} for {year} ({level})")
    return RuleRow(key, row.fiscal_year, row.level, json.loads(row.value), row.source)


def get_rows(conn: Connection, year: int, level: str, keys: Collection[str]) -> dict[str, RuleRow]:
    """The rows in force for the year and level of each of `keys` (as get_row chooses them) that has one, read in one
    statement: a report that reads several rules asks once."""
    rows = conn.execute(select(RULES.c.key, RULES.c.fiscal_year, RULES.c.level, RULES.c.value, RULES.c.source)
                        .where(RULES.c.key.in_(sorted(keys)), RULES.c.fiscal_year <= year,
                               RULES.c.level.in_([level, "*"]))).all()
    best: dict[str, Any] = {}
    for r in rows:  # the latest year; within it the level's own row over "*"
        if r.key not in best or (r.fiscal_year, r.level != "*") > (best[r.key].fiscal_year, best[r.key].level != "*"):
            best[r.key] = r
    return {k: RuleRow(k, r.fiscal_year, r.level, json.loads(r.value), r.source) for k, r in best.items()}


def get(conn: Connection, year: int, level: str, key: str) -> Any:
    """The value of `key` for the year and level (see get_row)."""
    return get_row(conn, year, level, key).value


def list_rules(conn: Connection, year: int | None = None) -> list[dict[str, Any]]:
    """Every rule row; with `year`, only the rows in force that year, each with the levels it applies to."""
    q = select(RULES).order_by(RULES.c.key, RULES.c.fiscal_year, RULES.c.level)
    if year is not None:
        q = q.where(RULES.c.fiscal_year <= year)
    rows = [{**r._asdict(), "value": json.loads(r.value)} for r in conn.execute(q)]
    if year is None:
        return rows
    in_force: dict[int, dict[str, Any]] = {}
    for level in LEVELS:
        for key in dict.fromkeys(r["key"] for r in rows):
            candidates = [r for r in rows if r["key"] == key and r["level"] in (level, "*")]
            if candidates:  # the latest year; within it the level's own row (as get_row chooses)
                best = max(candidates, key=lambda r: (r["fiscal_year"], r["level"] != "*"))
                in_force.setdefault(best["id"], {**best, "applies_to": []})["applies_to"].append(level)
    return sorted(in_force.values(), key=lambda r: (r["key"], r["level"] == "*", r["level"]))


def set_rule(conn: Connection, year: int, level: str, key: str, value: Any, source: str, actor: str,
             now: datetime) -> None:
    """Insert or change one rule row. A row without a source is refused: every number cites where it comes from."""
    if not source.strip():
        raise InvalidInput("a rule must cite its source", errors=[{"field": "source", "message": "required"}])
    if level not in (*LEVELS, "*"):
        raise InvalidInput("level must be municipal, district or *", errors=[{"field": "level", "message": "invalid"}])
    values = {"value": json.dumps(value, ensure_ascii=False), "source": source, "updated_at": clock.to_db(now),
              "updated_by": actor}
    where = (RULES.c.fiscal_year == year, RULES.c.level == level, RULES.c.key == key)
    if conn.execute(update(RULES).where(*where).values(**values)).rowcount == 0:
        conn.execute(insert(RULES).values(fiscal_year=year, level=level, key=key, **values))


def seed_rules(conn: Connection, path: Path, actor: str, now: datetime) -> int:
    """Load `seeds/rules.json`: a row holds from its year on (a later row of the same key replaces it).
    Existing rows stay as administrators changed them (seeding twice changes nothing)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    count = 0
    for row in doc["rules"]:
        year, level = row.get("year", doc["years"][0]), row.get("level", "*")
        exists = conn.execute(select(RULES.c.id).where(
            RULES.c.fiscal_year == year, RULES.c.level == level, RULES.c.key == row["key"])).first()
        if exists is None:
            set_rule(conn, year, level, row["key"], row["value"], row["source"], actor, now)
            count += 1
    for year in doc["years"]:
        if conn.execute(select(YEARS.c.year).where(YEARS.c.year == year)).first() is None:
            opens = doc.get("declaration_opens", {}).get(str(year))
            conn.execute(insert(YEARS).values(year=year, status="planning",
                                              declaration_opens_on=date.fromisoformat(opens) if opens else None))
    return count


CALENDAR_SOURCE = "国务院办公厅关于部分节假日安排的通知 (via chinese-calendar"
# An administrator's "this day follows the plain Monday–Friday week" is kept as a row too, so that seeding the
# official calendar again does not bring back a holiday the administrator removed.
PLAIN = "plain"


def seed_calendar(conn: Connection, first_year: int, last_year: int) -> int:
    """Official holidays and adjusted working days from the `chinese-calendar` package (State Council notices).

    Days seeded before are refreshed from the package; days an administrator set (another source) stay as they
    are, so seeding again never undoes an administrator's change. Returns the number of days written.
    """
    import chinese_calendar

    chinese = {h.value: h.chinese for h in chinese_calendar.Holiday}
    source = f"{CALENDAR_SOURCE} {getattr(chinese_calendar, '__version__', '')})"
    span = DAYS.c.day.between(date(first_year, 1, 1), date(last_year, 12, 31))
    conn.execute(delete(DAYS).where(span, DAYS.c.source.startswith(CALENDAR_SOURCE, autoescape=True)))
    kept = set(conn.execute(select(DAYS.c.day).where(span)).scalars())
    rows: list[dict[str, Any]] = []
    for kind, days in (("holiday", chinese_calendar.holidays), ("workday", chinese_calendar.workdays)):
        for day, name in days.items():
            if first_year <= day.year <= last_year and day not in kept:
                label = f"{chinese[name]} {name}" if name in chinese else str(name)
                rows.append({"day": day, "kind": kind, "name": label, "source": source})
    if rows:
        conn.execute(insert(DAYS), rows)
    return len(rows)


_DAYS_BETWEEN = select(DAYS.c.day, DAYS.c.kind).where(DAYS.c.day.between(bindparam("start"), bindparam("end")))


def calendar(conn: Connection, start: date, end: date) -> Calendar:
    """The calendar's exceptions between two dates (inclusive)."""
    rows = conn.execute(_DAYS_BETWEEN, {"start": start, "end": end}).all()
    return Calendar(holidays=frozenset(r.day for r in rows if r.kind == "holiday"),
                    workdays=frozenset(r.day for r in rows if r.kind == "workday"))


def calendar_days(conn: Connection, start: date, end: date) -> list[dict[str, Any]]:
    """The days between two dates (inclusive) that differ from, or were confirmed as, the plain week."""
    rows = conn.execute(select(DAYS).where(DAYS.c.day.between(start, end)).order_by(DAYS.c.day)).all()
    return [{"date": r.day, "kind": None if r.kind == PLAIN else r.kind, "name": r.name, "source": r.source}
            for r in rows]


def set_day(conn: Connection, day: date, kind: str | None, name: str | None, source: str) -> dict[str, Any] | None:
    """An administrator marks a day a holiday or a working day, or (kind None) returns it to the plain week.

    Returns the day as it was before (None when it followed the plain week without a record)."""
    if kind not in ("holiday", "workday", None):
        raise InvalidInput("kind must be holiday, workday or null", errors=[{"field": "kind", "message": "invalid"}])
    if not source.strip():
        raise InvalidInput("a calendar day must cite its source", errors=[{"field": "source", "message": "required"}])
    before = calendar_days(conn, day, day)
    conn.execute(delete(DAYS).where(DAYS.c.day == day))
    conn.execute(insert(DAYS).values(day=day, kind=kind or PLAIN, name=name, source=source))
    return before[0] if before else None
