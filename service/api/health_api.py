from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields

from service.api import runtime
from service.api.blueprint import Blueprint, public
from service.queries import health_queries

blp = Blueprint("health", __name__, url_prefix="/api", description="Liveness and database reachability")


class HealthSchema(Schema):
    status = fields.String(required=True)
    database = fields.String(required=True)


@blp.route("/health")
@public
class Health(MethodView):
    @blp.response(200, HealthSchema)
    def get(self) -> dict[str, str]:
        """Is the service up and its database reachable?"""
        with runtime().reading() as conn:
            return health_queries.check(conn)
