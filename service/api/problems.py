"""RFC 9457 problem details: the only error format of the API."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar

from flask import Response, json
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from service.errors import (
    Conflict,
    EngineFailure,
    Forbidden,
    InvalidInput,
    InvalidModel,
    InvalidTransition,
    JixiaoError,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    Unauthorized,
)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://jixiao.example/problems/"

STATUS: dict[type[JixiaoError], int] = {
    NotFound: 404, Conflict: 409, Forbidden: 403, Unauthorized: 401, InvalidInput: 422,
    InvalidTransition: 409, InvalidModel: 422, EngineFailure: 422, PayloadTooLarge: 413, TooManyRequests: 429,
}


class ProblemSchema(Schema):
    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.List(fields.Dict())


F = TypeVar("F", bound=Callable[..., Any])


def errors_documented(blp: Blueprint, *statuses: int, public: bool = False) -> Callable[[F], F]:
    """Document the problem+json answers an operation gives besides its success and its 422.

    Every status an operation can answer is listed in the OpenAPI document (there is no catch-all
    `default` response): tests/service/api/test_blueprint_openapi.py holds every response to it. Views that need a
    token (all but the @public ones) also answer 401.
    """

    def decorator(func: F) -> F:
        for status in sorted(set(statuses) | (set() if public else {401})):
            func = blp.alt_response(status, response=HTTPStatus(status).name)(func)
        return func

    return decorator


def problem(status: int, kind: str, title: str, detail: str | None = None,
            errors: list[dict[str, Any]] | None = None) -> Response:
    body: dict[str, Any] = {"type": TYPE_BASE + kind, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)


def from_domain(error: JixiaoError) -> Response:
    status = next((STATUS[c] for c in type(error).__mro__ if c in STATUS), 400)  # subclasses share their base's
    response = problem(status, error.kind, error.title, error.detail, error.errors)
    if isinstance(error, Unauthorized):
        response.headers["WWW-Authenticate"] = 'Bearer realm="jixiao"'
    return response


def _flatten(messages: Any, path: str = "") -> list[dict[str, Any]]:
    """webargs/marshmallow messages ({location: {field: [msg]}}) → [{field, message}]."""
    out: list[dict[str, Any]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if path == "" and key in ("json", "query", "form", "files", "view_args", "headers"):
                out += _flatten(value, "")
            else:
                out += _flatten(value, f"{path}/{key}" if path else str(key))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out += [{"field": path or None, "message": m} for m in messages]
    elif isinstance(messages, list):
        for item in messages:
            out += _flatten(item, path)
    else:
        out.append({"field": path or None, "message": str(messages)})
    return out


def from_http(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = _flatten(data.get("messages")) if data.get("messages") else None
    slug = (error.name or "error").lower().replace(" ", "-")
    if status == 422 and errors:
        return problem(422, "invalid-input", "Invalid input", "the request did not validate", errors)
    if status == 400 and errors:  # webargs: the body is not JSON (see service.api.strict_json)
        exc = getattr(error, "exc", None)
        reason = getattr(exc, "msg", None) or getattr(exc, "reason", None)
        detail = "the request body is not valid JSON" + (f": {reason}" if reason else "")
        return problem(400, "invalid-json", "Malformed JSON body", detail, errors)
    if status == 413:
        return problem(413, "payload-too-large", "Upload too large", "the request body is larger than allowed")
    return problem(status, slug, error.name or "Error", error.description)
