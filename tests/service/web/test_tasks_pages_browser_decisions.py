"""In Chromium: a department head approves a goal and the bureau's reviewer rates it on the four criteria, each
reading the goal — its indicators and targets, and the opinions before theirs — on the task page itself, from the
inbox tab of what they can act on now (workflows/goal_review.bpmn)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.service.web.browser_fixtures import screenshot
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


def test_a_spot_check_and_a_supervisors_task_show_what_they_decide(cycle, pages):
    from datetime import datetime

    from service import clock
    from tests.workflows import test_evaluation as evaluation

    pid = cycle.project(evaluation.project_id(want_spot_check=True), amount=1_000_000, fiscal_year=evaluation.FY)
    iid = evaluation.start(cycle, pid, evaluation.SCHOOL)
    cycle.complete(iid, "self_evaluation", evaluation.self_evaluation(*evaluation.EXCELLENT[:2]), user="staff_a")
    reviewer = pages.open("reviewer")
    _open_from_inbox(reviewer, pages, "抽查自评报告")
    expect(reviewer.locator("#computed-score .computed-score")).to_have_text("92.44")
    expect(reviewer.locator("#computed-score .computed-grade")).to_have_text("优")
    expect(reviewer.locator("#dossier table[data-answer='indicator_results']")).to_contain_text("新建校舍")
    _no_json(reviewer)
    screenshot(reviewer, "decide-4-spot-check-with-computed-score")

    late = cycle.start(cycle.project("2015-dept-a-002"), process_id="goal_review")  # declaration due 16 March
    clock.set_now(datetime.fromisoformat("2015-03-20T00:00:00+08:00"))
    cycle.work()
    supervisor = pages.open("supervisor")
    supervisor.goto(pages.url(f"/tasks/{cycle.task(late, 'supervise_declaration', 'supervisor')['id']}"))
    expect(supervisor.locator("#slip-task")).to_contain_text("编报绩效目标")
    expect(supervisor.locator("#slip-overdue")).to_contain_text("工作日")
    expect(supervisor.locator("#esc-timeline tbody tr").first).to_be_visible()
    expect(supervisor.locator("#task-form")).to_be_visible()
    screenshot(supervisor, "decide-5-supervisor-task-with-the-slip")
