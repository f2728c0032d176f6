"""Messages from outside the process (e.g. a budget decision issued, a report received)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from service import policy
from service.api import runtime
from service.api.blueprint import Blueprint, principal, requires
from service.api.problems import errors_documented
from service.api.schemas import JSONObject, Text
from service.bpm import message_routing

blp = Blueprint("messages", __name__, url_prefix="/api/messages", description="Messages to waiting instances")


class CorrelationSchema(Schema):
    business_key = Text(validate=validate.Length(max=255))
    instance_id = Text(validate=validate.Length(max=36))


class MessageSchema(Schema):
    name = Text(required=True, validate=validate.Length(min=1, max=255))
    correlation = fields.Nested(CorrelationSchema, load_default=dict)
    payload = JSONObject(load_default=dict)
    variable = Text(load_default=None, allow_none=True, validate=validate.Regexp(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$"),
                    metadata={"description": "process variable for the payload (default: <catch event id>_Response)"})


class DeliveredSchema(Schema):
    delivered = fields.List(fields.String(), required=True)


@blp.route("")
class Messages(MethodView):
    @requires(policy.CHANGE_ANYTHING)
    @blp.arguments(MessageSchema)
    @blp.response(200, DeliveredSchema)
    @errors_documented(blp, 400, 403, 404)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Deliver a message to the running instances that wait for it, narrowed by business key or instance.

        All of them catch it in one transaction, or none does."""
        corr, rt = body["correlation"], runtime()
        with rt.unit_of_work() as conn:  # every instance that catches it, or none
            delivered = message_routing.deliver(conn, rt.workflows, principal(), body["name"], body["payload"],
                                                business_key=corr.get("business_key"),
                                                instance_id=corr.get("instance_id"), variable=body["variable"])
        return {"delivered": delivered}
