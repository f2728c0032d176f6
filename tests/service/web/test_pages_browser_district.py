"""In Chromium, the district finance bureau's own accounts do the district's work (市区分建共享, the plan 二(二)三是; 一(四)):
its reviewer reviews a district project's goals from the inbox; its administrator confirms the individual indicator a
district department proposed, which the city's administrator may not; the district project's key results are shown
reported to the district's government, in Chinese and in English."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select, update

from service import clock, db
from service.bpm.commands import CompleteTask
from service.cycle import linkage_records
from service.domain.roles import DEPARTMENT_HEAD, DEPARTMENT_STAFF, Principal
from service.libraries import indicators
from service.models import Department, Goal, LibraryIndicator
from service.people import directory
from tests.conftest import password_of
from tests.service.web.browser_fixtures import screenshot, signed_in
from tests.workflows.stages import GOAL, REVIEW

DISTRICT = "district-1"  # 江岸区财政局 in the test organisation (tests/conftest.py)
REVIEWER, ADMIN = "district.reviewer", "district.admin"


def _district_accounts(engine: Any) -> None:
    """The district bureau's reviewer and administrator (the session keeps its people, so only once)."""
    with db.write(engine) as conn:
        existing = {u["username"] for u in directory.list_users(conn, 1, 500)["items"]}
        for username, role in ((REVIEWER, "finance_reviewer"), (ADMIN, "administrator")):
            if username not in existing:
                directory.create_user(conn, "test", username=username, display_name=f"江岸区{role}",
                                      password=password_of(username), roles=[role], department_id=DISTRICT)


def _as_district_department(cycle: Any, iid: str, bpmn_id: str, data: dict[str, Any], role: str) -> None:
    """The district department's staff or head completes its task (through the command path)."""
    [task] = [t for t in cycle.tasks(iid, "auditor") if t["bpmn_id"] == bpmn_id]
    cycle.rt.workflows.apply(iid, CompleteTask(task["id"], data), actor=Principal(f"{DISTRICT}.x", DISTRICT,
                             frozenset({role})), now=clock.now())
    cycle.work()


def test_the_district_reviews_its_goals_confirms_its_indicator_and_reports_to_its_government(cycle, pages, assets,
                                                                                              app):
    engine = cycle.rt.engine
    _district_accounts(engine)
    pid = cycle.project("2015-district-1-001", department_id=DISTRICT, name="江岸区中小学课后服务经费补助",
                        amount=1_800_000, is_key=True)
    iid = cycle.start(pid, process_id="goal_review")
    _as_district_department(cycle, iid, "declare_goal", GOAL, DEPARTMENT_STAFF)
    _as_district_department(cycle, iid, "submit_goal", {"head_approved": True}, DEPARTMENT_HEAD)

    # The district's reviewer finds the district's goal review in the inbox and approves it.
    reviewer = pages.open(REVIEWER)
    reviewer.goto(pages.url("/inbox"))
    reviewer.get_by_role("link", name="财政审核").first.click()
    expect(reviewer.locator("h1")).to_have_text("财政审核")
    expect(reviewer.locator("dl.context")).to_contain_text("江岸区中小学课后服务经费补助")
    for criterion, grade in REVIEW.items():
        reviewer.select_option(f"#f-{criterion}", grade)
    reviewer.select_option("#f-review_outcome", "优")
    reviewer.fill("#f-review_comment", "目标明确，指标可衡量")
    screenshot(reviewer, "district-1-goal-review")
    reviewer.click("#complete")
    expect(reviewer.locator(".flash-ok")).to_be_visible()
    cycle.work()
    with db.read(engine) as conn:
        assert conn.execute(select(Goal.status).where(Goal.project_id == pid)).scalar() == "approved"

    # A district department's individual indicator: the city's administrator may not confirm it, the district's does.
    with db.write(engine) as conn:
        code = indicators.propose_individual(conn, department_id=DISTRICT, name="课后服务学生参与率",
                                             category="social", unit="%", now=clock.now())
    city = signed_in(app, "admin")
    city.get("/admin/libraries/indicators?status=proposed")
    assert city.submit(f"/admin/libraries/indicators/{code}/confirm", {}).status_code == 403
    admin = pages.open(ADMIN)
    admin.goto(pages.url("/admin/libraries/indicators?status=proposed"))
    row = admin.locator("tr:has-text('课后服务学生参与率')")
    expect(row).to_contain_text("待确认")
    screenshot(admin, "district-2-indicator-proposed")
    row.locator("button[type=submit]").click()
    expect(admin.locator(".flash-ok")).to_have_text("已确认指标：课后服务学生参与率")
    with db.read(engine) as conn:
        assert conn.execute(select(LibraryIndicator.status).where(LibraryIndicator.code == code)).scalar() == \
            "confirmed"

    # Its key results went to the district's government: so the project page says, in both languages.
    with db.write(engine) as conn:
        linkage_records.propose(conn, pid, for_year=2016, grade="良", proposal="maintain", base_amount=Decimal("1800000"),
                        proposed_amount=Decimal("1800000"))
        assert linkage_records.report(conn, pid, clock.now())[1] == "江岸区人民政府"
        before = conn.execute(select(Department.name_en).where(Department.id == DISTRICT)).scalar()
        conn.execute(update(Department).where(Department.id == DISTRICT)
                     .values(name_en="Jiang'an District Finance Bureau"))
    try:
        reviewer.goto(pages.url(f"/projects/{pid}"))
        expect(reviewer.locator("#reported-to")).to_contain_text("江岸区人民政府")
        screenshot(reviewer, "district-3-reported-to-district")
        reviewer.get_by_role("link", name="English").click()
        expect(reviewer.locator("html")).to_have_attribute("lang", "en")
        expect(reviewer.locator("#reported-to")).to_contain_text("Jiang'an District People's Government")
        screenshot(reviewer, "district-4-reported-to-district-en")
    finally:
        with db.write(engine) as conn:
            conn.execute(update(Department).where(Department.id == DISTRICT).values(name_en=before))
