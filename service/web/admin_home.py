"""The administration index (/admin): the sections the signed-in user may open, each admitted as its API is."""

from __future__ import annotations

from flask import abort, render_template
from flask.typing import ResponseReturnValue

from service import policy
from service.domain.roles import Principal
from service.web import bp
from service.web.session_auth import current_web_user, login_required

# (endpoint, text key, the policy's action that admits to the page: the one its API operation names)
SECTIONS = (
    ("web.admin_users", "admin_users", policy.ADMINISTER_PEOPLE),
    ("web.admin_departments", "admin_departments", policy.ADMINISTER_PEOPLE),
    ("web.admin_rules", "admin_rules", policy.CHANGE_RULES),
    ("web.admin_calendar", "admin_calendar", policy.CHANGE_RULES),
    ("web.admin_fiscal_figures", "admin_fiscal_figures", policy.ENTER_FISCAL_FIGURES),
    ("web.admin_libraries", "admin_libraries", policy.KEEP_LIBRARIES),
    ("web.admin_incidents", "admin_incidents", policy.READ_INCIDENTS),
    ("web.admin_outbox", "admin_outbox", policy.MANAGE_OUTBOX),
)


def sections(user: Principal | None) -> list[tuple[str, str]]:
    """The sections `user` may open."""
    return [(endpoint, key) for endpoint, key, action in SECTIONS if policy.may(user, action)]


@bp.get("/admin")
@login_required
def admin_home() -> ResponseReturnValue:
    """Links to the administration pages the user may open (the 403 page when there are none)."""
    found = sections(current_web_user())
    if not found:
        abort(403)
    return render_template("web/admin_home.html", sections=found)
