"""In Chromium: an auditor steps through an instance's history — diagram, data and changes at each event — and
verifies it by replay; the history exports as JSON Lines."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import text

from service import clock
from tests.conftest import bypassed_audit_guard
from tests.service.web.browser_fixtures import screenshot
from tests.workflows.test_goal_review import GOAL, REVIEW
from workers.nightly_verify import nightly_verify


def test_auditor_steps_through_history_and_verifies(cycle, pages, assets):
    iid = cycle.start(cycle.project(), process_id="goal_review")
    cycle.complete(iid, "declare_goal", GOAL, user="staff_a")
    cycle.complete(iid, "submit_goal", {"head_approved": True}, user="head_a")
    cycle.complete(iid, "finance_review", {**REVIEW, "review_outcome": "中", "review_comment": "请补充"},
                   user="reviewer")

    auditor = pages.open("auditor")
    auditor.goto(pages.url(f"/instances/{iid}"))
    auditor.click("#audit-link")
    expect(auditor.locator(".timeline li")).not_to_have_count(0)
    last = auditor.locator(".timeline li").count()
    expect(auditor.locator("#event-position")).to_have_text(f"事件 {last}/{last}")

    # Step to the department's declaration: the indicators appear in "what changed" and in the data.
    auditor.locator(".timeline a", has_text="完成任务").first.click()
    expect(auditor.locator("#changes")).to_contain_text("绩效指标")  # by the form's title, not its key
    expect(auditor.locator("#data-at-event")).to_contain_text("标准化改造学校数")
    expect(auditor.locator("#event-title")).to_contain_text("完成任务")
    if assets:
        expect(auditor.locator(".diagram[data-ready='1']")).to_be_visible()
        expect(auditor.locator("g.djs-element.mark-completed[data-element-id='declare_goal']")).to_have_count(1)
    screenshot(auditor, "auditor-1-declaration-event")
    position = auditor.locator("#event-position").inner_text()
    auditor.click("#step-prev")
    expect(auditor.locator("#event-position")).not_to_have_text(position)
    expect(auditor.locator("#data-at-event")).not_to_contain_text("标准化改造学校数")
    auditor.click("#step-next")
    expect(auditor.locator("#event-position")).to_have_text(position)

    auditor.click("#verify")
    expect(auditor.locator(".flash-ok")).to_contain_text("校验通过")
    screenshot(auditor, "auditor-2-verified")
    with auditor.expect_download() as download:
        auditor.click("#export-jsonl")
    lines = [json.loads(line) for line in Path(download.value.path()).read_text(encoding="utf-8").splitlines()]
    assert {line["type"] for line in lines} >= {"version", "instance", "event"}
    assert {line["instance_id"] for line in lines if line["type"] == "event"} == {iid}
    # Auditors read and change nothing: the department's returned task offers them no form.
    [task] = cycle.tasks(iid, "staff_a")
    auditor.goto(pages.url(f"/tasks/{task['id']}"))
    expect(auditor.locator("#form-locked")).to_contain_text("审计人员只读")
    expect(auditor.locator("#task-form")).to_have_count(0)


def test_auditor_reads_the_nightly_verification_and_opens_a_finding(cycle, pages, assets):
    iid = cycle.start(cycle.project(), process_id="goal_review")
    cycle.complete(iid, "declare_goal", GOAL, user="staff_a")
    with cycle.rt.engine.begin() as conn, bypassed_audit_guard(conn):  # someone hands the task over in the database
        assert conn.execute(text("UPDATE tasks SET assignee = 'staff_a2' WHERE instance_id = :i AND state = 'ready'"),
                            {"i": iid}).rowcount == 1
    run = nightly_verify(cycle.rt, clock.now())
    assert run.report is not None and run.report.findings

    auditor = pages.open("auditor")
    auditor.goto(pages.url("/audit"))
    expect(auditor.locator("#verify-latest")).to_contain_text("发现问题")
    auditor.locator("#verify-latest a", has_text="查看").click()
    expect(auditor.locator("h1")).to_contain_text("夜间校验")
    expect(auditor.locator("#verify-run")).to_contain_text("发现问题")
    row = auditor.locator(f"#verify-findings tr[data-instance='{iid}']").first
    expect(row).to_contain_text("派生记录与历史不符")
    expect(row).to_contain_text("字段 assignee")
    screenshot(auditor, "auditor-3-nightly-verification")
    row.locator("a").click()
    expect(auditor.locator("#event-position")).to_be_visible()
    # The department's staff have no business here.
    staff = pages.open("staff_a")
    response = staff.goto(pages.url("/audit/verify-runs"))
    assert response is not None and response.status == 403
