"""Server-rendered pages (Jinja, Simplified Chinese by default, English switchable; DESIGN.md, Web pages).

One module per page group registers its views on `bp`; each calls the same query and engine functions as
the API, so the pages enforce the same access rules (DESIGN.md, People and access).
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, render_template, request
from flask_wtf.csrf import CSRFError

from service import policy
from service.domain.roles import Principal
from service.input_guard import refuse_unstorable_page_input
from service.web import i18n
from service.web.session_auth import current_web_user

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/web/static")
bp.before_request(refuse_unstorable_page_input)  # text the database cannot store: 422 before any view runs
bp.add_app_template_filter(i18n.role, "role")
bp.add_app_template_filter(i18n.process_label, "process_label")


def _rule_source(text: str | None) -> str:
    from service.web.rule_sources import source

    return source(text)


bp.add_app_template_filter(_rule_source, "rule_source")


def init_web(app: Flask) -> None:
    """The pages' blueprint (cookie flags, CSRFProtect and the security headers are set in create_app)."""
    from service.web import (  # noqa: F401  (their views register on bp)
        admin_fiscal_figures,
        admin_home,
        admin_libraries,
        admin_operations,
        admin_people,
        admin_rules,
        audit_pages,
        audit_search,
        bulletins_pages,
        dashboard_pages,
        designer,
        escalation_detail,
        escalations_pages,
        evidence_pages,
        home,
        inbox,
        inspections_pages,
        instances_pages,
        login,
        pages,
        performance_reports_pages,
        scorecard_pages,
        subunit_evaluations_pages,
        tasks_pages,
        trainings_pages,
        verify_runs_pages,
    )

    app.register_blueprint(bp)
    from service.web import error_pages

    error_pages.install(app)


def admin_sections(user: Principal | None) -> list[tuple[str, str]]:
    """The administration pages `user` may open: (endpoint, text key), each admitted as its API operation is."""
    from service.web.admin_home import sections

    return sections(user)


def navigation(user: Principal | None) -> list[tuple[str, str]]:
    """The menu for the signed-in user's roles: (endpoint, text key)."""
    if user is None:
        return []
    items = [("web.inbox", "nav_inbox")]
    if policy.may(user, policy.MENU_ESCALATIONS):
        items.append(("web.escalations_page", "nav_escalations"))
    items += [("web.dashboard", "nav_dashboard"), ("web.projects", "nav_projects")]
    if policy.may(user, policy.READ_BUREAU_REPORTS):  # the ranked scorecard (a department opens its own card)
        items.append(("web.scorecard_table", "nav_scorecard"))
        items.append(("web.performance_reports_page", "nav_performance_reports"))
        items.append(("web.trainings_page", "nav_trainings"))
    if policy.may(user, policy.READ_SUBUNIT_EVALUATIONS):  # sub-unit evaluations (二(三)3二是)
        items.append(("web.subunit_evaluations_page", "nav_subunit_evaluations"))
    if policy.may(user, policy.MENU_INSPECTIONS):  # the supervision office's inspections (二(三)4二是)
        items.append(("web.inspections_page", "nav_inspections"))
    items.append(("web.agency_bulletin", "nav_agency_bulletin"))
    if policy.may(user, policy.DEPLOY_MODELS):
        items.append(("web.designer", "nav_designer"))
    if policy.may(user, policy.MENU_AUDIT):
        items.append(("web.audit_search", "nav_audit"))
    if admin_sections(user):
        items.append(("web.admin_home", "nav_admin"))
    return items


@bp.context_processor
def page_context() -> dict[str, object]:
    """What every page template reads: texts, language, the signed-in user and the menu; `may("ACTION")` asks the
    policy (service/policy.py) about the signed-in user."""
    from service.web import readable
    from service.web.form_fields import json_text
    from service.web.pages import department_name, process_name, vendor_ready

    user = current_web_user()
    return {"t": i18n.text, "lang": i18n.current(), "html_lang": i18n.HTML_LANG[i18n.current()],
            "switch_lang_url": i18n.switch_url, "web_user": user, "nav": navigation(user),
            "local_time": i18n.local_time, "pick": i18n.pick, "label": i18n.label, "pretty": i18n.pretty,
            "role": i18n.role, "department_name": department_name, "process_name": process_name,
            "vendor_ready": vendor_ready(), "jtext": json_text, "readable": readable.sections,
            "readable_field": readable.field, "plain": readable.plain,
            "evidence_note": readable.evidence_note, "demo_building": demo_building(),
            "may": lambda action, **facts: policy.may(user, getattr(policy, action), facts)}


def demo_building() -> dict[str, object] | None:
    """How far the demo build beside `make run` is, or None when none runs."""
    from service.demo.progress import building

    progress = building()
    if progress is None:
        return None
    return {"percent": int(100 * float(progress.get("fraction") or 0)), "phase": str(progress.get("phase") or "")}


@bp.after_request
def _page_headers(response: Response) -> Response:
    i18n.remember(response)
    if request.endpoint != "web.static":
        # Pages carry a CSRF token and the signed-in user's details: never cached (framing: security_headers).
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.errorhandler(CSRFError)
def _csrf_refused(error: CSRFError) -> tuple[str, int]:
    return render_template("web/error.html", message=i18n.text("csrf_failed")), 400
