"""Administrators manage people; every change is on the global audit chain; others are refused."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from service import create_app
from service.cli import main
from service.config import ConfigError
from service.people.directory import bootstrap_admin, get_user
from tests.conftest import password_of


def _global_events(runtime):
    with runtime.engine.connect() as conn:
        rows = conn.execute(text("SELECT command, actor, input FROM events WHERE instance_id IS NULL ORDER BY seq"))
        return [(r.command, r.actor, json.loads(r.input)) for r in rows]


def test_create_user_change_roles_disable(as_user, runtime, app):
    admin = as_user("admin")
    created = admin.post("/api/users", json={"username": "li.ming", "display_name": "李明", "password": "Str0ng-pass",
                                            "roles": ["department_staff"], "department_id": "dept-b"})
    assert created.status_code == 201 and created.get_json()["roles"] == ["department_staff"]
    token = app.test_client().post("/api/auth/token", json={"username": "li.ming", "password": "Str0ng-pass"}
                                   ).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    changed = admin.patch("/api/users/li.ming", json={"roles": ["department_head"]})
    assert changed.get_json()["roles"] == ["department_head"]
    me = app.test_client().get("/api/auth/me", headers=headers).get_json()
    assert me["roles"] == ["department_head"]  # a permission change takes effect at once
    admin.patch("/api/users/li.ming", json={"active": False})
    assert app.test_client().get("/api/auth/me", headers=headers).status_code == 401

    events = [(c, a, i) for c, a, i in _global_events(runtime) if c in ("user_created", "user_changed")]
    assert events[0] == ("user_created", "admin", {"username": "li.ming", "department_id": "dept-b",
                                                   "roles": ["department_staff"]})
    assert events[1][2]["roles_added"] == ["department_head"] and events[1][2]["roles_removed"] == ["department_staff"]
    assert events[2][2]["active"] is False


def test_bad_user_input_is_refused(as_user):
    admin = as_user("admin")
    base = {"username": "wang.fang", "display_name": "王芳", "password": "Str0ng-pass", "department_id": "dept-a"}
    assert admin.post("/api/users", json={**base, "roles": ["king"]}).status_code == 422
    assert admin.post("/api/users", json={**base, "password": "short"}).status_code == 422
    assert admin.post("/api/users", json={**base, "department_id": "nowhere"}).status_code == 422
    assert admin.post("/api/users", json={**base, "username": "staff_a"}).status_code == 409
    assert admin.patch("/api/users/nobody", json={"active": False}).status_code == 404
    assert as_user("staff_a").patch("/api/users/staff_a", json={"roles": ["administrator"]}).status_code == 403
    assert as_user("staff_a").get("/api/users/staff_a").status_code == 200  # one's own record


def test_departments_managed_by_admin(as_user):
    dept = {"id": "dept-c", "name": "市民政局", "sector": "social_security"}
    assert as_user("staff_a").post("/api/departments", json=dept).status_code == 403
    assert as_user("admin").post("/api/departments", json=dept).status_code == 200
    ids = [d["id"] for d in as_user("staff_a").get("/api/departments").get_json()["items"]]
    assert "dept-c" in ids
    assert as_user("admin").post("/api/departments", json={**dept, "id": "dept-d", "parent_id": "x"}).status_code == 422
    district = {"id": "district-1-mz", "name": "江岸区民政局", "level": "district", "sector": "social_security"}
    refused = as_user("admin").post("/api/departments", json={**district, "district_id": "no-such-bureau"})
    assert refused.status_code == 422 and refused.content_type.startswith("application/problem+json")
    saved = as_user("admin").post("/api/departments", json={**district, "district_id": "district-1", "active": False})
    assert saved.status_code == 200
    listed = as_user("admin").get("/api/departments?level=district").get_json()["items"]
    assert {"id": "district-1-mz", "district_id": "district-1"}.items() <= next(
        d for d in listed if d["id"] == "district-1-mz").items()


def _signs_in(app, username: str, password: str) -> bool:
    return app.test_client().post("/api/auth/token", json={"username": username, "password": password}
                                  ).status_code == 200


def test_named_administrator_is_created_though_others_exist(settings, caplog):
    # The test database already has an administrator (as a demo database does): the named one is still created.
    caplog.set_level(logging.INFO, logger="service.people.directory")
    app = create_app(replace(settings, admin_user="ops.root", admin_password="Ops-Str0ng-pass"))
    try:
        assert _signs_in(app, "ops.root", "Ops-Str0ng-pass")
        with app.extensions["jixiao"].reading() as conn:
            assert get_user(conn, "ops.root")["roles"] == ["administrator"]
    finally:
        app.extensions["jixiao"].close()
    assert "created administrator ops.root" in caplog.text and "Ops-Str0ng-pass" not in caplog.text


def test_an_existing_named_user_is_left_alone_and_the_log_says_so(app, runtime, caplog):
    caplog.set_level(logging.INFO, logger="service.people.directory")
    with runtime.unit_of_work() as conn:
        assert bootstrap_admin(conn, "admin", "New-Str0ng-pass") is False
    assert _signs_in(app, "admin", password_of("admin")) and not _signs_in(app, "admin", "New-Str0ng-pass")
    [record] = caplog.records
    assert record.levelno == logging.WARNING and "admin already exists: left unchanged" in record.getMessage()
    assert "New-Str0ng-pass" not in caplog.text

    caplog.clear()
    with runtime.unit_of_work() as conn:
        assert bootstrap_admin(conn, "staff_a", "New-Str0ng-pass") is False
    with runtime.reading() as conn:
        assert get_user(conn, "staff_a")["roles"] == ["department_staff"]  # not promoted either
    assert "staff_a already exists and is not an administrator" in caplog.text
    assert "New-Str0ng-pass" not in caplog.text


def test_a_named_user_without_password_is_not_created_and_the_log_says_so(runtime, caplog):
    with runtime.unit_of_work() as conn:
        assert bootstrap_admin(conn, "ops.nopass", None) is False
    assert "ops.nopass does not exist and JIXIAO_ADMIN_PASSWORD is not set" in caplog.text


def test_a_weak_bootstrap_password_stops_the_start_with_a_clear_message(settings):
    with pytest.raises(ConfigError, match="JIXIAO_ADMIN_USER ops.weak cannot be created"):
        create_app(replace(settings, admin_user="ops.weak", admin_password="x"))


def test_administrators_created_from_the_command_line(runtime, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    result = CliRunner().invoke(main, ["users", "create-admin", "--username", "root2", "--password", "Str0ng-pass"])
    assert result.exit_code == 0 and "root2" in result.output
    weak = CliRunner().invoke(main, ["users", "create-admin", "--username", "root3", "--password", "x"])
    assert weak.exit_code != 0 and "password" in weak.output


def test_fresh_deployment_bootstraps_admin_from_environment(tmp_path):
    from service.config import Settings
    from service.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    upgrade(url)
    env = {"DATABASE_URL": url, "JIXIAO_ADMIN_USER": "root", "JIXIAO_ADMIN_PASSWORD": "Str0ng-pass",
           "SECRET_KEY_FILE": str(tmp_path / "secret_key")}
    app = create_app(Settings.from_env(env))
    try:
        login = app.test_client().post("/api/auth/token", json={"username": "root", "password": "Str0ng-pass"})
        assert login.status_code == 200
        me = app.test_client().get("/api/auth/me", headers={"Authorization": f"Bearer {login.get_json()['token']}"})
        assert me.get_json()["roles"] == ["administrator"]
        create_app(Settings.from_env({**env, "JIXIAO_ADMIN_PASSWORD": "Other-pass-1"}))  # a restart changes nothing
        again = app.test_client().post("/api/auth/token", json={"username": "root", "password": "Str0ng-pass"})
        assert again.status_code == 200
    finally:
        app.extensions["jixiao"].close()


def _department_count(runtime) -> int:
    with runtime.engine.connect() as conn:
        return conn.execute(text("SELECT COUNT(*) FROM departments")).scalar_one()


def test_empty_or_unknown_department_references_are_refused_naming_the_field(as_user, runtime):
    admin = as_user("admin")
    before = _department_count(runtime)
    dept = {"id": "dept-e", "name": "市水务局", "sector": "environment"}
    for field, value, message in (("parent_id", "", "not empty"), ("district_id", "", "not empty"),
                                  ("parent_id", "no-such-dept", "no such department"),
                                  ("district_id", "no-such-bureau", "no such department")):
        refused = admin.post("/api/departments", json={**dept, field: value})
        assert refused.status_code == 422 and refused.content_type.startswith("application/problem+json")
        assert [e["field"] for e in refused.get_json()["errors"]] == [field]
        assert message in refused.get_json()["errors"][0]["message"]
    assert _department_count(runtime) == before  # nothing stored, not even half

    # An update of an existing department is checked the same way and leaves it as it was.
    unknown = admin.post("/api/departments", json={**dept, "sector": "water"})  # not one of the cycle's sectors
    assert unknown.status_code == 422 and [e["field"] for e in unknown.get_json()["errors"]] == ["sector"]
    assert _department_count(runtime) == before
    assert admin.post("/api/departments", json={**dept, "parent_id": None}).status_code == 200
    assert admin.post("/api/departments", json={**dept, "parent_id": ""}).status_code == 422
    stored = next(d for d in admin.get("/api/departments").get_json()["items"] if d["id"] == "dept-e")
    assert stored["parent_id"] is None and stored["district_id"] is None


def test_users_with_an_empty_department_are_refused_naming_the_field(as_user):
    admin = as_user("admin")
    new = {"username": "zhao.lei", "display_name": "赵磊", "password": "Str0ng-pass", "department_id": ""}
    refused = admin.post("/api/users", json=new)
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "department_id"
    changed = admin.patch("/api/users/staff_b", json={"department_id": ""})
    assert changed.status_code == 422 and changed.get_json()["errors"][0]["field"] == "department_id"
    assert admin.get("/api/users/staff_b").get_json()["department_id"] == "dept-b"
