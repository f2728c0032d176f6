"""Rule rows and the working-day calendar (/admin/rules, /admin/calendar): read and changed through the same
functions and schemas as /api/rules and /api/calendar, admitted by the same rules.

A value is edited in its own shape: a number, a text, yes/no, a list (one item per comma) or a table of named
numbers (one field per name); the domain keeps each key's JSON type (service/rules/admin.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from service import clock, policy
from service.api import rules_api
from service.db import Connection
from service.errors import JixiaoError
from service.rules import admin
from service.rules.units import unit_of
from service.web import bp, i18n, rule_sources
from service.web.admin_forms import load, saved, text
from service.web.pages import choice, reading, unit_of_work, viewer
from service.web.permissions import permitted

LEVELS = ("municipal", "district")


def _this_year() -> int:
    return clock.local_today(clock.now()).year


def _year(name: str = "year") -> int:
    value = request.values.get(name, "")
    return int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else _this_year()


def shape(value: Any) -> str:
    """How a value is edited: number, text, flag, list, table (named scalars) or fixed (only through the API)."""
    if isinstance(value, bool):
        return "flag"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list) and all(isinstance(v, int | float | str) and not isinstance(v, bool) for v in value):
        return "list"
    if isinstance(value, dict) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value.values()):
        return "table"
    return "fixed" if value is not None else "number"


def _number(raw: str) -> int | float | None:
    try:
        number = float(raw.replace(",", "").replace("，", ""))
    except ValueError:
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    return int(number) if number.is_integer() else number


def _posted_value(current: Any) -> tuple[Any, bool]:
    """The posted value in the current value's shape: (value, parsed?)."""
    kind = shape(current)
    if kind == "flag":
        return request.form.get("value") == "1", True
    if kind == "number":
        raw = request.form.get("value", "").strip()
        if not raw and current is None:
            return None, True  # a coverage target the plan does not set for a year
        number = _number(raw)
        return number, number is not None
    if kind == "text":
        raw = (request.form.get("value") or "").strip()
        return raw, bool(raw)
    if kind == "list":
        items = [p.strip() for p in request.form.get("value", "").replace("，", ",").split(",") if p.strip()]
        if current and all(isinstance(v, int | float) for v in current):
            numbers = [_number(p) for p in items]
            return numbers, all(n is not None for n in numbers)
        return items, True
    if kind == "table":
        cells = {name: _number(request.form.get(f"value.{name}", "").strip()) for name in current}
        return cells, all(n is not None for n in cells.values())
    return current, True


def _rows(conn: Connection, year: int, level: str | None) -> list[dict[str, Any]]:
    found = admin.list_rules(conn, year)
    return [{**r, "unit": unit_of(r["key"]), "shape": shape(r["value"])} for r in found
            if level is None or level in r.get("applies_to", ())]


@bp.get("/admin/rules")
@permitted(policy.CHANGE_RULES)
def admin_rules() -> ResponseReturnValue:
    """The rule rows in force in a fiscal year, for one level or both, each with its value, unit and source."""
    year = _year()
    level = choice(request.args, "level", LEVELS)
    with reading() as conn:
        return render_template("web/admin_rules.html", rows=_rows(conn, year, level), year=year, level=level,
                               years=range(_this_year() + 1, 2013, -1))


def _rule_page(conn: Connection, key: str, year: int, level: str, errors: dict[str, str] | None = None,
               form: dict[str, Any] | None = None, status: int = 200) -> ResponseReturnValue:
    row = next((r for r in _rows(conn, year, None) if r["key"] == key
                and (level in r["applies_to"] or r["level"] == level)), None)
    if row is None:
        abort(404)
    return render_template("web/admin_rule.html", row=row, year=year, level=level, errors=errors or {},
                           form=form or {"fiscal_year": row["fiscal_year"], "level": row["level"],
                                         "source": rule_sources.source(row["source"])}), status


@bp.get("/admin/rules/<key>")
@permitted(policy.CHANGE_RULES)
def admin_rule(key: str) -> ResponseReturnValue:
    """One rule row in force (for ?year= and ?level=), in a form to change its value and source."""
    level = choice(request.args, "level", (*LEVELS, "*"), "*")
    with reading() as conn:
        return _rule_page(conn, key, _year(), level)


@bp.post("/admin/rules/<key>")
@permitted(policy.CHANGE_RULES)
def admin_rule_change(key: str) -> ResponseReturnValue:
    """Set the row for a fiscal year and level (as PUT /api/rules): value in its shape, and its source."""
    year = _year("shown_year")
    shown_level = choice(request.form, "shown_level", (*LEVELS, "*"), "*")
    with unit_of_work() as conn:
        current = next((r for r in _rows(conn, year, None) if r["key"] == key), None)
        if current is None:
            abort(404)
        value, parsed = _posted_value(current["value"])
        form = {"fiscal_year": request.form.get("fiscal_year", ""), "level": request.form.get("level", ""),
                "source": text("source") or "", "value": value}
        body, errors = load(rules_api.RuleChangeSchema(), {**form, "key": key, "value": value})
        if not parsed:
            errors["value"] = i18n.text(f"admin_err_value_{shape(current['value'])}")
        if not errors:
            errors = saved(conn, lambda: admin.change_rule(conn, viewer().username, clock.now(), **body), "value")
        if errors:
            return _rule_page(conn, key, year, shown_level, errors, form, 422)
    flash(i18n.text("admin_rule_saved", name=i18n.label("rule_", key)), "ok")
    return redirect(url_for("web.admin_rules", year=year))


# --- the calendar ---------------------------------------------------------------------------------------------
def _calendar_page(conn: Connection, year: int, form: dict[str, Any] | None = None,
                   errors: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    found = admin.year_calendar(conn, year)
    return render_template("web/admin_calendar.html", calendar=found, year=year, errors=errors or {},
                           form=form or {"kind": "holiday"}, years=range(_this_year() + 1, 2013, -1)), status


@bp.get("/admin/calendar")
@permitted(policy.CHANGE_RULES)
def admin_calendar() -> ResponseReturnValue:
    """A year's official holidays and adjusted working days (调休), and its number of working days."""
    with reading() as conn:
        return _calendar_page(conn, _year())


@bp.post("/admin/calendar")
@permitted(policy.CHANGE_RULES)
def admin_calendar_change() -> ResponseReturnValue:
    """Mark a day a holiday or a working day, or take an exception back (as PUT /api/calendar/{day})."""
    kind = request.form.get("kind", "")
    form: dict[str, Any] = {"date": request.form.get("date", "").strip(), "kind": kind, "name": text("name", 100),
            "source": text("source") or ""}
    body, errors = load(rules_api.DayChangeSchema(), {"kind": kind if kind in ("holiday", "workday") else None,
                                                      "name": form["name"], "source": form["source"]})
    day: date | None = None
    try:
        day = rules_api.calendar_day(form["date"])
    except JixiaoError:
        errors["date"] = i18n.text("admin_err_date")
    if kind not in ("holiday", "workday", "plain"):
        errors["kind"] = i18n.text("admin_err_invalid")
    year = day.year if day is not None else _year("year")
    with unit_of_work() as conn:
        if not errors and day is not None:
            errors = saved(conn, lambda: admin.change_day(conn, viewer().username, clock.now(), day, body["kind"],
                                                          body["name"], body["source"]), "date")
        if errors:
            return _calendar_page(conn, year, form, errors, 422)
    flash(i18n.text("admin_day_saved", day=form["date"]), "ok")
    return redirect(url_for("web.admin_calendar", year=year))
