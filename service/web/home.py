"""The home page: who is signed in, and where to go next."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from service.people.profile import profile
from service.web import bp, i18n
from service.web.pages import reading
from service.web.session_auth import current_web_user, login_required


@bp.get("/")
@login_required
def home() -> ResponseReturnValue:
    """Name, department and roles (with their Chinese labels) of the signed-in user; a link to the API docs."""
    user = current_web_user()
    assert user is not None  # login_required
    with reading() as conn:
        me = profile(conn, user.username)
    department = me["department_name"]
    if i18n.current() == "en" and me["department_name_en"]:
        department = me["department_name_en"]
    roles = [(role, i18n.role(role)) for role in me["roles"]]
    return render_template("web/home.html", me=me, department=department, roles=roles)
