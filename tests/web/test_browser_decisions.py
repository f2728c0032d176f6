"""In Chromium: a department head approves a goal and the bureau's reviewer rates it on the four criteria, each
reading the goal — its indicators and targets, and the opinions before theirs — on the task page itself, from the
inbox tab of what they can act on now (workflows/goal_review.bpmn)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.web.conftest import screenshot
from tests.workflows.stages import GOAL


def _no_json(page: Any) -> None:
    text = page.locator("#dossier").inner_text()
    assert "{" not in text and "[" not in text and "goal_summary" not in text and "standard_source" not in text


def _indicators_shown(page: Any) -> None:
    table = page.locator("#dossier table[data-answer='indicators']")
    expect(table.locator("thead")).to_contain_text("目标值")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(GOAL["indicators"]))
    expect(rows.nth(0)).to_contain_text("标准化改造学校数")
    expect(rows.nth(0)).to_contain_text("产出·数量")
    expect(rows.nth(0)).to_contain_text("≥")
    expect(rows.nth(0)).to_contain_text("12")
    expect(rows.nth(2)).to_contain_text("家长满意度")
    expect(rows.nth(2)).to_contain_text("90")
    expect(page.locator("#dossier")).to_contain_text(GOAL["goal_summary"])


def _open_from_inbox(page: Any, pages: Any, name: str) -> None:
    page.goto(pages.url("/inbox"))
    expect(page.locator(".tabs a.current")).to_contain_text("我可办理")
    expect(page.locator(".tabs a.current .count")).to_have_text("1")
    page.get_by_role("link", name=name).click()
    expect(page.locator("h1")).to_have_text(name)


def test_the_head_approves_and_the_reviewer_rates_a_goal_they_can_read(cycle, pages):
    iid = cycle.start(cycle.project(), process_id="goal_review")
    cycle.complete(iid, "declare_goal", GOAL, user="staff_a")

    head = pages.open("head_a")
    _open_from_inbox(head, pages, "部门负责人审核")
    expect(head.locator("#dossier h2").first).to_have_text("部门申报的绩效目标")
    _indicators_shown(head)
    _no_json(head)
    head.locator("#dossier").scroll_into_view_if_needed()
    screenshot(head, "decide-1-head-reads-the-goal")
    head.check("input[name='head_approved'][value='true']")
    head.fill("#f-head_comment", "指标完整，同意报送")
    head.click("#complete")
    expect(head.locator(".flash-ok")).to_contain_text("已提交")
    cycle.work()

    reviewer = pages.open("reviewer")
    _open_from_inbox(reviewer, pages, "财政审核")
    _indicators_shown(reviewer)
    _no_json(reviewer)
    opinion = reviewer.locator("#dossier [data-form='goal_submission']")
    expect(opinion).to_contain_text("部门负责人意见")
    expect(opinion).to_contain_text("指标完整，同意报送")
    for criterion in ("completeness", "relevance", "appropriateness", "feasibility"):
        reviewer.select_option(f"#f-{criterion}", "优")
    reviewer.select_option("#f-review_outcome", "优")
    reviewer.fill("#f-review_comment", "目标明确，指标可衡量")
    task_url = reviewer.url
    screenshot(reviewer, "decide-2-reviewer-rates-the-goal")
    reviewer.click("#complete")
    expect(reviewer.locator(".flash-ok")).to_be_visible()
    cycle.work()
    assert cycle.instance(iid)["data"]["goal_status"] == "approved"

    # The decided task in English: the forms' own English titles, what people typed as typed.
    reviewer.goto(task_url + "?lang=en")
    row = reviewer.locator("#dossier table[data-answer='indicators'] tbody tr").first
    expect(row).to_contain_text("Output: quantity")
    expect(row).to_contain_text("Plan standard")
    expect(row).to_contain_text("标准化改造学校数")
    expect(reviewer.locator("#dossier thead").first).to_contain_text("Target")
    screenshot(reviewer, "decide-3-decided-goal-in-english")
