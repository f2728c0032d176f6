"""Rule rows and the working-day calendar over the API: read by the bureau, changed by administrators, audited."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from service import db
from service.config import ROOT
from service.models import Event
from service.rules import store
from tests.conftest import START


@pytest.fixture
def seeded(runtime: Any) -> Any:
    with db.write(runtime.engine) as conn:
        store.seed_rules(conn, ROOT / "seeds" / "rules.json", "test", START)
        store.seed_calendar(conn, 2015, 2015)
    return runtime


def change(**body: Any) -> dict[str, Any]:
    return {"fiscal_year": 2016, "level": "municipal", "key": "goal.major_threshold", "value": 8_000_000,
            "source": "市财政局 2016 年预算编制通知 (test)", **body}


def global_events(runtime: Any, command: str) -> list[dict[str, Any]]:
    with db.read(runtime.engine) as conn:
        rows = conn.execute(select(Event.actor, Event.input).where(Event.instance_id.is_(None),
                                                                    Event.command == command).order_by(Event.seq))
        return [{"actor": r.actor, **json.loads(r.input)} for r in rows]


@pytest.mark.parametrize(("user", "status"), [
    ("reviewer", 200), ("supervisor", 200), ("auditor", 200), ("designer", 200), ("admin", 200),
    ("staff_a", 403), ("head_a", 403), ("expert", 403), ("agency", 403),
])
def test_bureau_users_read_the_rules(seeded, as_user, user, status):
    resp = as_user(user).get("/api/rules")
    assert resp.status_code == status
    if status == 200:
        keys = {r["key"] for r in resp.get_json()["items"]}
        assert {"goal.major_threshold", "coverage.evaluated_kinds", "coverage.goal_money_share"} <= keys


def test_the_rules_in_force_in_a_year(seeded, as_user):
    items = as_user("reviewer").get("/api/rules?year=2015").get_json()["items"]
    shares = [(r["fiscal_year"], r["level"], r["value"], r["applies_to"]) for r in items
              if r["key"] == "coverage.evaluated_money_share"]
    # the plan: municipal 30 %, district 20 % in 2015; the 2014 rows are no longer in force
    assert shares == [(2015, "district", 20, ["district"]), (2015, "municipal", 30, ["municipal"])]
    [threshold] = [r for r in items if r["key"] == "goal.major_threshold"]
    assert (threshold["fiscal_year"], threshold["level"], threshold["value"]) == (2014, "*", 5_000_000)
    assert threshold["applies_to"] == ["municipal", "district"] and threshold["source"]
    assert as_user("reviewer").get("/api/rules?year=1999").status_code == 422


def test_an_administrator_sets_a_rule_and_it_is_audited(seeded, as_user):
    resp = as_user("admin").put("/api/rules", json=change())
    assert resp.status_code == 200, resp.get_json()
    row = resp.get_json()
    assert (row["fiscal_year"], row["level"], row["value"], row["updated_by"]) == (2016, "municipal", 8_000_000,
                                                                                    "admin")
    assert row["updated_at"].endswith("+00:00")
    # a municipal project of 2016 of 6,000,000 is no longer major; a district one still is (5,000,000 holds there)
    with db.read(seeded.engine) as conn:
        assert store.get(conn, 2016, "municipal", "goal.major_threshold") == 8_000_000
        assert store.get(conn, 2016, "district", "goal.major_threshold") == 5_000_000
    again = as_user("admin").put("/api/rules", json=change(value=7_000_000, source="更正 (test)"))
    assert again.get_json()["value"] == 7_000_000
    events = global_events(seeded, "rule_changed")
    assert [(e["actor"], e["value"], e["before"]) for e in events] == [
        ("admin", 8_000_000, None), ("admin", 7_000_000, {"value": 8_000_000, "source": change()["source"]})]


@pytest.mark.parametrize("user", ["reviewer", "supervisor", "auditor", "designer", "staff_a", "expert", "power"])
def test_only_administrators_change_rules(seeded, as_user, user):
    resp = as_user(user).put("/api/rules", json=change())
    assert resp.status_code == 403
    assert global_events(seeded, "rule_changed") == []


@pytest.mark.parametrize(("body", "field"), [
    (change(source=""), "source"),
    (change(source="   "), "source"),
    ({k: v for k, v in change().items() if k != "source"}, "source"),
    ({k: v for k, v in change().items() if k != "value"}, "value"),
    (change(level="provincial"), "level"),
    (change(fiscal_year=1999), "fiscal_year"),
    (change(key="goal.major_treshold"), "key"),
    (change(value="8000000"), "value"),
    (change(value=None), "value"),
    (change(value={"a": "\udc00"}), "value"),
    (change(key="goal.major\x00threshold"), "key"),
    ({**change(), "note": "x"}, "note"),
])
def test_bad_rule_changes_are_422(seeded, as_user, body, field):
    resp = as_user("admin").put("/api/rules", json=body)
    assert resp.status_code == 422, resp.get_json()
    assert field in {e["field"] for e in resp.get_json()["errors"]}
    with db.read(seeded.engine) as conn:
        assert store.get(conn, 2016, "municipal", "goal.major_threshold") == 5_000_000


def test_everyone_signed_in_reads_the_calendar(seeded, as_user, app):
    body = as_user("staff_a").get("/api/calendar?year=2015").get_json()
    days = {d["date"]: (d["kind"], d["name"]) for d in body["items"]}
    assert days["2015-10-10"] == ("workday", "国庆节 National Day")  # a Saturday worked after National Day
    assert days["2015-02-19"][0] == "holiday"
    assert body["working_days"] == 249  # 365 − 104 weekend days − 17 weekday holidays + 5 adjusted days
    assert app.test_client().get("/api/calendar?year=2015").status_code == 401
    assert as_user("staff_a").get("/api/calendar?year=20150").status_code == 422


def test_an_administrator_changes_a_day(seeded, as_user):
    admin = as_user("admin")
    resp = admin.put("/api/calendar/2015-12-31", json={"kind": "holiday", "name": "本市调休",
                                                       "source": "市政府办公厅通知 (test)"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {"date": "2015-12-31", "kind": "holiday", "name": "本市调休",
                               "source": "市政府办公厅通知 (test)"}
    # and back to the plain week for 10 October: no longer a working Saturday
    resp = admin.put("/api/calendar/2015-10-10", json={"kind": None, "source": "更正 (test)"})
    assert resp.status_code == 200 and resp.get_json()["kind"] is None
    body = admin.get("/api/calendar?year=2015").get_json()
    assert body["working_days"] == 249 - 2
    events = global_events(seeded, "calendar_day_changed")
    assert [(e["actor"], e["date"], e["kind"], (e["before"] or {}).get("kind")) for e in events] == [
        ("admin", "2015-12-31", "holiday", None), ("admin", "2015-10-10", None, "workday")]


@pytest.mark.parametrize(("user", "path", "body", "status"), [
    ("reviewer", "/api/calendar/2015-12-31", {"kind": "holiday", "source": "x"}, 403),
    ("staff_a", "/api/calendar/2015-12-31", {"kind": "holiday", "source": "x"}, 403),
    ("admin", "/api/calendar/2015-13-01", {"kind": "holiday", "source": "x"}, 422),
    ("admin", "/api/calendar/20151231", {"kind": "holiday", "source": "x"}, 422),
    ("admin", "/api/calendar/1999-12-31", {"kind": "holiday", "source": "x"}, 422),
    ("admin", "/api/calendar/2015-12-31", {"kind": "festival", "source": "x"}, 422),
    ("admin", "/api/calendar/2015-12-31", {"kind": "holiday"}, 422),
    ("admin", "/api/calendar/2015-12-31", {"kind": "holiday", "source": " "}, 422),
    ("admin", "/api/calendar/2015-12-31", {"source": "x"}, 422),
])
def test_bad_calendar_changes_are_refused(seeded, as_user, user, path, body, status):
    resp = as_user(user).put(path, json=body)
    assert resp.status_code == status, resp.get_json()
    assert resp.headers["content-type"] == "application/problem+json"
    assert global_events(seeded, "calendar_day_changed") == []
