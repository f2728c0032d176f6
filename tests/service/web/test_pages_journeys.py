"""In Chromium, one journey per role: each person signs in through /login and does the group's job through the
pages on a running server with the real workflows deployed — the department declares a goal, its head approves it,
the bureau's reviewer rates it, an expert reviews a major project, an agency files a key evaluation report, a
supervisor decides an escalation, an auditor finds and verifies an instance, a designer reads the modeler and a diff,
an administrator edits a rule row. On every page the person must see what the decision needs, only the decisions
allowed, and no raw JSON, raw key or English sentence (the page walker's checks, tests/service/web/test_i18n_page_language.py);
each step leaves a full-page screenshot in test-artifacts/screenshots/<role>-<step>.png."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from service import db
from service.bpm.deploy import deploy, read_dir
from service.config import Settings
from service.rules import store
from tests.service.queries.scenarios import overdue_rectification
from tests.service.web.browser_fixtures import screenshot
from tests.service.web.test_i18n_page_language import leaks, visible
from tests.service.web.test_tasks_pages_browser_goal import _row
from tests.workflows import test_evaluation as evaluation
from tests.workflows.stages import GOAL, REVIEW


def reads_well(page: Any, name: str, *must_see: str, source: str | None = None) -> None:
    """The page shows `must_see`, reads as Chinese (no raw key, JSON or English), and is kept as a screenshot.
    `source` selects what shows a file's text as it is (a diff of BPMN XML): it is not read as words."""
    page.wait_for_load_state("networkidle")
    for text in must_see:
        expect(page.locator("main")).to_contain_text(text)
    html = page.evaluate("""source => {
        const copy = document.documentElement.cloneNode(true);
        if (source) { copy.querySelectorAll(source).forEach(e => e.remove()); }
        return copy.outerHTML;
    }""", source)
    found = leaks(visible(html), "zh")
    assert found == [], "\n".join(found)
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
    reads_well(staff, "staff-journey-1-declaration", "义务教育学校标准化建设", "绩效指标")
    staff.click("#complete")
    expect(staff.locator(".flash-ok")).to_contain_text("已提交")
    cycle.work()
    assert [i["name"] for i in cycle.instance(iid)["data"]["indicators"]] == [i["name"] for i in GOAL["indicators"]]
    staff.goto(pages.url(f"/instances/{iid}"))
    diagram_shows(staff, assets, "submit_goal")
    if assets:
        expect(staff.locator("g.djs-element.mark-completed[data-element-id='declare_goal']")).to_have_count(1)
        expect(staff.locator("g.djs-connection.mark-taken")).not_to_have_count(0)
    reads_well(staff, "staff-journey-2-instance-after-declaring", "部门负责人审核")


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
    reads_well(staff, "staff-journey-3-cycle-diagram-with-the-called-process", "绩效目标编报与审核")
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
    reads_well(staff, "staff-journey-4-called-process-current-step", "编报绩效目标")


def test_the_head_approves_the_goal_seeing_it_whole(cycle, pages, assets):
    iid = cycle.start(cycle.project(), process_id="goal_review")
    cycle.complete(iid, "declare_goal", GOAL, user="staff_a")
    head = pages.open("head_a")
    open_task(head, pages, "部门负责人审核")
    table = head.locator("#dossier table[data-answer='indicators'] tbody tr")
    expect(table).to_have_count(len(GOAL["indicators"]))
    expect(table.first).to_contain_text("标准化改造学校数")
    diagram_shows(head, assets, "submit_goal")
    reads_well(head, "head-journey-1-reads-the-goal", GOAL["goal_summary"], "目标值", "部门负责人审核")
    head.check("input[name='head_approved'][value='true']")
    head.fill("#f-head_comment", "指标完整，同意报送")
    head.click("#complete")
    expect(head.locator(".flash-ok")).to_contain_text("已提交")
    cycle.work()
    assert [t["bpmn_id"] for t in cycle.tasks(iid, "reviewer")] == ["finance_review"]
    reads_well(head, "head-journey-2-approved")


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
    reads_well(reviewer, "reviewer-journey-1-rates-the-goal", GOAL["goal_summary"], "部门负责人意见", "标准化改造学校数")
    reviewer.click("#complete")
    expect(reviewer.locator(".flash-ok")).to_be_visible()
    cycle.work()
    assert cycle.instance(iid)["data"]["goal_status"] == "approved"
    reads_well(reviewer, "reviewer-journey-2-rated")


