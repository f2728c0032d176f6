"""The escalation page of a year-end coverage review lists the targets the department missed, with their sources."""

from __future__ import annotations

import html

from tests.service.web.browser_fixtures import signed_in
from tests.workflows.test_coverage_review import _open, _review


def test_the_page_lists_the_missed_targets_in_chinese_or_english(app, cycle):
    _review(cycle)
    [esc] = _open(cycle)
    supervisor = signed_in(app, "supervisor")
    page = html.unescape(supervisor.get(f"/escalations/{esc['id']}").get_data(as_text=True))
    section = page.split('id="figures-coverage"', 1)[1].split("</section>", 1)[0]
    assert "未达的覆盖目标" in section and "纳入绩效目标管理的项目资金占比" in section
    assert "25.00 %" in section and "50.00 %" in section
    options = page.split(f'id="decision-{esc["id"]}"', 1)[1].split("</select>", 1)[0]
    assert "责令限期整改" in options and "启动问责" in options and "撤销督办" in options
    english = html.unescape(supervisor.get(f"/escalations/{esc['id']}?lang=en").get_data(as_text=True))
    assert "Coverage targets missed" in english and "Project money under goal management" in english
