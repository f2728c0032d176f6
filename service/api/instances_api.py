"""Process instances: start, read, list, suspend, resume, terminate."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from service import policy
from service.api import runtime
from service.api.blueprint import Blueprint, principal, requires
from service.api.problems import errors_documented
from service.api.schemas import JSONObject, PageArgs, Text, UTCDateTime, page_schema
from service.bpm.commands import Resume, Suspend, Terminate
from service.queries import instances_queries

blp = Blueprint("instances", __name__, url_prefix="/api/instances", description="Process instances")

STATUSES = ("running", "suspended", "completed", "terminated", "error")


class StartSchema(Schema):
    process_id = Text(required=True, validate=validate.Length(min=1, max=255))
    data = JSONObject(load_default=dict)
    business_key = Text(load_default=None, allow_none=True, validate=validate.Length(max=255))
    department_id = Text(load_default=None, allow_none=True, validate=validate.Length(max=50),
                         metadata={"description": "default: the starting user's department"})


class InstanceSchema(Schema):
    id = fields.String(required=True)
    process_id = fields.String(required=True)
    version = fields.String(required=True)
    business_key = fields.String(allow_none=True)
    department_id = fields.String(allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    next_timer_at = UTCDateTime(allow_none=True)
    error = fields.String(allow_none=True)
    started_by = fields.String(allow_none=True)
    created_at = UTCDateTime(required=True)
    updated_at = UTCDateTime(required=True)
    ended_at = UTCDateTime(allow_none=True)
    serializer_version = fields.String(required=True)
    lock_version = fields.Integer(required=True)


class InstanceDetailSchema(InstanceSchema):
    data = fields.Dict(required=True)


class InstanceFilter(PageArgs):
    process_id = Text()
    department_id = Text()
    status = fields.String(validate=validate.OneOf(STATUSES))
    business_key = Text()


class ReasonSchema(Schema):
    reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))


@blp.route("")
class Instances(MethodView):
    @blp.arguments(InstanceFilter, location="query")
    @blp.response(200, page_schema(InstanceSchema, "InstancePage"))
    @errors_documented(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The instances you may see, newest first, filtered by process, department, status or business key."""
        with runtime().reading() as conn:
            return instances_queries.list_instances(conn, viewer=principal(), **args)

    @requires(policy.START_PROCESSES)
    @blp.arguments(StartSchema)
    @blp.response(201, InstanceDetailSchema)
    @errors_documented(blp, 400, 403, 404)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Start an instance of the latest version of a process, for your department (bureau roles: any).

        The process's model says who may start it (camunda:candidateStarterGroups / candidateStarterUsers;
        without them, the bureau's roles); `data` must match its start form (none: no data), and only
        supervisors and administrators may set a variable that decides a task's assignee (403)."""
        rt = runtime()
        with rt.unit_of_work() as conn:
            return instances_queries.detail(rt.workflows.start(
                body["process_id"], body["data"], body["business_key"], actor=principal(),
                department_id=body["department_id"], conn=conn))


@blp.route("/<string:instance_id>")
class InstanceView(MethodView):
    @blp.response(200, InstanceDetailSchema)
    @errors_documented(blp, 404)
    def get(self, instance_id: str) -> dict[str, Any]:
        """An instance with its current process data."""
        with runtime().reading() as conn:
            return instances_queries.get(conn, instance_id, principal())


class HistoryFilter(PageArgs):
    command = Text(validate=validate.Length(max=50))
    actor = Text(validate=validate.Length(max=100))


class EventSchema(Schema):
    seq = fields.Integer(required=True)
    at = UTCDateTime(required=True)
    actor = fields.String(allow_none=True)
    command = fields.String(required=True)
    input = fields.Raw(allow_none=True)
    tasks = fields.Raw(allow_none=True)
    fingerprint = fields.String(allow_none=True)
    prev_hash = fields.String(allow_none=True)
    hash = fields.String(required=True)


@blp.route("/<string:instance_id>/history")
class InstanceHistory(MethodView):
    @blp.arguments(HistoryFilter, location="query")
    @blp.response(200, page_schema(EventSchema, "EventPage"))
    @errors_documented(blp, 404)
    def get(self, args: dict[str, Any], instance_id: str) -> dict[str, Any]:
        """The instance's audit events in order: who did what, when, with which input."""
        with runtime().reading() as conn:
            return instances_queries.history(conn, instance_id, principal(), **args)


def _command_view(name: str, command: type[Suspend | Resume | Terminate], doc: str) -> None:
    class _View(MethodView):
        @requires(policy.CHANGE_LIFECYCLE)
        @blp.arguments(ReasonSchema, required=False)
        @blp.response(200, InstanceDetailSchema)
        @errors_documented(blp, 400, 403, 404, 409)
        def post(self, body: dict[str, Any], instance_id: str) -> dict[str, Any]:
            rt = runtime()
            with rt.unit_of_work() as conn:
                rt.workflows.apply(instance_id, command(reason=body.get("reason")), actor=principal(), conn=conn)
                return instances_queries.get(conn, instance_id, principal())

    _View.post.__doc__ = doc
    _View.__name__ = f"Instance{name.title()}"
    blp.route(f"/<string:instance_id>/{name}")(_View)


_command_view("suspend", Suspend, "Suspend a running instance: no task can be completed, no timer fires "
              "(supervisors).")
_command_view("resume", Resume, "Resume a suspended instance, or retry one in error (supervisors).")
_command_view("terminate", Terminate, "Terminate an instance: open tasks are cancelled (supervisors).")
