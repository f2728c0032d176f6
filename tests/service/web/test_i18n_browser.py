"""In Chromium: the pages are Simplified Chinese by default and switch to English and back; form labels follow
(x-title-en), and the choice is kept from page to page."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.service.web.browser_fixtures import screenshot


def test_language_switch(cycle, pages):
    iid = cycle.start(cycle.project(), process_id="goal_review")
    [task] = cycle.tasks(iid, "staff_a")
    staff = pages.open("staff_a")
    staff.goto(pages.url(f"/tasks/{task['id']}"))
    expect(staff.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(staff.locator("label[for='f-goal_summary']")).to_contain_text("总体目标")
    expect(staff.locator("#complete")).to_have_text("提交")

    staff.get_by_role("link", name="English").click()
    expect(staff.locator("html")).to_have_attribute("lang", "en")
    expect(staff.locator("label[for='f-goal_summary']")).to_contain_text("Overall goal")
    expect(staff.locator("#complete")).to_have_text("Submit")
    expect(staff.locator("#f-indicators-0-category option[value='quantity']")).to_have_text("Output: quantity")
    screenshot(staff, "language-1-english-task")
    staff.get_by_role("navigation", name="Main menu").get_by_role("link", name="Inbox").click()  # kept
    expect(staff.locator("h1")).to_have_text("Inbox")
    expect(staff.get_by_role("link", name="Declare", exact=False)).to_have_count(0)

    staff.get_by_role("link", name="中文").click()
    expect(staff.locator("h1")).to_have_text("待办任务")
    expect(staff.locator("html")).to_have_attribute("lang", "zh-CN")
