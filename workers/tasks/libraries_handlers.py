"""`experts.draw`, `agency.assign`, `agency.rate`: the libraries' part of a review or a key evaluation.

Jobs are at-least-once: the draw and the assignment are recorded per project and a re-run returns the same
panel or agency; a rating overwrites the engagement's rating with the same values.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from service.cycle import projects_records
from service.errors import InvalidInput
from service.libraries import agencies, experts
from workers.handlers import TaskContext, handler


def _project_inputs(conn: Connection, variables: dict[str, Any]) -> dict[str, Any]:
    """project_id, department_id, sector, fiscal_year: from the instance's data, else from the project record."""
    project_id = variables.get("project_id")
    if not isinstance(project_id, str) or not project_id:
        raise InvalidInput("project_id is required", [{"field": "project_id", "message": "required"}])
    row = projects_records.get(conn, project_id)
    return {"project_id": project_id,
            "department_id": str(variables.get("department_id") or row.department_id),
            "sector": str(variables.get("sector") or row.sector),
            "fiscal_year": int(variables.get("fiscal_year") or row.fiscal_year)}


@handler("experts.draw")
def draw_experts(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Draw the project's expert panel (回避 and the year's cap applied); returns experts and expert_users."""
    with ctx.write() as conn:
        panel = experts.draw_panel(conn, **_project_inputs(conn, variables), now=ctx.now)
    return {"experts": panel, "expert_users": [e["username"] for e in panel if e["username"]]}


@handler("agency.assign")
def assign_agency(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Commission an agency for the project's key evaluation; returns agency_id, agency_name, agency_users."""
    with ctx.write() as conn:
        return agencies.assign(conn, **_project_inputs(conn, variables), now=ctx.now)


@handler("agency.rate")
def rate_agency(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Record the bureau's rating of the agency's report; returns agency_score (0–100)."""
    rating = variables.get("agency_rating")
    if not isinstance(rating, dict):
        raise InvalidInput("agency_rating is required", [{"field": "agency_rating",
                                                          "message": "{quality, timeliness, compliance}"}])
    with ctx.write() as conn:
        inputs = _project_inputs(conn, variables)
        score = agencies.rate(conn, project_id=inputs["project_id"], rating=rating, now=ctx.now)
    return {"agency_score": float(score)}
