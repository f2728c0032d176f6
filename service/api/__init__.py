"""The REST API: flask-smorest blueprints, OpenAPI at /api/openapi.json, problem+json errors."""

from __future__ import annotations

import http
import logging
from typing import Any

from flask import Flask, Response, current_app
from flask_smorest import Api
from flask_smorest.spec import prepare_response
from werkzeug.exceptions import HTTPException

from service.api.problems import PROBLEM_JSON, ProblemSchema, from_domain, from_http, problem
from service.errors import JixiaoError
from service.runtime import Runtime

log = logging.getLogger(__name__)


class JixiaoApi(Api):
    """flask-smorest with RFC 9457 errors, documented as application/problem+json."""

    ERROR_SCHEMA = ProblemSchema
    # No catch-all `default` response: each operation lists the statuses it answers (errors_documented),
    # so that the OpenAPI document says which errors a client must handle and tests can hold us to it.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error: HTTPException) -> Response:
        return from_http(error)

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)


api = JixiaoApi()

def runtime() -> Runtime:
    """The process's runtime (settings, database, workflow service) for the current app."""
    return current_app.extensions["jixiao"]


def init_api(app: Flask) -> None:
    app.config.update(
        API_TITLE="Jixiao 绩效 — budget performance management",
        API_VERSION="1.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
    )
    api.init_app(app)
    from service.api.docs import init_docs  # Swagger UI at /api/docs, without inline script

    init_docs(app, app.config["API_TITLE"])

    from service.api import (
        audit_api,
        auth_api,
        escalations_api,
        health_api,
        instances_api,
        jobs_api,
        libraries_api,
        messages_api,
        people_api,
        process_models_api,
        tasks_api,
    )

    for module in (health_api, auth_api, process_models_api, instances_api, audit_api, tasks_api, messages_api,
                   escalations_api, jobs_api, people_api,
                   libraries_api):
        api.register_blueprint(module.blp)
    from service.api import (  # reports, rules…
        bulletins_api,
        fiscal_figures_api,
        projects_api,
        reports_api,
        rules_api,
        trainings_api,
    )

    for module in (projects_api, reports_api, bulletins_api, fiscal_figures_api, rules_api, trainings_api):
        api.register_blueprint(module.blp)
    from service.api import attachments_api  # evidence attachments (佐证材料)

    api.register_blueprint(attachments_api.blp)
    from service.api import inspections_api  # financial supervision inspections (绩效监督检查)

    api.register_blueprint(inspections_api.blp)
    from service.api import subunit_evaluations_api  # sub-unit evaluations by their department (the plan 二(三)3二是)

    api.register_blueprint(subunit_evaluations_api.blp)
    from service.api import verify_runs_api  # the worker's nightly verification of every history

    api.register_blueprint(verify_runs_api.blp)

    @app.errorhandler(JixiaoError)
    def _domain_error(error: JixiaoError) -> Response:
        return from_domain(error)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return from_http(error)
        log.exception("unhandled error")
        return problem(500, "internal", "Internal error", "an unexpected error occurred; it has been logged")
