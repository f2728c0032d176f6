"""The `Server` header: a fixed name instead of the versions of Werkzeug, Python or gunicorn.

A version banner tells a scanner which published vulnerabilities to try; the name alone tells it nothing.
The HTTP servers write this header themselves (the app cannot remove it), so each is told the name at start:
`jixiao serve` through its request handler, gunicorn through gunicorn.conf.py (read from the working
directory, or given with `-c`).
"""

from __future__ import annotations

from werkzeug.serving import WSGIRequestHandler

SERVER_NAME = "jixiao"


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler without its `Werkzeug/x Python/y` banner."""

    def version_string(self) -> str:
        """The value of the Server header."""
        return SERVER_NAME


def quiet_gunicorn() -> None:
    """Make gunicorn (HTTP/1 and HTTP/2 responses) send `Server: jixiao` instead of its own name."""
    import gunicorn
    import gunicorn.http.wsgi

    # gunicorn copies its module-level SERVER into each response object; no setting changes it.
    gunicorn.SERVER = SERVER_NAME
    gunicorn.http.wsgi.SERVER = SERVER_NAME
