"""The financial supervision inspections' pages (/inspections, /inspections/<id>): the list and one inspection with
its team, findings per aspect and severity and the rectification ordered on them.

They call the same query functions as GET /api/inspections… and follow the same access rules: the bureau's roles
read every inspection, a department's staff and head those of their own department.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue

from service import policy
from service.cycle.inspections_records import STATUSES
from service.domain import inspection
from service.domain.roles import Principal
from service.queries import inspections_queries
from service.web import bp
from service.web.pages import reading, viewer
from service.web.session_auth import login_required


def _checked() -> Principal:
    """The viewer, if the policy lets them read inspections (the bureau's roles, a department's staff and head)."""
    me = viewer()
    policy.require(me, policy.READ_INSPECTIONS)
    return me


def _moments(item: dict[str, Any]) -> dict[str, Any]:
    """The ISO times of the query as datetimes, for the pages' local-time display."""
    return {k: datetime.fromisoformat(v) if k.endswith("_at") and isinstance(v, str) else v for k, v in item.items()}


@bp.get("/inspections")
@login_required
def inspections_page() -> ResponseReturnValue:
    """The inspections the user may read, newest first, filtered by year and status."""
    me = _checked()
    year_text, status = request.args.get("year", ""), request.args.get("status", "")
    year = int(year_text) if year_text.isdigit() and 2000 <= int(year_text) <= 2100 else None
    status = status if status in STATUSES else ""
    with reading() as conn:
        items = [_moments(i) for i in inspections_queries.list_inspections(conn, me, year=year, status=status or None)]
    return render_template("web/inspections.html", items=items, statuses=STATUSES, year=year, status=status,
                           aspects=inspection.ASPECTS)


@bp.get("/inspections/<int:inspection_id>")
@login_required
def inspection_page(inspection_id: int) -> ResponseReturnValue:
    """One inspection: target, team, findings and their rectification."""
    with reading() as conn:
        found = _moments(inspections_queries.get_inspection(conn, inspection_id, _checked()))
    return render_template("web/inspection.html", item=found, aspects=inspection.ASPECTS)
