"""In Chromium: an administrator adds a user (first refused at a field, then accepted) and edits a rule row; the new
user signs in; an auditor finds an instance by its project and reaches its audit page."""

from __future__ import annotations

from playwright.sync_api import expect

from service import db
from service.rules import store
from tests.service.web.browser_fixtures import screenshot


def test_administrator_adds_a_user_and_edits_a_rule_and_an_auditor_searches(cycle, pages, assets):
    iid = cycle.start(cycle.project("2015-dept-a-021", name="中小学校舍安全工程"), process_id="goal_review")

    admin = pages.open("admin")
    admin.click('nav >> text="管理"')
    expect(admin.locator("h1")).to_have_text("管理")
    admin.click("text=用户与角色")
    expect(admin.locator("#users tr[data-user='staff_a']")).to_contain_text("部门经办人")
    admin.fill("#new-username", "li.na")
    admin.fill("#new-display_name", "李娜")
    admin.fill("#new-password", "short")
    admin.select_option("#new-department_id", "dept-b")
    admin.check("#new-user input[name=roles][value=department_staff]")
    admin.click("#new-user button[type=submit]")
    expect(admin.locator("[data-error-for=password]")).to_have_text("密码至少需要 8 个字符。")
    expect(admin.locator("#new-username")).to_have_value("li.na")
    screenshot(admin, "admin-1-user-refused")
    admin.fill("#new-password", "Str0ng-pass1")
    admin.check("#new-user input[name=roles][value=department_staff]")
    admin.click("#new-user button[type=submit]")
    expect(admin.locator(".flash-ok")).to_have_text("已创建用户 li.na。")
    expect(admin.locator("#department_id")).to_have_value("dept-b")
    screenshot(admin, "admin-2-user-created")

    admin.goto(pages.url("/admin/rules?year=2015&level=municipal"))
    row = admin.locator("tr[data-rule='feedback.days']")
    expect(row).to_contain_text("结果反馈期限")
    expect(row.locator(".rule-value")).to_have_text("20 天")
    screenshot(admin, "admin-3-rules")
    row.locator("text=修改").click()
    admin.fill("#value", "十五")
    admin.click("#rule-form button[type=submit]")
    expect(admin.locator("[data-error-for=value]")).to_have_text("请输入数字。")
    admin.fill("#value", "15")
    admin.fill("#source", "本地做法：市财政局 2015 年通知，结果在评价完成后 15 天内反馈")
    admin.click("#rule-form button[type=submit]")
    expect(admin.locator(".flash-ok")).to_contain_text("结果反馈期限")
    expect(admin.locator("tr[data-rule='feedback.days'] .rule-value")).to_have_text("15 天")
    expect(admin.locator("tr[data-rule='feedback.days'] .rule-source")).to_contain_text("15 天内反馈")
    screenshot(admin, "admin-4-rule-saved")
    with db.read(cycle.rt.engine) as conn:
        assert store.get(conn, 2015, "municipal", "feedback.days") == 15

    # The other sections read as the administrator's work lists.
    admin.goto(pages.url("/admin/calendar?year=2015"))
    expect(admin.locator("#calendar tr[data-day='2015-10-01']")).to_contain_text("节假日")
    screenshot(admin, "admin-7-calendar")
    admin.goto(pages.url("/admin/libraries/agencies"))
    expect(admin.locator("#library tbody tr").first).to_contain_text("正常")
    screenshot(admin, "admin-8-agencies")
    admin.goto(pages.url("/admin/departments/dept-a-unit"))
    expect(admin.locator("#parent_id")).to_have_value("dept-a")
    screenshot(admin, "admin-9-department")

    newcomer = pages.browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    pages.contexts.append(newcomer)
    page = newcomer.new_page()
    page.goto(pages.url("/login"))
    page.fill("#username", "li.na")
    page.fill("#password", "Str0ng-pass1")
    page.click("form button[type=submit]")
    page.wait_for_url(pages.url("/"))
    expect(page.locator("nav")).not_to_contain_text("管理")

    auditor = pages.open("auditor")
    auditor.click("nav >> text=审计")
    auditor.fill("#s-project", "校舍安全")
    auditor.click("#audit-search button[type=submit]")
    result = auditor.locator(f"#audit-results tr[data-instance='{iid}']")
    expect(result).to_contain_text("中小学校舍安全工程")
    expect(result).to_contain_text("绩效目标编报与审核")
    screenshot(auditor, "admin-5-audit-search")
    result.locator("text=审计").click()
    auditor.wait_for_url(pages.url(f"/audit/{iid}"))
    expect(auditor.locator(".timeline li")).not_to_have_count(0)
    screenshot(auditor, "admin-6-audit-page")
