"""In Chromium: a department declares a goal with three indicators and submits it, its head passes it on, the
bureau's reviewer returns it with 中, and the department resubmits (workflows/goal_review.bpmn)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.service.web.browser_fixtures import screenshot


def _row(page: Any, index: int, name: str, category: str, unit: str, comparator: str, target: str, weight: str,
         source: str) -> None:
    prefix = f"#f-indicators-{index}-"
    page.fill(prefix + "name", name)
    page.select_option(prefix + "category", category)
    page.fill(prefix + "unit", unit)
    page.select_option(prefix + "comparator", comparator)
    page.fill(prefix + "target", target)
    page.fill(prefix + "weight", weight)
    page.select_option(prefix + "standard_source", source)


def _open_task(page: Any, pages: Any, name: str) -> None:
    page.goto(pages.url("/inbox"))
    page.get_by_role("link", name=name).first.click()
    expect(page.locator("h1")).to_have_text(name)


def _diagram_marks(page: Any, assets: bool, element: str, mark: str = "mark-active") -> None:
    if not assets:  # without npm the page says so instead of drawing
        expect(page.locator(".notice").first).to_be_visible()
        return
    expect(page.locator(".diagram[data-ready='1']")).to_be_visible()
    expect(page.locator(f"g.djs-element.{mark}[data-element-id='{element}']")).to_have_count(1)


def test_declare_return_with_zhong_and_resubmit(cycle, pages, assets):
    iid = cycle.start(cycle.project(), process_id="goal_review")

    staff = pages.open("staff_a")
    _open_task(staff, pages, "编报绩效目标")
    _diagram_marks(staff, assets, "declare_goal")
    expect(staff.locator("dl.context")).to_contain_text("义务教育学校标准化建设")
    staff.fill("#f-goal_summary", "完成 12 所义务教育学校标准化改造")
    _row(staff, 0, "标准化改造学校数", "quantity", "所", ">=", "12", "40", "plan")
    _row(staff, 1, "受益学生数", "social", "万人", ">=", "5", "40", "plan")
    staff.click("[data-add-row='indicators']")
    _row(staff, 2, "家长满意度", "satisfaction", "%", "range", "85 到 100", "20", "history")

    # A saved draft survives a reload (kept in this browser, keyed by user and task).
    staff.click("#save-draft")
    expect(staff.locator("#draft-status")).to_contain_text("草稿已保存")
    staff.reload()
    expect(staff.locator("#draft-status")).to_contain_text("已恢复")
    expect(staff.locator("#f-indicators-2-name")).to_have_value("家长满意度")
    expect(staff.locator("#f-indicators-2-comparator")).to_have_value("range")
    expect(staff.locator("#f-goal_summary")).to_have_value("完成 12 所义务教育学校标准化改造")

    # The engine refuses a range written wrongly: the error stands next to that very cell.
    staff.click("#complete")
    error = staff.locator("[data-error-for='indicators/2/target']")
    expect(error).to_have_text("格式不正确")
    expect(staff.locator("#error-summary")).to_contain_text("绩效指标 · 第 3 行 · 目标值")
    expect(staff.locator("#f-indicators-0-name")).to_have_value("标准化改造学校数")  # nothing typed was lost
    screenshot(staff, "goal-1-declaration-refused-inline")
    staff.fill("#f-indicators-2-target", "85..100")
    staff.click("#complete")
    expect(staff.locator(".flash-ok")).to_contain_text("已提交")
    staff.wait_for_load_state("load")  # the flash shows while the parser may still wait for web.js, which drops it
    assert staff.evaluate("Object.keys(localStorage).filter(k => k.startsWith('jixiao.draft.'))") == []
    cycle.work()
    declared = cycle.instance(iid)["data"]["indicators"]
    assert [(i["name"], i["target"]) for i in declared] == [("标准化改造学校数", 12), ("受益学生数", 5),
                                                             ("家长满意度", "85..100")]

    head = pages.open("head_a")
    _open_task(head, pages, "部门负责人审核")
    head.check("input[name='head_approved'][value='true']")
    head.click("#complete")
    expect(head.locator(".flash-ok")).to_be_visible()
    cycle.work()

    reviewer = pages.open("reviewer")
    _open_task(reviewer, pages, "财政审核")
    for criterion in ("completeness", "relevance", "appropriateness", "feasibility"):
        reviewer.select_option(f"#f-{criterion}", "良")
    reviewer.select_option("#f-review_outcome", "中")
    reviewer.fill("#f-review_comment", "满意度指标缺少测算依据，请补充后重报")
    screenshot(reviewer, "goal-2-review-returns-with-zhong")
    reviewer.click("#complete")
    expect(reviewer.locator(".flash-ok")).to_be_visible()
    cycle.work()

    # Back in the department's inbox, with the indicators declared before and the reviewer's comment.
    _open_task(staff, pages, "编报绩效目标")
    expect(staff.locator("dl.context")).to_contain_text("请补充后重报")
    expect(staff.locator("#f-indicators-2-target")).to_have_value("85..100")
    staff.fill("#f-indicators-2-unit", "%（问卷测算）")
    staff.click("#complete")
    expect(staff.locator(".flash-ok")).to_be_visible()
    cycle.work()
    head.reload()
    _open_task(head, pages, "部门负责人审核")
    head.check("input[name='head_approved'][value='true']")
    head.click("#complete")
    cycle.work()
    assert [t["bpmn_id"] for t in cycle.tasks(iid, "reviewer")] == ["finance_review"]
    data = cycle.instance(iid)["data"]
    assert data["revisions"] == 1 and data["indicators"][2]["unit"] == "%（问卷测算）"

    staff.goto(pages.url(f"/instances/{iid}"))
    _diagram_marks(staff, assets, "finance_review")
    if assets:
        expect(staff.locator("g.djs-element.mark-completed[data-element-id='declare_goal']")).to_have_count(1)
    screenshot(staff, "goal-3-resubmitted-instance")
