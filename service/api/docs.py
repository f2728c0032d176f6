"""The browsable API documentation at /api/docs: Swagger UI from the swagger-ui-bundle package.

flask-smorest's own Swagger page starts the UI with an inline script, which the content policy of our
pages forbids (service/security_headers.py); this page loads the same files and starts the UI from
service/web/static/api-docs.js instead.
"""

from __future__ import annotations

from flask import Flask, Response, render_template_string, send_from_directory, url_for
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/api/docs/assets"

_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{{ title }}</title>
  <link rel="stylesheet" href="{{ assets }}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui-container" data-spec-url="{{ spec_url }}"></div>
  <script src="{{ assets }}/swagger-ui-bundle.js"></script>
  <script src="{{ url_for('web.static', filename='api-docs.js') }}"></script>
</body>
</html>
"""


def init_docs(app: Flask, title: str) -> None:
    """Serve the documentation page and Swagger UI's files (no internet access needed)."""

    @app.get("/api/docs")
    def _api_docs() -> str:
        return render_template_string(_PAGE, title=title, assets=ASSETS, spec_url=url_for("api-docs.openapi_json"))

    @app.get(f"{ASSETS}/<path:filename>")
    def _swagger_assets(filename: str) -> Response:
        return send_from_directory(swagger_ui_path, filename, max_age=86400)
