"""Jixiao: the Flask app factory."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from service import request_reads, security_headers
from service.bpm import engine_clock
from service.config import ConfigError, Settings
from service.json_responses import JSONProvider
from service.runtime import Runtime
from service.secret_key import session_key

# Every web form carries a CSRF token; the bearer-token API is exempt (see create_app).
csrf = CSRFProtect()


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the app; nothing is built at import time. ConfigError when the settings cannot serve."""
    engine_clock.install()  # the engine's timers read the service clock (also when given a built runtime)
    settings = settings or (runtime.settings if runtime else Settings.from_env())
    app = Flask(__name__)
    app.json = JSONProvider(app)
    app.config.update(
        SECRET_KEY=session_key(settings),
        # The session (which also holds the CSRF token) is never readable by scripts nor sent cross-site on
        # POSTs, and only over HTTPS when the service is served behind it.
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PREFERRED_URL_SCHEME="https" if settings.behind_https else "http",
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
    )
    app.extensions["jixiao"] = runtime or Runtime.build(settings)
    request_reads.install(app)
    if settings.admin_user:
        from service.errors import InvalidInput
        from service.people.directory import bootstrap_admin

        # JIXIAO_ADMIN_USER / JIXIAO_ADMIN_PASSWORD name an administrator to create if that user is missing.
        try:
            with app.extensions["jixiao"].unit_of_work() as conn:
                bootstrap_admin(conn, settings.admin_user, settings.admin_password)
        except InvalidInput as exc:
            raise ConfigError(f"JIXIAO_ADMIN_USER {settings.admin_user} cannot be created: {exc.detail}") from exc
    security_headers.install(app, settings)

    csrf.init_app(app)
    from service.api import init_api
    from service.api.blueprint import Blueprint as ApiBlueprint
    from service.web import init_web

    init_api(app)
    # API calls authenticate with a bearer token, which a cross-site form cannot send: no CSRF token needed.
    for blueprint in app.blueprints.values():
        if isinstance(blueprint, ApiBlueprint):
            csrf.exempt(blueprint)
    init_web(app)
    return app
