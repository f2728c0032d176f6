"""The libraries' API: everyone signed in reads; departments propose, the bureau confirms, administrators keep."""

from __future__ import annotations

from typing import Any

import pytest

from service.runtime import Runtime


def test_every_signed_in_user_reads_the_libraries(libraries: Runtime, as_user: Any) -> None:
    for user in ("staff_a", "expert", "agency", "auditor"):
        client = as_user(user)
        page = client.get("/api/libraries/indicators?sector=education&category=satisfaction").get_json()
        assert page["total"] >= 2 and all(i["category"] == "satisfaction" for i in page["items"])
        assert client.get("/api/libraries/experts?per_page=100").get_json()["total"] == 30
        assert client.get("/api/libraries/agencies?status=active").get_json()["total"] == 12
        assert client.get("/api/libraries/supervision?role=auditor").get_json()["total"] == 3
    found = as_user("staff_a").get("/api/libraries/indicators?q=预算执行率").get_json()["items"]
    assert [i["name"] for i in found] == ["预算执行率"]
    assert as_user("staff_a").get("/api/libraries/experts?field=health").get_json()["total"] >= 3


def test_reading_needs_a_token(libraries: Runtime, app: Any) -> None:
    resp = app.test_client().get("/api/libraries/experts")
    assert resp.status_code == 401 and resp.content_type == "application/problem+json"


def test_a_department_proposes_and_the_bureau_confirms(libraries: Runtime, as_user: Any) -> None:
    resp = as_user("staff_a").post("/api/libraries/indicators",
                                   json={"name": "课后服务覆盖率", "category": "social", "unit": "%"})
    assert resp.status_code == 201, resp.get_json()
    code = resp.get_json()["code"]
    assert resp.get_json()["proposed_by"] == "dept-a" and resp.get_json()["status"] == "proposed"
    assert as_user("head_a").post("/api/libraries/indicators", json={"name": "课后服务覆盖率",
                                                                     "category": "social"}).get_json()["code"] == code
    for user in ("staff_a", "head_a", "expert", "auditor"):
        assert as_user(user).post(f"/api/libraries/indicators/{code}/confirm").status_code == 403
    assert as_user("reviewer").post("/api/libraries/indicators", json={"name": "x", "category": "social"}) \
        .status_code == 403  # the bureau has no individual indicators of its own
    resp = as_user("reviewer").post(f"/api/libraries/indicators/{code}/confirm")
    assert resp.status_code == 200 and resp.get_json()["status"] == "confirmed"
    assert as_user("admin").post("/api/libraries/indicators/NOPE/confirm").status_code == 404
    listed = as_user("staff_b").get("/api/libraries/indicators?scope=individual").get_json()
    assert [i["code"] for i in listed["items"]] == [code]


@pytest.mark.parametrize("body", [{"name": "", "category": "social"}, {"name": "x", "category": "output"},
                                  {"name": "x"}, {"name": "x", "category": "social", "extra": 1},
                                  {"name": "x", "category": "social", "unit": "u" * 31}])
def test_a_bad_proposal_is_a_422_problem(libraries: Runtime, as_user: Any, body: dict[str, Any]) -> None:
    resp = as_user("staff_a").post("/api/libraries/indicators", json=body)
    assert resp.status_code == 422 and resp.content_type == "application/problem+json"


def test_administrators_keep_experts_and_agencies(libraries: Runtime, as_user: Any) -> None:
    admin = as_user("admin")
    resp = admin.post("/api/libraries/experts", json={"name": "新专家", "employer": "江汉大学", "fields": ["urban"],
                                                      "conflicts": ["dept-b"], "username": "expert31"})
    assert resp.status_code == 201, resp.get_json()
    expert = resp.get_json()
    assert expert["fields"] == ["urban"] and expert["conflicts"] == ["dept-b"] and expert["available"]
    resp = admin.patch(f"/api/libraries/experts/{expert['id']}", json={"available": False, "conflicts": []})
    assert resp.status_code == 200 and resp.get_json()["available"] is False and resp.get_json()["conflicts"] == []
    agency = admin.get("/api/libraries/agencies").get_json()["items"][0]
    resp = admin.patch(f"/api/libraries/agencies/{agency['id']}", json={"status": "removed"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "removed"
    resp = admin.post("/api/libraries/agencies", json={"name": "新机构", "kind": "accounting", "fields": ["health"]})
    assert resp.status_code == 201 and resp.get_json()["average_rating"] is None


def test_others_may_not_change_the_member_lists(libraries: Runtime, as_user: Any) -> None:
    agency_id = as_user("admin").get("/api/libraries/agencies").get_json()["items"][0]["id"]
    expert_id = as_user("admin").get("/api/libraries/experts").get_json()["items"][0]["id"]
    for user in ("reviewer", "power", "staff_a", "expert", "agency", "auditor"):
        client = as_user(user)
        assert client.post("/api/libraries/experts", json={"name": "x", "employer": "y"}).status_code == 403
        assert client.patch(f"/api/libraries/experts/{expert_id}", json={"available": False}).status_code == 403
        assert client.patch(f"/api/libraries/agencies/{agency_id}", json={"status": "active"}).status_code == 403


@pytest.mark.parametrize("path, body", [
    ("/api/libraries/experts", {"name": "x", "employer": "y", "fields": ["astrology"]}),
    ("/api/libraries/experts", {"name": "x", "employer": "y", "conflicts": ["no-such-dept"]}),
    ("/api/libraries/experts", {"employer": "y"}),
    ("/api/libraries/agencies", {"name": "x", "kind": "bank"}),
    ("/api/libraries/agencies", {"name": "x" * 201, "kind": "research"}),
])
def test_bad_member_data_is_a_422_problem(libraries: Runtime, as_user: Any, path: str, body: dict[str, Any]) -> None:
    resp = as_user("admin").post(path, json=body)
    assert resp.status_code == 422 and resp.content_type == "application/problem+json", resp.get_json()


def test_unknown_members_and_filters(libraries: Runtime, as_user: Any) -> None:
    admin = as_user("admin")
    assert admin.patch("/api/libraries/experts/999999", json={"available": False}).status_code == 404
    assert admin.patch("/api/libraries/agencies/999999", json={"status": "active"}).status_code == 404
    assert admin.get("/api/libraries/indicators?sector=astrology").status_code == 422
    assert admin.get("/api/libraries/experts?year=1900").status_code == 422
