"""Rule rows and the working-day calendar (DESIGN.md, Configuration): read by the bureau, changed by administrators.

Who may do what: every bureau user (finance reviewers, supervisors, auditors, administrators and process
designers, who write the DMN tables that use the rules) reads the rules; every signed-in user reads the
calendar, since departments' deadlines are counted on it; only administrators change either. Every change
records who and when on the row (rules) and, with the value before and after, on the global audit chain.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate

from service import clock, policy
from service.api import runtime
from service.api.blueprint import Blueprint, principal, requires
from service.api.problems import errors_documented
from service.api.schemas import Text, UTCDateTime, unstorable
from service.errors import InvalidInput
from service.rules import admin

blp = Blueprint("rules", __name__, url_prefix="/api", description="Rule rows and the working-day calendar")

YEARS = validate.Range(min=2000, max=2100)




class JSONValue(fields.Raw):
    """Any JSON value whose text the database can store."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if unstorable(json.dumps(value, ensure_ascii=False)):
            raise ValidationError("strings must not contain unpaired surrogates")
        return value


class RuleFilter(Schema):
    year = fields.Integer(validate=YEARS, metadata={"description": "only the rows in force in this fiscal year"})


class RuleSchema(Schema):
    key = fields.String(required=True)
    fiscal_year = fields.Integer(required=True, metadata={"description": "the row holds from this year on"})
    level = fields.String(required=True, validate=validate.OneOf(("municipal", "district", "*")))
    value = fields.Raw(required=True, allow_none=True, metadata={"description": "any JSON value"})
    source = fields.String(required=True)
    updated_at = UTCDateTime(required=True)
    updated_by = fields.String(required=True)
    applies_to = fields.List(fields.String(), metadata={"description": "with ?year=: the levels the row is in "
                                                                       "force for that year"})


class RuleList(Schema):
    items = fields.List(fields.Nested(RuleSchema), required=True)


class RuleChangeSchema(Schema):
    fiscal_year = fields.Integer(required=True, validate=YEARS)
    level = fields.String(required=True, validate=validate.OneOf(("municipal", "district", "*")))
    key = Text(required=True, validate=validate.Length(min=1, max=100))
    value = JSONValue(required=True, allow_none=True)
    source = Text(required=True, validate=validate.Length(min=1, max=2000),
                  metadata={"description": "the plan's article or the local practice behind the value"})


class CalendarFilter(Schema):
    year = fields.Integer(validate=YEARS, metadata={"description": "default: the current year"})


class DaySchema(Schema):
    date = fields.Date(required=True)
    kind = fields.String(required=True, allow_none=True, validate=validate.OneOf(("holiday", "workday")),
                         metadata={"description": "null: the plain Monday–Friday week, as an administrator set"})
    name = fields.String(required=True, allow_none=True)
    source = fields.String(required=True)


class CalendarSchema(Schema):
    year = fields.Integer(required=True)
    working_days = fields.Integer(required=True)
    items = fields.List(fields.Nested(DaySchema), required=True)


class DayChangeSchema(Schema):
    kind = fields.String(required=True, allow_none=True, validate=validate.OneOf(("holiday", "workday")))
    name = Text(load_default=None, allow_none=True, validate=validate.Length(max=100))
    source = Text(required=True, validate=validate.Length(min=1, max=2000))


def calendar_day(text: str) -> date:
    """A path's day: YYYY-MM-DD between 2000 and 2100 (InvalidInput otherwise)."""
    try:
        parsed = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        parsed = None
    if parsed is None or not 2000 <= parsed.year <= 2100:
        raise InvalidInput("the date must be YYYY-MM-DD between 2000 and 2100",
                           [{"field": "date", "message": "not a date YYYY-MM-DD between 2000 and 2100"}])
    return parsed


@blp.route("/rules")
class Rules(MethodView):
    @requires(policy.READ_RULES)
    @blp.arguments(RuleFilter, location="query")
    @blp.response(200, RuleList)
    @errors_documented(blp, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Rule rows (bureau users): all of them, or with ?year= the ones in force that year."""
        with runtime().reading() as conn:
            return {"items": admin.list_rules(conn, args.get("year"))}

    @requires(policy.CHANGE_RULES)
    @blp.arguments(RuleChangeSchema)
    @blp.response(200, RuleSchema)
    @errors_documented(blp, 400, 403)
    def put(self, body: dict[str, Any]) -> dict[str, Any]:
        """Set one rule row for a fiscal year and level (administrators); it must cite its source; audited."""
        with runtime().unit_of_work() as conn:
            return admin.change_rule(conn, principal().username, clock.now(), **body)


@blp.route("/calendar")
class Calendar(MethodView):
    @blp.arguments(CalendarFilter, location="query")
    @blp.response(200, CalendarSchema)
    @errors_documented(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """A year's official holidays and adjusted working days (调休), and its number of working days."""
        year = args.get("year") or clock.now().astimezone(ZoneInfo(runtime().settings.tz_display)).year
        with runtime().reading() as conn:
            return admin.year_calendar(conn, year)


@blp.route("/calendar/<string:day>")
class CalendarDay(MethodView):
    @requires(policy.CHANGE_RULES)
    @blp.arguments(DayChangeSchema)
    @blp.response(200, DaySchema)
    @errors_documented(blp, 400, 403)
    def put(self, body: dict[str, Any], day: str) -> dict[str, Any]:
        """Mark a day (YYYY-MM-DD) a holiday, a working day, or (kind null) a plain day (administrators); audited."""
        actor = principal().username
        parsed = calendar_day(day)
        with runtime().unit_of_work() as conn:
            return admin.change_day(conn, actor, clock.now(), parsed, body["kind"], body["name"],
                                    body["source"])
