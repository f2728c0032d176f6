"""A project's past and in-year changes: the grades and budget decisions of the project and of the projects it
continues (the plan 二(一)4 budget linkage), and its in-year budget adjustments (the plan 二(三)2).

A project is read by whoever may see its department (the project pages' rule); another one is 404.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from service.api import runtime
from service.api.blueprint import Blueprint, principal
from service.api.problems import errors_documented
from service.api.schemas import UTCDateTime
from service.errors import NotFound
from service.queries import dashboard_queries, project_history

blp = Blueprint("projects", __name__, url_prefix="/api/projects", description="Projects: history and adjustments")


class ProjectPredecessorSchema(Schema):
    id = fields.String(required=True)
    fiscal_year = fields.Integer(required=True)
    name = fields.String(required=True)


class ProjectGradeSchema(Schema):
    project_id = fields.String(required=True)
    fiscal_year = fields.Integer(required=True, metadata={"description": "the evaluated fiscal year"})
    kind = fields.String(required=True, metadata={"description": "self | spot_check | key | department"})
    score = fields.Float(required=True, allow_none=True)
    grade = fields.String(required=True, allow_none=True, metadata={"description": "优 | 良 | 中 | 差"})
    completed_at = UTCDateTime(required=True)


class ProjectBudgetDecisionSchema(Schema):
    project_id = fields.String(required=True)
    fiscal_year = fields.Integer(required=True, metadata={"description": "the evaluated fiscal year"})
    for_year = fields.Integer(required=True, metadata={
        "description": "the budget year decided: the one in preparation when the results are known "
                       "(fiscal year + rule linkage.budget_year_offset)"})
    grade = fields.String(required=True, allow_none=True)
    proposal = fields.String(required=True, metadata={"description": "priority | maintain | cut | cancel | hold"})
    base_amount = fields.Float(required=True, metadata={"description": "CNY"})
    proposed_amount = fields.Float(required=True, metadata={"description": "CNY"})
    confirmed_amount = fields.Float(required=True, allow_none=True, metadata={"description": "CNY"})


class ProjectHistorySchema(Schema):
    project_id = fields.String(required=True)
    predecessors = fields.List(fields.Nested(ProjectPredecessorSchema), required=True,
                               metadata={"description": "the projects this one continues, nearest first"})
    evaluations = fields.List(fields.Nested(ProjectGradeSchema), required=True,
                              metadata={"description": "oldest first"})
    decisions = fields.List(fields.Nested(ProjectBudgetDecisionSchema), required=True,
                            metadata={"description": "oldest first"})


class BudgetAdjustmentSchema(Schema):
    id = fields.Integer(required=True)
    project_id = fields.String(required=True)
    fiscal_year = fields.Integer(required=True)
    handling = fields.String(required=True, metadata={
        "description": "the classified handling opinion: continue | adjust | suspend | stop"})
    amount = fields.Float(required=True, metadata={"description": "CNY moved to the same year's urgent spending"})
    toward = fields.String(required=True, metadata={"description": "the urgent spending of the year it goes to"})
    reason = fields.String(required=True)
    decided_by = fields.String(required=True, allow_none=True)
    decided_at = UTCDateTime(required=True)
    instance_id = fields.String(required=True, allow_none=True)


class BudgetAdjustmentListSchema(Schema):
    items = fields.List(fields.Nested(BudgetAdjustmentSchema), required=True)


def _visible(project_id: str) -> None:
    with runtime().reading() as conn:
        visible = dashboard_queries.visible_project(conn, principal(), project_id)
    if not visible:
        raise NotFound(f"project {project_id} not found")


@blp.route("/<string:project_id>/history")
class History(MethodView):
    @blp.response(200, ProjectHistorySchema)
    @errors_documented(blp, 404)
    def get(self, project_id: str) -> dict[str, Any]:
        """The grades and budget decisions of the project and of the projects it continues (its predecessor
        chain, or the department's same-named projects of earlier years)."""
        _visible(project_id)
        with runtime().reading() as conn:
            return project_history.history(conn, project_id)


@blp.route("/<string:project_id>/budget-adjustments")
class Adjustments(MethodView):
    @blp.response(200, BudgetAdjustmentListSchema)
    @errors_documented(blp, 404)
    def get(self, project_id: str) -> dict[str, Any]:
        """The project's in-year budget adjustments toward the same year's urgent spending (the plan 二(三)2),
        recorded by the monitoring decisions."""
        _visible(project_id)
        with runtime().reading() as conn:
            return {"items": project_history.adjustments_of(conn, project_id)}
