"""The plan's libraries: indicators, experts, agencies, supervision. Everyone signed in reads them;
departments propose individual indicators, the bureau confirms them, administrators keep the member lists."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask.views import MethodView
from marshmallow import Schema, fields, post_load, validate

from service import clock, db
from service.api import runtime
from service.api.blueprint import Blueprint, principal, requires
from service.api.problems import errors_documented
from service.api.schemas import JSONBoolean, PageArgs, Text, page_schema
from service.cycle.projects import SECTORS
from service.domain.roles import ADMINISTRATOR, DEPARTMENT_HEAD, DEPARTMENT_STAFF, FINANCE_REVIEWER, Principal
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


_KEEPERS = "only administrators keep the libraries"


def _proposer(p: Principal, _args: Mapping[str, Any]) -> bool:
    """A department's staff or head proposes its individual indicators."""
    return p.department_id is not None and (DEPARTMENT_STAFF in p.roles or DEPARTMENT_HEAD in p.roles)


def _year(args: dict[str, Any]) -> int:
    return int(args.pop("year", None) or clock.local_today(clock.now()).year)


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


class IndicatorFilter(PageArgs):
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
        return _read(indicators.list_indicators, **args)

    @requires(allows=_proposer, message="a department's staff or head proposes its individual indicators")
    @blp.arguments(ProposalSchema)
    @blp.response(201, IndicatorSchema)
    @errors_documented(blp, 400, 403)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Propose an individual (个性) indicator for the user's department (department staff or head)."""
        return _write(indicators.propose, department_id=principal().department_id, now=clock.now(), **body)


@blp.route("/indicators/<string:code>/confirm")
class IndicatorConfirm(MethodView):
    @requires(FINANCE_REVIEWER, ADMINISTRATOR, message="the finance bureau confirms individual indicators")
    @blp.response(200, IndicatorSchema)
    @errors_documented(blp, 403, 404)
    def post(self, code: str) -> dict[str, Any]:
        """Confirm a proposed individual indicator (finance reviewers, administrators)."""
        return _write(indicators.confirm, code)


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
    engagements = fields.Integer(required=True, metadata={"description": "reviews this fiscal year"})


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
        return _read(experts.list_experts, fiscal_year=_year(args), **args)

    @requires(ADMINISTRATOR, message=_KEEPERS)
    @blp.arguments(NewExpertSchema)
    @blp.response(201, ExpertSchema)
    @errors_documented(blp, 400, 403)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add an expert (administrators)."""
        return _write(experts.create_expert, body)


@blp.route("/experts/<int:expert_id>")
class ExpertView(MethodView):
    @requires(ADMINISTRATOR, message=_KEEPERS)
    @blp.arguments(ExpertChangeSchema)
    @blp.response(200, ExpertSchema)
    @errors_documented(blp, 400, 403, 404)
    def patch(self, body: dict[str, Any], expert_id: int) -> dict[str, Any]:
        """Change an expert's availability, conflicts (回避), fields or particulars (administrators)."""
        return _write(experts.update_expert, expert_id, body)


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
        return _read(agencies.list_agencies, fiscal_year=_year(args), **args)

    @requires(ADMINISTRATOR, message=_KEEPERS)
    @blp.arguments(NewAgencySchema)
    @blp.response(201, AgencySchema)
    @errors_documented(blp, 400, 403)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add an agency (administrators)."""
        return _write(agencies.create_agency, body)


@blp.route("/agencies/<int:agency_id>")
class AgencyView(MethodView):
    @requires(ADMINISTRATOR, message=_KEEPERS)
    @blp.arguments(AgencyChangeSchema)
    @blp.response(200, AgencySchema)
    @errors_documented(blp, 400, 403, 404)
    def patch(self, body: dict[str, Any], agency_id: int) -> dict[str, Any]:
        """Change an agency's status (active/suspended/removed), conflicts, fields or particulars (administrators)."""
        return _write(agencies.update_agency, agency_id, body)


# --- supervision ---------------------------------------------------------------------------------------
class MemberSchema(Schema):
    id = fields.Integer(required=True)
    username = fields.String(allow_none=True)
    name = fields.String(required=True)
    organisation = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(supervision.ROLES))
    fields_ = fields.List(fields.String(), required=True, data_key="fields", attribute="fields")
    active = fields.Boolean(required=True)


class SupervisionFilter(PageArgs):
    field = fields.String(validate=_SECTOR)
    role = fields.String(validate=validate.OneOf(supervision.ROLES))
    active = fields.Boolean()


@blp.route("/supervision")
class Supervision(MethodView):
    @blp.arguments(SupervisionFilter, location="query")
    @blp.response(200, page_schema(MemberSchema, "SupervisionPage"))
    @errors_documented(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Members of the supervision library (deputies, auditors, supervisors)."""
        return _read(supervision.list_members, **args)