def test_an_expert_reviews_a_major_project_with_pass_or_revise_only(cycle, pages, assets):
    iid = cycle.start(cycle.project(amount=6_000_000), process_id="goal_review")  # a major project
    cycle.complete(iid, "declare_goal", GOAL, user="staff_a")
    cycle.complete(iid, "submit_goal", {"head_approved": True}, user="head_a")
    cycle.complete(iid, "finance_review", {**REVIEW, "review_outcome": "良", "review_comment": "目标明确"},
                   user="reviewer")
    expert = pages.open("expert")
    open_task(expert, pages, "专家组评审")
    expect(expert.locator("#dossier table[data-answer='indicators'] tbody tr")).to_have_count(len(GOAL["indicators"]))
    outcome = expert.locator("#f-expert_outcome")
    choices = options(expert, "#f-expert_outcome") if outcome.evaluate("e => e.tagName") == "SELECT" else \
        [label.strip() for label in outcome.locator("label").all_inner_texts()]
    assert [c for c in choices if c not in ("", "—")] == ["通过", "需修改"]
    if outcome.evaluate("e => e.tagName") == "SELECT":
        expert.select_option("#f-expert_outcome", "pass")
    else:
        expert.check("input[name='expert_outcome'][value='pass']")
    expert.fill("#f-expert_comment", "目标合理可行")
    reads_well(expert, "expert-journey-1-reviews-a-major-project", GOAL["goal_summary"], "财政审核意见", "目标明确")
    expert.click("#complete")
    expect(expert.locator(".flash-ok")).to_be_visible()
    cycle.work()
    assert cycle.instance(iid)["data"]["goal_status"] == "approved"
    reads_well(expert, "expert-journey-2-reviewed")


def test_an_agency_files_the_key_evaluation_report(cycle, pages, assets):
    pid = cycle.project(f"{evaluation.FY}-dept-a-key", amount=6_000_000, fiscal_year=evaluation.FY)
    iid = evaluation.start(cycle, pid, evaluation.SCHOOL)
    cycle.complete(iid, "self_evaluation", evaluation.self_evaluation(5_400_000, evaluation.school_results(8, 98, 5000, 85)),
                   user="staff_a")
    agency = pages.open("agency")
    open_task(agency, pages, "第三方机构重点评价")
    rows = {"decision": ("立项依据", "10", "90"), "process": ("资金管理", "1", "100"),
            "output": ("数量", "60", "90"), "effect": ("社会效益", "1", "75")}
    for group, (name, weight, score) in rows.items():
        agency.fill(f"#f-framework-{group}-0-name", name)
        agency.fill(f"#f-framework-{group}-0-weight", weight)
        agency.fill(f"#f-framework-{group}-0-score", score)
    agency.fill("#f-findings", "资金拨付滞后")
    agency.fill("#f-recommendations", "按季度拨付资金")
    reads_well(agency, "agency-journey-1-key-evaluation-report", "评价指标体系", "义务教育学校标准化建设")
    agency.click("#complete")
    expect(agency.locator(".flash-ok")).to_be_visible()
    cycle.work()
    assert cycle.instance(iid)["data"]["findings"] == "资金拨付滞后"
    assert [t["bpmn_id"] for t in cycle.tasks(iid, "reviewer")] == ["rate_agency"]
    reads_well(agency, "agency-journey-2-filed")


def test_a_supervisor_decides_an_escalation_from_the_slip_and_its_figures(cycle, pages, assets):
    esc = overdue_rectification(cycle)
    supervisor = pages.open("supervisor")
    supervisor.get_by_role("link", name="督办").first.click()
    card = supervisor.locator("li.escalation").first
    expect(card).to_contain_text("义务教育学校标准化建设")
    reads_well(supervisor, "supervisor-journey-1-queue", "义务教育学校标准化建设")
    card.locator("a.esc-details").click()
    expect(supervisor.locator("h1")).to_contain_text("督办详情：整改逾期")
    expect(supervisor.locator("#slip-overdue")).to_contain_text("工作日")
    expect(supervisor.locator("#figures-evaluation .fig-grade")).to_have_text("差")
    expect(supervisor.locator("#esc-timeline tbody tr").first).to_be_visible()
    assert options(supervisor, f"#decision-{esc['id']}") == ["—", "延长期限", "责令限期整改", "启动问责"]
    supervisor.locator(f"#decision-{esc['id']}").select_option("order_rectification")
    supervisor.locator(f"#comment-{esc['id']}").fill("限期十个工作日整改")
    reads_well(supervisor, "supervisor-journey-2-slip-figures-timeline", "部门经办人", "反馈评价结果")
    supervisor.locator("#decide button[type='submit']").first.click()
    expect(supervisor.locator(".flash-ok")).to_contain_text("责令限期整改")
    expect(supervisor.locator("#esc-facts .esc-decision")).to_contain_text("责令限期整改 — 限期十个工作日整改")
    reads_well(supervisor, "supervisor-journey-3-decided")


