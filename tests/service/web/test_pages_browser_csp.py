"""In Chromium: the pages work under their content policy — bpmn-js, its properties panel, Chart.js and Swagger UI
load and draw, and the browser reports no Content-Security-Policy violation on any of them."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.service.web.browser_fixtures import screenshot
from tests.service.web.test_dashboard_pages import records  # noqa: F401  (monitoring reports, evaluations, a case)


def _watch(page: Any, seen: list[str]) -> Any:
    """Record every CSP report and script error the browser prints for this page."""
    def on_console(message: Any) -> None:
        if message.type in ("error", "warning") and (
                "Content Security Policy" in message.text or "Content-Security-Policy" in message.text):
            seen.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: seen.append(f"{page.url}: script error {error}"))
    return page


def test_inbox_task_designer_dashboard_and_api_docs_run_under_the_policy(cycle, records, pages, assets):  # noqa: F811
    project, _, _ = records
    cycle.start(project, process_id="goal_review")
    violations: list[str] = []

    staff = _watch(pages.open("staff_a"), violations)
    staff.goto(pages.url("/inbox"))
    staff.get_by_role("link", name="编报绩效目标").first.click()
    expect(staff.locator("h1")).to_have_text("编报绩效目标")
    if assets:
        expect(staff.locator(".diagram[data-ready='1']")).to_be_visible()
        expect(staff.locator("g.djs-element.mark-active[data-element-id='declare_goal']")).to_have_count(1)
    staff.click("#save-draft")  # the task page's own script runs
    expect(staff.locator("#draft-status")).to_contain_text("草稿已保存")
    screenshot(staff, "csp-1-task")

    reviewer = _watch(pages.open("reviewer"), violations)
    reviewer.goto(pages.url("/dashboard"))
    if assets:
        expect(reviewer.locator("body[data-charts='ready']")).to_have_count(1)
        expect(reviewer.locator("#chart-warnings")).to_be_visible()
    screenshot(reviewer, "csp-2-dashboard")

    designer = _watch(pages.open("designer"), violations)
    designer.goto(pages.url("/designer?edit=goal_review"))
    if assets:
        expect(designer.locator("#modeler[data-ready='1']")).to_be_visible()
        designer.locator("g.djs-element[data-element-id='declare_goal']").click()
        expect(designer.locator("#properties")).to_contain_text("编报绩效目标")
        designer.locator("#properties").get_by_text("办理人分配").click()  # the panel's entries render, in Chinese
        expect(designer.locator("#properties").get_by_text("候选组", exact=True)).to_be_visible()
    screenshot(designer, "csp-3-designer")

    designer.goto(pages.url("/api/docs"))
    expect(designer.locator(".swagger-ui .info .title")).to_contain_text("Jixiao")
    designer.locator(".opblock-summary", has_text="/api/health").first.click()  # React widgets open
    designer.get_by_role("button", name="Try it out").click()
    designer.get_by_role("button", name="Execute").click()  # a call from the page, its answer highlighted
    expect(designer.locator(".responses-wrapper .live-responses-table")).to_contain_text("200")
    screenshot(designer, "csp-4-api-docs")

    assert violations == [], "\n".join(violations)

    # The policy is in force: script injected into a page (as a stored XSS would be) does not run.
    injected = staff.evaluate("""() => {
        const script = document.createElement('script');
        script.textContent = 'document.body.setAttribute("data-injected", "ran")';
        document.body.appendChild(script);
        return document.body.getAttribute('data-injected');
    }""")
    assert injected is None
    assert any("script-src" in v for v in violations)  # and the browser reported the attempt
