"""Reading the financial supervision inspections: GET /api/inspections and /api/inspections/{id}, the pages
/inspections and /inspections/<id>, the menu entry, and the decision pages of the inspection's tasks; who may read
what (the bureau every inspection, a department its own)."""

from __future__ import annotations

from typing import Any

from tests.service.web.browser_fixtures import signed_in
from tests.workflows.test_supervision_inspection import FINDINGS, FUND, _inspection


def _with_findings(cycle: Any) -> tuple[str, int]:
    iid = _inspection(cycle)
    cycle.complete(iid, "inspect", FINDINGS, user="supervisor")
    [row] = cycle.rows("inspections")
    return iid, int(row.id)


def test_the_api_lists_and_shows_an_inspection_with_its_findings(cycle):
    iid, pk = _with_findings(cycle)
    listed = cycle.as_user("auditor").get("/api/inspections?year=2015")
    assert listed.status_code == 200, listed.get_json()
    [item] = listed.get_json()["items"]
    assert (item["id"], item["instance_id"], item["target_kind"], item["fund_name"], item["fund_amount"],
            item["department_name"], item["status"], item["findings_count"]) == \
        (pk, iid, "fund", FUND["fund_name"], 8_000_000.0, "市教育局", "fed_back", 3)
    assert sorted(m["name"] for m in item["members"]) == ["刘德明", "杨立新", "陈国平"]
    assert item["due_on"] == "2015-03-30" and item["rectification_status"] is None

    detail = cycle.as_user("supervisor").get(f"/api/inspections/{pk}").get_json()
    assert [(f["aspect_label"], f["severity_label"], f["requires_rectification"]) for f in detail["findings"]] == \
        [("目标设定", "较重", True), ("执行", "一般", False), ("结果运用", "一般", True)]
    assert cycle.as_user("auditor").get("/api/inspections?year=2016").get_json() == {"items": [], "total": 0}


def test_a_department_reads_its_own_inspections_only(cycle):
    _, pk = _with_findings(cycle)
    assert cycle.as_user("head_a").get("/api/inspections").get_json()["total"] == 1
    assert cycle.as_user("staff_a").get(f"/api/inspections/{pk}").status_code == 200
    assert cycle.as_user("head_b").get("/api/inspections").get_json() == {"items": [], "total": 0}
    hidden = cycle.as_user("head_b").get(f"/api/inspections/{pk}")
    assert hidden.status_code == 404 and hidden.content_type == "application/problem+json"
    for user in ("expert", "agency", "designer"):
        refused = cycle.as_user(user).get("/api/inspections")
        assert refused.status_code == 403 and refused.content_type == "application/problem+json", user


def test_bad_query_input_is_a_problem(cycle):
    for query in ("year=1999", "status=lost", "year=abc"):
        resp = cycle.as_user("supervisor").get(f"/api/inspections?{query}")
        assert resp.status_code == 422 and resp.content_type == "application/problem+json", query
    assert cycle.as_user("supervisor").get("/api/inspections/999").status_code == 404


def test_the_api_is_documented(cycle):
    spec = cycle.as_user("auditor").get("/api/openapi.json").get_json()
    assert {"/api/inspections", "/api/inspections/{inspection_id}"} <= set(spec["paths"])
    assert set(spec["paths"]["/api/inspections/{inspection_id}"]["get"]["responses"]) == {"200", "401", "403", "404"}


def test_the_pages_show_the_inspection_in_chinese_and_english(cycle, app):
    _, pk = _with_findings(cycle)
    supervisor = signed_in(app, "supervisor")
    menu = supervisor.get("/inbox").get_data(as_text=True)
    assert 'href="/inspections"' in menu and "监督检查" in menu
    listed = supervisor.get("/inspections").get_data(as_text=True)
    assert FUND["fund_name"] in listed and "已反馈" in listed and "市教育局" in listed
    page = supervisor.get(f"/inspections/{pk}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for shown in ("专项转移支付资金", "8,000,000.00", "目标设定", "较重", "绩效目标未细化到县区", "陈国平（市人大常委会预算工作委员会）",
                  "无需整改，或尚未下达整改要求。"):
        assert shown in text, shown
    english = supervisor.get(f"/inspections/{pk}?lang=en").get_data(as_text=True)
    assert "Goal setting" in english and "Major" in english and "Special transfer fund" in english
    head_b = signed_in(app, "head_b")
    assert head_b.get(f"/inspections/{pk}").status_code == 404
    assert 'href="/inspections"' not in signed_in(app, "reviewer").get("/inbox").get_data(as_text=True)
    assert signed_in(app, "expert").get("/inspections").status_code == 403


def test_the_acknowledgement_page_shows_the_findings_it_acknowledges(cycle, app):
    iid, _ = _with_findings(cycle)
    task = cycle.task(iid, "acknowledge_findings", "head_a")
    page = signed_in(app, "head_a").get(f"/tasks/{task['id']}").get_data(as_text=True)
    for shown in ("监督检查发现", "绩效目标未细化到县区", "目标设定偏粗，资金拨付滞后", FUND["fund_name"]):
        assert shown in page, shown
