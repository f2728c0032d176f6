"""The plan's libraries: indicators, experts, agencies, supervision. Everyone signed in reads them;
departments propose individual indicators, the bureau confirms them, administrators keep the member lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask.views import MethodView
from marshmallow import Schema, fields, post_load, validate

from service import clock, db, policy
from service.api import runtime
from service.api.blueprint import Blueprint, principal, requires
from service.api.problems import errors_documented
from service.api.schemas import JSONBoolean, PageArgs, Text, UTCDateTime, page_schema
from service.cycle.projects_records import SECTORS
from service.libraries import agencies, experts, indicators, supervision

blp = Blueprint("libraries", __name__, url_prefix="/api/libraries",
                description="Indicator, expert, agency and supervision libraries")

T = TypeVar("T")
_SECTOR = validate.OneOf(SECTORS)
_YEAR = validate.Range(min=2000, max=2100)


def _read(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with db.read(runtime().engine) as conn:
        return fn(conn, *args, **kwargs)


def _write(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with db.write(runtime().engine) as conn:
        return fn(conn, *args, **kwargs)





def _keeper() -> str | None:
    """The acting keeper's department: a district's bureau keeps that district's entries, the city's the city's."""
    return principal().department_id


def _year(args: dict[str, Any]) -> int:
    return int(args.pop("year", None) or clock.local_today(clock.now()).year)


def _owner() -> fields.Field:
    return fields.String(validate=validate.Length(min=1, max=50), metadata={
        "description": "the owning level: \"city\" (市级) or a district's finance bureau id; a district's users see "
                       "only their district's entries and the city's"})


def _district() -> fields.Field:
    return fields.String(allow_none=True, metadata={"description": "owning district (its finance bureau's id); "
                                                                   "null: the city's (市级)"})


# --- indicators ----------------------------------------------------------------------------------------
class IndicatorSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    name_en = fields.String(allow_none=True)
    level = fields.Integer(required=True)
    parent_code = fields.String(allow_none=True)
    category = fields.String(required=True)
    scope = fields.String(required=True, validate=validate.OneOf(("common", "individual")))
    status = fields.String(required=True, validate=validate.OneOf(("confirmed", "proposed")))
    definition = fields.String(allow_none=True)
    formula = fields.String(allow_none=True)
    quantitative = fields.Boolean(required=True)
    unit = fields.String(allow_none=True)
    default_weight = fields.Float(allow_none=True)
    sectors = fields.List(fields.String(), required=True)
    standards = fields.Dict(keys=fields.String(), required=True)
    proposed_by = fields.String(allow_none=True)
    comparator = fields.String(allow_none=True, validate=validate.OneOf((">=", "<=", "=", "range", "qualitative")))
    district_id = _district()


class IndicatorFilter(PageArgs):
    owner = _owner()
    sector = fields.String(validate=_SECTOR)
    category = fields.String(validate=validate.OneOf(("output", "effect", *indicators.CATEGORIES)))
    level = fields.Integer(validate=validate.Range(min=1, max=3))
    q = Text(validate=validate.Length(min=1, max=100))
    scope = fields.String(validate=validate.OneOf(("common", "individual")))
    status = fields.String(validate=validate.OneOf(("confirmed", "proposed")))


class ProposalSchema(Schema):
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    category = fields.String(required=True, validate=validate.OneOf(indicators.CATEGORIES))
    unit = Text(load_default=None, allow_none=True, validate=validate.Length(max=30))


