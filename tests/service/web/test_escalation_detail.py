"""The escalation queue page (/escalations) without a browser: only the decisions the kind allows, in Chinese (English
with the switch), refusals that say why, and the hand-up to the bureau's leadership."""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

from service import clock, db
from service.cycle import goals_records
from tests.service.web.browser_fixtures import signed_in
from tests.workflows.test_monitoring import INDICATORS

_OPTION = re.compile(r'<option value="([a-z_]+)">([^<]*)</option>')


def _serious_deviation(cycle: Any) -> dict[str, Any]:
    """A monitored project whose department reports its goal cannot be met: a SERIOUS_DEVIATION escalation."""
    pid = cycle.project()
    with db.write(cycle.rt.engine) as conn:
        goals_records.record_declaration(conn, clock.now(), project_id=pid, revision=1, summary="标准化建设",
                                 indicators=INDICATORS)
        goals_records.approve(conn, clock.now(), project_id=pid, revision=1)
    iid = cycle.start(pid, process_id="monitoring")
    clock.set_now(datetime.fromisoformat("2015-08-10T09:00:00+08:00"))
    cycle.work()
    cycle.complete(iid, "file_report", {"executed_amount": 200_000, "can_meet": "impossible",
                                        "deviation_reasons": "征地拆迁滞后", "indicator_actuals": [
                                            {"name": "新建校舍面积", "actual": 100, "expected": 1000}]},
                   user="staff_a")
    [esc] = cycle.as_user("supervisor").get("/api/escalations?state=open").get_json()["items"]
    return dict(esc)


def _options(page: str, escalation_id: int) -> list[tuple[str, str]]:
    select = page.split(f'id="decision-{escalation_id}"', 1)[1].split("</select>", 1)[0]
    return _OPTION.findall(select)


def _page(client: Any, path: str = "/escalations") -> str:
    return html.unescape(client.get(path).get_data(as_text=True))


def test_the_page_offers_only_the_kinds_decisions_in_chinese_or_english(app, cycle):
    esc = _serious_deviation(cycle)
    supervisor = signed_in(app, "supervisor")
    page = _page(supervisor)
    assert _options(page, esc["id"]) == [("resume", "恢复执行"), ("suspend", "暂缓执行"), ("stop", "停止执行并核减预算")]
    assert "严重偏离绩效目标" in page  # what slipped, by its kind
    english = _page(supervisor, "/escalations?lang=en")
    assert _options(english, esc["id"]) == [("resume", "Resume"), ("suspend", "Suspend"),
                                            ("stop", "Stop, with the budget cut")]


def test_a_refused_decision_says_why_and_a_suspension_is_taken(app, cycle):
    esc = _serious_deviation(cycle)
    supervisor = signed_in(app, "supervisor")
    supervisor.get("/escalations")
    refused = supervisor.submit(f"/escalations/{esc['id']}/resolve", {"decision": "stop", "comment": "停止"},
                                follow_redirects=True)
    assert "此类督办不可作出该决定：停止执行须先暂缓执行（方案二(一)2：“情况严重,暂缓后停止该项目的执行。”）" in \
        html.unescape(refused.get_data(as_text=True))
    english = supervisor.submit(f"/escalations/{esc['id']}/resolve?lang=en", {"decision": "stop"},
                                follow_redirects=True)
    assert "A project is stopped only after it was suspended" in html.unescape(english.get_data(as_text=True))
    other = supervisor.submit(f"/escalations/{esc['id']}/resolve?lang=zh", {"decision": "extend_deadline"},
                              follow_redirects=True)
    assert "此类督办不可作出该决定：延长期限" in html.unescape(other.get_data(as_text=True))
    assert [e["state"] for e in cycle.as_user("supervisor").get("/api/escalations").get_json()["items"]] == ["open"]

    done = supervisor.submit(f"/escalations/{esc['id']}/resolve", {"decision": "suspend", "comment": "暂缓执行"},
                             follow_redirects=True)
    assert "已作出决定：暂缓执行" in html.unescape(done.get_data(as_text=True))
    assert cycle.as_user("supervisor").get(f"/api/escalations/{esc['id']}").get_json()["decision"] == "suspend"


