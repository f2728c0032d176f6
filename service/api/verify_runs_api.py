"""The worker's nightly verifications of every history (workers/nightly_verify.py), for auditors and administrators:
GET /api/verify-runs (newest day first) and GET /api/verify-runs/{id} (one run with a page of its findings)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from service import policy
from service.api import runtime
from service.api.blueprint import Blueprint, requires
from service.api.problems import errors_documented
from service.api.schemas import PageArgs, UTCDateTime, page_schema
from service.queries import verify_runs_queries

blp = Blueprint("verify_runs", __name__, url_prefix="/api/verify-runs",
                description="The nightly verification of every history (hash chains, replay, derived rows, files)")

_STATUS = "running | ok (no finding) | findings | failed (stopped before the end: see error)"


class VerifyRunSchema(Schema):
    id = fields.String(required=True)
    day = fields.String(required=True, metadata={"description": "the local date (Asia/Shanghai) it ran for"})
    status = fields.String(required=True, validate=validate.OneOf(("running", "ok", "findings", "failed")),
                           metadata={"description": _STATUS})
    started_at = UTCDateTime(required=True)
    ended_at = UTCDateTime(required=True, allow_none=True)
    checked = fields.Integer(required=True, metadata={"description": "instances checked"})
    from_checkpoint = fields.Integer(required=True,
                                     metadata={"description": "of them, replayed only since their checkpoint"})
    findings = fields.Integer(required=True)
    error = fields.String(required=True, allow_none=True)


class VerifyFindingSchema(Schema):
    instance_id = fields.String(required=True, allow_none=True, metadata={"description": "null: the global chain"})
    seq = fields.Integer(required=True, allow_none=True, metadata={"description": "the event it concerns"})
    kind = fields.String(required=True, validate=validate.OneOf(verify_runs_queries.FINDING_KINDS),
                         metadata={"description": "chain | checkpoint | replay | state | data | evidence | missing | "
                                                  "row (a derived row differs from what the history implies) | other"})
    problem = fields.String(required=True, metadata={"description": "verify's own words"})
    table = fields.String(required=True, allow_none=True, metadata={"description": "a derived row that differs"})
    row = fields.String(required=True, allow_none=True)
    column = fields.String(required=True, allow_none=True)


class VerifyRunDetailSchema(VerifyRunSchema):
    items = fields.List(fields.Nested(VerifyFindingSchema), required=True,
                        metadata={"description": "a page of the findings, in the order verify made them"})


class FindingPageArgs(PageArgs):
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


@blp.route("")
class VerifyRuns(MethodView):
    @requires(policy.READ_VERIFY_RUNS)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(VerifyRunSchema, "VerifyRunPage"))
    @errors_documented(blp, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The nightly verifications, the latest day first."""
        with runtime().reading() as conn:
            return verify_runs_queries.list_runs(conn, **args)


@blp.route("/<string:run_id>")
class VerifyRun(MethodView):
    @requires(policy.READ_VERIFY_RUNS)
    @blp.arguments(FindingPageArgs, location="query")
    @blp.response(200, VerifyRunDetailSchema)
    @errors_documented(blp, 403, 404)
    def get(self, args: dict[str, Any], run_id: str) -> dict[str, Any]:
        """One nightly verification and a page of its findings."""
        with runtime().reading() as conn:
            return verify_runs_queries.get_run(conn, run_id, **args)
