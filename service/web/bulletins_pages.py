"""The agency bulletin (通报) page (/reports/agency-bulletin) and the expert engagement ratings of a project
(/projects/<id>/experts): the same library functions and rules as GET/POST /api/reports/agency-bulletin and
PUT /api/libraries/expert-engagements/{project_id}/{expert_id}."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from service import clock, policy
from service.db import Connection
from service.errors import InvalidInput, JixiaoError
from service.libraries import bulletin_publishing, experts
from service.queries import dashboard_queries
from service.web import bp, i18n
from service.web.pages import reading, unit_of_work, viewer
from service.web.permissions import permitted
from service.web.session_auth import login_required


def _int(name: str, low: int, high: int) -> int | None:
    value = request.values.get(name, "")
    return int(value) if value.isdigit() and low <= int(value) <= high else None


def _bulletin_page(conn: Connection, errors: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    year, period = _int("year", 2000, 2100), _int("period", 1, 12)
    listed = bulletin_publishing.published(conn, year)
    chosen = next((b for b in listed if b["period"] == period), None) if period else None
    chosen = chosen or (listed[0] if listed else None)
    return render_template("web/agency_bulletin.html", listed=listed, chosen=chosen, year=year,
                           today=clock.local_today(clock.now()), errors=errors or {}), status


@bp.get("/reports/agency-bulletin")
@login_required
def agency_bulletin() -> ResponseReturnValue:
    """Published bulletins of agencies' report quality: agencies, their rated reports, mean score, rank."""
    with reading() as conn:
        return _bulletin_page(conn)


@bp.post("/reports/agency-bulletin")
@permitted(policy.PUBLISH_BULLETIN)
def agency_bulletin_publish() -> ResponseReturnValue:
    """Publish a period's bulletin (as POST /api/reports/agency-bulletin)."""
    year, period = _int("year", 2000, 2100), _int("period", 1, 12)
    errors = {k: i18n.text("bulletin_bad_number") for k, v in (("year", year), ("period", period)) if v is None}
    with unit_of_work() as conn:
        if year is not None and period is not None:
            try:  # refused, the savepoint leaves nothing behind and the page is shown again in this unit of work
                with conn.begin_nested():
                    bulletin_publishing.publish(conn, year=year, period=period, now=clock.now(),
                                                by=viewer().username)
            except (InvalidInput, JixiaoError) as error:
                errors["period"] = error.detail
        if errors:
            return _bulletin_page(conn, errors, 422)
    flash(i18n.text("bulletin_published"), "ok")
    return redirect(url_for("web.agency_bulletin", year=year, period=period))


@bp.get("/projects/<project_id>/experts")
@login_required
def project_experts(project_id: str) -> ResponseReturnValue:
    """The experts drawn for the project's review and the finance reviewer's ratings of their engagements."""
    with reading() as conn:
        found = dashboard_queries.project(conn, viewer(), project_id)  # a project the viewer may not see is a 404
        engaged = experts.engagements(conn, project_id)
    return render_template("web/project_experts.html", project=found["project"], engaged=engaged)


@bp.post("/projects/<project_id>/experts/<int:expert_id>/rating")
@permitted(policy.RATE_EXPERTS)
def project_expert_rating(project_id: str, expert_id: int) -> ResponseReturnValue:
    """Rate an expert's engagement 1–5 (as PUT /api/libraries/expert-engagements/{project_id}/{expert_id})."""
    rating = _int("rating", 1, 5)
    if rating is None:
        flash(i18n.text("rating_bad"), "error")
    else:
        with unit_of_work() as conn:
            experts.rate_engagement(conn, expert_id=expert_id, project_id=project_id, rating=rating,
                                    by=viewer().username, now=clock.now())
        flash(i18n.text("rating_saved"), "ok")
    return redirect(url_for("web.project_experts", project_id=project_id))
