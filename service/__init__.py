"""Jixiao: the Flask app factory."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from service.config import Settings
from service.runtime import Runtime

# Every web form carries a CSRF token; the bearer-token API is exempt (see create_app).
csrf = CSRFProtect()


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the app; nothing is built at import time."""
    settings = settings or (runtime.settings if runtime else Settings.from_env())
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        JSON_SORT_KEYS=False,
    )
    app.extensions["jixiao"] = runtime or Runtime.build(settings)
    if settings.admin_user and settings.admin_password:
        from service.people.directory import bootstrap_admin

        # A fresh deployment gets its first administrator from JIXIAO_ADMIN_USER / JIXIAO_ADMIN_PASSWORD.
        bootstrap_admin(app.extensions["jixiao"].engine, settings.admin_user, settings.admin_password)

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
