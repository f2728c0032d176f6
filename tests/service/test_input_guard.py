"""No NUL character gets in: PostgreSQL's text cannot hold U+0000 (it answered 500 there, while SQLite stored it), so
every request that carries one — in a JSON body, a form or the query — is refused with 422 before any view runs, naming
where it was, and nothing is written."""

from __future__ import annotations

import pytest

from tests.conftest import count_rows

OPEN = {"unit_id": "dept-a-unit", "fiscal_year": 2014, "scope": "整体支出\x00"}


@pytest.mark.parametrize("body, field", [
    (OPEN, "scope"),
    ({**OPEN, "scope": "整体支出", "extra": {"note": ["ok", "bad\x00"]}}, "extra"),
    ({**OPEN, "scope": "整体支出", "bad\x00key": 1}, "bad\\u0000key"),
])
def test_a_json_body_with_a_nul_is_refused_and_nothing_is_written(runtime, as_user, body, field):
    resp = as_user("staff_a").post("/api/subunit-evaluations", json=body)
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    problem = resp.get_json()
    assert "NUL" in problem["detail"] and [e["field"] for e in problem["errors"]] == [field]
    assert count_rows(runtime, "subunit_evaluations") == 0


def test_a_query_with_a_nul_is_refused(as_user):
    resp = as_user("auditor").get("/api/instances", query_string={"business_key": "2014-\x00"})
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "business_key"


def test_a_page_form_with_a_nul_is_refused_with_a_page(app, runtime):
    from tests.conftest import password_of
    from tests.service.web.conftest import WebClient

    web = WebClient(app)
    web.login("staff_a", password_of("staff_a"))
    web.get("/subunit-evaluations")
    resp = web.submit("/subunit-evaluations", {"unit_id": "dept-a-unit", "fiscal_year": "2014", "scope": "整体\x00"})
    assert resp.status_code == 422 and resp.mimetype == "text/html"
    assert count_rows(runtime, "subunit_evaluations") == 0


def test_a_path_with_a_nul_names_nothing(as_user):
    resp = as_user("auditor").get("/api/instances/abc%00def")
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"


def test_text_without_nul_passes(as_user, runtime):
    assert as_user("auditor").get("/api/instances", query_string={"business_key": "2014-中文"}).status_code == 200
