"""The auditors' search (/audit): instances by project, department, instance id and start date, each leading
to its audit page (/audit/<id>). It lists only what the user may see, as GET /api/instances does. Auditors and
administrators also see the latest nightly verification (/audit/verify-runs)."""

from __future__ import annotations

from datetime import date

from flask import render_template, request
from flask.typing import ResponseReturnValue

from service import policy
from service.people import directory
from service.queries import verify_runs_queries
from service.queries.instance_search import search_instances
from service.web import bp, i18n
from service.web.pages import page_number, pager, reading, viewer
from service.web.session_auth import login_required

PER_PAGE = 30


def _day(name: str, errors: dict[str, str]) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None or not 2000 <= day.year <= 2100:
        errors[name] = i18n.text("admin_err_date")
    return day


@bp.get("/audit")
@login_required
def audit_search() -> ResponseReturnValue:
    """The search form and, once asked, the matching instances with links to their audit pages."""
    errors: dict[str, str] = {}
    form = {name: request.args.get(name, "").strip()[:200] for name in ("project", "department", "instance")}
    started_from, started_to = _day("from", errors), _day("to", errors)
    if started_from and started_to and started_from > started_to:
        errors["to"] = i18n.text("admin_err_date_order")
    asked = any(form.values()) or "from" in request.args or "to" in request.args or "page" in request.args
    found, page = None, page_number()
    with reading() as conn:
        if asked and not errors:
            found = search_instances(conn, viewer(), page=page, per_page=PER_PAGE,
                                     project=form["project"] or None, department_id=form["department"] or None,
                                     instance_id=form["instance"] or None, started_from=started_from,
                                     started_to=started_to)
        departments = [(d["id"], i18n.pick(d["name"], d["name_en"])) for d in directory.list_departments(conn)]
        nightly = policy.may(viewer(), policy.READ_VERIFY_RUNS)
        latest = verify_runs_queries.latest(conn) if nightly else None
    return render_template("web/audit_search.html", form=form, errors=errors, departments=departments,
                           nightly=nightly, latest=latest,
                           found=found, pager=pager(found["total"], page, PER_PAGE) if found else None,
                           started_from=request.args.get("from", ""), started_to=request.args.get("to", "")
                           ), 422 if errors else 200
