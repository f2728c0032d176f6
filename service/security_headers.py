"""Security headers on every response: content policy, no sniffing, no framing, no referrer leaks.

Pages run scripts only from our own files (no inline script, no `javascript:` URL, no event-handler
attribute); JSON data for scripts travels in `<script type="application/json">` blocks, which are data, not
code. Anything that is not a page (API answers, problems, attachments, static files) may load nothing at
all, so a file that a browser is talked into rendering as HTML still runs nothing.
"""

from __future__ import annotations

from flask import Flask, Response, request

from service.config import Settings

PAGE_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",  # bpmn-js and the stylesheets draw icons as data: URLs
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
# Swagger UI (the swagger-ui-bundle package) styles its React widgets with style attributes.
DOCS_POLICY = PAGE_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
NOTHING_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
DOCS_PATH = "/api/docs"

FIXED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# A year, as the HSTS preload list asks; sent only when the service is configured as served over HTTPS.
HSTS = "max-age=31536000"


def policy_for(path: str, mimetype: str | None) -> str:
    """The Content-Security-Policy for a response to `path` of this media type."""
    if mimetype != "text/html":
        return NOTHING_POLICY
    return DOCS_POLICY if path == DOCS_PATH else PAGE_POLICY


def install(app: Flask, settings: Settings) -> None:
    """Add the headers to every response of `app` (pages, API, errors, static files)."""
    https = settings.behind_https

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.update(FIXED_HEADERS)
        response.headers["Content-Security-Policy"] = policy_for(request.path, response.mimetype)
        if https:
            response.headers["Strict-Transport-Security"] = HSTS
        return response
