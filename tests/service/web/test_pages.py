"""The pages without a browser: the same access rules as the API, forms refused with inline errors, claim and
delegation, the inbox's scopes, badges, sorting and paging, the designer's checks, exports."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest

from service import clock
from service.queries import deployed_versions, instances_queries
from tests.service.web.browser_fixtures import signed_in
from tests.service.web.test_i18n_page_language import leaks, visible
from tests.workflows.test_goal_review import GOAL


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def declaring(cycle):
    """A goal review waiting for dept-a's declaration: (instance id, task id)."""
    iid = cycle.start(cycle.project(), process_id="goal_review")
    [task] = cycle.tasks(iid, "staff_a")
    return iid, task["id"]


def test_pages_need_a_session(app):
    client = app.test_client()
    for path in ("/inbox", "/tasks/x", "/instances/x", "/escalations", "/audit/x", "/designer", "/dashboard",
                 "/projects"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login?next=")


def test_inbox_scopes_follow_the_access_rules(app, cycle, declaring):
    iid, task_id = declaring
    staff = signed_in(app, "staff_a")
    page = _text(staff.get("/inbox"))
    assert f"/tasks/{task_id}" in page and "编报绩效目标" in page
    assert f"/tasks/{task_id}" in _text(staff.get("/inbox?scope=candidate"))
    assert f"/tasks/{task_id}" not in _text(staff.get("/inbox?scope=mine"))
    other = signed_in(app, "staff_b")
    assert f"/tasks/{task_id}" not in _text(other.get("/inbox"))
    assert other.get(f"/tasks/{task_id}").status_code == 404
    assert other.get(f"/instances/{iid}").status_code == 404
    assert other.get(f"/audit/{iid}").status_code == 404


def test_inbox_badges_sorting_and_paging(app, cycle):
    iids = [cycle.start(cycle.project(f"2015-dept-a-{n:03d}"), process_id="goal_review") for n in range(1, 23)]
    staff = signed_in(app, "staff_a")
    first = _text(staff.get("/inbox"))
    assert "第 1/2 页，共 22 条" in first and first.count('<tr data-task=') == 20
    assert "高优先级" in first  # camunda:priority 60 stands above the default 50
    assert _text(staff.get("/inbox?page=2")).count('<tr data-task=') == 2
    assert _text(staff.get("/inbox?sort=priority&page=2")).count('<tr data-task=') == 2
    assert "已逾期" not in first
    clock.advance(timedelta(days=30))  # past the declaration deadline (and the session's lifetime)
    late = _text(signed_in(app, "staff_a").get("/inbox?overdue=1"))
    assert "已逾期" in late and "共 22 条" in late
    assert len(iids) == 22


def test_a_refused_form_comes_back_with_errors_next_to_the_fields(app, cycle, declaring):
    iid, task_id = declaring
    staff = signed_in(app, "staff_a")
    staff.get(f"/tasks/{task_id}")
    answer = staff.submit(f"/tasks/{task_id}/complete", {
        "goal_summary": "目标", "indicators/0/name": "甲", "indicators/0/category": "quantity",
        "indicators/0/comparator": ">=", "indicators/0/target": "12", "indicators/0/weight": "一百",
        "indicators/0/standard_source": "plan"})
    page = _text(answer)
    assert answer.status_code == 422
    assert 'data-error-for="indicators/0/weight" role="alert">请输入数字</p>' in page
    assert 'name="indicators/0/weight" value="一百"' in page  # what was typed is shown again
    assert 'data-error-for="indicators">至少需要 2 行' in page or "至少需要 2 行" in page
    assert cycle.tasks(iid, "staff_a")[0]["id"] == task_id  # nothing was completed

    answer = staff.submit(f"/tasks/{task_id}/complete", {
        "goal_summary": "目标", "indicators/0/name": "甲", "indicators/0/category": "quantity",
        "indicators/0/comparator": "range", "indicators/0/target": "80", "indicators/0/weight": "50",
        "indicators/0/standard_source": "plan"})
    assert answer.status_code == 422  # the engine's own validation (JSON Schema if/then on the comparator)
    assert 'data-error-for="indicators/0/target" role="alert">' in _text(answer)


def test_completing_a_task_goes_back_to_the_inbox(app, cycle, declaring):
    iid, task_id = declaring
    staff = signed_in(app, "staff_a")
    staff.get(f"/tasks/{task_id}")
    form = {"goal_summary": GOAL["goal_summary"]}
    for n, indicator in enumerate(GOAL["indicators"]):
        for key, value in indicator.items():
            if value is not None:
                form[f"indicators/{n}/{key}"] = "true" if value is True else str(value)
    answer = staff.submit(f"/tasks/{task_id}/complete", form)
    assert answer.status_code == 302 and answer.headers["Location"] == f"/inbox?completed={task_id}"
    assert 'data-clear-draft="' + task_id in _text(staff.get(answer.headers["Location"]))
    cycle.work()
    with cycle.rt.reading() as conn:
        data = instances_queries.get(conn, iid)["data"]
    assert data["indicators"][0]["target"] == 12 and data["indicators"][3]["target"] == "85..100"
    assert data["indicators"][0]["evidence_required"] is True and data["indicators"][1]["evidence_required"] is False


def test_claim_unclaim_and_delegate(app, cycle, declaring):
    _iid, task_id = declaring
    staff = signed_in(app, "staff_a")
    page = _text(staff.get(f"/tasks/{task_id}"))
    assert 'id="claim"' in page and 'id="delegate"' not in page
    assert staff.submit(f"/tasks/{task_id}/claim").status_code == 302
    page = _text(staff.get(f"/tasks/{task_id}"))
    assert "已领取任务。" in page and 'id="unclaim"' in page and 'id="delegate"' in page
    colleague = signed_in(app, "staff_a2")
    page = _text(colleague.get(f"/tasks/{task_id}"))
    assert "此任务已由 staff_a 领取。" in page and 'id="task-form"' not in page
    staff.get(f"/tasks/{task_id}")
    staff.submit(f"/tasks/{task_id}/delegate", {"user": "nobody-such"})
    page = _text(staff.get(f"/tasks/{task_id}"))
    assert 'class="flash flash-error"' in page and "没有名为 nobody-such 的在用账户。" in page
    assert "no active user" not in page  # the domain's English detail is the API's, not the page's
    staff.submit(f"/tasks/{task_id}/delegate", {"user": "staff_a"})
    assert "不能把任务委托给自己。" in _text(staff.get(f"/tasks/{task_id}"))
    colleague.submit(f"/tasks/{task_id}/claim")
    refused = colleague.get(f"/tasks/{task_id}").get_data(as_text=True)
    page = html.unescape(refused)
    assert 'class="flash flash-error"' in page and "此任务已由 staff_a 领取。" in page and "is claimed by" not in page
    assert not leaks(visible(refused), "zh")  # the page walker's checks, on the page with the refusal
    colleague.get(f"/tasks/{task_id}?lang=en")
    colleague.submit(f"/tasks/{task_id}/claim")
    assert "is claimed by staff_a" in _text(colleague.get(f"/tasks/{task_id}"))
    colleague.get(f"/tasks/{task_id}?lang=zh")
    staff.submit(f"/tasks/{task_id}/delegate", {"user": "staff_a2"})
    assert 'id="task-form"' in _text(colleague.get(f"/tasks/{task_id}"))  # the delegate may complete it now
    assert 'id="unclaim"' not in _text(staff.get(f"/tasks/{task_id}"))  # a delegated task comes back by itself


def test_auditors_read_everything_and_change_nothing(app, cycle, declaring):
    iid, task_id = declaring
    auditor = signed_in(app, "auditor")
    page = _text(auditor.get(f"/tasks/{task_id}"))
    assert "审计人员只读" in page and 'id="claim"' not in page
    auditor.get(f"/tasks/{task_id}")
    assert auditor.submit(f"/tasks/{task_id}/claim").status_code == 302
    assert "审计人员只读，不能更改任何内容。" in _text(auditor.get(f"/tasks/{task_id}"))
    auditor.get(f"/tasks/{task_id}?lang=en")
    auditor.submit(f"/tasks/{task_id}/claim")
    assert "auditors read and change nothing" in _text(auditor.get(f"/tasks/{task_id}"))  # English: the detail
    auditor.get(f"/tasks/{task_id}?lang=zh")
    assert auditor.get(f"/instances/{iid}").status_code == 200
    auditor.get(f"/audit/{iid}")
    assert auditor.submit(f"/audit/{iid}/verify").status_code == 302
    assert "校验通过" in _text(auditor.get(f"/audit/{iid}"))
    csv_export = auditor.get(f"/audit/{iid}/export.csv")
    assert csv_export.status_code == 200 and csv_export.mimetype == "text/csv"
    assert f'attachment; filename="audit-{iid}.csv"' == csv_export.headers["Content-Disposition"]
    jsonl = [json.loads(line) for line in auditor.get(f"/audit/{iid}/export.jsonl").get_data(as_text=True).splitlines()]
    assert [e["seq"] for e in jsonl if e["type"] == "event"] == list(range(1, len(
        [e for e in jsonl if e["type"] == "event"]) + 1))


def test_audit_steps_show_the_state_at_each_event(app, cycle, declaring):
    iid, _task_id = declaring
    auditor = signed_in(app, "auditor")
    first = _text(auditor.get(f"/audit/{iid}?at=1"))
    assert "事件 1/" in first and 'id="step-prev"' not in first and 'id="step-next"' in first
    assert auditor.get(f"/audit/{iid}?at=999").status_code == 404


def test_the_diagram_file_and_the_notice_without_npm_assets(app, cycle, declaring, monkeypatch, tmp_path):
    iid, task_id = declaring
    staff = signed_in(app, "staff_a")
    with cycle.rt.reading() as conn:
        version = instances_queries.get(conn, iid)["version"]
    diagram = staff.get(f"/diagrams/{version}/goal_review.bpmn")
    assert diagram.status_code == 200 and b'id="declare_goal"' in diagram.get_data()
    assert staff.get(f"/diagrams/{version}/no_such_process.bpmn").status_code == 404
    monkeypatch.setattr("service.web.pages.VENDOR", tmp_path)  # as on a machine without npm
    page = _text(staff.get(f"/tasks/{task_id}"))
    assert "流程图组件未安装" in page and "bpmn-navigated-viewer" not in page and 'id="task-form"' in page
    assert "建模器组件未安装" in _text(signed_in(app, "designer").get("/designer"))


def test_designer_checks_deploys_downloads_and_diffs(app, runtime):
    from tests.service.web.test_designer_browser import MODEL

    staff = signed_in(app, "staff_a")
    assert staff.get("/designer").status_code == 403
    designer = signed_in(app, "designer")
    designer.get("/designer")

    def upload(group: str, action: str):
        from io import BytesIO

        return designer.http.post("/designer/upload", data={
            "csrf_token": designer.csrf_token(), "action": action,
            "files": (BytesIO(MODEL.format(group=group).encode()), "notice.bpmn")}, content_type="multipart/form-data")

    refused = upload("nobody_group", "deploy")
    assert refused.status_code == 422 and "第 10 行" in _text(refused) and 'data-element="sign"' in _text(refused)
    assert 'id="draft-xml"' in _text(refused)  # the rejected file opens in the modeler
    first = upload("department_staff", "deploy")
    assert first.status_code == 201 and "已发布版本" in _text(first)
    second = upload("department_head", "deploy")
    assert second.status_code == 201
    with runtime.reading() as conn:
        versions = [v["hash"] for v in deployed_versions.versions(conn)]
    diff = _text(designer.get(f"/designer/diff?a={versions[1]}&b={versions[0]}"))
    assert '-    <bpmn:userTask id="sign" name="签收通知" camunda:candidateGroups="department_staff"' in diff
    # one changed element, its candidate groups before and after, marked on both diagrams; the XML behind a switch
    rows = re.findall(r'<tr class="element-(\w+)" data-element="(\w+)">.*?<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td></tr>',
                      diff, re.S)
    assert [(state, eid, prop, re.sub("<.*?>", "", before), re.sub("<.*?>", "", after))
            for state, eid, prop, before, after in rows] == [
        ("changed", "sign", "候选组", "department_staff", "department_head")]
    assert re.findall(r"data-marks='(.*?)'", diff) == ['{"changed": ["sign"], "removed": []}',
                                                      '{"added": [], "changed": ["sign"]}']
    assert '<details class="raw-diff"><summary>显示 XML 差异</summary>' in diff
    download = designer.get(f"/designer/versions/{versions[0]}/files/notice.bpmn")
    assert download.status_code == 200 and b"department_head" in download.get_data()
    checked = designer.http.post("/designer/model", json={"name": "notice", "xml": MODEL.format(group="x"),
                                                          "action": "validate"},
                                 headers={"X-CSRFToken": designer.csrf_token()})
    assert checked.status_code == 422 and checked.get_json()["errors"][0]["element_id"] == "sign"
    no_token = designer.http.post("/designer/model", json={"name": "n", "xml": "", "action": "validate"})
    assert no_token.status_code == 400  # CSRF protected like every form



def test_a_flow_to_a_missing_element_is_named_in_the_pages_language(app, runtime):
    from tests.service.web.test_designer_browser import MODEL

    designer = signed_in(app, "designer")
    designer.get("/designer")
    broken = MODEL.format(group="department_staff").replace('sourceRef="sign" targetRef="end"',
                                                            'sourceRef="sign" targetRef="archive"')
    for lang, message in (("zh", "顺序流 f2 指向不存在的元素“archive”（notice.bpmn 中没有这个 id）"),
                          ("en", 'Sequence flow f2 points to a missing element "archive" (no such id in notice.bpmn)')):
        checked = designer.http.post(f"/designer/model?lang={lang}", json={"name": "notice.bpmn", "xml": broken,
                                                                           "action": "deploy"},
                                     headers={"X-CSRFToken": designer.csrf_token()})
        assert checked.status_code == 422
        assert [(e["element_id"], e["message"]) for e in checked.get_json()["errors"]] == [("f2", message)]
    with runtime.reading() as conn:
        assert not [v for v in deployed_versions.versions(conn) if "notice" in v["processes"]]


def test_language_switch_keeps_the_choice(app, cycle, declaring):
    _iid, task_id = declaring
    staff = signed_in(app, "staff_a")
    english = staff.get(f"/tasks/{task_id}?lang=en")
    assert "Overall goal" in _text(english) and "lang=en" in english.headers["Set-Cookie"]
    assert "<h1>Inbox</h1>" in _text(staff.get("/inbox"))


def test_instance_page_marks_overdue_and_escalated_elements(app, cycle, declaring, deploy_fixture):
    iid, _task_id = declaring
    clock.advance(timedelta(days=30))
    page = _text(signed_in(app, "staff_a").get(f"/instances/{iid}"))
    marks = page.split('id="marks"')[1].split("</ul>")[0].replace("<code>", "").replace("</code>", "")  # ids as ids
    running = marks.split("进行中: ")[1].split("</li>")[0].split(", ")
    # the task, and the escalation timer waiting on it (escalation.grace_working_days after the due date)
    assert "已逾期: declare_goal" in marks and sorted(running) == ["declaration_slipped", "declare_goal"]

    from tests.conftest import principal
    from workers.timers import fire_due

    deploy_fixture("timers.bpmn")
    late = cycle.rt.workflows.start("timers", {}, actor=principal("staff_a"))["id"]
    clock.advance(timedelta(days=6))
    fire_due(cycle.rt.workflows)
    page = _text(signed_in(app, "supervisor").get(f"/instances/{late}"))
    assert "已督办: <code>overdue</code>" in page.split('id="marks"')[1].split("</ul>")[0]
    assert "督办" in page and "待处理" in page  # the escalation is listed on the instance page
