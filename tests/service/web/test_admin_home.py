"""The administration pages and the auditors' search without a browser: who may open them (as the API decides),
lists, changes through the same domain functions, refused input at its field with nothing changed, retries."""

from __future__ import annotations

import html
import json
from typing import Any

import pytest
from sqlalchemy import insert, select, text, update

from service import clock, db
from service.models import Job, Notification
from service.notifications import outbox
from service.people import directory
from service.rules import store
from tests.conftest import START
from tests.service.web.browser_fixtures import signed_in
from tests.workflows.conftest import seed_reference

ADMIN_PAGES = ("/admin", "/admin/users", "/admin/departments", "/admin/rules", "/admin/calendar",
               "/admin/libraries/indicators", "/admin/libraries/experts", "/admin/libraries/agencies",
               "/admin/libraries/supervision", "/admin/incidents", "/admin/outbox", "/admin/users/staff_a",
               "/admin/rules/goal.major_threshold?year=2015&level=*")


def _text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def reference(runtime):
    """Rule rows, the official calendar and the four libraries, as seeded at start; the clock in 2015."""
    clock.set_now(START)
    with db.write(runtime.engine) as conn:
        seed_reference(conn, START)
    yield runtime
    clock.reset()


def _rule(runtime, key: str, year: int = 2015) -> store.RuleRow:
    with db.read(runtime.engine) as conn:
        return store.get_row(conn, year, "municipal", key)


def test_others_get_the_403_page_in_chinese_with_a_way_back(app, reference):
    for user in ("staff_a", "auditor", "designer"):  # finance reviewers: tests/service/web/test_admin_fiscal_figures.py
        client = signed_in(app, user)
        for path in ADMIN_PAGES:
            answer = client.get(path)
            page = _text(answer)
            assert answer.status_code == 403, (user, path)
            assert answer.content_type.startswith("text/html")
            assert "您的角色不允许此操作。" in page and 'href="/">返回' in page, (user, path)
        assert "/admin" not in _text(client.get("/inbox")).split("<main>")[0]  # no 管理 menu entry
    english = signed_in(app, "staff_a").get("/admin/users?lang=en")
    assert english.status_code == 403 and "Your roles do not allow this." in _text(english)


def test_supervisors_read_jobs_as_the_api_lets_them_but_do_not_retry(app, reference):
    supervisor = signed_in(app, "supervisor")
    menu = _text(supervisor.get("/inbox"))
    assert ">管理</a>" in menu
    home = _text(supervisor.get("/admin"))
    assert "后台作业与故障" in home and "用户与角色" not in home
    assert supervisor.get("/admin/incidents").status_code == 200
    assert supervisor.get("/admin/users").status_code == 403
    assert supervisor.submit("/admin/incidents/1/retry").status_code == 403


def test_administrator_creates_a_user_with_roles_and_department(app, reference):
    admin = signed_in(app, "admin")
    listing = _text(admin.get("/admin/users"))
    assert ">管理</a>" in listing and 'data-user="staff_a"' in listing and "部门经办人" in listing
    answer = admin.submit("/admin/users", {"username": "zhao.lei", "display_name": "赵磊", "password": "Str0ng-pass1",
                                           "department_id": "dept-b", "roles": ["department_staff", "department_head"],
                                           "email": ""})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/admin/users/zhao.lei")
    with db.read(reference.engine) as conn:
        created = directory.get_user(conn, "zhao.lei")
    assert created["department_id"] == "dept-b" and created["roles"] == ["department_head", "department_staff"]
    page = _text(admin.get("/admin/users/zhao.lei"))
    assert "已创建用户 zhao.lei。" in page and "赵磊" in page
    assert signed_in_as(app, "zhao.lei", "Str0ng-pass1")


def signed_in_as(app, username: str, password: str) -> bool:
    from tests.service.web.conftest import WebClient

    client = WebClient(app)
    return client.login(username, password).status_code == 302 and client.get("/inbox").status_code == 200


