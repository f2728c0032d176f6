"""Results to the same-level government (the plan 一(四)) and disclosure (the plan 二(一)4): a district project's key
results go to its district's government, the city's to the city's; goals are disclosed when approved, report and
results when final."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from service import db
from service.cycle import disclosures, goals_records, linkage_records
from service.domain.linkage_rules import CITY_GOVERNMENT, government_name_en, government_of
from service.runtime import Runtime
from tests.conftest import START, password_of
from tests.service.web.conftest import WebClient

INDICATORS = [{"name": "新建校舍面积", "category": "quantity", "unit": "平方米", "comparator": ">=", "target": 10000,
               "weight": 60, "standard_source": "plan"},
              {"name": "受益学生数", "category": "social", "unit": "万人", "comparator": ">=", "target": 5, "weight": 40,
               "standard_source": "plan"}]
LATER = datetime.fromisoformat("2016-04-05T10:00:00+08:00")


def test_the_government_of_a_level() -> None:
    assert government_of("江岸区财政局") == "江岸区人民政府"
    assert government_of(None) == CITY_GOVERNMENT == "武汉市人民政府"


def test_the_english_name_of_the_government_reported_to() -> None:
    bureaus = {"江岸区财政局": "Jiang'an District Finance Bureau", "江汉区财政局": None}
    assert government_name_en("江岸区人民政府", bureaus) == "Jiang'an District People's Government"
    assert government_name_en("武汉市人民政府", bureaus) == "Wuhan Municipal People's Government"
    assert government_name_en("江汉区人民政府", bureaus) is None  # no English name: the page shows the Chinese
    assert government_name_en(None, bureaus) is None


def _decided(rt: Runtime, project_id: str) -> None:
    with db.write(rt.engine) as conn:
        linkage_records.propose(conn, project_id, for_year=2016, grade="良", proposal="maintain",
                        base_amount=Decimal("6000000"), proposed_amount=Decimal("6000000"))


def test_key_results_go_to_the_government_of_the_projects_level(libraries: Runtime, project: Any) -> None:
    district, city = project("2015-d-001", department_id="district-1"), project("2015-a-001")
    for pid in (district, city):
        _decided(libraries, pid)
    with db.write(libraries.engine) as conn:
        assert linkage_records.report(conn, district, START) == (START, "江岸区人民政府")  # district-1 is 江岸区财政局
        assert linkage_records.report(conn, city, START) == (START, "武汉市人民政府")
        assert linkage_records.report(conn, district, LATER) == (START, "江岸区人民政府")  # the first report counts
        assert linkage_records.get(conn, district).reported_to == "江岸区人民政府"


def test_goals_are_disclosed_at_approval_and_results_when_final(libraries: Runtime, project: Any,
                                                                 as_user: Any, app: Any) -> None:
    pid = project("2015-a-001")
    with db.write(libraries.engine) as conn:
        goals_records.record_declaration(conn, START, project_id=pid, revision=1, summary="校舍安全", indicators=INDICATORS)
        goals_records.approve(conn, START, project_id=pid, revision=1)
        assert disclosures.of_project(conn, pid) == [{"stage": "goals", "disclosed_at": START}]
    _decided(libraries, pid)
    with db.write(libraries.engine) as conn:
        linkage_records.disclose(conn, pid, LATER)
        linkage_records.disclose(conn, pid, datetime.fromisoformat("2016-05-01T10:00:00+08:00"))  # the first time counts
        linkage_records.report(conn, pid, LATER)
        assert [d["stage"] for d in disclosures.of_project(conn, pid)] == ["goals", "results"]
    body = as_user("staff_a").get(f"/api/reports/projects/{pid}/disclosures").get_json()
    assert [(d["stage"], d["disclosed_at"]) for d in body["disclosures"]] == [
        ("goals", "2015-03-02T01:00:00+00:00"), ("results", "2016-04-05T02:00:00+00:00")]
    assert body["reported_to"] == "武汉市人民政府" and body["reported_at"] == "2016-04-05T02:00:00+00:00"
    resp = as_user("staff_b").get(f"/api/reports/projects/{pid}/disclosures")  # another department's project
    assert resp.status_code == 404 and resp.content_type == "application/problem+json"
    client = WebClient(app)
    client.login("staff_a", password_of("staff_a"))
    page = client.get(f"/projects/{pid}").get_data(as_text=True)
    assert "绩效目标（批复时公开）" in page and "绩效报告和评价结果（定稿后公开）" in page and "武汉市人民政府" in page
