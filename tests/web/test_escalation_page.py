"""The escalation queue page (/escalations) without a browser: only the decisions the kind allows, in Chinese (English
with the switch), refusals that say why, and the hand-up to the bureau's leadership."""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

from service import clock, db
from service.cycle import goals
from tests.web.conftest import signed_in
from tests.workflows.test_monitoring import INDICATORS

_OPTION = re.compile(r'<option value="([a-z_]+)">([^<]*)</option>')


def _serious_deviation(cycle: Any) -> dict[str, Any]:
    """A monitored project whose department reports its goal cannot be met: a SERIOUS_DEVIATION escalation."""
    pid = cycle.project()
    with db.write(cycle.rt.engine) as conn:
        goals.record_declaration(conn, clock.now(), project_id=pid, revision=1, summary="标准化建设",
                                 indicators=INDICATORS)
        goals.approve(conn, clock.now(), project_id=pid, revision=1)
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
    assert "此类督办不可作出该决定：停止执行须先暂缓执行（情况严重，暂缓后停止）。" in html.unescape(
        refused.get_data(as_text=True))
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
