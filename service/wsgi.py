"""The WSGI entry point for gunicorn (`service.wsgi:app`): importing this module builds the app.

Only a server imports it (each gunicorn worker, after the fork); the service package itself builds nothing
at import time.
"""

from __future__ import annotations

from service import create_app

app = create_app()
