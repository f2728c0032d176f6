"""The supervisors' escalation queue (督办)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from service.api import runtime
from service.api.blueprint import Blueprint, principal, requires
from service.api.problems import errors_documented
from service.api.schemas import JSONObject, PageArgs, Text, UTCDateTime, page_schema
from service.domain.roles import SUPERVISORS
from service.queries import escalations as q

blp = Blueprint("escalations", __name__, url_prefix="/api/escalations", description="Escalations and decisions")


class EscalationSchema(Schema):
    id = fields.Integer(required=True)
    instance_id = fields.String(required=True)
    process_id = fields.String(required=True)
    business_key = fields.String(allow_none=True)
    department_id = fields.String(allow_none=True)
    kind = fields.String(required=True, validate=validate.OneOf(("deadline", "escalation")))
    code = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    element_id = fields.String(required=True)
    task_id = fields.String(allow_none=True)
    state = fields.String(required=True, validate=validate.OneOf(("open", "resolved")))
    decision = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)
    opened_at = UTCDateTime(required=True)
    resolved_at = UTCDateTime(allow_none=True)
    resolved_by = fields.String(allow_none=True)


class EscalationFilter(PageArgs):
    state = fields.String(validate=validate.OneOf(("open", "resolved")))


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(q.DECISIONS))
    comment = Text(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    data = JSONObject(load_default=dict, metadata={"description": "more fields for the supervisor task's form"})


@blp.route("")
class Escalations(MethodView):
    @blp.arguments(EscalationFilter, location="query")
    @blp.response(200, page_schema(EscalationSchema, "EscalationPage"))
    @errors_documented(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The escalation queue: open ones first, oldest first."""
        return q.list_escalations(runtime().engine, principal(), **args)


@blp.route("/<int:escalation_id>/resolve")
class EscalationResolve(MethodView):
    @requires(*SUPERVISORS, message="only supervisors decide escalations")
    @blp.arguments(DecisionSchema)
    @blp.response(200, EscalationSchema)
    @errors_documented(blp, 400, 403, 404, 409)
    def post(self, body: dict[str, Any], escalation_id: int) -> dict[str, Any]:
        """Decide an escalation (supervisors): the decision completes its supervisor task and drives the BPMN."""
        return q.resolve(runtime().workflows, principal(), escalation_id, body["decision"], body["comment"],
                         body["data"])
