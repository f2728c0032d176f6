"""The comprehensive evaluation's pages (/scorecard, /scorecard/<department>, /scorecard.csv): the ranked table, a
department's scorecard with the evidence behind every score, both printable; the CSV for spreadsheets.

They call the same query functions as GET /api/reports/scorecard… and follow the same access rules: the ranked
table and the CSV for the roles that see every department; a department's staff and head see their own
department's scorecard (the table sends them there).
"""

from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from service import clock, policy
from service.domain.scorecard_rules import DIMENSIONS
from service.errors import Forbidden
from service.queries import scorecard_queries
from service.rules.store import LEVELS
from service.web import bp
from service.web.pages import choice, reading, viewer
from service.web.session_auth import login_required


def _year() -> int:
    text = request.args.get("year", "")
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else clock.local_today().year - 1


def _level() -> str:
    return choice(request.args, "level", LEVELS, LEVELS[0])


@bp.get("/scorecard")
@login_required
def scorecard_table() -> ResponseReturnValue:
    """The ranked table of a year and level, with each dimension and the trend."""
    me, year, level = viewer(), _year(), _level()
    if not policy.may(me, policy.READ_BUREAU_REPORTS):
        if me.department_id and policy.may(me, policy.READ_SCORECARD, {"department_id": me.department_id}):
            return redirect(url_for("web.scorecard_card", department_id=me.department_id, year=year))
        raise Forbidden("the ranked table is for the finance bureau's reviewers, supervisors and auditors")
    with reading() as conn:
        report = scorecard_queries.scorecard_report(conn, year, level, clock.now())
    return render_template("web/scorecard.html", report=report, year=year, level=level, levels=LEVELS,
                           dimensions=DIMENSIONS, card=None)


@bp.get("/scorecard.csv")
@login_required
def scorecard_csv() -> ResponseReturnValue:
    """The ranked table as CSV (the same file as GET /api/reports/scorecard.csv)."""
    policy.require(viewer(), policy.READ_BUREAU_REPORTS)
    year, level = _year(), _level()
    with reading() as conn:
        report = scorecard_queries.scorecard_report(conn, year, level, clock.now())
    return Response(scorecard_queries.csv_text(report), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="scorecard-{year}-{level}.csv"'})


@bp.get("/scorecard/<department_id>")
@login_required
def scorecard_card(department_id: str) -> ResponseReturnValue:
    """One department's scorecard: every indicator, its points and the records or tasks behind them."""
    year = _year()
    with reading() as conn:
        report = scorecard_queries.scorecard_detail(conn, year, department_id, clock.now(), viewer=viewer())
    return render_template("web/scorecard.html", report=report, year=year, level=report.level, levels=LEVELS,
                           dimensions=DIMENSIONS, card=report.cards[0])