def test_refused_user_input_is_shown_at_its_field_and_nothing_is_created(app, reference):
    admin = signed_in(app, "admin")
    admin.get("/admin/users")
    answer = admin.submit("/admin/users", {"username": "a b", "display_name": "", "password": "short",
                                           "roles": ["king"], "department_id": "nowhere"})
    page = _text(answer)
    assert answer.status_code == 422
    assert 'data-error-for="username" role="alert">用户名须为 2–100 个字符' in page
    assert 'data-error-for="display_name" role="alert">请填写姓名' in page
    assert 'data-error-for="roles" role="alert">请选择列出的角色。' in page
    assert 'value="a b"' in page and "short" not in page  # typed values come back, the password never
    taken = admin.submit("/admin/users", {"username": "staff_a", "display_name": "重名", "password": "Str0ng-pass1"})
    assert taken.status_code == 422 and 'data-error-for="username" role="alert">该用户名已被使用。' in _text(taken)
    weak = admin.submit("/admin/users", {"username": "qian.li", "display_name": "钱立", "password": "1234567"})
    assert 'data-error-for="password" role="alert">密码至少需要 8 个字符。' in _text(weak)
    nowhere = admin.submit("/admin/users", {"username": "qian.li", "display_name": "钱立", "password": "Str0ng-pass1",
                                            "department_id": "nowhere"})
    assert 'data-error-for="department_id" role="alert">请选择列出的部门。' in _text(nowhere)
    with db.read(reference.engine) as conn:
        users = [u["username"] for u in directory.list_users(conn, 1, 500)["items"]]
    assert "a b" not in users and "qian.li" not in users


def test_administrator_changes_roles_disables_enables_and_resets_a_password(app, reference):
    with db.write(reference.engine) as conn:
        directory.create_user(conn, "test", username="sun.yu", display_name="孙宇", password="Str0ng-pass1",
                              roles=["department_staff"], department_id="dept-a")
    admin = signed_in(app, "admin")
    admin.get("/admin/users/sun.yu")
    changed = admin.submit("/admin/users/sun.yu", {"display_name": "孙宇", "roles": ["department_head"],
                                                   "department_id": "dept-b"})
    assert changed.status_code == 302
    with db.read(reference.engine) as conn:
        user = directory.get_user(conn, "sun.yu")
    assert user["roles"] == ["department_head"] and user["department_id"] == "dept-b"
    admin.get("/admin/users/sun.yu")
    assert admin.submit("/admin/users/sun.yu/active", {"active": "0"}).status_code == 302
    with db.read(reference.engine) as conn:
        assert directory.get_user(conn, "sun.yu")["active"] is False
    assert not signed_in_as(app, "sun.yu", "Str0ng-pass1")
    admin.get("/admin/users/sun.yu")
    admin.submit("/admin/users/sun.yu/active", {"active": "1"})
    admin.get("/admin/users/sun.yu")
    refused = admin.submit("/admin/users/sun.yu/password", {"password": "short"})
    assert refused.status_code == 422 and 'data-error-for="password"' in _text(refused)
    assert signed_in_as(app, "sun.yu", "Str0ng-pass1")
    admin.get("/admin/users/sun.yu")
    assert admin.submit("/admin/users/sun.yu/password", {"password": "An0ther-pass"}).status_code == 302
    assert signed_in_as(app, "sun.yu", "An0ther-pass") and not signed_in_as(app, "sun.yu", "Str0ng-pass1")
    assert admin.get("/admin/users/nobody").status_code == 404