def test_an_auditor_searches_opens_the_trail_and_verifies(cycle, pages, assets):
    iid = cycle.start(cycle.project("2015-dept-a-021", name="中小学校舍安全工程"), process_id="goal_review")
    cycle.complete(iid, "declare_goal", GOAL, user="staff_a")
    cycle.complete(iid, "submit_goal", {"head_approved": True}, user="head_a")
    auditor = pages.open("auditor")
    auditor.click("nav >> text=审计")
    auditor.fill("#s-project", "校舍安全")
    auditor.click("#audit-search button[type=submit]")
    result = auditor.locator(f"#audit-results tr[data-instance='{iid}']")
    expect(result).to_contain_text("中小学校舍安全工程")
    reads_well(auditor, "auditor-journey-1-search", "中小学校舍安全工程", "绩效目标编报与审核")
    result.locator("text=审计").click()
    auditor.wait_for_url(pages.url(f"/audit/{iid}"))
    expect(auditor.locator(".timeline li")).not_to_have_count(0)
    if assets:
        expect(auditor.locator(".diagram[data-ready='1']")).to_be_visible()
        expect(auditor.locator("g.djs-element.mark-completed[data-element-id='declare_goal']")).to_have_count(1)
        expect(auditor.locator("g.djs-connection.mark-taken")).not_to_have_count(0)
    reads_well(auditor, "auditor-journey-2-trail", "标准化改造学校数")
    auditor.click("#verify")
    expect(auditor.locator(".flash-ok")).to_contain_text("校验通过")
    reads_well(auditor, "auditor-journey-3-verified")


def test_a_designer_reads_the_deployed_model_and_the_diff_of_two_versions(cycle, pages, assets):
    real = Settings(database_url=cycle.rt.settings.database_url)  # the repository's workflows/ and forms/
    files = read_dir(real.workflows_dir)
    goal_review = files["goal_review.bpmn"].decode("utf-8")
    files["goal_review.bpmn"] = goal_review.replace('name="部门负责人审核"', 'name="部门负责人审核并报送"').encode("utf-8")
    with cycle.rt.unit_of_work() as conn:
        deploy(conn, cycle.rt.specs, files, real, actor="designer")
    designer = pages.open("designer")
    designer.get_by_role("link", name="流程设计").first.click()
    expect(designer.locator("#versions tbody tr")).to_have_count(2)
    reads_well(designer, "designer-journey-1-versions", "绩效目标编报与审核")
    designer.click("#show-diff")
    expect(designer.locator("pre.diff")).to_contain_text("部门负责人审核并报送")
    reads_well(designer, "designer-journey-2-diff", source="pre.diff")
    if assets:
        designer.goto(pages.url("/designer?edit=goal_review"))
        expect(designer.locator("#modeler[data-ready='1']")).to_be_visible()
        designer.locator("g.djs-element[data-element-id='submit_goal']").click()
        expect(designer.locator("#properties")).to_contain_text("部门负责人审核并报送")
        # the panel lists the model's extension properties by their names, identifiers as the model has them
        reads_well(designer, "designer-journey-3-modeler", source=".bio-properties-panel-collapsible-entry-header-title")


def test_an_administrator_edits_a_rule_row(cycle, pages, assets):
    admin = pages.open("admin")
    admin.click('nav >> text="管理"')
    reads_well(admin, "admin-journey-1-home", "用户与角色")
    admin.goto(pages.url("/admin/rules?year=2015&level=municipal"))
    row = admin.locator("tr[data-rule='feedback.days']")
    expect(row.locator(".rule-value")).to_have_text("20 天")
    reads_well(admin, "admin-journey-2-rules", "结果反馈期限")
    row.locator("text=修改").click()
    admin.fill("#value", "15")
    admin.fill("#source", "本地做法：市财政局 2015 年通知，结果在评价完成后 15 天内反馈")
    reads_well(admin, "admin-journey-3-rule-form")
    admin.click("#rule-form button[type=submit]")
    expect(admin.locator("tr[data-rule='feedback.days'] .rule-value")).to_have_text("15 天")
    with db.read(cycle.rt.engine) as conn:
        assert store.get(conn, 2015, "municipal", "feedback.days") == 15
    reads_well(admin, "admin-journey-4-rule-saved", "15 天内反馈")
