"""Read and write rule rows and calendar days. Domain code gets plain values from here, never rows."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from service import clock
from service.domain.workdays import Calendar
from service.errors import InvalidInput, NotFound
from service.models import CalendarDay, FiscalYear, Rule

RULES = Rule.__table__
DAYS = CalendarDay.__table__
YEARS = FiscalYear.__table__


def get(conn: Connection, year: int, level: str, key: str) -> Any:
    """The value of `key` for the year and level: the level's own row first, then "*"; the latest year ≤ `year`."""
    rows = conn.execute(
        select(RULES.c.fiscal_year, RULES.c.level, RULES.c.value)
        .where(RULES.c.key == key, RULES.c.fiscal_year <= year, RULES.c.level.in_([level, "*"]))
        .order_by(RULES.c.fiscal_year.desc())
    ).all()
    for row in sorted(rows, key=lambda r: (-r.fiscal_year, r.level == "*")):
        return json.loads(row.value)
    raise NotFound(f"no rule {key!r} for {year} ({level})")


def get_many(conn: Connection, year: int, level: str, keys: list[str]) -> dict[str, Any]:
    return {k: get(conn, year, level, k) for k in keys}


def list_rules(conn: Connection, year: int | None = None) -> list[dict[str, Any]]:
    q = select(RULES).order_by(RULES.c.fiscal_year, RULES.c.key, RULES.c.level)
    if year is not None:
        q = q.where(RULES.c.fiscal_year == year)
    return [{**r._asdict(), "value": json.loads(r.value)} for r in conn.execute(q)]


def set_rule(conn: Connection, year: int, level: str, key: str, value: Any, source: str, actor: str,
             now: datetime) -> None:
    """Insert or change one rule row. A row without a source is refused: every number cites where it comes from."""
    if not source.strip():
        raise InvalidInput("a rule must cite its source", errors=[{"field": "source", "message": "required"}])
    if level not in ("municipal", "district", "*"):
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
        for year in [row.get("year", doc["years"][0])]:
            exists = conn.execute(select(RULES.c.id).where(
                RULES.c.fiscal_year == year, RULES.c.level == row.get("level", "*"), RULES.c.key == row["key"])).first()
            if exists is None:
                set_rule(conn, year, row.get("level", "*"), row["key"], row["value"], row["source"], actor, now)
                count += 1
    for year in doc["years"]:
        if conn.execute(select(YEARS.c.year).where(YEARS.c.year == year)).first() is None:
            opens = doc.get("declaration_opens", {}).get(str(year))
            conn.execute(insert(YEARS).values(year=year, status="planning",
                                              declaration_opens_on=date.fromisoformat(opens) if opens else None))
    return count


def seed_calendar(conn: Connection, first_year: int, last_year: int) -> int:
    """Official holidays and adjusted working days from the `chinese-calendar` package (State Council notices)."""
    import chinese_calendar

    version = getattr(chinese_calendar, "__version__", "")
    source = f"国务院办公厅关于部分节假日安排的通知 (via chinese-calendar {version})"
    rows: list[dict[str, Any]] = []
    for kind, days in (("holiday", chinese_calendar.holidays), ("workday", chinese_calendar.workdays)):
        for day, name in days.items():
            if first_year <= day.year <= last_year:
                rows.append({"day": day, "kind": kind, "name": str(name), "source": source})
    conn.execute(delete(DAYS).where(DAYS.c.day.between(date(first_year, 1, 1), date(last_year, 12, 31))))
    if rows:
        conn.execute(insert(DAYS), rows)
    return len(rows)


def calendar(conn: Connection, start: date, end: date) -> Calendar:
    """The calendar's exceptions between two dates (inclusive)."""
    rows = conn.execute(select(DAYS.c.day, DAYS.c.kind).where(DAYS.c.day.between(start, end))).all()
    return Calendar(holidays=frozenset(r.day for r in rows if r.kind == "holiday"),
                    workdays=frozenset(r.day for r in rows if r.kind == "workday"))


def set_day(conn: Connection, day: date, kind: str | None, name: str | None, source: str) -> None:
    """An administrator marks a day a holiday or a working day, or (kind None) returns it to the plain week."""
    conn.execute(delete(DAYS).where(DAYS.c.day == day))
    if kind is not None:
        if kind not in ("holiday", "workday"):
            raise InvalidInput("kind must be holiday or workday", errors=[{"field": "kind", "message": "invalid"}])
        conn.execute(insert(DAYS).values(day=day, kind=kind, name=name, source=source))
