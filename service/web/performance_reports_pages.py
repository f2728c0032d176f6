"""The departments' periodic performance management reports (/performance-reports, the plan 二(一)4): for the
bureau, each department's report of a period — filed, with the head or the bureau, accepted, returned, or missing
past its deadline — and the sections as filed. Same query and permission as GET /api/reports/performance-reports."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from service import clock, policy
from service.queries import performance_reports_queries
from service.rules.store import LEVELS
from service.web import bp
from service.web.pages import reading
from service.web.permissions import permitted


@bp.get("/performance-reports")
@permitted(policy.READ_BUREAU_REPORTS)
def performance_reports_page() -> ResponseReturnValue:
    """Reports of a year and level by department; `missing=1` shows only those not filed by their deadline."""
    raw = request.args.get("year", "")
    year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else None
    level = request.args.get("level") if request.args.get("level") in LEVELS else LEVELS[0]
    missing = True if request.args.get("missing") == "1" else None
    today = clock.local_today(clock.now())
    with reading() as conn:
        every = performance_reports_queries.list_reports(conn, today, level=level)
        years = sorted({r["period_start"].year for r in every}, reverse=True)
        year = year if year is not None else (years[0] if years else today.year - 1)
        reports = performance_reports_queries.list_reports(conn, today, year=year, level=level, missing=missing)
    counts = {"total": len([r for r in every if r["period_start"].year == year]),
              "missing": len([r for r in every if r["period_start"].year == year and r["missing"]]),
              "accepted": len([r for r in every if r["period_start"].year == year and r["status"] == "accepted"])}
    return render_template("web/performance_reports.html", reports=reports, year=year, years=years or [year],
                           level=level, levels=LEVELS, missing=missing, counts=counts,
                           sections=performance_reports_queries.SECTIONS)