def test_a_supervisor_hands_an_escalation_up_to_the_leadership(app, cycle):
    esc = _serious_deviation(cycle)
    supervisor = signed_in(app, "supervisor")
    supervisor.get("/escalations")
    handed = supervisor.submit(f"/escalations/{esc['id']}/escalate", {"reason": "金额较大，请局领导决定"},
                               follow_redirects=True)
    page = html.unescape(handed.get_data(as_text=True))
    assert "已提交局领导决定。" in page and "已提交局领导" in page
    assert f'id="decision-{esc["id"]}"' not in page  # the supervisor no longer decides it
    leader_page = _page(signed_in(app, "leader"))
    assert _options(leader_page, esc["id"]) == [("resume", "恢复执行"), ("suspend", "暂缓执行"),
                                                ("stop", "停止执行并核减预算")]
    assert 'class="escalate"' not in leader_page  # there is no level above the leadership


# --- the detail page (/escalations/<id>): the slip, the figures and the timeline, laid out for reading ----------
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.S)
_TAG = re.compile(r"<[^>]+>")


def _visible(client: Any, path: str) -> str:
    """The text a person sees on the page (no markup, scripts or attribute values), whitespace collapsed."""
    resp = client.get(path)
    assert resp.status_code == 200, path
    text = html.unescape(_TAG.sub(" ", _SCRIPT.sub(" ", resp.get_data(as_text=True))))
    return " ".join(text.split())


