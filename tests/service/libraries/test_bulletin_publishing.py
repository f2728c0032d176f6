"""The agency bulletin (通报) of a period: the reports rated in it ranked by mean score, published once the period
is over and never changed; read by everyone signed in, published by the finance bureau."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert, select

from service import clock, db
from service.errors import Conflict
from service.libraries import bulletin_publishing
from service.models import Agency, AgencyEngagement
from service.runtime import Runtime
from tests.conftest import password_of
from tests.service.web.conftest import WebClient

AFTER_FIRST_HALF = datetime.fromisoformat("2015-07-02T09:00:00+08:00")


def _rated(rt: Runtime, agency_id: int, project_id: str, score: str | None, at: str | None) -> None:
    with db.write(rt.engine) as conn:
        conn.execute(insert(AgencyEngagement).values(
            agency_id=agency_id, project_id=project_id, fiscal_year=2015,
            assigned_at=clock.to_db(datetime.fromisoformat("2015-03-02T09:00:00+08:00")),
            rating=Decimal(score) if score else None,
            rated_at=clock.to_db(datetime.fromisoformat(at)) if at else None))


@pytest.fixture
def rated(libraries: Runtime, project: Any) -> dict[str, Any]:
    """Agencies 甲, 乙, 丙 (the first three of the library) and their rated reports of 2015."""
    with db.read(libraries.engine) as conn:
        first = list(conn.execute(select(Agency.id, Agency.name).order_by(Agency.id).limit(4)))
    a, b, c, d = (row.id for row in first)
    _rated(libraries, a, project("2015-a-001"), "90", "2015-03-10T10:00:00+08:00")
    _rated(libraries, a, project("2015-a-002"), "80", "2015-06-30T23:30:00+08:00")  # 30 June in Wuhan
    _rated(libraries, b, project("2015-a-003"), "88", "2015-05-01T10:00:00+08:00")
    _rated(libraries, c, project("2015-a-004"), "99", "2015-07-01T00:30:00+08:00")  # 1 July: the second half
    _rated(libraries, d, project("2015-a-005"), None, None)  # commissioned, not yet rated
    return {"a": a, "b": b, "c": c, "names": {row.id: row.name for row in first}}


def test_the_first_half_years_bulletin_ranks_the_reports_rated_in_it(libraries: Runtime,
                                                                      rated: dict[str, Any]) -> None:
    with db.write(libraries.engine) as conn:
        published = bulletin_publishing.publish(conn, year=2015, period=1, now=AFTER_FIRST_HALF, by="reviewer")
    assert (published["starts_on"].isoformat(), published["ends_on"].isoformat()) == ("2015-01-01", "2015-06-30")
    assert published["published_at"] == AFTER_FIRST_HALF and published["published_by"] == "reviewer"
    # 乙: 88.00 alone; 甲: (90 + 80) / 2 = 85.00; 丙's report was rated on 1 July, in the second half.
    assert [(e["agency_id"], e["mean_score"], e["rank"], [r["project_id"] for r in e["reports"]])
            for e in published["entries"]] == [(rated["b"], 88.0, 1, ["2015-a-003"]),
                                               (rated["a"], 85.0, 2, ["2015-a-001", "2015-a-002"])]


def test_a_published_bulletin_does_not_change(libraries: Runtime, rated: dict[str, Any], project: Any) -> None:
    with db.write(libraries.engine) as conn:
        first = bulletin_publishing.publish(conn, year=2015, period=1, now=AFTER_FIRST_HALF, by="reviewer")
    _rated(libraries, rated["c"], project("2015-a-006"), "40", "2015-06-01T10:00:00+08:00")  # rated late
    with db.write(libraries.engine) as conn:
        again = bulletin_publishing.publish(conn, year=2015, period=1, now=datetime.fromisoformat(
            "2015-08-01T09:00:00+08:00"), by="admin")
        assert again == first == bulletin_publishing.get(conn, 2015, 1)


def test_a_period_is_published_once_it_is_over(libraries: Runtime, rated: dict[str, Any]) -> None:
    with pytest.raises(Conflict, match="ends on 2015-06-30"), db.write(libraries.engine) as conn:
        bulletin_publishing.publish(conn, year=2015, period=1, now=datetime.fromisoformat("2015-06-30T18:00:00+08:00"),
                          by="reviewer")
    with db.read(libraries.engine) as conn:
        assert bulletin_publishing.published(conn, 2015) == []


def test_the_api_reads_and_publishes_bulletins(libraries: Runtime, rated: dict[str, Any], as_user: Any) -> None:
    clock.set_now(AFTER_FIRST_HALF)
    try:
        assert as_user("staff_a").post("/api/reports/agency-bulletin", json={"year": 2015, "period": 1}) \
            .status_code == 403
        missing = as_user("staff_a").get("/api/reports/agency-bulletin?year=2015&period=1")
        assert missing.status_code == 404 and missing.content_type == "application/problem+json"
        bad = as_user("reviewer").post("/api/reports/agency-bulletin", json={"year": 2015, "period": 13})
        assert bad.status_code in (400, 422) and bad.content_type == "application/problem+json"
        early = as_user("reviewer").post("/api/reports/agency-bulletin", json={"year": 2015, "period": 2})
        assert early.status_code == 409
        resp = as_user("reviewer").post("/api/reports/agency-bulletin", json={"year": 2015, "period": 1})
        assert resp.status_code == 201, resp.get_json()
        body = as_user("agency").get("/api/reports/agency-bulletin?year=2015&period=1").get_json()
        assert [(e["rank"], e["mean_score"]) for e in body["entries"]] == [(1, 88.0), (2, 85.0)]
        assert body["published_by"] == "reviewer" and body["starts_on"] == "2015-01-01"
        listed = as_user("expert").get("/api/reports/agency-bulletins?year=2015").get_json()["items"]
        assert [(b["year"], b["period"]) for b in listed] == [(2015, 1)]
    finally:
        clock.reset()


def _signed_in(app: Any, username: str) -> WebClient:
    client = WebClient(app)
    client.login(username, password_of(username))
    return client


def test_the_bulletin_page_lists_and_publishes(libraries: Runtime, rated: dict[str, Any], app: Any) -> None:
    clock.set_now(AFTER_FIRST_HALF)
    try:
        reviewer = _signed_in(app, "reviewer")
        page = reviewer.get("/reports/agency-bulletin")
        assert page.status_code == 200 and "尚未发布通报" in page.get_data(as_text=True)
        resp = reviewer.submit("/reports/agency-bulletin", data={"year": "2015", "period": "1"})
        assert resp.status_code == 302
        text = reviewer.get("/reports/agency-bulletin?year=2015&period=1").get_data(as_text=True)
        assert rated["names"][rated["b"]] in text and "88.00" in text and "85.00" in text
        staff = _signed_in(app, "staff_a")
        assert "发布通报" not in staff.get("/reports/agency-bulletin").get_data(as_text=True)
        assert staff.submit("/reports/agency-bulletin", data={"year": "2015", "period": "2"}).status_code == 403
    finally:
        clock.reset()
