"""In Chromium, one journey per role: each person signs in through /login and does the group's job through the
pages on a running server with the real workflows deployed — the department declares a goal, its head approves it,
the bureau's reviewer rates it, an expert reviews a major project, an agency files a key evaluation report, a
supervisor decides an escalation, an auditor finds and verifies an instance, a designer reads the modeler and a diff,
an administrator edits a rule row. On every page the person must see what the decision needs, only the decisions
allowed, and no raw JSON, raw key or English sentence (the page walker's checks, tests/web/test_page_language.py);
each step leaves a full-page screenshot in test-artifacts/screenshots/<role>-<step>.png."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.web.conftest import screenshot
from tests.web.test_browser_goal import _row
from tests.web.test_page_language import leaks, visible
from tests.workflows import test_evaluation as evaluation
from tests.workflows.stages import GOAL, REVIEW


def reads_well(page: Any, name: str, *must_see: str) -> None:
    """The page shows `must_see`, reads as Chinese (no raw key, JSON or English), and is kept as a screenshot."""
    page.wait_for_load_state("networkidle")
    for text in must_see:
        expect(page.locator("main")).to_contain_text(text)
    assert leaks(visible(page.content()), "zh") == []
    screenshot(page, name)


def open_task(page: Any, pages: Any, name: str) -> None:
    """From the inbox, as a person finds their work."""
    page.goto(pages.url("/inbox"))
    page.get_by_role("link", name=name).first.click()
    expect(page.locator("h1")).to_have_text(name)


def diagram_shows(page: Any, assets: bool, active: str) -> None:
    if assets:
        expect(page.locator(".diagram[data-ready='1']").first).to_be_visible()
        expect(page.locator(f"g.djs-element.mark-active[data-element-id='{active}']").first).to_be_visible()


def options(page: Any, selector: str) -> list[str]:
    return [o.strip() for o in page.locator(f"{selector} option").all_inner_texts()]


def test_department_staff_declares_a_goal(cycle, pages, assets):
    iid = cycle.start(cycle.project(), process_id="goal_review")
    staff = pages.open("staff_a")
    open_task(staff, pages, "编报绩效目标")
    diagram_shows(staff, assets, "declare_goal")
    staff.fill("#f-goal_summary", GOAL["goal_summary"])
    for n, row in enumerate(GOAL["indicators"]):
        if n >= 2:
            staff.click("[data-add-row='indicators']")
        _row(staff, n, row["name"], row["category"], row["unit"], row["comparator"], str(row["target"]),
             str(row["weight"]), row["standard_source"])
    reads_well(staff, "staff-1-declaration", "义务教育学校标准化建设", "绩效指标")
    staff.click("#complete")
    expect(staff.locator(".flash-ok")).to_contain_text("已提交")
    cycle.work()
    assert [i["name"] for i in cycle.instance(iid)["data"]["indicators"]] == [i["name"] for i in GOAL["indicators"]]
    staff.goto(pages.url(f"/instances/{iid}"))
    diagram_shows(staff, assets, "submit_goal")
    if assets:
        expect(staff.locator("g.djs-element.mark-completed[data-element-id='declare_goal']")).to_have_count(1)
        expect(staff.locator("g.djs-connection.mark-taken")).not_to_have_count(0)
    reads_well(staff, "staff-2-instance-after-declaring", "部门负责人审核")


def test_the_cycle_diagram_leads_to_the_called_process_and_its_current_step(cycle, pages, assets):
    iid = cycle.start(cycle.project())  # the whole budget cycle: the goal review runs as a called process
    staff = pages.open("staff_a")
    staff.goto(pages.url(f"/instances/{iid}?process=budget_cycle"))
    called = staff.locator("#called-processes a.called-active")
    expect(called).to_have_text("绩效目标编报与审核")
    expect(staff.locator("#called-processes")).to_contain_text("当前步骤在此流程中")
    if not assets:
        return
    diagram_shows(staff, assets, "call_goal_review")
    expect(staff.locator("g.djs-connection.mark-taken")).not_to_have_count(0)
    reads_well(staff, "staff-3-cycle-diagram-with-the-called-process", "绩效目标编报与审核")
    staff.locator("g.djs-element[data-element-id='call_goal_review']").click()
    staff.wait_for_url(pages.url(f"/instances/{iid}?process=goal_review"))
    diagram_shows(staff, assets, "declare_goal")
    # zoom buttons change the scale; "适应窗口" brings the readable fit back
    scale = staff.evaluate("() => document.querySelector('.diagram .viewport').transform.baseVal[0].matrix.a")
    assert scale >= 0.75
    staff.get_by_role("button", name="放大").click()
    bigger = staff.evaluate("() => document.querySelector('.diagram .viewport').transform.baseVal[0].matrix.a")
    assert bigger > scale
    staff.get_by_role("button", name="适应窗口").click()
    assert staff.evaluate("() => document.querySelector('.diagram .viewport').transform.baseVal[0].matrix.a") == scale
    reads_well(staff, "staff-4-called-process-current-step", "编报绩效目标")


def test_the_head_approves_the_goal_seeing_it_whole(cycle, pages, assets):
    iid = cycle.start(cycle.project(), process_id="goal_review")
    cycle.complete(iid, "declare_goal", GOAL, user="staff_a")
    head = pages.open("head_a")
    open_task(head, pages, "部门负责人审核")
    table = head.locator("#dossier table[data-answer='indicators'] tbody tr")
    expect(table).to_have_count(len(GOAL["indicators"]))
    expect(table.first).to_contain_text("标准化改造学校数")
    diagram_shows(head, assets, "submit_goal")
    reads_well(head, "head-1-reads-the-goal", GOAL["goal_summary"], "目标值", "部门负责人审核")
    head.check("input[name='head_approved'][value='true']")
    head.fill("#f-head_comment", "指标完整，同意报送")
    head.click("#complete")
    expect(head.locator(".flash-ok")).to_contain_text("已提交")
    cycle.work()
    assert [t["bpmn_id"] for t in cycle.tasks(iid, "reviewer")] == ["finance_review"]
    reads_well(head, "head-2-approved")


def test_the_reviewer_rates_the_goal_with_the_allowed_outcomes_only(cycle, pages, assets):
    iid = cycle.start(cycle.project(), process_id="goal_review")
    cycle.complete(iid, "declare_goal", GOAL, user="staff_a")
    cycle.complete(iid, "submit_goal", {"head_approved": True, "head_comment": "同意报送，请财政审核"}, user="head_a")
    reviewer = pages.open("reviewer")
    open_task(reviewer, pages, "财政审核")
    expect(reviewer.locator("#dossier [data-form='goal_submission']")).to_contain_text("同意报送，请财政审核")
    assert options(reviewer, "#f-review_outcome")[1:] == ["优：通过", "良：协商修改后通过", "中：退回修改后重报",
                                                         "差：不得进入预算"]
    for criterion in ("completeness", "relevance", "appropriateness", "feasibility"):
        reviewer.select_option(f"#f-{criterion}", REVIEW[criterion])
    reviewer.select_option("#f-review_outcome", "优")
    reviewer.fill("#f-review_comment", "目标明确，指标可衡量")
    reads_well(reviewer, "reviewer-1-rates-the-goal", GOAL["goal_summary"], "部门负责人意见", "标准化改造学校数")
    reviewer.click("#complete")
    expect(reviewer.locator(".flash-ok")).to_be_visible()
    cycle.work()
    assert cycle.instance(iid)["data"]["goal_status"] == "approved"
    reads_well(reviewer, "reviewer-2-rated")