def _raw_keys(text: str) -> list[str]:
    """Text keys (service/web/texts.py) or codes shown as they are instead of in words."""
    from service.web.texts import TEXTS

    codes = [k for k in TEXTS if "_" in k] + ["rectification_overdue", "SERIOUS_DEVIATION", "department_staff",
                                               "impossible", "fire_timers", "complete_task", "reminder:"]
    return [k for k in codes if re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", text)]


def test_the_detail_page_shows_the_slip_the_reminders_and_the_rectification_in_chinese(app, cycle):
    from tests.service.queries.scenarios import overdue_rectification

    esc = overdue_rectification(cycle)
    clock.set_now(clock.now().replace(day=8))  # Wednesday 8 April 2015
    supervisor = signed_in(app, "supervisor")
    page = _visible(supervisor, f"/escalations/{esc['id']}")
    for seen in ("督办详情", "整改逾期", "义务教育学校标准化建设", "市教育局", "结果反馈与整改",
                 "逾期任务 提交整改报告", "截止时间 2015-04-01 23:59", "已逾期 4 个工作日（7 个自然日）",
                 "未领取，候选：部门经办人 · 市教育局", "已撤回，转入督办",
                 "2015-03-25 09:00", "2015-03-31 09:00", "到期提醒", "时间均为北京时间（UTC+08:00）",
                 "整改情况", "整改期限 2015-04-01", "未按期提交", "差", "52.50",
                 "事件时间线", "完成任务：反馈评价结果", "定时触发"):
        assert seen in page, seen
    assert page.count("到期提醒") == 2  # the other task's reminder is not this slip's
    assert _raw_keys(page) == []
    assert _options(html.unescape(supervisor.get(f"/escalations/{esc['id']}").get_data(as_text=True)),
                    esc["id"]) == [("extend_deadline", "延长期限"), ("order_rectification", "责令限期整改"),
                                   ("open_accountability", "启动问责")]

    english = _visible(supervisor, f"/escalations/{esc['id']}?lang=en")
    for seen in ("Rectification overdue", "Overdue by Overdue 4 working days (7 calendar days)", "Reminders sent",
                 "Reminder", "2015-03-25 09:00", "Times are China Standard Time (UTC+08:00)", "Not submitted in time",
                 "Task completed: 反馈评价结果", "Timers fired", "Unclaimed; candidates: Department staff"):
        assert seen in english, seen
    assert _raw_keys(english) == []
    assert "逾期任务" not in english and "到期提醒" not in english


def test_the_detail_page_shows_a_red_warnings_figures_with_the_forms_labels(app, cycle):
    from tests.service.queries.scenarios import serious_deviation

    esc = serious_deviation(cycle)
    supervisor = signed_in(app, "supervisor")
    page = _visible(supervisor, f"/escalations/{esc['id']}")
    for seen in ("严重偏离绩效目标", "校舍安全工程", "监控数据", "预算执行率 16.67%", "预警等级 红色",
                 "年度目标能否实现 完全不可能", "偏差原因分析 征地拆迁滞后", "执行偏差（时间进度 − 执行率）",
                 "未达目标：本督办由绩效目标偏离触发，无逾期任务。"):
        assert seen in page, seen
    assert _raw_keys(page) == []
    english = _visible(supervisor, f"/escalations/{esc['id']}?lang=en")
    for seen in ("Serious deviation from the goal", "Execution 16.67%", "Warning level Red",
                 "Can the goal be met Impossible", "Execution gap"):
        assert seen in english, seen
    assert _raw_keys(english) == []
    # The decision taken on the detail page returns to it, with the decision recorded in the timeline.
    supervisor.get(f"/escalations/{esc['id']}?lang=zh")
    done = supervisor.submit(f"/escalations/{esc['id']}/resolve?back=detail", {"decision": "suspend",
                                                                               "comment": "暂缓执行"},
                             follow_redirects=True)
    after = " ".join(html.unescape(_TAG.sub(" ", done.get_data(as_text=True))).split())
    assert "已作出决定：暂缓执行" in after and "督办详情" in after and "督办决定：偏差处理决定（暂缓执行）" in after
    assert 'id="decision-' not in done.get_data(as_text=True)  # decided: no form any more


def test_the_list_filters_and_links_to_the_detail_and_the_audit_page_links_back(app, cycle):
    from tests.service.queries.scenarios import overdue_rectification, serious_deviation

    late = overdue_rectification(cycle)
    red = serious_deviation(cycle)
    supervisor = signed_in(app, "supervisor")
    everything = supervisor.get("/escalations").get_data(as_text=True)
    assert f'href="/escalations/{late["id"]}"' in everything and f'href="/escalations/{red["id"]}"' in everything
    listed = _visible(supervisor, "/escalations?kind=deadline")  # what slipped, since when, the owner, in the list
    assert "逾期任务 提交整改报告 · 截止时间 2015-04-01 23:59 · 已逾期" in listed
    assert "责任人 未领取，候选：部门经办人" in listed and _raw_keys(listed) == []
    assert _raw_keys(_visible(supervisor, "/escalations?lang=en")) == []
    only_targets = _visible(supervisor, "/escalations?kind=escalation&lang=zh")
    assert "严重偏离绩效目标" in only_targets and "整改逾期" not in only_targets
    assert "义务教育学校标准化建设" not in only_targets and "校舍安全工程" in only_targets
    old = _visible(supervisor, "/escalations?older_than_days=100")  # the rectification opened in April
    assert "整改逾期" in old and "严重偏离绩效目标" not in old
    assert "没有督办事项。" in _visible(supervisor, "/escalations?department_id=dept-b")
    leadership = _visible(supervisor, "/escalations?level=leadership")  # undecided since April: it climbed
    assert "整改逾期" in leadership and "严重偏离绩效目标" not in leadership
    assert "没有督办事项。" not in _visible(supervisor, "/escalations?kind=nonsense&older_than_days=x")  # ignored
    audit = supervisor.get(f"/audit/{late['instance_id']}").get_data(as_text=True)
    assert f'href="/escalations/{late["id"]}"' in audit
    assert signed_in(app, "staff_b").get(f"/escalations/{late['id']}").status_code == 404
