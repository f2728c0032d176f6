"""Auditors' reads: the state of an instance at any event, and replaying its history to verify it."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from service.api import runtime
from service.api.blueprint import Blueprint, principal
from service.api.problems import errors_documented
from service.api.schemas import UTCDateTime
from service.queries import audit_queries

blp = Blueprint("audit", __name__, url_prefix="/api/instances", description="State at any event; replay")


class StateArgs(Schema):
    at = fields.Integer(validate=validate.Range(min=1), metadata={"description": "event number (default: last)"})


class TaskStateSchema(Schema):
    process = fields.String(required=True)
    bpmn_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    state = fields.String(required=True)


# "from" is a Python keyword: this schema is built from a dict.
TaskChangeSchema = Schema.from_dict({"bpmn_id": fields.String(required=True), "from": fields.String(allow_none=True),
                                     "to": fields.String(required=True)}, name="TaskChange")


class DataChangesSchema(Schema):
    added = fields.Dict(required=True)
    changed = fields.Dict(required=True)
    removed = fields.List(fields.String(), required=True)


class ChangesSchema(Schema):
    data = fields.Nested(DataChangesSchema, required=True)
    tasks = fields.List(fields.Nested(TaskChangeSchema), required=True)


class StateSchema(Schema):
    seq = fields.Integer(required=True)
    at = UTCDateTime(required=True)
    actor = fields.String(allow_none=True)
    command = fields.String(required=True)
    status = fields.String(required=True)
    version = fields.String(required=True)
    data = fields.Dict(required=True)
    tasks = fields.List(fields.Nested(TaskStateSchema), required=True)
    active = fields.List(fields.String(), required=True)
    completed = fields.List(fields.String(), required=True)
    changes = fields.Nested(ChangesSchema, required=True)
    replay_matches = fields.Boolean(required=True)


class ReplaySchema(Schema):
    instance_id = fields.String(required=True)
    ok = fields.Boolean(required=True)
    first_bad_event = fields.Integer(allow_none=True)
    problem = fields.String(allow_none=True)


@blp.route("/<string:instance_id>/state")
class InstanceState(MethodView):
    @blp.arguments(StateArgs, location="query")
    @blp.response(200, StateSchema)
    @errors_documented(blp, 404)
    def get(self, args: dict[str, Any], instance_id: str) -> dict[str, Any]:
        """The instance right after event `at`: task states, active elements, data, and what that event changed."""
        rt = runtime()
        with rt.reading() as conn:
            return audit_queries.state_at(conn, rt.specs, rt.settings, instance_id, principal(), args.get("at"))


@blp.route("/<string:instance_id>/replay")
class InstanceReplay(MethodView):
    @blp.response(200, ReplaySchema)
    @errors_documented(blp, 404)
    def post(self, instance_id: str) -> dict[str, Any]:
        """Rebuild the instance from its version by re-applying its recorded commands, and compare every
        fingerprint, the hash chain and the stored state. Changes nothing."""
        rt = runtime()
        with rt.reading() as conn:
            return audit_queries.check(conn, rt.specs, rt.settings, instance_id, principal())
