"""Background jobs and incidents (jobs whose retries ran out), for administrators."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from service import policy
from service.api import runtime
from service.api.blueprint import Blueprint, principal, requires
from service.api.problems import errors_documented
from service.api.schemas import PageArgs, UTCDateTime, page_schema
from service.bpm import incidents

blp = Blueprint("jobs", __name__, url_prefix="/api", description="Background jobs and incidents")


class JobSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    instance_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    topic = fields.String(allow_none=True)
    status = fields.String(required=True)
    due_at = UTCDateTime(required=True)
    lock_owner = fields.String(allow_none=True)
    lock_expires_at = UTCDateTime(allow_none=True)
    attempts = fields.Integer(required=True)
    retries_left = fields.Integer(required=True)
    last_error = fields.String(allow_none=True)
    created_at = UTCDateTime(required=True)
    updated_at = UTCDateTime(required=True)


class JobFilter(PageArgs):
    status = fields.String(validate=validate.OneOf(("pending", "running", "done", "failed")))


@blp.route("/jobs")
class Jobs(MethodView):
    @requires(policy.READ_INCIDENTS)
    @blp.arguments(JobFilter, location="query")
    @blp.response(200, page_schema(JobSchema, "JobPage"))
    @errors_documented(blp, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Background jobs, most recently changed first."""
        with runtime().reading() as conn:
            return incidents.list_jobs(conn, **args)


@blp.route("/incidents")
class Incidents(MethodView):
    @requires(policy.READ_INCIDENTS)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(JobSchema, "IncidentPage"))
    @errors_documented(blp, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Jobs whose retries ran out, with their last error."""
        with runtime().reading() as conn:
            return incidents.list_jobs(conn, status="failed", **args)


@blp.route("/incidents/<int:job_id>/retry")
class IncidentRetry(MethodView):
    @requires(policy.RETRY_INCIDENTS)
    @blp.response(200, JobSchema)
    @errors_documented(blp, 403, 404)
    def post(self, job_id: int) -> dict[str, Any]:
        """Retry an incident once more (administrators); recorded in the audit log."""
        with runtime().unit_of_work() as conn:
            return incidents.retry(conn, job_id, principal().username)
