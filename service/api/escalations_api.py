"""The supervisors' escalation queue (督办): list, detail, and the commands resolve, dismiss and escalate."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from service import policy
from service.api import runtime
from service.api.blueprint import Blueprint, principal, requires
from service.api.escalation_schemas import facts_schema
from service.api.problems import errors_documented
from service.api.schemas import JSONObject, PageArgs, Text, UTCDateTime, page_schema
from service.bpm.commands import Command, DismissEscalation, EscalateEscalation, ResolveEscalation
from service.domain.escalation_kinds import DECISIONS
from service.queries import escalation_facts, escalations_queries

blp = Blueprint("escalations", __name__, url_prefix="/api/escalations", description="Escalations and decisions")


class AllowedDecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(tuple(DECISIONS)))
    label = fields.String(required=True, metadata={"description": "the decision in Chinese"})
    label_en = fields.String(required=True)


class EscalationSchema(Schema):
    id = fields.Integer(required=True)
    instance_id = fields.String(required=True)
    process_id = fields.String(required=True)
    process_name = fields.String(required=True, metadata={"description": "the process as modelled (else its id)"})
    business_key = fields.String(allow_none=True)
    department_id = fields.String(allow_none=True)
    kind = fields.String(required=True, validate=validate.OneOf(("deadline", "escalation")))
    code = fields.String(allow_none=True)
    kind_name = fields.String(required=True, metadata={"description": "what kind of slip, in Chinese"})
    kind_name_en = fields.String(required=True)
    name = fields.String(allow_none=True)
    element_id = fields.String(required=True)
    task_id = fields.String(allow_none=True)
    state = fields.String(required=True, validate=validate.OneOf(("open", "resolved")))
    level = fields.String(required=True, validate=validate.OneOf((policy.SUPERVISOR_LEVEL, policy.LEADERSHIP_LEVEL)),
                          metadata={"description": "who decides: the supervisors, or the bureau's leadership (局领导)"})
    escalated_at = UTCDateTime(allow_none=True)
    escalated_by = fields.String(allow_none=True)
    allowed_decisions = fields.List(fields.Nested(AllowedDecisionSchema), required=True,
                                    metadata={"description": "the decisions this kind allows (none once resolved)"})
    decision = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)
    opened_at = UTCDateTime(required=True)
    resolved_at = UTCDateTime(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    project_id = fields.String(allow_none=True, metadata={"description": "the project the instance works on"})
    project_name = fields.String(allow_none=True)
    department_name = fields.String(allow_none=True)
    department_name_en = fields.String(allow_none=True)
    age_days = fields.Integer(required=True, metadata={
        "description": "calendar days (Asia/Shanghai) since it opened, to today or to its resolution"})


class EscalationFilter(PageArgs):
    state = fields.String(validate=validate.OneOf(escalations_queries.STATES))
    kind = fields.String(validate=validate.OneOf(escalations_queries.KINDS), metadata={
        "description": "deadline: a deadline passed (boundary timer); escalation: a target slipped"})
    code = Text(validate=validate.Length(min=1, max=100), metadata={
        "description": "the kind's code, e.g. SERIOUS_DEVIATION, rectification_overdue"})
    department_id = Text(validate=validate.Length(min=1, max=50))
    level = fields.String(validate=validate.OneOf(escalations_queries.LEVELS), metadata={
        "description": "supervisor: with the supervisors; leadership: handed up to the bureau's leadership"})
    older_than_days = fields.Integer(validate=validate.Range(min=0, max=36_500), metadata={
        "description": "only escalations opened more than this many days ago"})


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(tuple(DECISIONS)))
    comment = Text(load_default=None, allow_none=True, validate=validate.Length(max=4000),
                   metadata={"description": "the supervisor's opinion; the reason, required, when dismissing"})
    data = JSONObject(load_default=dict, metadata={"description": "more fields for the supervisor task's form"})


class DismissSchema(Schema):
    reason = Text(required=True, validate=validate.Length(min=1, max=4000))


class EscalateSchema(Schema):
    reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=4000))


def _decided(escalation_id: int, command: Command) -> dict[str, Any]:
    rt, me = runtime(), principal()
    with rt.unit_of_work() as conn:
        rt.workflows.apply_to_escalation(command, actor=me, conn=conn)
        return escalations_queries.get(conn, me, escalation_id, rt.specs)


@blp.route("")
class Escalations(MethodView):
    @blp.arguments(EscalationFilter, location="query")
    @blp.response(200, page_schema(EscalationSchema, "EscalationPage"))
    @errors_documented(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The escalation queue: open ones first, oldest first, each with the decisions open to it."""
        rt = runtime()
        with rt.reading() as conn:
            return escalations_queries.list_escalations(conn, principal(), specs=rt.specs, **args)


