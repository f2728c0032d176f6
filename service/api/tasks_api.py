"""User tasks: inbox queries, read with form, claim, unclaim, delegate, reassign, complete."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from service import clock, policy
from service.api import runtime
from service.api.blueprint import Blueprint, principal, requires
from service.api.problems import errors_documented
from service.api.schemas import JSONObject, PageArgs, Text, UTCAwareDateTime, UTCDateTime, page_schema
from service.bpm.commands import Claim, Delegate, Reassign, Unclaim
from service.queries import tasks_queries

blp = Blueprint("tasks", __name__, url_prefix="/api/tasks", description="User tasks")


class TaskSchema(Schema):
    id = fields.String(required=True)
    instance_id = fields.String(required=True)
    process_id = fields.String(required=True)
    department_id = fields.String(allow_none=True)
    bpmn_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    state = fields.String(required=True)
    form_key = fields.String(allow_none=True)
    candidate_groups = fields.List(fields.String(), required=True)
    candidate_users = fields.List(fields.String(), required=True)
    assignee = fields.String(allow_none=True)
    owner = fields.String(allow_none=True)
    delegation_state = fields.String(allow_none=True, validate=validate.OneOf(("pending", "resolved")))
    due_at = UTCDateTime(allow_none=True)
    follow_up_at = UTCDateTime(allow_none=True)
    overdue = fields.Boolean(required=True, metadata={"description": "open and past its due date"})
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
    scope = fields.String(load_default="all", validate=validate.OneOf(tasks_queries.SCOPES),
                          metadata={"description": "mine: assigned to or owned by me; candidate: unclaimed tasks "
                                                   "of my groups or offered to me by name; department: my "
                                                   "department's; all: everything I may see"})
    state = fields.String(load_default="ready", validate=validate.OneOf(("ready", "completed", "cancelled")))
    instance_id = Text()
    process_id = Text()
    assignee = Text()
    candidate_group = Text()
    due_before = UTCAwareDateTime()
    due_within_days = fields.Integer(validate=validate.Range(min=0, max=3650))
    overdue = fields.Boolean(load_default=False)
    sort = fields.String(load_default="due", validate=validate.OneOf(tasks_queries.SORTS),
                         metadata={"description": "due (due first, then priority), priority, created (newest "
                                                  "first) or name"})


class CompleteSchema(Schema):
    data = JSONObject(load_default=dict)


class UserRefSchema(Schema):
    user = Text(required=True, validate=validate.Length(min=1, max=100))


@blp.route("")
class Tasks(MethodView):
    @blp.arguments(TaskFilter, location="query")
    @blp.response(200, page_schema(TaskSchema, "TaskPage"))
    @errors_documented(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Your inbox: tasks you may see (ready by default), due first then by priority."""
        with runtime().reading() as conn:
            return tasks_queries.list_tasks(conn, now=clock.now(), viewer=principal(), **args)


@blp.route("/<string:task_id>")
class TaskView(MethodView):
    @blp.response(200, TaskDetailSchema)
    @errors_documented(blp, 404)
    def get(self, task_id: str) -> dict[str, Any]:
        """A task with its form schema and current data."""
        rt = runtime()
        with rt.reading() as conn:
            return tasks_queries.get(conn, rt.specs, task_id, principal())


@blp.route("/<string:task_id>/complete")
class TaskComplete(MethodView):
    @requires(policy.CHANGE_ANYTHING)
    @blp.arguments(CompleteSchema)
    @blp.response(200, TaskDetailSchema)
    @errors_documented(blp, 400, 403, 404, 409)
    def post(self, body: dict[str, Any], task_id: str) -> dict[str, Any]:
        """Complete a task with form data validated against its JSON Schema.

        Allowed for its assignee, or any candidate of an unclaimed task. The delegate of a delegated task
        completes it back to its owner, who then completes it.
        """
        rt = runtime()
        with rt.unit_of_work() as conn:
            return _answer(conn, rt, task_id, rt.workflows.complete_task(task_id, body["data"], actor=principal(),
                                                                         conn=conn))


def _answer(conn: Any, rt: Any, task_id: str, result: dict[str, Any]) -> dict[str, Any]:
    """The task as the command left it: from the row the mutation path wrote, or read again (in the request's unit of
    work, which sees its own writes) when it reports none."""
    if "task" in result:
        return tasks_queries.detail(rt.specs, result["task"], principal())
    return tasks_queries.get(conn, rt.specs, task_id, principal())


def _task_command(name: str, make: Any, body_schema: type[Schema] | None, doc: str) -> None:
    class _View(MethodView):
        @blp.response(200, TaskDetailSchema)
        @errors_documented(blp, 400, 403, 404, 409)
        def post(self, *args: Any, task_id: str) -> dict[str, Any]:
            rt = runtime()
            body = args[0] if args else {}
            with rt.unit_of_work() as conn:
                return _answer(conn, rt, task_id, rt.workflows.apply_to_task(task_id, make(task_id, body),
                                                                             actor=principal(), conn=conn))

    if body_schema is not None:
        _View.post = blp.arguments(body_schema)(_View.post)  # type: ignore[method-assign]
    _View.post = (requires(policy.REASSIGN_TASKS) if name == "reassign"  # type: ignore[method-assign]
                  else requires(policy.CHANGE_ANYTHING))(_View.post)
    _View.post.__doc__ = doc
    _View.__name__ = f"Task{name.title()}"
    blp.route(f"/<string:task_id>/{name}")(_View)


_task_command("claim", lambda tid, _b: Claim(tid), None, "Claim a task you are a candidate for: it becomes yours.")
_task_command("unclaim", lambda tid, _b: Unclaim(tid), None,
              "Give a claimed task back to its candidates (its assignee, or a supervisor).")
_task_command("delegate", lambda tid, b: Delegate(tid, b["user"]), UserRefSchema,
              "Delegate your task: the delegate completes it and it returns to you to complete.")
_task_command("reassign", lambda tid, b: Reassign(tid, b["user"]), UserRefSchema,
              "Give a task to another user (supervisors).")
