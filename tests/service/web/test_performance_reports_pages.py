"""The periodic performance management reports on the pages (the plan 二(一)4): the bureau's list of filed and
missing reports by department (/performance-reports), and the report shown on the head's and the bureau's decision
pages."""

from __future__ import annotations

import html
import re
from datetime import datetime

from service import clock
from tests.service.api.test_reports_api import base_departments  # noqa: F401  (a fixture of dept_c)
from tests.service.web.browser_fixtures import signed_in
from tests.workflows.test_performance_report import REPORT, _launch, dept_c  # noqa: F401  (fixture)


def _visible(client, path: str) -> str:
    resp = client.get(path)
    assert resp.status_code == 200, path
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True))))


def test_the_bureau_sees_filed_and_missing_reports_and_reviews_the_report_on_its_page(app, cycle, dept_c):  # noqa: F811
    instances = _launch(cycle)
    b = instances["dept-b"]
    cycle.complete(b, "file_perf_report", REPORT, user="staff_b")
    head_page = _visible(signed_in(app, "head_b"), f"/tasks/{cycle.task(b, 'approve_perf_report', 'head_b')['id']}")
    assert REPORT["goal_management"] in head_page and "绩效目标管理" in head_page
    cycle.complete(b, "approve_perf_report", {"head_approved": True, "head_comment": "同意报送"}, user="head_b")
    reviewer = signed_in(app, "reviewer")
    review_page = _visible(reviewer, f"/tasks/{cycle.task(b, 'review_perf_report', 'reviewer')['id']}")
    assert REPORT["problems"] in review_page and "同意报送" in review_page and "存在问题和下一步工作" in review_page

    clock.set_now(datetime.fromisoformat("2016-02-02T10:00:00+08:00"))  # past the deadline of 1 February
    reviewer = signed_in(app, "reviewer")  # a new sign-in: the session of a month ago has lapsed
    page = _visible(reviewer, "/performance-reports?year=2015&level=municipal")
    # dept-a and dept-c filed nothing: missing; dept-b's report is with the bureau
    assert "共 3 份：已审核通过 0 份，逾期未报 2 份" in page
    assert "市卫生健康委员会 2015-01-01 至 2015-12-31 待财政审核" in page
    assert "市教育局 2015-01-01 至 2015-12-31 待报送 · 逾期未报 2016-02-01" in page
    only = _visible(reviewer, "/performance-reports?year=2015&level=municipal&missing=1")
    assert "市教育局" in only and "市民政局" in only and "市卫生健康委员会" not in only
    english = _visible(reviewer, "/performance-reports?year=2015&level=municipal&lang=en")
    assert "3 reports: 0 accepted, 2 missing" in english and "With the bureau" in english
    assert signed_in(app, "staff_a").get("/performance-reports").status_code == 403
