"""Fiscal figures (/admin/fiscal-figures): a level's public spending (公共财政支出) and 民生 spending per fiscal year,
listed and entered through the same schema and command as PUT /api/fiscal-figures/{year}/{level}, admitted by the
same rule (finance reviewers and administrators)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from service import clock, policy
from service.api import fiscal_figures_api
from service.cycle import fiscal_figures_records
from service.db import Connection
from service.queries import fiscal_figures_queries
from service.rules.store import LEVELS
from service.web import bp, i18n
from service.web.admin_forms import load, saved, text
from service.web.pages import reading, unit_of_work, viewer
from service.web.permissions import permitted


def _page(conn: Connection, form: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
          status: int = 200) -> ResponseReturnValue:
    this_year = clock.local_today(clock.now()).year
    return render_template("web/admin_fiscal_figures.html", figures=fiscal_figures_queries.list_figures(conn),
                           level_options=[(level, i18n.text(f"level_{level}")) for level in LEVELS],
                           years=range(this_year, 2009, -1), errors=errors or {},
                           form=form or {"fiscal_year": this_year - 1, "level": LEVELS[0]}), status


@bp.get("/admin/fiscal-figures")
@permitted(policy.ENTER_FISCAL_FIGURES)
def admin_fiscal_figures() -> ResponseReturnValue:
    """The figures entered, latest year first, and a form to enter or correct a year's figures of a level."""
    year, level = request.args.get("year", ""), request.args.get("level", "")
    with reading() as conn:
        if year.isdigit() and level in LEVELS:  # "correct": the form starts from the figures entered
            found = next((f for f in fiscal_figures_queries.list_figures(conn)
                          if f["fiscal_year"] == int(year) and f["level"] == level), None)
            if found is not None:
                return _page(conn, {**found, "public_spending": _plain(found["public_spending"]),
                                    "livelihood_spending": _plain(found["livelihood_spending"])})
        return _page(conn)


def _plain(amount: Any) -> str:
    return f"{amount:.2f}".removesuffix(".00")


@bp.post("/admin/fiscal-figures")
@permitted(policy.ENTER_FISCAL_FIGURES)
def admin_fiscal_figures_enter() -> ResponseReturnValue:
    """Enter a year's figures of a level (as PUT /api/fiscal-figures/{year}/{level})."""
    def amount(name: str) -> str:
        return request.form.get(name, "").strip().replace(",", "").replace("，", "")

    form = {"fiscal_year": request.form.get("fiscal_year", ""), "level": request.form.get("level", ""),
            "public_spending": amount("public_spending"), "livelihood_spending": amount("livelihood_spending"),
            "source": text("source") or ""}
    body, errors = load(fiscal_figures_api.FigureEntrySchema(), {k: form[k] for k in
                                                          ("public_spending", "livelihood_spending", "source")})
    year = int(form["fiscal_year"]) if form["fiscal_year"].isdigit() else 0
    if not 2000 <= year <= 2100:
        errors["fiscal_year"] = i18n.text("admin_err_invalid")
    if form["level"] not in LEVELS:
        errors["level"] = i18n.text("admin_err_invalid")
    with unit_of_work() as conn:
        if not errors:
            errors = saved(conn, lambda: fiscal_figures_records.enter(
                conn, viewer().username, clock.now(), fiscal_year=year, level=form["level"], **body),
                "public_spending")
        if errors:
            return _page(conn, form, errors, 422)
    flash(i18n.text("admin_fiscal_figures_saved", year=year, level=i18n.text(f"level_{form['level']}")), "ok")
    return redirect(url_for("web.admin_fiscal_figures"))
