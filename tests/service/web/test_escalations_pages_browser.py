"""In Chromium: a supervisor decides an escalation (a review deadline passed) from the escalation queue."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from service import clock
from service.queries import instances_queries
from tests.conftest import principal
from tests.service.web.browser_fixtures import screenshot
from workers.timers import fire_due


def test_supervisor_orders_rectification(runtime, deploy_fixture, frozen_clock, pages):
    deploy_fixture("timers.bpmn")
    iid = runtime.workflows.start("timers", {}, actor=principal("staff_a"), business_key="2015-dept-a-007")["id"]
    clock.advance(timedelta(days=6))
    fire_due(runtime.workflows)  # the review is overdue: 督办 opens

    supervisor = pages.open("supervisor")
    supervisor.get_by_role("link", name="督办").first.click()
    card = supervisor.locator("li.escalation").first
    expect(card).to_contain_text("逾期")
    expect(card).to_contain_text("2015-dept-a-007")
    card.locator("select[name='decision']").select_option("order_rectification")
    card.locator("textarea[name='comment']").fill("限期十个工作日整改")
    screenshot(supervisor, "supervisor-1-escalation-queue")
    card.get_by_role("button", name="作出决定").click()
    expect(supervisor.locator(".flash-ok")).to_contain_text("责令限期整改")
    expect(supervisor.locator("#escalations-empty")).to_be_visible()  # nothing open any more

    supervisor.get_by_role("link", name="已处理").click()
    done = supervisor.locator("li.escalation").first
    expect(done.locator(".esc-decision")).to_contain_text("责令限期整改 — 限期十个工作日整改")
    screenshot(supervisor, "supervisor-2-resolved")
    with runtime.reading() as conn:
        inst = instances_queries.get(conn, iid)
    assert (inst["status"], inst["data"]["decision"]) == ("completed", "order_rectification")

    # The department sees its escalation but cannot decide it; another department sees nothing.
    staff = pages.open("staff_a")
    staff.goto(pages.url("/escalations?state=all"))
    expect(staff.locator("li.escalation")).to_have_count(1)
    expect(staff.locator("form.decide")).to_have_count(0)
    other = pages.open("staff_b")
    other.goto(pages.url("/escalations?state=all"))
    expect(other.locator("#escalations-empty")).to_be_visible()
