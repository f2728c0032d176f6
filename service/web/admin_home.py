"""The administration index (/admin): the sections the signed-in user may open, each admitted as its API is."""

from __future__ import annotations

from flask import abort, render_template
from flask.typing import ResponseReturnValue

from service.api import fiscal_figures, jobs, libraries, people, rules
from service.domain.roles import Principal
from service.web import bp
from service.web.auth import current_web_user, login_required
from service.web.permissions import administrator, admits

# (endpoint, text key, the API operation whose rule admits to the page; None: administrators, no API operation)
SECTIONS = (
    ("web.admin_users", "admin_users", people.Users.get),
    ("web.admin_departments", "admin_departments", people.Departments.post),
    ("web.admin_rules", "admin_rules", rules.Rules.put),
    ("web.admin_calendar", "admin_calendar", rules.CalendarDay.put),
    ("web.admin_fiscal_figures", "admin_fiscal_figures", fiscal_figures.Figure.put),
    ("web.admin_libraries", "admin_libraries", libraries.Experts.post),
    ("web.admin_incidents", "admin_incidents", jobs.Incidents.get),
    ("web.admin_outbox", "admin_outbox", None),
)


def sections(user: Principal | None) -> list[tuple[str, str]]:
    """The sections `user` may open."""
    return [(endpoint, key) for endpoint, key, operation in SECTIONS
            if (administrator(user) if operation is None else admits(operation, user))]


@bp.get("/admin")
@login_required
def admin_home() -> ResponseReturnValue:
    """Links to the administration pages the user may open (the 403 page when there are none)."""
    found = sections(current_web_user())
    if not found:
        abort(403)
    return render_template("web/admin_home.html", sections=found)
