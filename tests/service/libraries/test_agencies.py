"""Commissioning an agency for a key evaluation and rating its report (the plan 二(三)4一是)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select, update

from service import db
from service.errors import Conflict, InvalidInput, NotFound
from service.libraries import agencies
from service.models import Agency, AgencyEngagement
from service.runtime import Runtime
from tests.conftest import START

GOOD = {"quality": 90, "timeliness": 80, "compliance": 100}
POOR = {"quality": 40, "timeliness": 70, "compliance": 60}  # 52.5 with weights 50/25/25


def _assign(rt: Runtime, project_id: str, department_id: str = "dept-a", sector: str = "education") -> dict[str, Any]:
    with db.write(rt.engine) as conn:
        return agencies.assign(conn, project_id=project_id, department_id=department_id, sector=sector,
                               fiscal_year=2015, now=START)


def _rate(rt: Runtime, project_id: str, rating: dict[str, Any]) -> float:
    with db.write(rt.engine) as conn:
        return float(agencies.rate(conn, project_id=project_id, rating=rating, now=START))


def _status(rt: Runtime, agency_id: int) -> str:
    with db.read(rt.engine) as conn:
        return str(conn.execute(select(Agency.status).where(Agency.id == agency_id)).scalar_one())


def test_an_agency_is_commissioned_once_per_project(libraries: Runtime, project: Any) -> None:
    pid = project("2015-a-001")
    first = _assign(libraries, pid)
    assert first["agency_users"] and first["agency_name"]
    assert _assign(libraries, pid) == first
    with db.read(libraries.engine) as conn:
        assert len(conn.execute(select(AgencyEngagement).where(AgencyEngagement.project_id == pid)).all()) == 1


def test_commissions_are_spread_then_follow_the_ratings(libraries: Runtime, project: Any) -> None:
    education = [_assign(libraries, project(f"2015-a-{n}"))["agency_id"] for n in range(3)]
    assert len(set(education)) == 3  # three education agencies, none rated yet: one commission each
    _rate(libraries, "2015-a-0", {"quality": 70, "timeliness": 70, "compliance": 70})
    _rate(libraries, "2015-a-1", GOOD)
    _rate(libraries, "2015-a-2", {"quality": 80, "timeliness": 80, "compliance": 80})
    assert _assign(libraries, project("2015-a-9"))["agency_id"] == education[1]  # the best rated


def test_a_report_rated_below_the_threshold_suspends_the_agency(libraries: Runtime, project: Any) -> None:
    pid = project("2015-a-001")
    agency_id = _assign(libraries, pid)["agency_id"]
    assert _rate(libraries, pid, POOR) == 52.5
    assert _status(libraries, agency_id) == "suspended"
    assert _rate(libraries, pid, POOR) == 52.5  # a re-run of the job changes nothing
    later = _assign(libraries, project("2015-a-002"))
    assert later["agency_id"] != agency_id


def test_a_good_rating_keeps_the_agency_active(libraries: Runtime, project: Any) -> None:
    pid = project("2015-a-001")
    agency_id = _assign(libraries, pid)["agency_id"]
    assert _rate(libraries, pid, GOOD) == 90.0
    assert _status(libraries, agency_id) == "active"


def test_conflicted_agencies_are_passed_over_and_none_left_is_an_error(libraries: Runtime, project: Any) -> None:
    with db.write(libraries.engine) as conn:
        conn.execute(update(Agency).values(conflicts=json.dumps(["dept-a"])))
        free = conn.execute(select(Agency.id).order_by(Agency.id.desc())).scalars().first()
        conn.execute(update(Agency).where(Agency.id == free).values(conflicts="[]"))
    assert _assign(libraries, project("2015-a-001"))["agency_id"] == free
    with db.write(libraries.engine) as conn:
        conn.execute(update(Agency).where(Agency.id == free).values(status="removed"))
    with pytest.raises(Conflict):
        _assign(libraries, project("2015-a-002"))


def test_a_rating_without_a_commission_or_incomplete_is_refused(libraries: Runtime, project: Any) -> None:
    pid = project("2015-a-001")
    with pytest.raises(NotFound):
        _rate(libraries, pid, GOOD)
    _assign(libraries, pid)
    with pytest.raises(InvalidInput):
        _rate(libraries, pid, {"quality": 90})
