"""Performance management training (the plan 三(四)): sessions the finance bureaus hold and who attended them.

Administrators and finance reviewers record sessions and attendance; the bureau's roles that see every department
read them (attendance is listed by department). The sessions measure of a year and level is also in
GET /api/reports/coverage, and departments' attendance scores the comprehensive evaluation's training indicator.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from service import clock, db, policy
from service.api import runtime
from service.api.blueprint import Blueprint, principal, requires
from service.api.problems import errors_documented
from service.api.schemas import Text
from service.cycle import trainings_records
from service.domain.training import GROUPS
from service.queries import trainings_queries

blp = Blueprint("trainings", __name__, url_prefix="/api/trainings",
                description="Training sessions and attendance (the plan 三(四))")

_LEVEL = validate.OneOf(("municipal", "district"))



class AttendanceSchema(Schema):
    id = fields.Integer(required=True)
    group = fields.String(required=True, validate=validate.OneOf(GROUPS),
                          metadata={"description": "bureau_staff 财政干部 | departments 预算部门 | agencies 中介机构 | "
                                                   "experts 专家"})
    department_id = fields.String(required=True, allow_none=True)
    department_name = fields.String(required=True, allow_none=True)
    head_count = fields.Integer(required=True)


class SessionSchema(Schema):
    id = fields.Integer(required=True)
    year = fields.Integer(required=True, metadata={"description": "the year the session counts for"})
    level = fields.String(required=True, validate=_LEVEL)
    title = fields.String(required=True)
    held_on = fields.Date(required=True)
    organiser = fields.String(required=True)
    head_count = fields.Integer(required=True, metadata={"description": "attendees in all"})
    by_group = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    attendance = fields.List(fields.Nested(AttendanceSchema), required=True)


class SessionListSchema(Schema):
    items = fields.List(fields.Nested(SessionSchema), required=True)


class SessionFilter(Schema):
    year = fields.Integer(validate=validate.Range(min=2000, max=2100))
    level = fields.String(validate=_LEVEL)


class SessionInput(Schema):
    level = fields.String(required=True, validate=_LEVEL, metadata={"description": "市级 municipal | 区级 district"})
    title = Text(required=True, validate=validate.Length(min=1, max=200))
    held_on = fields.Date(required=True, metadata={"description": "the day held (not in the future)"})
    organiser = Text(required=True, validate=validate.Length(min=1, max=200))


class AttendanceInput(Schema):
    group = fields.String(required=True, validate=validate.OneOf(GROUPS))
    department_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=50),
                                  metadata={"description": "required for the departments group, else absent"})
    head_count = fields.Integer(required=True, validate=validate.Range(min=1, max=10000))


class AttendanceListSchema(Schema):
    items = fields.List(fields.Nested(AttendanceSchema), required=True)


@blp.route("")
class Sessions(MethodView):
    @requires(policy.READ_TRAININGS)
    @blp.arguments(SessionFilter, location="query")
    @blp.response(200, SessionListSchema)
    @errors_documented(blp, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Training sessions, newest first, by year and level, with attendance and head counts by group."""
        with db.read(runtime().engine) as conn:
            return {"items": trainings_queries.list_sessions(conn, **args)}

    @requires(policy.RECORD_TRAININGS)
    @blp.arguments(SessionInput)
    @blp.response(201, SessionSchema)
    @errors_documented(blp, 400, 403, 422)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Record a session held (administrators, finance reviewers)."""
        with db.write(runtime().engine) as conn:
            session_id = trainings_records.record_session(conn, actor=principal().username, now=clock.now(), **body)
            return trainings_queries.get_session(conn, session_id)


@blp.route("/<int:session_id>")
class Session(MethodView):
    @requires(policy.READ_TRAININGS)
    @blp.response(200, SessionSchema)
    @errors_documented(blp, 403, 404)
    def get(self, session_id: int) -> dict[str, Any]:
        """One session with its attendance."""
        with db.read(runtime().engine) as conn:
            return trainings_queries.get_session(conn, session_id)


@blp.route("/<int:session_id>/attendance")
class Attendance(MethodView):
    @requires(policy.READ_TRAININGS)
    @blp.response(200, AttendanceListSchema)
    @errors_documented(blp, 403, 404)
    def get(self, session_id: int) -> dict[str, Any]:
        """The session's attendance, by group and department."""
        with db.read(runtime().engine) as conn:
            return {"items": trainings_queries.get_session(conn, session_id)["attendance"]}

    @requires(policy.RECORD_TRAININGS)
    @blp.arguments(AttendanceInput)
    @blp.response(201, AttendanceSchema)
    @errors_documented(blp, 400, 403, 404, 422)
    def post(self, body: dict[str, Any], session_id: int) -> dict[str, Any]:
        """Record a group's attendance (a department's names the department; once per group and department)."""
        with db.write(runtime().engine) as conn:
            attendance_id = trainings_records.record_attendance(conn, session_id, actor=principal().username,
                                                        now=clock.now(), **body)
            return next(a for a in trainings_queries.get_session(conn, session_id)["attendance"] if a["id"]
                        == attendance_id)
