"""User tasks: list, read with form, complete."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from service import clock
from service.api import runtime
from service.api.blueprint import Blueprint
from service.api.problems import errors_documented
from service.api.schemas import JSONObject, PageArgs, Text, UTCAwareDateTime, UTCDateTime, page_schema
from service.queries import tasks as q

blp = Blueprint("tasks", __name__, url_prefix="/api/tasks", description="User tasks")


class TaskSchema(Schema):
    id = fields.String(required=True)
    instance_id = fields.String(required=True)
    process_id = fields.String(required=True)
    bpmn_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    state = fields.String(required=True)
    form_key = fields.String(allow_none=True)
    candidate_groups = fields.List(fields.String(), required=True)
    candidate_users = fields.List(fields.String(), required=True)
    assignee = fields.String(allow_none=True)
    due_at = UTCDateTime(allow_none=True)
    follow_up_at = UTCDateTime(allow_none=True)
    priority = fields.Integer(required=True)
    created_at = UTCDateTime(required=True)
    ended_at = UTCDateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)


class FormSchema(Schema):
    key = fields.String(required=True)
    schema = fields.Dict(allow_none=True)
    ui = fields.Dict(allow_none=True)


class TaskDetailSchema(TaskSchema):
    data = fields.Dict(required=True)
    form = fields.Nested(FormSchema, allow_none=True)
    instance_status = fields.String(required=True)


class TaskFilter(PageArgs):
    state = fields.String(load_default="ready", validate=validate.OneOf(("ready", "completed", "cancelled")))
    instance_id = Text()
    process_id = Text()
    assignee = Text()
    candidate_group = Text()
    due_before = UTCAwareDateTime()
    overdue = fields.Boolean(load_default=False)


class CompleteSchema(Schema):
    data = JSONObject(load_default=dict)


@blp.route("")
class Tasks(MethodView):
    @blp.arguments(TaskFilter, location="query")
    @blp.response(200, page_schema(TaskSchema, "TaskPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Tasks (ready by default), due first then by priority."""
        return q.list_tasks(runtime().engine, now=clock.now(), **args)


@blp.route("/<string:task_id>")
class TaskView(MethodView):
    @blp.response(200, TaskDetailSchema)
    @errors_documented(blp, 404)
    def get(self, task_id: str) -> dict[str, Any]:
        """A task with its form schema and current data."""
        rt = runtime()
        return q.get(rt.engine, rt.specs, task_id)


@blp.route("/<string:task_id>/complete")
class TaskComplete(MethodView):
    @blp.arguments(CompleteSchema)
    @blp.response(200, TaskDetailSchema)
    @errors_documented(blp, 400, 404, 409)
    def post(self, body: dict[str, Any], task_id: str) -> dict[str, Any]:
        """Complete a task with form data validated against its JSON Schema."""
        rt = runtime()
        rt.workflows.complete_task(task_id, body["data"])
        return q.get(rt.engine, rt.specs, task_id)
