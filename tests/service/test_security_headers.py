"""Every response carries the security headers; pages run no inline script; no server names its versions."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from service import create_app
from service.config import ROOT
from service.security_headers import PAGE_POLICY

TEMPLATES = ROOT / "service" / "web" / "templates"
STATIC = ROOT / "service" / "web" / "static"


def _assert_protected(response, page: bool) -> None:
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin")
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    if page:
        script_src = re.search(r"script-src ([^;]*)", policy).group(1).split()
        assert script_src == ["'self'"]  # files only: no inline script, no eval
        assert "object-src 'none'" in policy and "base-uri 'none'" in policy
    else:
        assert policy.startswith("default-src 'none'")
    assert "Werkzeug" not in headers.get("Server", "") and "Python" not in headers.get("Server", "")


def test_headers_on_a_page_an_api_call_an_error_a_static_file_and_the_api_docs(app, as_user):
    browser = app.test_client()
    login = browser.get("/login")
    assert login.status_code == 200 and login.mimetype == "text/html"
    _assert_protected(login, page=True)
    assert login.headers["Content-Security-Policy"] == PAGE_POLICY

    call = as_user("staff_a").get("/api/tasks")
    assert call.status_code == 200 and call.is_json
    _assert_protected(call, page=False)

    missing = as_user("staff_a").get("/api/instances/no-such-instance")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    _assert_protected(missing, page=False)

    script = browser.get("/web/static/web.js")
    assert script.status_code == 200
    _assert_protected(script, page=False)

    docs = browser.get("/api/docs")
    assert docs.status_code == 200 and b"api-docs.js" in docs.data and b"<script>" not in docs.data
    _assert_protected(docs, page=True)  # and so it cannot be framed
    _assert_protected(browser.get("/api/docs/assets/swagger-ui-bundle.js"), page=False)


def test_a_view_with_its_own_policy_keeps_it_and_is_not_framed(runtime):
    app = create_app(runtime=runtime)  # its own: the test adds a route (the shared app, tests/conftest.py, stays as built)

    @app.get("/test-own-policy")
    def _own() -> tuple[str, int, dict[str, str]]:
        return "x", 200, {"Content-Type": "image/png", "Content-Security-Policy": "default-src 'none'; sandbox"}

    response = app.test_client().get("/test-own-policy")
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox; frame-ancestors 'none'"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_strict_transport_security_only_when_served_over_https(settings):
    plain = create_app(settings)
    secure = create_app(replace(settings, https=True))
    try:
        assert "Strict-Transport-Security" not in plain.test_client().get("/login").headers
        assert secure.test_client().get("/login").headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        plain.extensions["jixiao"].close()
        secure.extensions["jixiao"].close()


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
_HANDLER_ATTRIBUTE = re.compile(r"<[^>]*\s(on[a-z]+)\s*=", re.IGNORECASE)


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")) + sorted(STATIC.glob("*.js")),
                         ids=lambda p: p.name)
def test_no_inline_script_handler_or_javascript_url(path: Path):
    """The pages' policy would block these in the browser: none may be written in the first place."""
    text = path.read_text(encoding="utf-8")
    assert "javascript:" not in text.lower()
    if path.suffix == ".html":
        assert not _INLINE_SCRIPT.search(text), _INLINE_SCRIPT.search(text).group(0)
        assert not _HANDLER_ATTRIBUTE.search(text), _HANDLER_ATTRIBUTE.search(text).group(0)
        assert "<style" not in text and " style=" not in text  # styles come from the stylesheets too
    else:
        assert not re.search(r"\bon[a-z]+=", text) and "eval(" not in text and "new Function" not in text


# Real HTTP servers: each writes its own Server header, which only its start-up can change.

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY" and not k.startswith("JIXIAO_")}
    return {**env, "DATABASE_URL": settings.database_url, "SECRET_KEY_FILE": str(settings.secret_key_file),
            **extra}


def _get(port: int, path: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> http.client.HTTPResponse:
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            conn.close()
            return response
        except OSError:
            if time.monotonic() > deadline or (proc is not None and proc.poll() is not None):
                raise
            time.sleep(0.2)


def _stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.terminate()
    out, _ = proc.communicate(timeout=30)
    return out


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def test_gunicorn_sends_a_neutral_server_name_and_the_headers(settings):
    port = _free_port()
    proc = subprocess.Popen([_bin("gunicorn"), "service:create_app()", "-w", "1", "-b", f"127.0.0.1:{port}"],
                            cwd=ROOT, env=_env(settings), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        health = _get(port, "/api/health", proc=proc)
        page = _get(port, "/login")
    finally:
        _stop(proc)
    assert health.status == 200 and health.getheader("Server") == "jixiao"
    assert health.msg.get_all("Server") == ["jixiao"]  # gunicorn's own is replaced, not doubled
    assert page.status == 200 and page.getheader("Content-Security-Policy") == PAGE_POLICY
    assert page.getheader("X-Frame-Options") == "DENY"


def test_gunicorn_in_production_without_a_key_stops_with_a_clear_message(settings):
    proc = subprocess.run([_bin("gunicorn"), "service:create_app()", "-w", "1", "-b", f"127.0.0.1:{_free_port()}"],
                          cwd=ROOT, env=_env(settings, JIXIAO_ENV="production"), capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode != 0
    assert "JIXIAO_ENV=production refuses to start without SECRET_KEY" in proc.stdout + proc.stderr
    assert not settings.secret_key_file.exists()


def test_jixiao_serve_sends_no_version_banner(settings):
    port = _free_port()
    proc = subprocess.Popen([_bin("jixiao"), "serve", "--port", str(port)], cwd=ROOT, env=_env(settings),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        health = _get(port, "/api/health", proc=proc)
    finally:
        _stop(proc)
    assert health.status == 200 and health.msg.get_all("Server") == ["jixiao"]
    assert health.getheader("X-Content-Type-Options") == "nosniff"
