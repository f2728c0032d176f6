"""/subunit-evaluations: a department opens the evaluation of its own sub-unit and its head grades it, in Chinese
pages; a unit not its own is refused on the page and nothing is stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from service import db
from service.models import SubunitEvaluation
from tests.service.api.test_subunit_evaluations_api import rules  # noqa: F401 (a fixture)
from tests.service.web.browser_fixtures import signed_in

SUBUNIT_EVALUATIONS = SubunitEvaluation.__table__


def stored(runtime: Any) -> list[Any]:
    with db.read(runtime.engine) as conn:
        return list(conn.execute(select(SUBUNIT_EVALUATIONS.c.unit_id, SUBUNIT_EVALUATIONS.c.status, SUBUNIT_EVALUATIONS.c.grade).order_by(SUBUNIT_EVALUATIONS.c.id)))


def test_a_department_opens_and_grades_its_sub_units_evaluation_on_the_page(app, runtime, rules):  # noqa: F811
    staff = signed_in(app, "staff_a")
    page = staff.get("/subunit-evaluations").get_data(as_text=True)
    assert "下属单位整体支出评价" in page and "市教育局直属学校" in page and "暂无下属单位评价" in page
    resp = staff.submit("/subunit-evaluations", {"unit_id": "dept-a-unit", "fiscal_year": "2014",
                                                 "scope": "2014年度整体支出"})
    assert resp.status_code == 302
    assert stored(runtime) == [("dept-a-unit", "open", None)]

    head = signed_in(app, "head_a")
    page = head.get("/subunit-evaluations").get_data(as_text=True)
    assert "评价中" in page and "记录得分" in page
    [row_id] = [r.id for r in _ids(runtime)]
    bad = head.submit(f"/subunit-evaluations/{row_id}/grade", {"score": "120", "findings": "x"})
    assert bad.status_code == 422 and stored(runtime) == [("dept-a-unit", "open", None)]
    resp = head.submit(f"/subunit-evaluations/{row_id}/grade", {"score": "72", "findings": "预算执行偏慢"})
    assert resp.status_code == 302
    assert stored(runtime) == [("dept-a-unit", "graded", "中")]  # 60 ≤ 72 < 80 → 中
    assert "已定级" in head.get("/subunit-evaluations").get_data(as_text=True)


def test_another_departments_unit_is_refused_on_the_page(app, runtime, rules):  # noqa: F811
    staff_b = signed_in(app, "staff_b")
    staff_b.get("/subunit-evaluations")
    resp = staff_b.submit("/subunit-evaluations", {"unit_id": "dept-a-unit", "fiscal_year": "2014", "scope": "越权"})
    assert resp.status_code == 422
    assert "只能评价本部门的下属单位" in resp.get_data(as_text=True)
    assert stored(runtime) == []
    # the bureau reads the list but is offered no form
    page = signed_in(app, "reviewer").get("/subunit-evaluations").get_data(as_text=True)
    assert "下属单位整体支出评价" in page and 'id="subunit-form"' not in page


def _ids(runtime: Any) -> list[Any]:
    with db.read(runtime.engine) as conn:
        return list(conn.execute(select(SUBUNIT_EVALUATIONS.c.id)))
