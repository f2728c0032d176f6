"""Handlers of the goal_review process (workflows/goal_review.bpmn): record, return, review, experts, approve.

The revision a handler acts on is `revisions + 1` (the process counts the times a declaration was sent back);
each handler rewrites its own revision, so a job that runs twice writes the same rows.
"""

from __future__ import annotations

from typing import Any

from service.cycle import goals_records
from service.errors import InvalidInput
from workers.handlers import TaskContext, handler


def _project(variables: dict[str, Any], ctx: TaskContext) -> str:
    project_id = variables.get("project_id") or ctx.business_key
    if not isinstance(project_id, str) or not project_id:
        raise InvalidInput("project_id is required", [{"field": "project_id", "message": "required"}])
    return project_id


def _revision(variables: dict[str, Any]) -> int:
    return int(variables.get("revisions") or 0) + 1


@handler("goal.record")
def record_goal(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Write the declared revision and its indicators; the project is under review."""
    revision = _revision(variables)
    with ctx.write() as conn:
        goal_id = goals_records.record_declaration(conn, ctx.now, project_id=_project(variables, ctx),
                                                   revision=revision,
                                           summary=str(variables.get("goal_summary") or ""),
                                           indicators=variables.get("indicators") or [])
    return {"goal_id": goal_id, "goal_revision": revision, "goal_status": "under_review"}


@handler("goal.return")
def return_goal(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The department head did not submit: the revision is returned to the staff."""
    with ctx.write() as conn:
        goals_records.record_return(conn, ctx.now, project_id=_project(variables, ctx), revision=_revision(variables),
                            comment=variables.get("head_comment"))
    return {"goal_status": "declaring"}


@handler("goal.decide")
def decide_goal(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Record the finance review; 差 blocks the project (goal_status "blocked")."""
    with ctx.write() as conn:
        status = goals_records.record_review(conn, ctx.now, project_id=_project(variables, ctx),
                                     revision=_revision(variables), review=variables)
    return {"goal_status": {"blocked": "blocked", "returned": "declaring"}.get(status, "under_review")}


@handler("goal.expert_review")
def record_expert_review(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Record the expert panel's conclusion (any expert asking for revision returns the goal)."""
    experts = variables.get("experts") or []
    if not variables.get("expert_users"):
        # A major project's goal is never approved without experts (DOMAIN.md 1): an empty draw is an incident.
        raise InvalidInput("no expert could be drawn for the review", [{"field": "experts", "message": "empty"}])
    outcome = str(variables.get("expert_outcome") or "")
    with ctx.write() as conn:
        goals_records.record_expert_review(
            conn,
            ctx.now,
            project_id=_project(variables, ctx),
            revision=_revision(variables),
            experts=experts,
            outcome=outcome,
            comment=variables.get("expert_comment"),
        )
    return {"goal_status": "declaring" if outcome == "revise" else "under_review"}


@handler("goal.approve")
def approve_goal(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Issue the goal with the budget: goal_status "approved" and the approved `indicators`."""
    with ctx.write() as conn:
        approved = goals_records.approve(
            conn, ctx.now, project_id=_project(variables, ctx), revision=_revision(variables)
        )
    return {"goal_status": "approved", "indicators": approved}
