"""Bearer tokens: log in for a token, see who you are, revoke your token."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import g
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from service import clock
from service.api import runtime
from service.api.blueprint import Blueprint, principal, public
from service.api.problems import errors_documented
from service.api.schemas import Text, UTCDateTime
from service.errors import Unauthorized
from service.people import tokens

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Log in for a bearer token")


class LoginSchema(Schema):
    username = Text(required=True, validate=validate.Length(min=1, max=100))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenSchema(Schema):
    token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_at = UTCDateTime(required=True)


class MeSchema(Schema):
    username = fields.String(required=True)
    department_id = fields.String(allow_none=True)
    roles = fields.List(fields.String(), required=True)


@blp.route("/token")
@public
class Token(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    @errors_documented(blp, 400, 401, 429, public=True)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Exchange a user name and password for a bearer token (failed logins are rate-limited)."""
        rt = runtime()
        now = clock.now()
        with rt.unit_of_work() as conn:
            user_id = tokens.authenticate(conn, body["username"], body["password"], now, via="api")
            if user_id is not None:
                token, expires = tokens.issue(conn, user_id, now, timedelta(seconds=rt.settings.token_ttl_seconds))
        if user_id is None:  # the failed attempt is recorded (committed above)
            raise Unauthorized("wrong user name or password")
        return {"token": token, "token_type": "Bearer", "expires_at": expires}


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    @errors_documented(blp)
    def get(self) -> dict[str, Any]:
        """The user the token belongs to."""
        p = principal()
        return {"username": p.username, "department_id": p.department_id, "roles": sorted(p.roles)}


@blp.route("/revoke")
class Revoke(MethodView):
    @blp.response(204)
    @errors_documented(blp)
    def post(self) -> None:
        """Revoke the token this request was made with (log out)."""
        with runtime().unit_of_work() as conn:
            tokens.revoke(conn, g.jixiao_token, principal().username, clock.now())
