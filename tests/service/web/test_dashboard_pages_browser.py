"""In Chromium: the dashboard's charts and tables, and the drill-down from a warning count to the projects."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.service.web.browser_fixtures import screenshot
from tests.service.web.test_dashboard_pages import records  # noqa: F401  (monitoring reports, evaluations, a case)


def test_dashboard_charts_and_drill_down(records, pages, assets):  # noqa: F811
    reviewer = pages.open("reviewer")
    reviewer.get_by_role("link", name="绩效看板").first.click()
    expect(reviewer.locator("#coverage")).to_contain_text("纳入绩效目标管理的项目资金占比")
    if assets:
        expect(reviewer.locator("body[data-charts='ready']")).to_have_count(1)
        expect(reviewer.locator("#chart-warnings")).to_be_visible()
    screenshot(reviewer, "dashboard-1-charts")
    reviewer.locator("#warnings a", has_text="1").first.click()  # dept-a's red projects
    expect(reviewer.locator("#projects tbody tr")).to_have_count(1)
    expect(reviewer.locator("#projects")).to_contain_text("义务教育学校标准化建设")
    reviewer.get_by_role("link", name="义务教育学校标准化建设").click()
    expect(reviewer.locator("h1")).to_have_text("义务教育学校标准化建设")
    expect(reviewer.locator("body")).to_contain_text("重点评价")
