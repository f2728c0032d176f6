"""`project.status`: move a project to a new status (DOMAIN.md's statuses) as its process reaches a stage."""

from __future__ import annotations

from typing import Any

from service.cycle import projects_records
from service.errors import InvalidInput
from workers.handlers import TaskContext, handler

STATUSES = ("planned", "declaring", "under_review", "approved", "blocked", "running", "paused", "suspended",
            "stopped", "evaluated", "closed")


@handler("project.status")
def set_project_status(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Set projects.status of `project_id` to `new_status` (idempotent: setting it twice changes nothing)."""
    status = variables.get("new_status")
    if status not in STATUSES:
        raise InvalidInput("unknown project status",
                           [{"field": "new_status", "message": f"one of {', '.join(STATUSES)}"}])
    project_id = str(variables.get("project_id") or ctx.business_key or "")
    with ctx.write() as conn:
        projects_records.get(conn, project_id)  # NotFound for an unknown project: the job fails visibly
        projects_records.set_status(conn, project_id, str(status), ctx.now)
    return {"project_status": status}
