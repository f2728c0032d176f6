"""Signing in to the web pages: sessions, CSRF, safe redirects, rate limits and audit, languages; the API stays
bearer-only."""

from __future__ import annotations

import html
import json
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from service import clock
from service.people import directory
from service.web.session_auth import safe_next
from tests.conftest import password_of


def _global_events(runtime, *commands):
    with runtime.engine.connect() as conn:
        rows = conn.execute(text("SELECT command, actor, input FROM events WHERE instance_id IS NULL ORDER BY seq"))
        return [(r.command, r.actor, json.loads(r.input)) for r in rows if r.command in commands]


def _cookie(response, name):
    return next((h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")), None)


def test_sign_in_starts_a_session_and_home_shows_the_user(web, runtime):
    browser = web()
    assert browser.get("/").status_code == 302  # not signed in yet
    form_token = browser.csrf_token()

    signed_in = browser.login("head_a", password_of("head_a"))
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/"
    cookie = _cookie(signed_in, "session")
    assert cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    session = browser.session()
    assert session["user"] == "head_a" and isinstance(session["login_at"], int)
    assert set(session) == {"user", "login_at"}  # rotated: nothing of the anonymous session survives

    home = browser.get("/")
    page = home.get_data(as_text=True)
    assert home.status_code == 200
    assert "head_a" in page and "市教育局" in page and "部门负责人" in page and 'href="/api/docs"' in page
    assert _global_events(runtime, "login", "login_failed") == [("login", "head_a", {"via": "web"})]
    # The anonymous form's token died with the old session; the page's new one works.
    assert browser.http.post("/logout", data={"csrf_token": form_token}).status_code == 400
    assert browser.csrf_token() != form_token


def test_home_lists_every_role_with_its_label_and_the_unattached(web):
    browser = web()
    browser.login("power", password_of("power"))
    page = browser.get("/").get_data(as_text=True)
    for label in ("流程设计人员", "部门经办人", "部门负责人", "财政审核人员", "督办人员"):
        assert label in page
    browser = web()
    browser.login("expert", password_of("expert"))
    page = browser.get("/").get_data(as_text=True)
    assert "评审专家" in page and "不隶属于任何部门" in page


def test_wrong_password_is_401_and_audited(web, runtime):
    browser = web()
    refused = browser.login("staff_a", "not-the-password")
    assert refused.status_code == 401 and "用户名或密码错误" in refused.get_data(as_text=True)
    assert 'value="staff_a"' in refused.get_data(as_text=True)  # the name is kept, the password is not
    assert "user" not in browser.session()
    assert browser.get("/").status_code == 302
    assert _global_events(runtime, "login", "login_failed") == [("login_failed", "staff_a", {"via": "web"})]


def test_unknown_user_is_refused_like_a_wrong_password(web, runtime):
    refused = web().login("nobody", "whatever-password")
    assert refused.status_code == 401 and "用户名或密码错误" in refused.get_data(as_text=True)
    assert _global_events(runtime, "login_failed") == [("login_failed", "nobody", {"via": "web"})]


@pytest.mark.parametrize("form", [{"username": "", "password": "x"}, {"username": "staff_a", "password": ""},
                                  {"username": "staff_a"}, {"username": "staff\x00a", "password": "x"},
                                  {"username": "a" * 101, "password": "x"}])
def test_incomplete_or_unstorable_input_is_400_and_not_an_attempt(web, runtime, form):
    browser = web()
    browser.get("/login")
    refused = browser.submit("/login", form)
    assert refused.status_code == 400 and "请输入用户名和密码" in refused.get_data(as_text=True)
    assert _global_events(runtime, "login", "login_failed") == []


def test_login_without_csrf_token_is_refused_and_nothing_happens(web, runtime):
    browser = web()
    browser.get("/login")
    for data in ({}, {"csrf_token": "forged"}):
        refused = browser.http.post("/login", data={"username": "staff_a", "password": password_of("staff_a"), **data})
        assert refused.status_code == 400 and refused.content_type.startswith("text/html")
        assert "页面已过期" in refused.get_data(as_text=True)
    assert "user" not in browser.session()
    assert browser.get("/").status_code == 302
    assert _global_events(runtime, "login", "login_failed") == []


def test_logout_needs_the_csrf_token(web, runtime):
    browser = web()
    browser.login("staff_b", password_of("staff_b"))
    assert browser.http.post("/logout").status_code == 400
    assert browser.get("/").status_code == 200  # still signed in

    out = browser.submit("/logout")
    assert out.status_code == 302 and out.headers["Location"] == "/login"
    back = browser.get("/")
    assert back.status_code == 302 and back.headers["Location"] == "/login?next=/"
    assert "user" not in browser.session()
    assert _global_events(runtime, "logout") == [("logout", "staff_b", {"via": "web"})]


def test_next_goes_back_to_a_page_of_this_site(web):
    browser = web()
    sent_away = browser.get("/?tab=history")
    assert sent_away.headers["Location"] == "/login?next=/?tab%3Dhistory"
    form = browser.get(sent_away.headers["Location"]).get_data(as_text=True)
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', form).group(1))
    signed_in = browser.submit(action, {"username": "staff_a", "password": password_of("staff_a")})
    assert signed_in.headers["Location"] == "/?tab=history"
    assert web().login("staff_a", password_of("staff_a"), next_path="/inbox").headers["Location"] == "/inbox"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "\\\\evil.example",
                                    "javascript:alert(1)", "/\t/evil.example", "http:/evil.example", "evil.example"])
