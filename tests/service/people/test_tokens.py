"""Logging in for a token; expiry, revocation and rate limiting; every attempt in the audit log."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from service import clock
from tests.conftest import password_of


def _login(app, username, password):
    return app.test_client().post("/api/auth/token", json={"username": username, "password": password})


def _events(runtime, command):
    with runtime.engine.connect() as conn:
        return conn.execute(text("SELECT actor FROM events WHERE command = :c ORDER BY id"), {"c": command}).all()


def test_login_gives_a_working_token_and_is_audited(app, runtime):
    resp = _login(app, "staff_a", password_of("staff_a"))
    assert resp.status_code == 200 and resp.get_json()["token_type"] == "Bearer"
    token = resp.get_json()["token"]
    me = app.test_client().get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me == {"username": "staff_a", "department_id": "dept-a", "roles": ["department_staff"]}
    assert [r.actor for r in _events(runtime, "login")] == ["staff_a"]
    with runtime.engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM api_tokens")).scalars().all()
    assert token not in stored  # only the hash is kept


def test_wrong_password_and_unknown_user_are_401_and_audited(app, runtime):
    assert _login(app, "staff_a", "wrong-password").status_code == 401
    assert _login(app, "nobody", "whatever-password").status_code == 401
    assert [r.actor for r in _events(runtime, "login_failed")] == ["staff_a", "nobody"]


def test_failed_logins_are_rate_limited(app, runtime, frozen_clock):
    for _ in range(5):
        assert _login(app, "head_b", "not-the-password").status_code == 401
    blocked = _login(app, "head_b", password_of("head_b"))
    assert blocked.status_code == 429 and blocked.content_type == "application/problem+json"
    assert _login(app, "staff_b", password_of("staff_b")).status_code == 200  # other users are not affected
    clock.advance(timedelta(minutes=16))
    assert _login(app, "head_b", password_of("head_b")).status_code == 200


def test_token_expires(app, runtime, frozen_clock):
    token = _login(app, "staff_a", password_of("staff_a")).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/tasks", headers=headers).status_code == 200
    clock.advance(timedelta(seconds=runtime.settings.token_ttl_seconds + 1))
    expired = app.test_client().get("/api/tasks", headers=headers)
    assert expired.status_code == 401 and "expired" in expired.get_json()["detail"]


def test_token_revocation(app, runtime):
    token = _login(app, "staff_a", password_of("staff_a")).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().post("/api/auth/revoke", headers=headers).status_code == 204
    assert app.test_client().get("/api/tasks", headers=headers).status_code == 401
    assert [r.actor for r in _events(runtime, "token_revoked")] == ["staff_a"]


def test_garbage_credentials_are_401(app):
    for header in ("", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not-a-token", "bearer\x00x"):
        resp = app.test_client().get("/api/tasks", headers={"Authorization": header} if header else {})
        assert resp.status_code == 401 and resp.content_type == "application/problem+json"
