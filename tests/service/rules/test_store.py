"""Rule rows and the calendar in the database: which row holds, sources required, seeding is safe to repeat."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from service import clock, db
from service.config import ROOT
from service.domain.workdays import add_working_days
from service.errors import InvalidInput, NotFound
from service.models import CalendarDay, Event, FiscalYear, Rule
from service.rules import admin, store
from tests.service.domain.test_workdays import Y2015

NOW = datetime(2015, 3, 2, 1, 0, tzinfo=clock.UTC)
SEEDS = ROOT / "seeds" / "rules.json"


def put(conn, year: int, level: str, value, key: str = "test.threshold") -> None:
    store.set_rule(conn, year, level, key, value, f"test row {year} {level}", "test", NOW)


def test_a_row_holds_from_its_year_until_a_later_one(runtime):
    with db.write(runtime.engine) as conn:
        put(conn, 2014, "*", 10)
        put(conn, 2016, "*", 20)
        assert store.get(conn, 2014, "municipal", "test.threshold") == 10
        assert store.get(conn, 2015, "municipal", "test.threshold") == 10  # 2015 has no row: 2014's holds
        assert store.get(conn, 2016, "district", "test.threshold") == 20
        assert store.get(conn, 2030, "district", "test.threshold") == 20
        row = store.get_row(conn, 2015, "district", "test.threshold")
        assert (row.fiscal_year, row.level, row.source) == (2014, "*", "test row 2014 *")
        with pytest.raises(NotFound):
            store.get(conn, 2013, "municipal", "test.threshold")  # before the first row
        with pytest.raises(NotFound):
            store.get(conn, 2015, "municipal", "test.no_such_key")


def test_a_levels_own_row_wins_over_every_level_within_a_year(runtime):
    with db.write(runtime.engine) as conn:
        put(conn, 2015, "*", 15)
        put(conn, 2015, "district", 20)
        put(conn, 2014, "municipal", 25)
        assert store.get(conn, 2015, "district", "test.threshold") == 20
        assert store.get(conn, 2015, "municipal", "test.threshold") == 15  # a later "*" row replaces 2014's
        assert store.get(conn, 2014, "municipal", "test.threshold") == 25
        with pytest.raises(NotFound):
            store.get(conn, 2014, "district", "test.threshold")
        in_force = {(r["fiscal_year"], r["level"]): r["applies_to"]
                    for r in store.list_rules(conn, 2015) if r["key"] == "test.threshold"}
        assert in_force == {(2015, "district"): ["district"], (2015, "*"): ["municipal"]}
        assert len([r for r in store.list_rules(conn) if r["key"] == "test.threshold"]) == 3


def test_a_rule_must_cite_its_source_and_name_a_level(runtime):
    with db.write(runtime.engine) as conn:
        for source in ("", "   "):
            with pytest.raises(InvalidInput) as refused:
                store.set_rule(conn, 2015, "*", "test.threshold", 1, source, "test", NOW)
            assert refused.value.errors == [{"field": "source", "message": "required"}]
        with pytest.raises(InvalidInput):
            store.set_rule(conn, 2015, "provincial", "test.threshold", 1, "a source", "test", NOW)
        assert conn.execute(select(func.count()).select_from(Rule)).scalar_one() == 0


def test_changing_a_row_records_who_and_when(runtime):
    later = datetime(2015, 6, 1, 2, 0, tzinfo=clock.UTC)
    with db.write(runtime.engine) as conn:
        put(conn, 2015, "*", 1)
        store.set_rule(conn, 2015, "*", "test.threshold", 2, "局长办公会 2015-06-01", "admin", later)
        [row] = conn.execute(select(Rule)).all()
    assert (json.loads(row.value), row.source, row.updated_by) == (2, "局长办公会 2015-06-01", "admin")
    assert clock.from_db(row.updated_at) == later


def test_seeding_twice_changes_nothing_and_keeps_administrators_changes(runtime):
    with db.write(runtime.engine) as conn:
        first = store.seed_rules(conn, SEEDS, "test", NOW)
        rows = len(json.loads(SEEDS.read_text(encoding="utf-8"))["rules"])
        assert first == rows
        store.set_rule(conn, 2014, "*", "goal.major_threshold", 8_000_000, "local decision", "admin", NOW)
        before = conn.execute(select(Rule.id, Rule.value, Rule.source).order_by(Rule.id)).all()
        assert store.seed_rules(conn, SEEDS, "test", NOW) == 0
        assert conn.execute(select(Rule.id, Rule.value, Rule.source).order_by(Rule.id)).all() == before
        assert store.get(conn, 2015, "municipal", "goal.major_threshold") == 8_000_000
        assert {2014, 2015, 2016} <= set(conn.execute(select(FiscalYear.year)).scalars())
        # the plan's coverage targets (DOMAIN.md): district evaluated share 20 % in 2015, none for 2014 goals
        assert store.get(conn, 2015, "district", "coverage.evaluated_money_share") == 20
        assert store.get(conn, 2015, "municipal", "coverage.evaluated_kinds") == ["self", "key"]
        with pytest.raises(NotFound):
            store.get(conn, 2014, "municipal", "coverage.goal_money_share")


def test_every_seeded_rule_cites_a_source():
    doc = json.loads(SEEDS.read_text(encoding="utf-8"))
    keys = [(r["key"], r.get("year"), r.get("level")) for r in doc["rules"]]
    assert len(keys) == len(set(keys))  # no row twice
    for row in doc["rules"]:
        assert row["source"].strip() and set(row) <= {"key", "value", "source", "year", "level"}, row["key"]


def test_the_seeded_calendar_is_the_official_2015_one(runtime):
    with db.write(runtime.engine) as conn:
        written = store.seed_calendar(conn, 2014, 2016)
        cal = store.calendar(conn, date(2015, 1, 1), date(2015, 12, 31))
    assert cal == Y2015  # the State Council's 2015 days, listed by hand in test_workdays
    assert add_working_days(cal, date(2015, 9, 30), 10) == date(2015, 10, 20)
    with db.write(runtime.engine) as conn:
        assert store.seed_calendar(conn, 2014, 2016) == written  # refreshed, not doubled
        [spring] = store.calendar_days(conn, date(2015, 2, 19), date(2015, 2, 19))
    assert spring["kind"] == "holiday" and spring["name"] == "春节 Spring Festival"


def test_seeding_the_calendar_again_keeps_administrators_days(runtime):
    with db.write(runtime.engine) as conn:
        store.seed_calendar(conn, 2015, 2015)
    with runtime.unit_of_work() as conn:
        admin.change_day(conn, "admin", NOW, date(2015, 12, 31), "holiday", "本市调休", "市政府通知 (test)")
    with runtime.unit_of_work() as conn:
        admin.change_day(conn, "admin", NOW, date(2015, 10, 10), None, None, "本局通知: 10 月 10 日不调休 (test)")
    with db.write(runtime.engine) as conn:
        store.seed_calendar(conn, 2015, 2015)
        cal = store.calendar(conn, date(2015, 1, 1), date(2015, 12, 31))
        kinds = {d["date"]: d["kind"] for d in store.calendar_days(conn, date(2015, 10, 10), date(2015, 12, 31))}
    assert date(2015, 12, 31) in cal.holidays and not cal.is_working_day(date(2015, 10, 10))
    assert kinds == {date(2015, 10, 10): None, date(2015, 12, 31): "holiday"}
    with db.read(runtime.engine) as conn:
        events = conn.execute(select(Event.command, Event.actor, Event.input).where(Event.instance_id.is_(None))
                              .order_by(Event.seq)).all()
    [first, second] = [e for e in events if e.command == "calendar_day_changed"]
    assert first.actor == "admin" and json.loads(second.input)["before"]["kind"] == "workday"
    with db.write(runtime.engine) as conn, pytest.raises(InvalidInput):
        store.set_day(conn, date(2015, 5, 4), "festival", None, "x")
    with db.write(runtime.engine) as conn, pytest.raises(InvalidInput):
        store.set_day(conn, date(2015, 5, 4), "holiday", None, " ")
    with db.read(runtime.engine) as conn:
        assert conn.execute(select(CalendarDay).where(CalendarDay.day == date(2015, 5, 4))).first() is None


def test_administrators_changes_are_checked_and_audited(runtime):
    with db.write(runtime.engine) as conn:
        store.seed_rules(conn, SEEDS, "test", NOW)
    with runtime.unit_of_work() as conn:
        row = admin.change_rule(conn, "admin", NOW, fiscal_year=2016, level="municipal",
                                key="coverage.evaluated_money_share", value=35, source="市政府 2016 年工作要点 (test)")
    assert (row["value"], row["updated_by"]) == (35, "admin")
    # the plan sets no evaluated share for 2016 district: an administrator says so with null
    with runtime.unit_of_work() as conn:
        admin.change_rule(conn, "admin", NOW, fiscal_year=2016, level="district",
                          key="coverage.evaluated_money_share", value=None, source="the plan sets none for 2016")
    with pytest.raises(InvalidInput) as unknown, runtime.unit_of_work() as conn:
        admin.change_rule(conn, "admin", NOW, fiscal_year=2015, level="*", key="goal.major_treshold",
                          value=1, source="typo")
    assert unknown.value.errors[0]["field"] == "key"
    for bad in ("5000000", None, [1], True):  # a threshold stays a number
        with pytest.raises(InvalidInput) as wrong, runtime.unit_of_work() as conn:
            admin.change_rule(conn, "admin", NOW, fiscal_year=2015, level="*", key="goal.major_threshold",
                              value=bad, source="x")
        assert wrong.value.errors[0]["field"] == "value"
    with db.read(runtime.engine) as conn:
        assert store.get(conn, 2016, "municipal", "coverage.evaluated_money_share") == 35
        assert store.get(conn, 2016, "district", "coverage.evaluated_money_share") is None
        events = [json.loads(e) for e in conn.execute(select(Event.input).where(Event.command == "rule_changed")
                                                      .order_by(Event.seq)).scalars()]
    assert events[0]["before"] is None and events[0]["value"] == 35 and len(events) == 2
