"""The API documentation is browsable without internet access."""

from __future__ import annotations


def test_docs_are_served_without_internet(client):
    page = client.get("/api/docs")
    assert page.status_code == 200 and b"/api/docs/assets/swagger-ui-bundle.js" in page.data
    assert client.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 200
    spec = client.get("/api/openapi.json").get_json()
    assert {"/api/health", "/api/process-models", "/api/instances", "/api/tasks/{task_id}/complete"} <= set(spec["paths"])
