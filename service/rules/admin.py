"""Administrators change rule rows and calendar days: checked, and recorded on the global audit chain."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from service.bpm.event_log import append_global
from service.domain.coverage_rules import TARGET_KEYS
from service.domain.workdays import working_days_between
from service.errors import InvalidInput
from service.models import Rule
from service.rules import store

RULES = Rule.__table__
# Rules whose value may be null: a coverage target the plan does not set for a year.
NULLABLE = frozenset(TARGET_KEYS.values())


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    names: dict[type, str] = {str: "string", list: "array", dict: "object"}
    return names.get(type(value), "other")


def _check_value(conn: Connection, key: str, value: Any) -> None:
    """The key must exist (code reads it) and the value keep its JSON type, so no reader meets a surprise."""
    values = [json.loads(v) for v in conn.execute(select(RULES.c.value).where(RULES.c.key == key)).scalars()]
    if not values:
        raise InvalidInput(f"unknown rule key {key!r}", [{"field": "key", "message": "no such rule key"}])
    if value is None and key in NULLABLE:
        return
    kinds = sorted({_json_kind(v) for v in values} - {"null"})
    if kinds and _json_kind(value) not in kinds:
        wanted = " or ".join(kinds)
        raise InvalidInput(f"{key} takes a JSON {wanted}", [{"field": "value", "message": f"must be a JSON {wanted}"}])


def _row(conn: Connection, year: int, level: str, key: str) -> dict[str, Any] | None:
    row = conn.execute(select(RULES).where(RULES.c.fiscal_year == year, RULES.c.level == level,
                                           RULES.c.key == key)).first()
    return None if row is None else {**row._asdict(), "value": json.loads(row.value)}


def change_rule(conn: Connection, actor: str, now: datetime, *, fiscal_year: int, level: str, key: str, value: Any,
                source: str) -> dict[str, Any]:
    """Set one rule row (administrators); the old and new value and source go on the global audit chain."""
    _check_value(conn, key, value)
    before = _row(conn, fiscal_year, level, key)
    store.set_rule(conn, fiscal_year, level, key, value, source, actor, now)
    append_global(conn, now, actor, "rule_changed", {
        "fiscal_year": fiscal_year, "level": level, "key": key, "value": value, "source": source,
        "before": None if before is None else {"value": before["value"], "source": before["source"]}})
    after = _row(conn, fiscal_year, level, key)
    assert after is not None
    return after


def list_rules(conn: Connection, year: int | None) -> list[dict[str, Any]]:
    """Every rule row, or those in force in `year`."""
    return store.list_rules(conn, year)


def change_day(conn: Connection, actor: str, now: datetime, day: date, kind: str | None, name: str | None,
               source: str) -> dict[str, Any]:
    """Mark a day a holiday, a working day or a plain day (administrators); audited on the global chain."""
    before = store.set_day(conn, day, kind, name, source)
    append_global(conn, now, actor, "calendar_day_changed", {
        "date": day.isoformat(), "kind": kind, "name": name, "source": source,
        "before": None if before is None else {k: before[k] for k in ("kind", "name", "source")}})
    [after] = store.calendar_days(conn, day, day)
    return after


def year_calendar(conn: Connection, year: int) -> dict[str, Any]:
    """The year's exception days and its number of working days."""

    first, last = date(year, 1, 1), date(year, 12, 31)
    days = store.calendar_days(conn, first, last)
    cal = store.calendar(conn, first, last)
    # (Dec 31 of the year before, Dec 31] holds exactly the year's days.
    return {"year": year, "working_days": working_days_between(cal, date(year - 1, 12, 31), last), "items": days}
