"""The scorecard pages (/scorecard, /scorecard/<department>, /scorecard.csv): the same access rules as the API."""

from __future__ import annotations

from tests.conftest import password_of
from tests.service.api.test_reports_api import base_departments  # noqa: F401  (a fixture)
from tests.service.api.test_reports_api_scorecard import build_year
from tests.service.web.conftest import web  # noqa: F401  (a fixture)
from tests.workflows.conftest import cycle  # noqa: F401  (a fixture)


def _signed_in(web, username):  # noqa: F811
    browser = web()
    assert browser.login(username, password_of(username)).status_code == 302
    return browser


def test_the_bureau_sees_the_table_the_drill_down_and_the_csv(cycle, web, base_departments):  # noqa: F811
    build_year(cycle)
    browser = _signed_in(web, "reviewer")
    table = browser.get("/scorecard?year=2015&level=municipal")
    assert table.status_code == 200
    page = table.get_data(as_text=True)
    assert 'id="card-dept-a"' in page and 'id="card-dept-b"' in page
    assert '<body data-user="reviewer" class="print-plain">' in page and "data-print" in page  # a print layout
    stylesheet = browser.get("/web/static/web.css").get_data(as_text=True)
    assert "@media print" in stylesheet and "body.print-plain header.bar" in stylesheet
    detail = browser.get("/scorecard/dept-a?year=2015").get_data(as_text=True)
    assert 'id="entry-monitoring.reports_on_time"' in detail
    assert "/projects/2015-dept-a-002" in detail  # the late report's project, linked
    exported = browser.get("/scorecard.csv?year=2015&level=municipal")
    assert exported.mimetype == "text/csv" and "dept-a" in exported.get_data().decode("utf-8-sig")


def test_a_department_is_sent_to_its_own_scorecard_only(cycle, web, base_departments):  # noqa: F811
    build_year(cycle)
    browser = _signed_in(web, "staff_a")
    table = browser.get("/scorecard?year=2015")
    assert table.status_code == 302 and table.headers["Location"].endswith("/scorecard/dept-a?year=2015")
    assert browser.get("/scorecard/dept-a?year=2015").status_code == 200
    assert browser.get("/scorecard/dept-b?year=2015").status_code == 403
    assert browser.get("/scorecard.csv?year=2015").status_code == 403
