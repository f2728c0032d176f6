"""Errors on page routes as pages: a sentence in the page's language and a way back, never problem+json.

The API keeps RFC 9457 problem+json (service/api/problems.py): a path under /api/ is answered by the API's
own functions. Everything else a browser asks for — an unknown page (404), a form sent with the wrong method
(405), an upload over the cap (413), a page refused by role (403), an unexpected failure (500) — gets
web/error.html with the menu, in Chinese unless English was chosen.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from service.api.problems import STATUS, from_domain, from_http, problem
from service.errors import JixiaoError
from service.web import i18n

log = logging.getLogger(__name__)

# status → the sentence shown (service/web/texts.py)
MESSAGES = {400: "error_invalid", 403: "error_forbidden", 404: "error_page_not_found", 405: "error_method",
            409: "error_conflict", 413: "error_too_large", 422: "error_invalid", 429: "error_too_many",
            500: "error_internal"}


def is_api(path: str) -> bool:
    """Is this a path of the REST API (answered with problem+json)?"""
    return path == "/api" or path.startswith("/api/")


def page(status: int, message_key: str | None = None) -> tuple[str, int]:
    """The error page for `status`, rendered with the pages' context (no blueprint is routed on a 404)."""
    from service.web import page_context

    key = message_key or MESSAGES.get(status, "error_invalid")
    try:
        return render_template("web/error.html", message=i18n.text(key), status=status, **page_context()), status
    except Exception:  # the failure may be the database the menu reads: a bare page still says what happened
        log.exception("the error page could not be rendered")
        bare = f'<!doctype html><meta charset="utf-8"><p>{i18n.text(key)}</p><p><a href="/">{i18n.text("back")}</a>'
        return bare, status


def install(app: Flask) -> None:
    """Answer errors on page routes with pages and errors under /api/ with problem+json."""

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response | tuple[str | Response, int]:
        if is_api(request.path):
            return from_http(error)
        if request.endpoint == "web.evidence_upload":  # the task page's upload control reads {error} (task.js)
            status = error.code or 500
            return jsonify({"error": i18n.text(MESSAGES.get(status, "error_invalid"))}), status
        return page(error.code or 500)

    @app.errorhandler(JixiaoError)
    def _domain(error: JixiaoError) -> Response | tuple[str, int]:
        if is_api(request.path):
            return from_domain(error)
        return page(next((STATUS[c] for c in type(error).__mro__ if c in STATUS), 400))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response | tuple[str | Response, int]:
        if isinstance(error, HTTPException):
            return _http(error)
        log.exception("unhandled error")
        if is_api(request.path):
            return problem(500, "internal", "Internal error", "an unexpected error occurred; it has been logged")
        return page(500)
