"""Sub-unit evaluations (/subunit-evaluations, the plan 二(三)3二是): a department's staff open the whole-department
evaluation of one of its own sub-units, its head records the score and findings; through the same schemas and
commands as /api/subunit-evaluations, admitted by the same rules."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from service import clock, policy
from service.api import subunit_evaluations_api
from service.cycle import subunit_evaluations_records
from service.db import Connection
from service.errors import Forbidden, JixiaoError
from service.queries import subunit_evaluations_queries
from service.web import bp, i18n
from service.web.admin_forms import load, refused, text
from service.web.pages import reading, unit_of_work, viewer
from service.web.permissions import permitted


def _page(conn: Connection, form: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
          status: int = 200) -> ResponseReturnValue:
    me = viewer()
    this_year = clock.local_today(clock.now()).year
    may_open = policy.may(me, policy.OPEN_SUBUNIT_EVALUATIONS)
    units = subunit_evaluations_queries.subunits_of(conn, me.department_id) if may_open else []
    return render_template("web/subunit_evaluations.html",
                           evaluations=subunit_evaluations_queries.list_evaluations(conn, me),
                           units=[(u["id"], i18n.pick(u["name"], u["name_en"])) for u in units],
                           may_grade=policy.may(me, policy.GRADE_SUBUNIT_EVALUATIONS),
                           department_id=me.department_id,
                           years=range(this_year, 2009, -1), errors=errors or {},
                           form=form or {"fiscal_year": this_year - 1}), status


@bp.get("/subunit-evaluations")
@permitted(policy.READ_SUBUNIT_EVALUATIONS)
def subunit_evaluations_page() -> ResponseReturnValue:
    """The sub-unit evaluations the user may see, and (for a department) the form to open one."""
    with reading() as conn:
        return _page(conn)


@bp.post("/subunit-evaluations")
@permitted(policy.OPEN_SUBUNIT_EVALUATIONS)
def subunit_evaluations_open() -> ResponseReturnValue:
    """Open the evaluation of one of the department's sub-units (as POST /api/subunit-evaluations)."""
    form = {"unit_id": request.form.get("unit_id", ""), "fiscal_year": request.form.get("fiscal_year", ""),
            "scope": text("scope") or ""}
    body, errors = load(subunit_evaluations_api.OpenSchema(), form)
    with unit_of_work() as conn:
        if not errors:
            try:  # refused, the savepoint leaves nothing behind and the page is shown again in this unit of work
                with conn.begin_nested():
                    subunit_evaluations_records.open_evaluation(conn, viewer(), clock.now(), **body)
            except Forbidden:
                errors = {"unit_id": i18n.text("subunit_not_yours")}
            except JixiaoError as error:
                errors = refused(error, "unit_id")
        if errors:
            return _page(conn, form, errors, 422)
    flash(i18n.text("subunit_opened"), "ok")
    return redirect(url_for("web.subunit_evaluations_page"))


@bp.post("/subunit-evaluations/<int:evaluation_id>/grade")
@permitted(policy.GRADE_SUBUNIT_EVALUATIONS)
def subunit_evaluations_grade(evaluation_id: int) -> ResponseReturnValue:
    """Record the score and findings (as POST /api/subunit-evaluations/{id}/grade)."""
    form = {"score": request.form.get("score", "").strip(), "findings": text("findings", 4000) or ""}
    body, errors = load(subunit_evaluations_api.GradeSchema(), form)
    with unit_of_work() as conn:
        if not errors:
            try:
                with conn.begin_nested():
                    subunit_evaluations_records.record_grade(conn, viewer(), clock.now(), evaluation_id, **body)
            except Forbidden:
                errors = {"score": i18n.text("subunit_not_yours")}
            except JixiaoError as error:
                errors = refused(error, "score")
        if errors:
            return _page(conn, None, {f"{evaluation_id}-{k}": v for k, v in errors.items()}, 422)
    flash(i18n.text("subunit_graded"), "ok")
    return redirect(url_for("web.subunit_evaluations_page"))
