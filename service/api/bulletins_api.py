"""What the bureau makes known: the periodic bulletin (通报) of agencies' report quality (the plan 二(三)4一是) and
a project's disclosures and report to the same-level government (the plan 二(一)4, 一(四)).

Everyone signed in reads a published bulletin; finance reviewers and administrators publish one. A project's
disclosures are read by whoever may see the project (its department, the bureau-wide roles)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from service import clock, db, policy
from service.api import runtime
from service.api.blueprint import Blueprint, principal, requires
from service.api.problems import errors_documented
from service.api.schemas import UTCDateTime
from service.cycle import disclosures
from service.libraries import bulletin_publishing
from service.queries import dashboard_queries

blp = Blueprint("bulletins", __name__, url_prefix="/api/reports",
                description="Agency bulletins, disclosures and reports to the same-level government")

T = TypeVar("T")
_YEAR = validate.Range(min=2000, max=2100)
_PERIOD = validate.Range(min=1, max=12)


def _read(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with db.read(runtime().engine) as conn:
        return fn(conn, *args, **kwargs)


class BulletinArgs(Schema):
    year = fields.Integer(required=True, validate=_YEAR)
    period = fields.Integer(required=True, validate=_PERIOD,
                            metadata={"description": "1, 2, … within the year (rule agency.bulletin_months)"})


class ReportLineSchema(Schema):
    project_id = fields.String(required=True)
    score = fields.Float(required=True, metadata={"description": "the bureau's rating of the report, 0–100"})


class BulletinEntrySchema(Schema):
    rank = fields.Integer(required=True, metadata={"description": "equal means share a rank (1, 1, 3)"})
    agency_id = fields.Integer(required=True)
    agency_name = fields.String(required=True)
    mean_score = fields.Float(required=True)
    reports = fields.List(fields.Nested(ReportLineSchema), required=True)


class BulletinSchema(Schema):
    year = fields.Integer(required=True)
    period = fields.Integer(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    published_at = UTCDateTime(required=True)
    published_by = fields.String(allow_none=True)
    entries = fields.List(fields.Nested(BulletinEntrySchema), required=True)


class BulletinList(Schema):
    items = fields.List(fields.Nested(BulletinSchema), required=True)


class BulletinYear(Schema):
    year = fields.Integer(validate=_YEAR)


@blp.route("/agency-bulletin")
class AgencyBulletin(MethodView):
    @blp.arguments(BulletinArgs, location="query")
    @blp.response(200, BulletinSchema)
    @errors_documented(blp, 404)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """A published bulletin of agencies' report quality: agencies, their rated reports, mean score, rank."""
        return _read(bulletin_publishing.get, args["year"], args["period"])

    @requires(policy.PUBLISH_BULLETIN)
    @blp.arguments(BulletinArgs)
    @blp.response(201, BulletinSchema)
    @errors_documented(blp, 400, 403, 404, 409)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Publish the bulletin of a period that is over (finance reviewers, administrators); publishing again
        answers the bulletin as first published: it never changes. 404 for a year without the period rule."""
        with db.write(runtime().engine) as conn:
            return bulletin_publishing.publish(conn, year=body["year"], period=body["period"], now=clock.now(),
                                     by=principal().username)


@blp.route("/agency-bulletins")
class AgencyBulletins(MethodView):
    @blp.arguments(BulletinYear, location="query")
    @blp.response(200, BulletinList)
    @errors_documented(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The published bulletins (of a year), latest first."""
        return {"items": _read(bulletin_publishing.published, args.get("year"))}


class DisclosureSchema(Schema):
    stage = fields.String(required=True, validate=validate.OneOf(disclosures.STAGES),
                          metadata={"description": "goals (when approved) | results (report and results, final)"})
    disclosed_at = UTCDateTime(required=True)


class PublicitySchema(Schema):
    project_id = fields.String(required=True)
    disclosures = fields.List(fields.Nested(DisclosureSchema), required=True)
    reported_to = fields.String(allow_none=True, metadata={"description": "the same-level government"})
    reported_at = UTCDateTime(allow_none=True)


@blp.route("/projects/<string:project_id>/disclosures")
class ProjectDisclosures(MethodView):
    @blp.response(200, PublicitySchema)
    @errors_documented(blp, 404)
    def get(self, project_id: str) -> dict[str, Any]:
        """A project's disclosures (goals at approval, report and results when final) and the report of its key
        results to the same-level government; 404 for a project the caller may not see."""
        with runtime().reading() as conn:
            found = dashboard_queries.project(conn, principal(), project_id)
        decision = found["decision"] or {}
        return {"project_id": project_id, "disclosures": found["disclosures"],
                "reported_to": decision.get("reported_to"), "reported_at": decision.get("reported_at")}
