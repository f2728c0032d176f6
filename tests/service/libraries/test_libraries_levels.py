"""Libraries built by each level and shared (市区分建共享, the plan 二(二)三是): every entry has an owning level, a
district keeps its own and draws on its own and the city's, each level changes only its own entries."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from service import db
from service.cycle import rectifications
from service.errors import Conflict, Forbidden
from service.libraries import agencies, experts, supervision
from service.libraries.common import district_of
from service.models import Agency, Expert, SupervisionMember
from service.runtime import Runtime
from tests.conftest import START

# district-1 is the test district's finance bureau: a district user of its own, the keeper of its libraries.
DISTRICT = "district-1"


def _own_expert(rt: Runtime, name: str, keeper: str | None = DISTRICT) -> dict[str, Any]:
    with db.write(rt.engine) as conn:
        return experts.create_expert(conn, {"name": name, "employer": "江岸区教育研究院", "fields": ["education"]},
                                     keeper=keeper)


def test_the_district_of_a_department(libraries: Runtime) -> None:
    with db.read(libraries.engine) as conn:
        assert district_of(conn, DISTRICT) == DISTRICT
        assert district_of(conn, "dept-a") is None and district_of(conn, "dept-a-unit") is None
        assert district_of(conn, None) is None and district_of(conn, "bureau") is None


def test_seeded_entries_are_the_citys_and_a_district_adds_its_own(libraries: Runtime) -> None:
    own = _own_expert(libraries, "区专家甲")
    assert own["district_id"] == DISTRICT
    with db.write(libraries.engine) as conn:
        other = experts.create_expert(conn, {"name": "外区专家", "employer": "某区", "fields": []}, keeper=DISTRICT)
        conn.execute(update(Expert).where(Expert.id == other["id"]).values(district_id="district-2"))
        def names(**kw: Any) -> set[str]:
            return {e["name"] for e in experts.list_experts(conn, fiscal_year=2015, per_page=100, **kw)["items"]}
        city = names(owner="city")
        assert len(city) == 30  # the seeds: every one the city's
        assert names(viewer=DISTRICT) == city | {"区专家甲"}  # its own and the city's, not another district's
        assert names(viewer="dept-a") == city | {"区专家甲", "外区专家"}  # the city sees every level
        assert names(owner=DISTRICT) == {"区专家甲"}
        assert names(viewer=DISTRICT, owner="district-2") == set()


def test_each_level_changes_only_its_own_entries(libraries: Runtime) -> None:
    own = _own_expert(libraries, "区专家甲")
    with db.read(libraries.engine) as conn:
        city_id = conn.execute(select(Expert.id).order_by(Expert.id)).scalars().first()
    with pytest.raises(Forbidden, match="kept by the city"), db.write(libraries.engine) as conn:
        experts.update_expert(conn, city_id, {"available": False}, keeper=DISTRICT)
    with pytest.raises(Forbidden, match="kept by that district"), db.write(libraries.engine) as conn:
        experts.update_expert(conn, own["id"], {"available": False}, keeper="bureau")
    with db.write(libraries.engine) as conn:
        assert experts.update_expert(conn, own["id"], {"title": "研究员"}, keeper=DISTRICT)["title"] == "研究员"
        assert experts.get_expert(conn, city_id)["available"] is True
    with db.write(libraries.engine) as conn:
        agency = agencies.create_agency(conn, {"name": "江岸区审计咨询所", "kind": "consultancy"}, keeper=DISTRICT)
    assert agency["district_id"] == DISTRICT
    with pytest.raises(Forbidden), db.write(libraries.engine) as conn:
        agencies.update_agency(conn, agency["id"], {"status": "suspended"}, keeper=None)


def _only_available(rt: Runtime, count: int) -> list[int]:
    """Leave the first `count` seeded (city) experts available; answers their ids."""
    with db.write(rt.engine) as conn:
        ids = list(conn.execute(select(Expert.id).order_by(Expert.id)).scalars())
        conn.execute(update(Expert).where(Expert.id.not_in(ids[:count])).values(available=False))
    return ids[:count]


def test_a_district_project_draws_on_its_district_and_the_city(libraries: Runtime, project: Any) -> None:
    city = _only_available(libraries, 2)
    own = _own_expert(libraries, "区专家甲")
    other = _own_expert(libraries, "外区专家")
    with db.write(libraries.engine) as conn:
        conn.execute(update(Expert).where(Expert.id == other["id"]).values(district_id="district-2"))
    pid = project("2015-d-001", department_id=DISTRICT)
    with db.write(libraries.engine) as conn:
        panel = experts.draw_panel(conn, project_id=pid, department_id=DISTRICT, sector="education",
                                   fiscal_year=2015, now=START)
    assert {e["id"] for e in panel} == {*city, own["id"]}
    # A city project draws on the city's only: two experts do not make a panel of three.
    city_pid = project("2015-a-001")
    with pytest.raises(Conflict, match="not enough eligible experts"), db.write(libraries.engine) as conn:
        experts.draw_panel(conn, project_id=city_pid, department_id="dept-a", sector="education", fiscal_year=2015,
                           now=START)


def test_a_district_project_commissions_a_district_or_city_agency(libraries: Runtime, project: Any) -> None:
    with db.write(libraries.engine) as conn:
        conn.execute(update(Agency).values(status="suspended"))
        mine = agencies.create_agency(conn, {"name": "江岸区评估中心", "kind": "research", "fields": ["education"]},
                                      keeper=DISTRICT)
        theirs = agencies.create_agency(conn, {"name": "外区评估中心", "kind": "research", "fields": ["education"]},
                                        keeper=DISTRICT)
        conn.execute(update(Agency).where(Agency.id == theirs["id"]).values(district_id="district-2"))
    pid = project("2015-d-001", department_id=DISTRICT)
    with db.write(libraries.engine) as conn:
        chosen = agencies.assign(conn, project_id=pid, department_id=DISTRICT, sector="education",
                                 fiscal_year=2015, now=START)
    assert chosen["agency_id"] == mine["id"]
    city_pid = project("2015-a-001")
    with pytest.raises(Conflict), db.write(libraries.engine) as conn:  # a city project: no active city agency
        agencies.assign(conn, project_id=city_pid, department_id="dept-a", sector="education", fiscal_year=2015,
                        now=START)


def test_supervision_members_of_a_district_project(libraries: Runtime) -> None:
    with db.write(libraries.engine) as conn:
        ids = list(conn.execute(select(SupervisionMember.id).order_by(SupervisionMember.id)).scalars())
        conn.execute(update(SupervisionMember).where(SupervisionMember.id == ids[0]).values(district_id=DISTRICT))
        conn.execute(update(SupervisionMember).where(SupervisionMember.id == ids[1])
                     .values(district_id="district-2"))
        district_members = {m.id for m in rectifications.supervision_members(conn, None, DISTRICT)}
        city_members = {m.id for m in rectifications.supervision_members(conn, None, "dept-a")}
        listed = supervision.list_members(conn, owner=DISTRICT)["items"]
    assert ids[0] in district_members and ids[1] not in district_members and ids[2] in district_members
    assert ids[0] not in city_members and ids[1] not in city_members and ids[2] in city_members
    assert [m["id"] for m in listed] == [ids[0]]


def test_the_api_filters_by_owner_and_refuses_another_levels_entry(libraries: Runtime, as_user: Any) -> None:
    own = _own_expert(libraries, "区专家甲")
    admin = as_user("admin")
    page = admin.get(f"/api/libraries/experts?owner={DISTRICT}").get_json()
    assert [(e["name"], e["district_id"]) for e in page["items"]] == [("区专家甲", DISTRICT)]
    assert admin.get("/api/libraries/experts?owner=city&per_page=100").get_json()["total"] == 30
    resp = admin.patch(f"/api/libraries/experts/{own['id']}", json={"available": False})
    assert resp.status_code == 403 and resp.content_type == "application/problem+json"
    with db.read(libraries.engine) as conn:
        assert experts.get_expert(conn, own["id"])["available"] is True
    created = admin.post("/api/libraries/experts", json={"name": "市专家新", "employer": "武汉大学"}).get_json()
    assert created["district_id"] is None