def test_departments_are_created_and_edited_with_errors_at_their_fields(app, reference):
    admin = signed_in(app, "admin")
    listing = _text(admin.get("/admin/departments"))
    assert 'data-department="dept-a-unit"' in listing and "市教育局直属学校" in listing
    created = admin.submit("/admin/departments", {"id": "district-1-jy", "name": "江岸区教育局", "level": "district",
                                                  "kind": "department", "active": "1", "sector": "education"})
    assert created.status_code == 302
    admin.get("/admin/departments/district-1-jy")
    refused = admin.submit("/admin/departments", {"editing": "district-1-jy", "name": "江岸区教育局",
                                                  "level": "district", "kind": "department", "active": "1",
                                                  "district_id": "no-such-bureau"})
    assert refused.status_code == 422
    assert 'data-error-for="district_id" role="alert">请选择列出的区财政局。' in _text(refused)
    saved = admin.submit("/admin/departments", {"editing": "district-1-jy", "name": "江岸区教育局",
                                                "level": "district", "kind": "department", "active": "1",
                                                "district_id": "district-1", "parent_id": ""})
    assert saved.status_code == 302
    with db.read(reference.engine) as conn:
        found = next(d for d in directory.list_departments(conn) if d["id"] == "district-1-jy")
    assert found["district_id"] == "district-1" and found["sector"] is None
    taken = admin.submit("/admin/departments", {"id": "dept-a", "name": "重复", "level": "municipal",
                                                "kind": "department"})
    assert taken.status_code == 422 and 'data-error-for="id" role="alert">该编号已被使用' in _text(taken)
    with db.read(reference.engine) as conn:
        assert next(d for d in directory.list_departments(conn) if d["id"] == "dept-a")["name"] == "市教育局"


def test_rule_rows_by_year_and_level_with_value_unit_and_source(app, reference):
    admin = signed_in(app, "admin")
    page = _text(admin.get("/admin/rules?year=2015&level=district"))
    row = page.split('data-rule="coverage.evaluated_money_share"')[1].split("</tr>")[0]
    assert "评价资金占上年公共支出比例目标" in row and "20 %" in row and "2015 年起" in row and "区级" in row
    major = page.split('data-rule="goal.major_threshold"')[1].split("</tr>")[0]
    assert "5,000,000 元" in major and "重大项目金额标准" in major
    weights = page.split('data-rule="evaluation.weights"')[1].split("</tr>")[0]
    assert "产出：50 分" in weights and "财预〔2020〕10号" in weights
    assert "{" not in page.split("<main>")[1]  # no JSON shown


def test_a_rule_row_is_edited_with_validation_at_the_field(app, reference):
    admin = signed_in(app, "admin")
    admin.get("/admin/rules/goal.major_threshold?year=2015&level=*")
    refused = admin.submit("/admin/rules/goal.major_threshold", {
        "shown_year": "2015", "shown_level": "*", "value": "五百万", "fiscal_year": "2015", "level": "*",
        "source": ""})
    page = _text(refused)
    assert refused.status_code == 422
    assert 'data-error-for="value" role="alert">请输入数字。' in page
    assert 'data-error-for="source" role="alert">请写明依据' in page
    assert _rule(reference, "goal.major_threshold").value == 5_000_000
    saved = admin.submit("/admin/rules/goal.major_threshold", {
        "shown_year": "2015", "shown_level": "*", "value": "8,000,000", "fiscal_year": "2016", "level": "*",
        "source": "本地做法：市政府常务会议决定 2016 年起重大项目标准提高到 800 万元"})
    assert saved.status_code == 302
    assert _rule(reference, "goal.major_threshold", 2016).value == 8_000_000
    assert _rule(reference, "goal.major_threshold", 2015).value == 5_000_000  # the earlier years keep theirs
    table = admin.submit("/admin/rules/evaluation.weights", {
        "shown_year": "2015", "shown_level": "*", "value.execution": "10", "value.outputs": "40",
        "value.effects": "", "value.satisfaction": "10", "fiscal_year": "2015", "level": "*", "source": "本地做法"})
    assert table.status_code == 422 and "每一项都须填写数字。" in _text(table)
    assert _rule(reference, "evaluation.weights").value["outputs"] == 50


def test_the_holiday_calendar_adds_and_removes_a_day(app, reference):
    admin = signed_in(app, "admin")
    page = _text(admin.get("/admin/calendar?year=2015"))
    assert 'data-day="2015-10-01"' in page and "节假日" in page and "调休工作日" in page
    before = int(page.split("2015 年共有 ")[1].split(" ")[0])
    added = admin.submit("/admin/calendar", {"date": "2015-03-09", "kind": "holiday", "name": "防汛停工日",
                                             "source": "本地做法：市政府通知"})
    assert added.status_code == 302
    page = _text(admin.get("/admin/calendar?year=2015"))
    assert 'data-day="2015-03-09"' in page and f"2015 年共有 {before - 1} 个工作日" in page
    removed = admin.submit("/admin/calendar", {"date": "2015-03-09", "kind": "plain",
                                               "source": "管理员在节假日日历页删除此调整"})
    assert removed.status_code == 302
    assert f"2015 年共有 {before} 个工作日" in _text(admin.get("/admin/calendar?year=2015"))
    refused = admin.submit("/admin/calendar", {"date": "2015-02-30", "kind": "holiday", "source": ""})
    assert refused.status_code == 422
    assert 'data-error-for="date" role="alert">请按 年-月-日' in _text(refused)
    assert 'data-error-for="source"' in _text(refused)


