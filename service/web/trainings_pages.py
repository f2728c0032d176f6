"""Training (/trainings, the plan 三(四)): the year's sessions at a level with their attendance, the sessions
measure against rule training.sessions_per_year, which departments attended (the scorecard's training
indicator), and — for administrators and finance reviewers — the forms to record a session and its attendance.
Same functions, schemas and permissions as /api/trainings."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from service import clock, policy
from service.api import trainings_api
from service.cycle import trainings_records
from service.db import Connection
from service.domain.training import GROUPS
from service.errors import NotFound
from service.people import directory
from service.queries import trainings_queries
from service.rules.store import LEVELS
from service.web import bp, i18n
from service.web.admin_forms import load, saved, text
from service.web.pages import choice, reading, unit_of_work, viewer
from service.web.permissions import permitted

ATTENDING_KINDS = ("department", "unit")


def _year_level() -> tuple[int, str]:
    raw = request.args.get("year", "")
    year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else clock.local_today(clock.now()).year
    level = choice(request.args, "level", LEVELS, LEVELS[0])
    return year, level


def _page(conn: Connection, year: int, level: str, form: dict[str, Any] | None = None,
          errors: dict[str, str] | None = None, target: int | None = None, status: int = 200) -> ResponseReturnValue:
    departments = [d for d in directory.list_departments(conn, level) if d["kind"] in ATTENDING_KINDS and d["active"]]
    sessions = trainings_queries.list_sessions(conn, year=year, level=level)
    try:
        measure = trainings_queries.sessions_measure(conn, year, level)
    except NotFound:
        measure = None
    attended = trainings_queries.attended(conn, year, [d["id"] for d in departments])
    rows = [{"id": d["id"], "name": i18n.pick(d["name"], d["name_en"]), "sessions": len(attended.get(d["id"], [])),
             "head_count": sum(a["head_count"] for a in attended.get(d["id"], []))} for d in departments]
    return render_template(
        "web/trainings.html", year=year, level=level, levels=LEVELS, sessions=sessions, measure=measure,
        departments=rows, groups=[(g, i18n.label("training_group_", g)) for g in GROUPS],
        department_options=[(d["id"], d["name"]) for d in rows],
        may_record=policy.may(viewer(), policy.RECORD_TRAININGS), form=form or {}, errors=errors or {}, target=target,
        today=clock.local_today(clock.now())), status


@bp.get("/trainings")
@permitted(policy.READ_TRAININGS)
def trainings_page() -> ResponseReturnValue:
    """The year's sessions at the level, the measure and each department's attendance."""
    year, level = _year_level()
    with reading() as conn:
        return _page(conn, year, level)


@bp.post("/trainings")
@permitted(policy.RECORD_TRAININGS)
def training_record() -> ResponseReturnValue:
    """Record a session held (as POST /api/trainings)."""
    form = {"level": request.form.get("level") or None, "title": text("title", 200),
            "held_on": request.form.get("held_on") or None, "organiser": text("organiser", 200)}
    body, errors = load(trainings_api.SessionInput(), {k: v for k, v in form.items() if v is not None})
    with unit_of_work() as conn:
        if not errors:
            errors = saved(conn, lambda: trainings_records.record_session(conn, actor=viewer().username,
                                                                          now=clock.now(), **body), "title")
        if "title" in errors:  # admin_err_title is the expert library's (a professional title)
            errors["title"] = i18n.text("training_err_title")
        if errors:
            year, _ = _year_level()
            return _page(conn, year, form["level"] if form["level"] in LEVELS else LEVELS[0], form, errors,
                         status=422)
    flash(i18n.text("training_recorded", title=body["title"]), "ok")
    return redirect(url_for("web.trainings_page", year=body["held_on"].year, level=body["level"]))


@bp.post("/trainings/<int:session_id>/attendance")
@permitted(policy.RECORD_TRAININGS)
def training_attendance(session_id: int) -> ResponseReturnValue:
    """Record a group's attendance of a session (as POST /api/trainings/{session_id}/attendance)."""
    form = {"group": request.form.get("group") or None, "department_id": request.form.get("department_id") or None,
            "head_count": request.form.get("head_count") or None}
    body, errors = load(trainings_api.AttendanceInput(), {k: v for k, v in form.items() if v is not None})
    with unit_of_work() as conn:
        session = trainings_queries.get_session(conn, session_id)  # a missing session is the 404 page
        if not errors:
            errors = saved(conn, lambda: trainings_records.record_attendance(
                conn, session_id, actor=viewer().username, now=clock.now(), **body), "group")
        if errors:
            return _page(conn, session["year"], session["level"], form, errors, target=session_id, status=422)
    flash(i18n.text("training_attendance_recorded", title=session["title"]), "ok")
    return redirect(url_for("web.trainings_page", year=session["year"], level=session["level"]))