@blp.route("/<int:escalation_id>")
class EscalationItem(MethodView):
    @blp.response(200, EscalationSchema)
    @errors_documented(blp, 404)
    def get(self, escalation_id: int) -> dict[str, Any]:
        """One escalation with the decisions open to it."""
        rt = runtime()
        with rt.reading() as conn:
            return escalations_queries.get(conn, principal(), escalation_id, rt.specs)


@blp.route("/<int:escalation_id>/facts")
class EscalationFacts(MethodView):
    @blp.response(200, facts_schema(EscalationSchema))
    @errors_documented(blp, 404)
    def get(self, escalation_id: int) -> dict[str, Any]:
        """What a supervisor reads before deciding: what slipped and since when (working and calendar days), its
        owner, the reminders sent for it, the instance's timeline, and the figures of its kind (monitoring
        figures of a warning, the grade, the rectification record)."""
        rt = runtime()
        with rt.reading() as conn:
            return escalation_facts.facts(conn, principal(), escalation_id, rt.specs)


@blp.route("/<int:escalation_id>/resolve")
class EscalationResolve(MethodView):
    @requires(policy.DECIDE_ESCALATION)
    @blp.arguments(DecisionSchema)
    @blp.response(200, EscalationSchema)
    @errors_documented(blp, 400, 403, 404, 409)
    def post(self, body: dict[str, Any], escalation_id: int) -> dict[str, Any]:
        """Decide an escalation (supervisors; once handed up, the bureau's leadership).

        The decision must be one its kind allows (`allowed_decisions`); a refused one answers 422, or 409 when
        what happened before forbids it (a project is stopped only after it was suspended). With a supervisor
        task the decision completes it and drives the BPMN; `dismiss` needs the reason in `comment`.
        """
        if body["decision"] == "dismiss":
            return _decided(escalation_id, DismissEscalation(escalation_id, body["comment"] or ""))
        return _decided(escalation_id, ResolveEscalation(escalation_id, body["decision"], body["comment"],
                                                         body["data"]))


@blp.route("/<int:escalation_id>/dismiss")
class EscalationDismiss(MethodView):
    @requires(policy.DECIDE_ESCALATION)
    @blp.arguments(DismissSchema)
    @blp.response(200, EscalationSchema)
    @errors_documented(blp, 400, 403, 404, 409)
    def post(self, body: dict[str, Any], escalation_id: int) -> dict[str, Any]:
        """Dismiss an escalation with a reason, where its kind allows it (supervisors)."""
        return _decided(escalation_id, DismissEscalation(escalation_id, body["reason"]))


@blp.route("/<int:escalation_id>/escalate")
class EscalationEscalate(MethodView):
    @requires(policy.ASK_TO_HAND_UP)
    @blp.arguments(EscalateSchema)
    @blp.response(200, EscalationSchema)
    @errors_documented(blp, 400, 403, 404, 409)
    def post(self, body: dict[str, Any], escalation_id: int) -> dict[str, Any]:
        """Hand an open escalation one level up, to the bureau's leadership (局领导), who then decide it."""
        return _decided(escalation_id, EscalateEscalation(escalation_id, body["reason"]))
