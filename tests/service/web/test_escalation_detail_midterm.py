"""A mid-term review seriously off track (MIDTERM_OFF_TRACK) shows the supervisor its figures — execution against
time, goal achievement against execution, each indicator's gap, the reviewer's conclusion and comment — on the
escalation's page, on the supervisor's task page and in GET /api/escalations/{id}/facts, as a red warning's do."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.service.web.browser_fixtures import signed_in
from tests.workflows.test_monitoring import _approved, _at, _open_escalations
from tests.workflows.test_monitoring_targets import MIDTERM_SERIOUS

_TAG = re.compile(r"<[^>]+>")


def _off_track(cycle: Any) -> dict[str, Any]:
    pid = _approved(cycle, is_key=True)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-07-01T09:00:00+08:00")
    cycle.complete(iid, "midterm_review", MIDTERM_SERIOUS, user="reviewer")
    [esc] = _open_escalations(cycle)
    assert esc["code"] == "MIDTERM_OFF_TRACK"
    return dict(esc)


def _section(page: str) -> str:
    body = html.unescape(page).split('id="figures-midterm"', 1)[1].split("</section>", 1)[0]
    return " ".join(_TAG.sub(" ", body).split())


def test_the_facts_give_the_midterm_figures(cycle):
    esc = _off_track(cycle)
    facts = cycle.as_user("supervisor").get(f"/api/escalations/{esc['id']}/facts").get_json()
    assert facts["focus"] == "midterm"
    mt = facts["midterm"]
    # 480,000 of 1,200,000 spent by 30 June (half the year); 3,000 of 10,000 m² built, the rest not reported.
    assert (mt["execution_rate"], mt["time_progress"], mt["goal_progress"]) == (40.0, 50.0, 12.0)
    assert (mt["execution_gap"], mt["goal_gap"], mt["serious"]) == (10.0, 28.0, True)
    assert (mt["conclusion"], mt["comment"], mt["executed_amount"]) == ("off_track", "进度偏慢", 480_000)
    assert [(i["name"], i["progress"], i["gap"], i["reported"]) for i in mt["indicators"]] == [
        ("新建校舍面积", 30.0, 10.0, True), ("工程验收合格率", 0.0, 40.0, False), ("受益学生数", 0.0, 40.0, False)]


def test_the_escalation_page_and_the_supervisors_task_show_them_in_chinese_or_english(app, cycle):
    esc = _off_track(cycle)
    supervisor = signed_in(app, "supervisor")
    page = supervisor.get(f"/escalations/{esc['id']}")
    assert page.status_code == 200
    section = _section(page.get_data(as_text=True))
    for seen in ("中期评估数据", "预算执行率 40.00%", "时间进度 50.00%", "目标完成 12.00%", "10.00 个百分点",
                 "28.00 个百分点", "评估结论 严重滞后", "偏差超过红色预警阈值", "评估意见 进度偏慢",
                 "新建校舍面积 40 30.00% 10.00 个百分点", "工程验收合格率 20 未填报 40.00 个百分点"):
        assert seen in section, (seen, section)
    assert "off_track" not in section and "midterm_" not in section
    english = _section(supervisor.get(f"/escalations/{esc['id']}?lang=en").get_data(as_text=True))
    for seen in ("Mid-term review figures", "Execution 40.00%", "Conclusion Seriously behind", "Not reported"):
        assert seen in english, (seen, english)
    task = supervisor.get(f"/tasks/{esc['task_id']}?lang=zh")
    assert task.status_code == 200
    on_task = _section(task.get_data(as_text=True))
    assert "评估结论 严重滞后" in on_task and "新建校舍面积 40 30.00% 10.00 个百分点" in on_task, on_task