def test_libraries_list_search_create_edit_and_agency_status(app, reference):
    admin = signed_in(app, "admin")
    found = _text(admin.get("/admin/libraries/indicators?q=满意度"))
    assert "满意度" in found and "共性指标" in found
    experts = _text(admin.get("/admin/libraries/experts"))
    assert experts.count('data-item="') >= 5 and "新增专家" in experts
    refused = admin.submit("/admin/libraries/experts", {"name": "", "employer": "", "fields": ["astrology"]})
    page = _text(refused)
    assert refused.status_code == 422 and 'data-error-for="name"' in page and 'data-error-for="employer"' in page
    added = admin.submit("/admin/libraries/experts", {"name": "周敏", "employer": "武汉大学", "title": "教授",
                                                      "fields": ["education"], "conflicts": ["dept-a"],
                                                      "available": "1"})
    assert added.status_code == 302
    listing = _text(admin.get("/admin/libraries/experts?field=education&per_page=100"))
    assert "周敏" in listing and "市教育局" in listing
    agencies = _text(admin.get("/admin/libraries/agencies"))
    agency_id = agencies.split('data-item="')[1].split('"')[0]
    current = _text(admin.get(f"/admin/libraries/agencies/{agency_id}"))
    name = current.split('id="name" name="name" type="text" value="')[1].split('"')[0]
    saved = admin.submit(f"/admin/libraries/agencies/{agency_id}", {"name": name, "kind": "consultancy",
                                                                    "status": "suspended"})
    assert saved.status_code == 302
    row = _text(admin.get("/admin/libraries/agencies?status=suspended")).split(f'data-item="{agency_id}"')[1]
    assert "暂停委托" in row.split("</tr>")[0]
    supervision = _text(admin.get("/admin/libraries/supervision"))
    assert "只读" in supervision and "新增" not in supervision


def _failed_job(runtime) -> int:
    now = clock.to_db(clock.now())
    with db.write(runtime.engine) as conn:
        return conn.execute(insert(Job.__table__).values(
            kind="external", idempotency_key="test:failed", topic="draw_experts", payload="{}", status="failed",
            due_at=now, attempts=3, retries_left=0, last_error="SMTP server refused", created_at=now,
            updated_at=now)).inserted_primary_key[0]


def test_an_incident_is_retried(app, reference):
    job_id = _failed_job(reference)
    admin = signed_in(app, "admin")
    page = _text(admin.get("/admin/incidents"))
    assert f'data-job="{job_id}"' in page and "SMTP server refused" in page and "服务任务" in page
    assert admin.submit(f"/admin/incidents/{job_id}/retry").status_code == 302
    with db.read(reference.engine) as conn:
        assert conn.execute(select(Job.__table__.c.status).where(Job.__table__.c.id == job_id)).scalar() == "pending"
    assert f'data-job="{job_id}"' not in _text(admin.get("/admin/incidents"))
    again = admin.submit(f"/admin/incidents/{job_id}/retry")
    assert again.status_code == 404 and "未找到" in _text(again)


