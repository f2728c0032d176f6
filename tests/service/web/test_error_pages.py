"""Browser errors on page routes are pages (in the page's language, with the menu and a way back); the API keeps
RFC 9457 problem+json for the same statuses."""

from __future__ import annotations

import html
import logging
from dataclasses import replace
from typing import Any

import pytest

from service import create_app
from service.errors import Forbidden, InvalidInput, PayloadTooLarge
from service.runtime import Runtime
from tests.service.web.browser_fixtures import signed_in
from tests.service.web.test_i18n_page_language import leaks, visible


@pytest.fixture
def app(runtime: Runtime) -> Any:
    """An app of this module's own: its tests add routes or replace views (the shared one, tests/conftest.py, stays
    as built)."""
    return create_app(runtime=runtime)


def _text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def _is_page(response: Any, sentence: str) -> None:
    page = _text(response)
    assert response.content_type.startswith("text/html"), response.content_type
    assert sentence in page and ('href="/">返回' in page or 'href="/login">返回' in page)
    assert '"status"' not in page and "problem" not in page


def test_an_unknown_page_is_a_404_page_and_an_unknown_api_path_problem_json(app):
    staff = signed_in(app, "staff_a")
    answer = staff.get("/users")
    assert answer.status_code == 404
    _is_page(answer, "没有这个页面")
    assert ">待办任务</a>" in _text(answer)  # the menu is there to go on from
    english = staff.get("/no-such-page?lang=en")
    assert english.status_code == 404 and "There is no such page" in _text(english)
    anonymous = app.test_client().get("/no-such-page")
    assert anonymous.status_code == 404 and "没有这个页面" in _text(anonymous)
    api = staff.get("/api/no-such-thing")
    assert api.status_code == 404 and api.content_type == "application/problem+json"
    assert api.get_json()["status"] == 404


def test_a_form_address_opened_with_get_is_a_405_page(app):
    staff = signed_in(app, "staff_a")
    answer = staff.get("/tasks/x/complete")  # reloading the address a form posted to
    assert answer.status_code == 405
    _is_page(answer, "此页面不能这样打开")
    api = staff.http.delete("/api/tasks", headers={"Authorization": "Bearer x"})
    assert api.status_code in (401, 405) and api.content_type == "application/problem+json"


def test_an_upload_over_the_cap_is_a_413_page(runtime):
    small = Runtime.build(replace(runtime.settings, max_upload_bytes=2048))
    try:
        app = create_app(runtime=small)
        staff = signed_in(app, "staff_a")
        answer = staff.submit("/tasks/x/complete", {"text": "x" * 5000})
        assert answer.status_code == 413
        _is_page(answer, "超过上传大小限制")
        assert not leaks(visible(answer.get_data(as_text=True)), "zh")
        api = app.test_client().post("/api/tasks/x/complete", data="x" * 5000,
                                     headers={"Content-Type": "application/json"})
        assert api.status_code in (401, 413) and api.content_type == "application/problem+json"
    finally:
        small.close()


def test_an_unexpected_failure_is_a_500_page_and_logged(app, caplog: pytest.LogCaptureFixture):
    from service.web import bp

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("a bug")

    @app.get("/api/boom")
    def api_boom() -> str:
        raise RuntimeError("a bug")

    assert bp.name == "web"
    client = app.test_client()
    with caplog.at_level(logging.ERROR):
        answer = client.get("/boom")
    assert answer.status_code == 500
    _is_page(answer, "系统出现意外错误")
    assert "a bug" not in _text(answer) and "Traceback" not in _text(answer)
    assert any("unhandled error" in r.getMessage() for r in caplog.records)
    api = client.get("/api/boom")
    assert api.status_code == 500 and api.content_type == "application/problem+json"


def _raising_page(app: Any, error: Exception) -> None:
    """Make the inbox page (a real page of the web blueprint) raise `error`."""
    def broken() -> str:
        raise error

    app.view_functions["web.inbox"] = broken


@pytest.mark.parametrize(("error", "status", "zh", "en"), [
    (RuntimeError("a bug in a page"), 500, "系统出现意外错误", "unexpected error"),
    (InvalidInput("the value is not valid"), 422, "请求无效", "The request is not valid"),
    (PayloadTooLarge("the file is larger than 10 bytes"), 413, "超过上传大小限制", "larger than the upload limit"),
    (Forbidden("your roles do not allow this"), 403, "您的角色不允许此操作", "Your roles do not allow this"),
])
def test_a_failure_inside_a_page_handler_is_a_page_in_the_page_language(app, error, status, zh, en, caplog):
    staff = signed_in(app, "staff_a")
    _raising_page(app, error)
    with caplog.at_level(logging.ERROR):
        answer = staff.get("/inbox")
    assert answer.status_code == status
    _is_page(answer, zh)
    assert str(error) not in _text(answer)  # the domain's English detail stays off Chinese pages
    assert not leaks(visible(answer.get_data(as_text=True)), "zh")  # the page walker's checks
    english = staff.get("/inbox?lang=en")
    assert english.status_code == status and en in _text(english) and 'href="/">Back' in _text(english)
    assert english.content_type.startswith("text/html")
    assert not leaks(visible(english.get_data(as_text=True)), "en")


def test_a_page_refused_by_role_is_a_403_page(app):
    staff = signed_in(app, "staff_a")
    answer = staff.get("/admin/users")
    assert answer.status_code == 403
    _is_page(answer, "您的角色不允许此操作")
    api = staff.get("/api/users")
    assert api.status_code in (401, 403) and api.content_type == "application/problem+json"


def test_an_upload_over_the_cap_in_english_is_an_english_413_page(runtime):
    small = Runtime.build(replace(runtime.settings, max_upload_bytes=2048))
    try:
        app = create_app(runtime=small)
        staff = signed_in(app, "staff_a")
        staff.get("/?lang=en")
        answer = staff.submit("/tasks/x/complete", {"text": "x" * 5000})
        assert answer.status_code == 413 and "larger than the upload limit" in _text(answer)
        assert 'href="/">Back' in _text(answer)
    finally:
        small.close()


def test_an_upload_over_the_cap_on_the_task_page_answers_the_upload_control_in_json(runtime):
    import io

    small = Runtime.build(replace(runtime.settings, max_upload_bytes=2048))
    try:
        app = create_app(runtime=small)
        staff = signed_in(app, "staff_a")
        staff.get("/inbox")
        answer = staff.http.post("/tasks/x/attachments", headers={"X-CSRFToken": staff.csrf_token()},
                                 data={"file": (io.BytesIO(b"x" * 200_000), "big.pdf")},
                                 content_type="multipart/form-data")
        assert answer.status_code == 413 and answer.mimetype == "application/json"
        assert answer.get_json() == {"error": "提交的内容超过上传大小限制。"}
    finally:
        small.close()
