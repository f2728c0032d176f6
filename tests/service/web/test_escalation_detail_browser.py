"""In Chromium: a supervisor filters the queue, opens an overdue rectification and reads the slip, the reminders,
the figures and the timeline before deciding on the detail page."""

from __future__ import annotations

from playwright.sync_api import expect

from service import clock
from tests.service.queries.scenarios import overdue_rectification
from tests.service.web.browser_fixtures import screenshot


def test_supervisor_reads_the_slip_and_decides_on_the_detail_page(cycle, pages):
    esc = overdue_rectification(cycle)
    clock.set_now(clock.now().replace(day=8))  # Wednesday 8 April 2015

    supervisor = pages.open("supervisor")
    supervisor.get_by_role("link", name="督办").first.click()
    supervisor.locator("#escalation-filters select[name='kind']").select_option("deadline")
    supervisor.locator("#escalation-filters input[name='older_than_days']").fill("3")
    supervisor.locator("#escalation-filters button[type='submit']").click()
    card = supervisor.locator("li.escalation").first
    expect(card).to_contain_text("义务教育学校标准化建设")
    expect(card.locator(".esc-age")).to_have_text("6 天")
    card.locator("a.esc-details").click()

    expect(supervisor.locator("h1")).to_contain_text("督办详情：整改逾期")
    expect(supervisor.locator("#slip-overdue")).to_contain_text("4 个工作日（7 个自然日）")
    expect(supervisor.locator("#slip-owner")).to_contain_text("部门经办人")
    expect(supervisor.locator("#reminders tbody tr")).to_have_count(2)
    expect(supervisor.locator("#reminders")).to_contain_text("2015-03-25 09:00")
    expect(supervisor.locator("#figures-rectification")).to_contain_text("未按期提交")
    expect(supervisor.locator("#figures-evaluation .fig-grade")).to_have_text("差")
    expect(supervisor.locator("#esc-timeline")).to_contain_text("反馈评价结果")
    body = supervisor.locator("main").inner_text() if supervisor.locator("main").count() else \
        supervisor.locator("body").inner_text()
    assert "{" not in body and "rectification_overdue" not in body  # no JSON, no raw codes
    screenshot(supervisor, "supervisor-escalation-detail")

    options = supervisor.locator(f"#decision-{esc['id']} option").all_inner_texts()
    assert options == ["—", "延长期限", "责令限期整改", "启动问责"]
    supervisor.locator(f"#decision-{esc['id']}").select_option("open_accountability")
    supervisor.locator(f"#comment-{esc['id']}").fill("逾期未整改")
    supervisor.locator("#decide button[type='submit']").first.click()
    expect(supervisor.locator(".flash-ok")).to_contain_text("启动问责")
    expect(supervisor.locator("#esc-facts .esc-decision")).to_contain_text("启动问责 — 逾期未整改")
    screenshot(supervisor, "supervisor-escalation-decided")
