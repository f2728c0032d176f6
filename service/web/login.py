"""Sign in and out of the web pages; failed sign-ins are rate-limited and audited exactly like the API's."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from service import clock
from service.api.schemas import Text
from service.errors import TooManyRequests
from service.people.tokens import FAILURE_WINDOW, authenticate, record_logout
from service.web import bp, i18n
from service.web.session_auth import current_web_user, safe_next, sign_in, sign_out


class LoginForm(Schema):
    class Meta:
        # The form's csrf_token field is checked by CSRFProtect before the view runs.
        unknown = EXCLUDE

    username = Text(required=True, validate=validate.Length(min=1, max=100))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


def _form(status: int = 200, error: str | None = None, username: str = "") -> ResponseReturnValue:
    target = safe_next(request.args.get("next"))
    action = url_for("web.login_post", next=target) if target != "/" else url_for("web.login_post")
    return render_template("web/login.html", action=action, error=error, username=username), status


@bp.get("/login")
def login() -> ResponseReturnValue:
    """The sign-in form."""
    return _form()


@bp.post("/login")
def login_post() -> ResponseReturnValue:
    """Check the password; on success start a session and go to `next` (a path on this site) or home."""
    username = request.form.get("username", "")
    try:
        form = LoginForm().load(request.form.to_dict())
    except ValidationError:
        return _form(400, i18n.text("missing_credentials"), username)
    now = clock.now()
    try:
        with current_app.extensions["jixiao"].unit_of_work() as conn:
            user_id = authenticate(conn, form["username"], form["password"], now, via="web")
    except TooManyRequests:
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        return _form(429, i18n.text("too_many_failures", minutes=minutes), form["username"])
    if user_id is None:  # the failed attempt is recorded (committed above)
        return _form(401, i18n.text("wrong_credentials"), form["username"])
    sign_in(form["username"], now)
    return redirect(safe_next(request.args.get("next")))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the session (a CSRF-protected form button, so other sites cannot sign you out)."""
    user = current_web_user()
    sign_out()
    if user is not None:
        with current_app.extensions["jixiao"].unit_of_work() as conn:
            record_logout(conn, user.username, clock.now(), via="web")
    return redirect(url_for("web.login"))
