"""/admin/fiscal-figures: finance reviewers and administrators enter a level's public spending and 民生 spending of
a year (as PUT /api/fiscal-figures), refused input at its field with nothing stored; the dashboard says “未录入”
while a figure is missing and shows the shares and their direction once entered."""

from __future__ import annotations

import html
from typing import Any

from service import clock, db
from service.cycle import projects_records
from service.models import Evaluation
from tests.service.web.browser_fixtures import signed_in
from tests.service.web.test_admin_home import ADMIN_PAGES, reference  # noqa: F401  (the fixture)

FORM = {"fiscal_year": "2014", "level": "municipal", "public_spending": "20,000,000",
        "livelihood_spending": "15000000", "source": "2014年市级财政决算"}


def _text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_a_finance_reviewer_opens_only_the_fiscal_figures(app, reference):  # noqa: F811
    reviewer = signed_in(app, "reviewer")
    home = _text(reviewer.get("/admin"))
    assert "财政支出数据" in home and "用户与角色" not in home
    for path in ADMIN_PAGES[1:]:
        assert reviewer.get(path).status_code == 403, path
    for user in ("staff_a", "auditor", "supervisor"):
        assert signed_in(app, user).get("/admin/fiscal-figures").status_code == 403


def test_figures_are_entered_and_corrected_in_chinese_and_english(app, reference):  # noqa: F811
    reviewer = signed_in(app, "reviewer")
    page = _text(reviewer.get("/admin/fiscal-figures"))
    assert "公共财政支出（元）" in page and "尚未录入财政支出数据。" in page
    answer = reviewer.submit("/admin/fiscal-figures", FORM)
    assert answer.status_code == 302, _text(answer)
    page = _text(reviewer.get("/admin/fiscal-figures"))
    assert "20,000,000.00" in page and "15,000,000.00" in page and "2014年市级财政决算" in page and "市级" in page
    form = _text(reviewer.get("/admin/fiscal-figures?year=2014&level=municipal"))
    assert 'value="20000000"' in form  # the correction form starts from the figures entered
    english = _text(reviewer.get("/admin/fiscal-figures?lang=en"))
    assert "Public spending (CNY)" in english and "Municipal" in english


def test_refused_figures_stay_in_the_form_with_nothing_stored(app, reference):  # noqa: F811
    admin = signed_in(app, "admin")
    admin.get("/admin/fiscal-figures")
    answer = admin.submit("/admin/fiscal-figures", {**FORM, "livelihood_spending": "30000000"})
    page = _text(answer)
    assert answer.status_code == 422 and "请填写不超过公共财政支出的金额" in page
    answer = admin.submit("/admin/fiscal-figures", {**FORM, "public_spending": "很多"})
    assert answer.status_code == 422 and 'data-error-for="public_spending"' in _text(answer)
    assert "尚未录入财政支出数据。" in _text(admin.get("/admin/fiscal-figures"))


def test_the_dashboard_says_not_entered_then_shows_the_share(app, reference, runtime):  # noqa: F811
    now = clock.now()
    with db.write(runtime.engine) as conn:
        projects_records.create(conn, now, id="2014-a-901", fiscal_year=2014, department_id="dept-a", name="项目 901",
                        sector="education", amount=3_000_000)
        projects_records.set_status(conn, "2014-a-901", "evaluated", now)
        conn.execute(Evaluation.__table__.insert().values(project_id="2014-a-901", kind="self", score=90, grade="优",
                                                          detail="{}", completed_at=clock.to_db(now)))
        projects_records.create(conn, now, id="2015-a-901", fiscal_year=2015, department_id="dept-a", name="项目 902",
                        sector="education", amount=1_000_000)
    admin = signed_in(app, "admin")
    page = _text(admin.get("/dashboard?year=2015&level=municipal"))
    assert "未录入（2014年度财政支出数据）" in page and 'href="/admin/fiscal-figures"' in page
    assert "逐年提高" in page
    admin.get("/admin/fiscal-figures")
    assert admin.submit("/admin/fiscal-figures", FORM).status_code == 302
    page = _text(admin.get("/dashboard?year=2015&level=municipal"))
    # 3,000,000 evaluated / 20,000,000 public spending of 2014 = 15.00 %; / 15,000,000 民生 = 20.00 %
    assert "15.00 %" in page and "20.00 %" in page and "分母为2014年度公共财政支出" in page
    assert "未录入（2014年度" not in page
    supervisor = _text(signed_in(app, "supervisor").get("/dashboard?year=2015&level=municipal"))
    assert "15.00 %" in supervisor and 'href="/admin/fiscal-figures"' not in supervisor
