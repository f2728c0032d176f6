"""The nightly verifications for auditors and administrators (/audit/verify-runs, /audit/verify-runs/<id>): what the
worker checked each night and every finding, each leading to the instance's audit page; as GET /api/verify-runs."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from service import policy
from service.queries import verify_runs_queries
from service.web import bp
from service.web.pages import page_number, pager, reading
from service.web.permissions import permitted

RUNS_PER_PAGE = 30
FINDINGS_PER_PAGE = 100


@bp.get("/audit/verify-runs")
@permitted(policy.READ_VERIFY_RUNS)
def verify_runs_page() -> ResponseReturnValue:
    """The nights' runs, the latest first: what each checked and how many findings it made."""
    page = page_number()
    with reading() as conn:
        found = verify_runs_queries.list_runs(conn, page=page, per_page=RUNS_PER_PAGE)
    return render_template("web/verify_runs.html", runs=found["items"],
                           pager=pager(found["total"], page, RUNS_PER_PAGE))


@bp.get("/audit/verify-runs/<run_id>")
@permitted(policy.READ_VERIFY_RUNS)
def verify_run_page(run_id: str) -> ResponseReturnValue:
    """One night's run and its findings."""
    page = page_number()
    with reading() as conn:
        run = verify_runs_queries.get_run(conn, run_id, page=page, per_page=FINDINGS_PER_PAGE)
    return render_template("web/verify_run.html", run=run, pager=pager(run["findings"], page, FINDINGS_PER_PAGE))
