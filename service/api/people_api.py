"""Administration of people: departments, users and their roles (administrators only; anyone may read roles)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from service import policy
from service.api import runtime
from service.api.blueprint import Blueprint, principal, requires
from service.api.problems import errors_documented
from service.api.schemas import JSONBoolean, PageArgs, Text, UTCDateTime, page_schema
from service.cycle.projects_records import SECTORS
from service.domain.roles import ROLES
from service.people import directory

blp = Blueprint("people", __name__, url_prefix="/api", description="Departments, users and roles")

_ROLE = validate.OneOf(sorted(ROLES))




class RoleSchema(Schema):
    name = fields.String(required=True)
    label = fields.String(required=True)
    departmental = fields.Boolean(required=True)


class DepartmentSchema(Schema):
    id = Text(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]{1,50}$"))
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    name_en = Text(allow_none=True, load_default=None, validate=validate.Length(max=200))
    level = fields.String(load_default="municipal", validate=validate.OneOf(("municipal", "district")))
    kind = fields.String(load_default="department", validate=validate.OneOf(("department", "unit", "bureau")))
    parent_id = Text(allow_none=True, load_default=None, validate=validate.Length(max=50))
    district_id = Text(allow_none=True, load_default=None, validate=validate.Length(max=50),
                       metadata={"description": "a district department's district finance bureau"})
    sector = Text(allow_none=True, load_default=None, validate=validate.OneOf(SECTORS))
    active = JSONBoolean(load_default=True)


class DepartmentFilter(Schema):
    level = fields.String(validate=validate.OneOf(("municipal", "district")))


class DepartmentList(Schema):
    items = fields.List(fields.Nested(DepartmentSchema), required=True)


class UserSchema(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    email = fields.String(allow_none=True)
    department_id = fields.String(allow_none=True)
    active = fields.Boolean(required=True)
    created_at = UTCDateTime(required=True)
    roles = fields.List(fields.String(), required=True)


class NewUserSchema(Schema):
    username = Text(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.@-]{2,100}$"))
    display_name = Text(required=True, validate=validate.Length(min=1, max=200))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    roles = fields.List(fields.String(validate=_ROLE), load_default=list)
    department_id = Text(allow_none=True, load_default=None, validate=validate.Length(max=50))
    email = Text(allow_none=True, load_default=None, validate=validate.Length(max=200))


class UserChangeSchema(Schema):
    display_name = Text(validate=validate.Length(min=1, max=200))
    password = fields.String(validate=validate.Length(min=1, max=200))
    roles = fields.List(fields.String(validate=_ROLE))
    department_id = Text(allow_none=True, validate=validate.Length(max=50))
    email = Text(allow_none=True, validate=validate.Length(max=200))
    active = JSONBoolean()


class UserFilter(PageArgs):
    department_id = Text()
    role = fields.String(validate=_ROLE)


@blp.route("/roles")
class Roles(MethodView):
    @blp.response(200, RoleSchema(many=True))
    @errors_documented(blp)
    def get(self) -> list[dict[str, Any]]:
        """The roles a user can hold and whether each is scoped to the user's department."""
        return [{"name": n, "label": label, "departmental": scoped} for n, (label, scoped) in ROLES.items()]


@blp.route("/departments")
class Departments(MethodView):
    @blp.arguments(DepartmentFilter, location="query")
    @blp.response(200, DepartmentList)
    @errors_documented(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Departments, the finance bureau and district bureaus."""
        with runtime().reading() as conn:
            return {"items": directory.list_departments(conn, args.get("level"))}

    @requires(policy.ADMINISTER_PEOPLE)
    @blp.arguments(DepartmentSchema)
    @blp.response(200, DepartmentSchema)
    @errors_documented(blp, 400, 403)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create or update a department (administrators)."""
        with runtime().unit_of_work() as conn:
            directory.save_department(conn, principal().username, body)
        return body


@blp.route("/users")
class Users(MethodView):
    @requires(policy.ADMINISTER_PEOPLE)
    @blp.arguments(UserFilter, location="query")
    @blp.response(200, page_schema(UserSchema, "UserPage"))
    @errors_documented(blp, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Users with their roles (administrators)."""
        with runtime().reading() as conn:
            return directory.list_users(conn, **args)

    @requires(policy.ADMINISTER_PEOPLE)
    @blp.arguments(NewUserSchema)
    @blp.response(201, UserSchema)
    @errors_documented(blp, 400, 403, 409)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a user (administrators); recorded in the audit log."""
        with runtime().unit_of_work() as conn:
            return directory.create_user(conn, principal().username, **body)


@blp.route("/users/<string:username>")
class UserView(MethodView):
    @requires(policy.READ_USER)
    @blp.response(200, UserSchema)
    @errors_documented(blp, 403, 404)
    def get(self, username: str) -> dict[str, Any]:
        """A user (administrators, or the user themself)."""
        with runtime().reading() as conn:
            return directory.get_user(conn, username)

    @requires(policy.ADMINISTER_PEOPLE)
    @blp.arguments(UserChangeSchema)
    @blp.response(200, UserSchema)
    @errors_documented(blp, 400, 403, 404)
    def patch(self, body: dict[str, Any], username: str) -> dict[str, Any]:
        """Change roles, department, name, e-mail, active flag or password (administrators); audited."""
        with runtime().unit_of_work() as conn:
            return directory.update_user(conn, principal().username, username, body)
