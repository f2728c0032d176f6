"""Financial supervision inspections (the plan 二(三)4二是; workflows/supervision_inspection.bpmn): the list and one
inspection with its findings and their rectification. An inspection is started through POST /api/instances with
process_id `supervision_inspection` (supervisors and administrators, per the model's start rights).

The bureau's roles read every inspection; a department's staff and head read those of their own department.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from service import policy
from service.api import runtime
from service.api.blueprint import Blueprint, principal, requires
from service.api.problems import errors_documented
from service.cycle.inspections_records import STATUSES
from service.queries import inspections_queries

blp = Blueprint("inspections", __name__, url_prefix="/api/inspections",
                description="Financial supervision inspections (绩效监督检查)")




class InspectionArgs(Schema):
    year = fields.Integer(validate=validate.Range(min=2000, max=2100), metadata={"description": "fiscal year"})
    status = fields.String(validate=validate.OneOf(STATUSES))


class InspectionMemberSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    organisation = fields.String(required=True)


class InspectionFindingSchema(Schema):
    position = fields.Integer(required=True)
    aspect = fields.String(required=True, metadata={"description": "goal_setting | execution | evaluation_quality | "
                                                                   "use_of_results"})
    aspect_label = fields.String(required=True)
    aspect_label_en = fields.String(required=True)
    severity = fields.String(required=True, metadata={"description": "minor | major | serious"})
    severity_label = fields.String(required=True)
    severity_label_en = fields.String(required=True)
    text = fields.String(required=True)
    requires_rectification = fields.Boolean(required=True)
    rectification_instance_id = fields.String(required=True, allow_none=True,
                                              metadata={"description": "the instance the rectification runs in"})


class InspectionSchema(Schema):
    id = fields.Integer(required=True)
    instance_id = fields.String(required=True)
    fiscal_year = fields.Integer(required=True)
    department_id = fields.String(required=True)
    department_name = fields.String(required=True)
    target_kind = fields.String(required=True, metadata={"description": "department | fund"})
    target_kind_label = fields.String(required=True)
    target_kind_label_en = fields.String(required=True)
    fund_name = fields.String(required=True, allow_none=True)
    fund_amount = fields.Float(required=True, allow_none=True, metadata={"description": "CNY"})
    aspects = fields.List(fields.String(), required=True)
    members = fields.List(fields.Nested(InspectionMemberSchema), required=True,
                          metadata={"description": "drawn from the supervision library (监督指导库)"})
    status = fields.String(required=True, metadata={"description": " | ".join(STATUSES)})
    opened_at = fields.String(required=True)
    due_on = fields.String(required=True, allow_none=True)
    inspected_at = fields.String(required=True, allow_none=True)
    acknowledged_at = fields.String(required=True, allow_none=True)
    acknowledgement = fields.String(required=True, allow_none=True)
    rectification_status = fields.String(required=True, allow_none=True,
                                         metadata={"description": "open | submitted | overdue | done | failed"})
    rectification_due_on = fields.String(required=True, allow_none=True)
    rectification_submitted_at = fields.String(required=True, allow_none=True)
    rectification_verified_at = fields.String(required=True, allow_none=True)
    rectification_verdict = fields.String(required=True, allow_none=True)
    closed_at = fields.String(required=True, allow_none=True)
    findings_count = fields.Integer(required=True)


class InspectionDetailSchema(InspectionSchema):
    findings = fields.List(fields.Nested(InspectionFindingSchema), required=True)


class InspectionListSchema(Schema):
    items = fields.List(fields.Nested(InspectionSchema), required=True)
    total = fields.Integer(required=True)


@blp.route("")
class Inspections(MethodView):
    @requires(policy.READ_INSPECTIONS)
    @blp.arguments(InspectionArgs, location="query")
    @blp.response(200, InspectionListSchema)
    @errors_documented(blp, 403, 422)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The inspections the caller may read, newest first (a department's users: their own department's)."""
        with runtime().reading() as conn:
            items = inspections_queries.list_inspections(
                conn, principal(), year=args.get("year"), status=args.get("status")
            )
        return {"items": items, "total": len(items)}


@blp.route("/<int:inspection_id>")
class InspectionDetail(MethodView):
    @requires(policy.READ_INSPECTIONS)
    @blp.response(200, InspectionDetailSchema)
    @errors_documented(blp, 403, 404)
    def get(self, inspection_id: int) -> dict[str, Any]:
        """One inspection with its findings per aspect and severity and the rectification ordered on them."""
        with runtime().reading() as conn:
            return inspections_queries.get_inspection(conn, inspection_id, principal())
