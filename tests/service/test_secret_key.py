"""Sessions are signed with a key nobody else knows: SECRET_KEY, or one generated once per installation."""

from __future__ import annotations

import hashlib
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.json.tag import TaggedJSONSerializer
from itsdangerous import URLSafeTimedSerializer

from service import clock, create_app
from service.cli import main
from service.config import ConfigError, Settings
from service.secret_key import session_key


def _forged_cookie(key: str, username: str) -> str:
    """A session cookie for `username` signed with `key` exactly as Flask signs one (what a forger would do)."""
    signer = URLSafeTimedSerializer(key, salt="cookie-session", serializer=TaggedJSONSerializer(),
                                    signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1})
    return signer.dumps({"user": username, "login_at": int(clock.now().timestamp())})


def test_a_session_forged_with_the_old_development_key_is_refused(runtime):
    app = create_app(runtime=runtime)
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    forged = app.test_client()
    forged.set_cookie(cookie_name, _forged_cookie("dev-only-change-me", "admin"))
    page = forged.get("/inbox")
    assert page.status_code == 302 and "/login" in page.headers["Location"]  # not signed in as admin

    # The same forgery with the key the app really uses would work: the test forges correctly.
    genuine = app.test_client()
    genuine.set_cookie(cookie_name, _forged_cookie(app.secret_key, "admin"))
    assert genuine.get("/inbox").status_code == 200


def test_without_secret_key_one_key_is_generated_and_shared(settings):
    key_file = settings.secret_key_file
    assert not key_file.exists()
    first, second = create_app(settings), create_app(settings)  # e.g. two gunicorn workers, or a restart
    try:
        assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert first.secret_key == second.secret_key == key_file.read_text().strip()
        assert len(first.secret_key) >= 32 and first.secret_key != "dev-only-change-me"
        # A session signed by one process is honoured by the other.
        page = second.test_client()
        page.set_cookie(second.config["SESSION_COOKIE_NAME"], _forged_cookie(first.secret_key, "admin"))
        assert page.get("/inbox").status_code == 200
    finally:
        first.extensions["jixiao"].close()
        second.extensions["jixiao"].close()
    assert list(key_file.parent.iterdir()) == [key_file]  # no temporary file left behind


def test_processes_starting_at_once_agree_on_one_key(tmp_path: Path):
    key_file = tmp_path / "instance" / "secret_key"
    code = ("import sys; from pathlib import Path; from service.secret_key import load_or_create; "
            "print(load_or_create(Path(sys.argv[1])))")
    starts = [subprocess.Popen([sys.executable, "-c", code, str(key_file)], stdout=subprocess.PIPE, text=True)
              for _ in range(6)]
    keys = {p.communicate(timeout=60)[0].strip() for p in starts}
    assert all(p.returncode == 0 for p in starts)
    assert keys == {key_file.read_text().strip()}


def test_a_set_secret_key_is_used_and_no_file_is_written(settings):
    chosen = replace(settings, secret_key="k" * 40)
    assert session_key(chosen) == "k" * 40
    assert not settings.secret_key_file.exists()


def test_the_development_value_is_refused_even_when_set(settings):
    with pytest.raises(ConfigError, match="development value"):
        session_key(replace(settings, secret_key="dev-only-change-me"))


def test_production_refuses_to_start_without_a_real_key(settings, monkeypatch):
    production = replace(settings, environment="production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(production)
    with pytest.raises(ConfigError, match="at least 32"):
        session_key(replace(production, secret_key="short"))
    assert not settings.secret_key_file.exists()  # production never falls back to a generated key

    monkeypatch.delenv("SECRET_KEY", raising=False)
    result = CliRunner().invoke(main, ["serve"], env={"JIXIAO_ENV": "production",
                                                     "DATABASE_URL": settings.database_url})
    assert result.exit_code != 0
    assert "JIXIAO_ENV=production refuses to start without SECRET_KEY" in result.output


def test_environment_names_production_and_https():
    assert Settings.from_env({}).production is False and Settings.from_env({}).cookie_secure is False
    production = Settings.from_env({"JIXIAO_ENV": "production"})
    assert production.production and production.cookie_secure
    assert Settings.from_env({"JIXIAO_HTTPS": "1"}).cookie_secure
    assert not Settings.from_env({"JIXIAO_ENV": "production", "SESSION_COOKIE_SECURE": "0"}).cookie_secure
    assert Settings.from_env({"SECRET_KEY_FILE": "/srv/jixiao/key"}).secret_key_file == Path("/srv/jixiao/key")
    with pytest.raises(ConfigError, match="JIXIAO_ENV"):
        Settings.from_env({"JIXIAO_ENV": "prod"})


def _set_cookies(response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def test_cookies_are_http_only_same_site_and_secure_behind_https(settings):
    for https, secure in ((False, False), (True, True)):
        app = create_app(replace(settings, https=https))
        try:
            cookies = _set_cookies(app.test_client().get("/login?lang=en"))
            for name in (app.config["SESSION_COOKIE_NAME"], "lang"):  # the session (with the CSRF token); language
                assert "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name]
                assert ("Secure" in cookies[name]) is secure, cookies[name]
        finally:
            app.extensions["jixiao"].close()


def test_a_damaged_key_file_stops_the_start_instead_of_signing_with_it(settings):
    settings.secret_key_file.parent.mkdir(parents=True)
    settings.secret_key_file.write_text("dev-only-change-me\n")
    with pytest.raises(ConfigError, match="damaged"):
        create_app(settings)