@blp.route("/indicators")
class Indicators(MethodView):
    @blp.arguments(IndicatorFilter, location="query")
    @blp.response(200, page_schema(IndicatorSchema, "IndicatorPage"))
    @errors_documented(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Indicators of the library: by sector (general ones included), category, level, name."""
        return _read(indicators.list_indicators, viewer=principal().department_id, **args)

    @requires(policy.PROPOSE_INDICATORS)
    @blp.arguments(ProposalSchema)
    @blp.response(201, IndicatorSchema)
    @errors_documented(blp, 400, 403)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Propose an individual (个性) indicator for the user's department (department staff or head)."""
        return _write(indicators.propose, department_id=principal().department_id, now=clock.now(), **body)


@blp.route("/indicators/<string:code>/confirm")
class IndicatorConfirm(MethodView):
    @requires(policy.CONFIRM_INDICATORS)
    @blp.response(200, IndicatorSchema)
    @errors_documented(blp, 403, 404)
    def post(self, code: str) -> dict[str, Any]:
        """Confirm a proposed individual indicator (finance reviewers, administrators of the indicator's level)."""
        return _write(indicators.confirm, code, keeper=_keeper())


# --- experts -------------------------------------------------------------------------------------------
class ExpertSchema(Schema):
    id = fields.Integer(required=True)
    username = fields.String(allow_none=True)
    name = fields.String(required=True)
    employer = fields.String(required=True)
    title = fields.String(allow_none=True)
    fields_ = fields.List(fields.String(), required=True, data_key="fields", attribute="fields")
    conflicts = fields.List(fields.String(), required=True)
    available = fields.Boolean(required=True)
    district_id = _district()
    engagements = fields.Integer(required=True, metadata={"description": "reviews this fiscal year"})
    mean_rating = fields.Float(allow_none=True, metadata={"description": "mean of its engagements' 1–5 ratings"})
    rated_engagements = fields.Integer(required=True)


class _MemberInput(Schema):
    """`fields` (the sectors a member covers) is spelled `fields_` here: `fields` is marshmallow's module."""

    fields_ = fields.List(fields.String(validate=_SECTOR), validate=validate.Length(max=len(SECTORS)),
                          data_key="fields")
    conflicts = fields.List(Text(validate=validate.Length(min=1, max=50)), validate=validate.Length(max=100))

    @post_load
    def _rename(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if "fields_" in data:
            data["fields"] = data.pop("fields_")
        return data


class ExpertChangeSchema(_MemberInput):
    username = Text(allow_none=True, validate=validate.Length(min=1, max=100))
    name = Text(validate=validate.Length(min=1, max=100))
    employer = Text(validate=validate.Length(min=1, max=200))
    title = Text(allow_none=True, validate=validate.Length(max=100))
    available = JSONBoolean()


class NewExpertSchema(ExpertChangeSchema):
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    employer = Text(required=True, validate=validate.Length(min=1, max=200))


class MemberFilter(PageArgs):
    field = fields.String(validate=_SECTOR)
    owner = _owner()
    year = fields.Integer(validate=_YEAR, metadata={"description": "fiscal year of the engagement counts"})


class ExpertFilter(MemberFilter):
    available = fields.Boolean()


@blp.route("/experts")
class Experts(MethodView):
    @blp.arguments(ExpertFilter, location="query")
    @blp.response(200, page_schema(ExpertSchema, "ExpertPage"))
    @errors_documented(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Experts of the library, with their reviews in the fiscal year."""
        return _read(experts.list_experts, fiscal_year=_year(args), viewer=principal().department_id, **args)

    @requires(policy.KEEP_LIBRARIES)
    @blp.arguments(NewExpertSchema)
    @blp.response(201, ExpertSchema)
    @errors_documented(blp, 400, 403)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add an expert to the library of the administrator's level (the city's, or a district's)."""
        return _write(experts.create_expert, body, keeper=_keeper())


@blp.route("/experts/<int:expert_id>")
class ExpertView(MethodView):
    @requires(policy.KEEP_LIBRARIES)
    @blp.arguments(ExpertChangeSchema)
    @blp.response(200, ExpertSchema)
    @errors_documented(blp, 400, 403, 404)
    def patch(self, body: dict[str, Any], expert_id: int) -> dict[str, Any]:
        """Change an expert's availability, conflicts (回避), fields or particulars (administrators of its level)."""
        return _write(experts.update_expert, expert_id, body, keeper=_keeper())


class EngagementSchema(Schema):
    expert_id = fields.Integer(required=True)
    name = fields.String(required=True)
    district_id = _district()
    project_id = fields.String(required=True)
    fiscal_year = fields.Integer(required=True)
    rating = fields.Integer(allow_none=True, metadata={"description": "1–5 (5 excellent, 1 poor); null: not rated"})
    rated_by = fields.String(allow_none=True)
    rated_at = UTCDateTime(allow_none=True)
    drawn_at = UTCDateTime(required=True)


class EngagementList(Schema):
    items = fields.List(fields.Nested(EngagementSchema), required=True)


class EngagementFilter(Schema):
    project_id = fields.String(required=True, validate=validate.Length(min=1, max=50))


class RatingSchema(Schema):
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5),
                            metadata={"description": "5 excellent, 4 good, 3 fair, 2 weak, 1 poor"})


@blp.route("/expert-engagements")
class ExpertEngagements(MethodView):
    @blp.arguments(EngagementFilter, location="query")
    @blp.response(200, EngagementList)
    @errors_documented(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The experts drawn for a project's review, with the finance reviewer's rating of each engagement."""
        return {"items": _read(experts.engagements, args["project_id"])}


@blp.route("/expert-engagements/<string:project_id>/<int:expert_id>")
class ExpertEngagementRating(MethodView):
    @requires(policy.RATE_EXPERTS)
    @blp.arguments(RatingSchema)
    @blp.response(200, EngagementSchema)
    @errors_documented(blp, 400, 403, 404)
    def put(self, body: dict[str, Any], project_id: str, expert_id: int) -> dict[str, Any]:
        """Rate an expert's work on a project's review, 1–5 (finance reviewers); the mean rating weighs the expert
        in later draws (rule experts.unrated_weight for those not yet rated)."""
        return _write(experts.rate_engagement, expert_id=expert_id, project_id=project_id, rating=body["rating"],
                      by=principal().username, now=clock.now())


# --- agencies ------------------------------------------------------------------------------------------
class AgencySchema(Schema):
    id = fields.Integer(required=True)
    username = fields.String(allow_none=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    qualifications = fields.List(fields.String(), required=True)
    fields_ = fields.List(fields.String(), required=True, data_key="fields", attribute="fields")
    conflicts = fields.List(fields.String(), required=True)
    status = fields.String(required=True, validate=validate.OneOf(agencies.STATUSES))
    district_id = _district()
    average_rating = fields.Float(allow_none=True)
    engagements = fields.Integer(required=True, metadata={"description": "commissions this fiscal year"})


class AgencyChangeSchema(_MemberInput):
    username = Text(allow_none=True, validate=validate.Length(min=1, max=100))
    name = Text(validate=validate.Length(min=1, max=200))
    kind = fields.String(validate=validate.OneOf(agencies.KINDS))
    qualifications = fields.List(Text(validate=validate.Length(min=1, max=200)), validate=validate.Length(max=50))
    status = fields.String(validate=validate.OneOf(agencies.STATUSES))


class NewAgencySchema(AgencyChangeSchema):
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(agencies.KINDS))


class AgencyFilter(MemberFilter):
    status = fields.String(validate=validate.OneOf(agencies.STATUSES))


@blp.route("/agencies")
class Agencies(MethodView):
    @blp.arguments(AgencyFilter, location="query")
    @blp.response(200, page_schema(AgencySchema, "AgencyPage"))
    @errors_documented(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Agencies of the library with their average rating and commissions in the fiscal year."""
        return _read(agencies.list_agencies, fiscal_year=_year(args), viewer=principal().department_id, **args)

    @requires(policy.KEEP_LIBRARIES)
    @blp.arguments(NewAgencySchema)
    @blp.response(201, AgencySchema)
    @errors_documented(blp, 400, 403)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add an agency to the library of the administrator's level (the city's, or a district's)."""
        return _write(agencies.create_agency, body, keeper=_keeper())


@blp.route("/agencies/<int:agency_id>")
class AgencyView(MethodView):
    @requires(policy.KEEP_LIBRARIES)
    @blp.arguments(AgencyChangeSchema)
    @blp.response(200, AgencySchema)
    @errors_documented(blp, 400, 403, 404)
    def patch(self, body: dict[str, Any], agency_id: int) -> dict[str, Any]:
        """Change an agency's status (active/suspended/removed), conflicts, fields or particulars (administrators
        of its level)."""
        return _write(agencies.update_agency, agency_id, body, keeper=_keeper())


# --- supervision ---------------------------------------------------------------------------------------
class MemberSchema(Schema):
    id = fields.Integer(required=True)
    username = fields.String(allow_none=True)
    name = fields.String(required=True)
    organisation = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(supervision.ROLES))
    fields_ = fields.List(fields.String(), required=True, data_key="fields", attribute="fields")
    active = fields.Boolean(required=True)
    district_id = _district()


class SupervisionFilter(PageArgs):
    field = fields.String(validate=_SECTOR)
    owner = _owner()
    role = fields.String(validate=validate.OneOf(supervision.ROLES))
    active = fields.Boolean()


@blp.route("/supervision")
class Supervision(MethodView):
    @blp.arguments(SupervisionFilter, location="query")
    @blp.response(200, page_schema(MemberSchema, "SupervisionPage"))
    @errors_documented(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Members of the supervision library (deputies, auditors, supervisors)."""
        return _read(supervision.list_members, viewer=principal().department_id, **args)