def test_a_failed_mail_is_retried_from_the_outbox(app, reference):
    with db.write(reference.engine) as conn:
        outbox.enqueue(conn, key="test:mail", recipient="staff_a", email="staff_a@example.org", subject="截止提醒",
                       body="…", kind="reminder", instance_id=None, now=clock.now())
        outbox.enqueue(conn, key="test:nomail", recipient="nobody", email=None, subject="无地址", body="…",
                       kind="reminder", instance_id=None, now=clock.now())
        conn.execute(update(Notification.__table__).where(Notification.__table__.c.idempotency_key == "test:mail")
                     .values(status="failed", last_error="connection refused"))
        mail_id = conn.execute(select(Notification.__table__.c.id)
                               .where(Notification.__table__.c.idempotency_key == "test:mail")).scalar()
    assert signed_in(app, "supervisor").get("/admin/outbox").status_code == 403
    admin = signed_in(app, "admin")
    page = _text(admin.get("/admin/outbox"))
    assert "截止提醒" in page and "connection refused" in page and "请先填写邮箱" in page
    assert admin.submit(f"/admin/outbox/{mail_id}/retry").status_code == 302
    with db.read(reference.engine) as conn:
        assert outbox.list_notifications(conn, status="pending")["items"][0]["id"] == mail_id
    assert "邮件" in _text(admin.get("/admin/outbox?status=pending"))


def test_the_auditors_search_leads_to_the_audit_page(app, cycle):
    iid = cycle.start(cycle.project("2015-dept-a-007", name="农村义务教育营养改善计划"), process_id="goal_review")
    cycle.start(cycle.project("2015-dept-b-001", department_id="dept-b", name="基层医疗卫生机构建设",
                              sector="health"), process_id="goal_review")
    auditor = signed_in(app, "auditor")
    assert ">审计</a>" in _text(auditor.get("/inbox"))
    form = _text(auditor.get("/audit"))
    assert 'id="audit-search"' in form and "audit-results" not in form
    found = _text(auditor.get("/audit?project=营养"))
    assert f'href="/audit/{iid}"' in found and "基层医疗" not in found and "绩效目标编报与审核" in found
    by_department = _text(auditor.get("/audit?department=dept-b"))
    assert "基层医疗卫生机构建设" in by_department and "营养" not in by_department
    assert f'href="/audit/{iid}"' in _text(auditor.get(f"/audit?instance={iid[:8]}"))
    assert "没有符合条件" in _text(auditor.get("/audit?from=2015-03-03"))
    assert f'href="/audit/{iid}"' in _text(auditor.get("/audit?from=2015-03-02&to=2015-03-02"))
    refused = auditor.get("/audit?from=2015-03-05&to=2015-03-01")
    assert refused.status_code == 422 and 'data-error-for="to" role="alert">结束日期不能早于开始日期。' in _text(refused)
    assert auditor.get(f"/audit/{iid}").status_code == 200
    # Others search only what they may see.
    assert "基层医疗" not in _text(signed_in(app, "staff_a").get("/audit?project=建设"))


def test_failed_changes_leave_no_audit_event(app, reference):
    admin = signed_in(app, "admin")
    admin.get("/admin/users")
    admin.submit("/admin/users", {"username": "x", "display_name": "", "password": ""})
    with reference.engine.connect() as conn:
        commands = [json.loads(r.input) for r in conn.execute(
            text("SELECT input FROM events WHERE instance_id IS NULL AND command = 'user_created'"))]
    assert not any(c.get("username") == "x" for c in commands)


def test_every_administration_page_reads_without_raw_keys_in_both_languages(app, reference):
    import re

    from service.web.texts import TEXTS

    _failed_job(reference)
    admin = signed_in(app, "admin")
    expert = _text(admin.get("/admin/libraries/experts")).split('data-item="')[1].split('"')[0]
    keys = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in TEXTS if "_" in k) + r")\b")
    for lang in ("zh", "en"):
        for path in (*ADMIN_PAGES, f"/admin/libraries/experts/{expert}", "/admin/departments/dept-a",
                     "/admin/incidents?status=all", "/admin/outbox?status=all", "/audit?project=x"):
            answer = admin.get(path + ("&" if "?" in path else "?") + f"lang={lang}")
            assert answer.status_code == 200, path
            main = _text(answer).split("<main>")[1]
            visible = re.sub(r"<[^>]+>", " ", main)
            assert not keys.search(visible), (lang, path, keys.search(visible))
            assert "{" not in visible, (lang, path)
            if lang == "en":
                for sentence in ("规则参数", "用户与角色", "保存", "筛选", "全部"):
                    assert sentence not in visible, (path, sentence)
