"""Security headers on every response: content policy, no sniffing, no framing, no referrer leaks.

Pages run scripts only from our own files (no inline script, no `javascript:` URL, no event-handler
attribute); JSON data for scripts travels in `<script type="application/json">` blocks, which are data, not
code. Anything that is not a page (API answers, problems, attachments, static files) may load nothing at
all, so a file that a browser is talked into rendering as HTML still runs nothing.
"""

from __future__ import annotations

import base64
import hashlib

from flask import Flask, Response

from service.config import Settings


def _style_hash(declarations: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(declarations.encode()).digest()).decode() + "'"


# The only style attributes a page may carry: the two the Camunda properties panel writes into its containers
# (bpmn-js-properties-panel, pinned by package-lock.json), allowed by their exact text and nothing else.
ALLOWED_STYLE_ATTRIBUTES = ("height: 100%", "flex: none; height: auto")


def _policy(style_sources: str) -> str:
    return "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        f"style-src {style_sources}",
        "img-src 'self' data:",  # bpmn-js and the stylesheets draw icons as data: URLs
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


PAGE_POLICY = _policy("'self' 'unsafe-hashes' " + " ".join(_style_hash(s) for s in ALLOWED_STYLE_ATTRIBUTES))
NOTHING_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

FIXED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# A year, as the HSTS preload list asks; sent only when the service is configured as served over HTTPS.
HSTS = "max-age=31536000"


def policy_for(mimetype: str | None) -> str:
    """The Content-Security-Policy for a response of this media type (pages, the API docs included, or not)."""
    return PAGE_POLICY if mimetype == "text/html" else NOTHING_POLICY


def install(app: Flask, settings: Settings) -> None:
    """Add the headers to every response of `app` (pages, API, errors, static files)."""
    https = settings.behind_https

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.update(FIXED_HEADERS)
        own = response.headers.get("Content-Security-Policy")
        if own is None:
            response.headers["Content-Security-Policy"] = policy_for(response.mimetype)
        elif "frame-ancestors" not in own:  # a view's own policy (e.g. sandboxed attachments), never framed
            response.headers["Content-Security-Policy"] = f"{own}; frame-ancestors 'none'"
        if https:
            response.headers["Strict-Transport-Security"] = HSTS
        return response
