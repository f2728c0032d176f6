"""Server-rendered pages (Jinja, Simplified Chinese by default, English switchable; DESIGN.md, Web pages)."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, render_template, request
from flask_wtf.csrf import CSRFError

from service.web import i18n
from service.web.auth import current_web_user

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/web/static")


def init_web(app: Flask) -> None:
    """Session cookie settings and the pages' blueprint (CSRFProtect itself is bound in create_app)."""
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    from service.web import home, login  # noqa: F401  (their views register on bp)

    app.register_blueprint(bp)


@bp.context_processor
def _page_context() -> dict[str, object]:
    return {"t": i18n.text, "lang": i18n.current(), "html_lang": i18n.HTML_LANG[i18n.current()],
            "switch_lang_url": i18n.switch_url, "web_user": current_web_user()}


@bp.after_request
def _page_headers(response: Response) -> Response:
    i18n.remember(response)
    if request.endpoint != "web.static":
        # Pages carry a CSRF token and the signed-in user's details: never cached, never framed by other sites.
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    return response


@bp.errorhandler(CSRFError)
def _csrf_refused(error: CSRFError) -> tuple[str, int]:
    return render_template("web/error.html", message=i18n.text("csrf_failed")), 400