def test_next_refuses_other_sites(web, target):
    signed_in = web().login("staff_a", password_of("staff_a"), next_path=target)
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/"


def test_safe_next_rules():
    assert safe_next(None) == "/" and safe_next("") == "/"
    assert safe_next("/inbox") == "/inbox" and safe_next("/tasks/7?lang=en") == "/tasks/7?lang=en"
    for bad in ("//a.example", "/\\a.example", "https://a.example", "/\n/a.example", "a.example", "/x\x7f"):
        assert safe_next(bad) == "/"


def test_failed_logins_are_rate_limited_even_with_the_right_password(web, runtime, frozen_clock):
    browser = web()
    browser.get("/login")
    for _ in range(5):
        assert browser.submit("/login", {"username": "head_b", "password": "not-the-password"}).status_code == 401
    blocked = browser.submit("/login", {"username": "head_b", "password": password_of("head_b")})
    assert blocked.status_code == 429 and "登录失败次数过多，请 15 分钟后再试" in blocked.get_data(as_text=True)
    assert "user" not in browser.session()
    assert [c for c, _, _ in _global_events(runtime, "login", "login_failed")] == ["login_failed"] * 5
    assert web().login("staff_b", password_of("staff_b")).status_code == 302  # other users are not affected
    clock.advance(timedelta(minutes=16))
    assert browser.submit("/login", {"username": "head_b", "password": password_of("head_b")}).status_code == 302


def test_english_by_query_then_by_cookie(web):
    browser = web()
    chinese = browser.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in chinese and "登录" in chinese and "用户名" in chinese and "密码" in chinese
    english = browser.get("/login?lang=en")
    page = english.get_data(as_text=True)
    assert '<html lang="en">' in page and "Sign in" in page and "User name" in page and "Password" in page
    assert "用户名" not in page and _cookie(english, "lang").startswith("lang=en")
    assert "User name" in browser.get("/login").get_data(as_text=True)  # kept by the cookie
    refused = browser.submit("/login", {"username": "staff_a", "password": "not-the-password"})
    assert "Wrong user name or password" in refused.get_data(as_text=True)
    assert "用户名" in browser.get("/login?lang=zh").get_data(as_text=True)


def test_web_session_does_not_authenticate_the_api(web):
    browser = web()
    browser.login("admin", password_of("admin"))
    assert browser.get("/").status_code == 200
    api = browser.http.get("/api/tasks")
    assert api.status_code == 401 and api.content_type == "application/problem+json"
    assert browser.http.get("/api/auth/me").status_code == 401


def test_api_posts_need_no_csrf_token(web, tokens):
    browser = web()
    browser.login("staff_a", password_of("staff_a"))  # a session cookie is present, no CSRF token is sent
    issued = browser.http.post("/api/auth/token", json={"username": "staff_a", "password": password_of("staff_a")})
    assert issued.status_code == 200 and issued.get_json()["token_type"] == "Bearer"
    me = browser.http.get("/api/auth/me", headers={"Authorization": f"Bearer {issued.get_json()['token']}"})
    assert me.status_code == 200 and me.get_json()["username"] == "staff_a"


def test_every_state_changing_api_route_is_exempt_from_csrf(app):
    csrf = app.extensions["csrf"]
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and rule.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            blueprint = app.blueprints[rule.endpoint.rpartition(".")[0]]
            assert blueprint in csrf._exempt_blueprints, rule.rule


def test_a_disabled_user_is_signed_out(web, runtime):
    name = f"web_{uuid.uuid4().hex[:8]}"  # people outlive a test: a user of its own, never one of PEOPLE
    with runtime.unit_of_work() as conn:
        directory.create_user(conn, "test", username=name, display_name="临时用户", password="Str0ng-pass",
                              roles=["expert"])
    browser = web()
    browser.login(name, "Str0ng-pass")
    assert "临时用户" in browser.get("/").get_data(as_text=True)
    with runtime.unit_of_work() as conn:
        directory.update_user(conn, "test", name, {"active": False})
    assert browser.get("/").headers["Location"] == "/login?next=/"
    assert "user" not in browser.session()


def test_a_session_ends_after_the_token_lifetime(web, runtime, frozen_clock):
    browser = web()
    browser.login("staff_a", password_of("staff_a"))
    clock.advance(timedelta(seconds=runtime.settings.token_ttl_seconds - 60))
    assert browser.get("/").status_code == 200
    clock.advance(timedelta(seconds=61))
    assert browser.get("/").status_code == 302
