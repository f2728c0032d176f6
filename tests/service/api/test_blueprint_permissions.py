"""Permission before validation: an operation closed to a caller answers 403 whatever the body or query.

The test walks the app's URL map, so an operation added later with `@requires` is covered without listing it
here; RESTRICTED lists the operations that must be restricted, so that one losing its `@requires` fails.
"""

from __future__ import annotations

import re

from service.api.blueprint import requirement
from tests.conftest import PEOPLE, count_rows, principal

GARBAGE_QUERY = {"year": "abc", "level": "nowhere", "page": "-1", "per_page": "0", "zzz": "1"}
GARBAGE_BODY = {"garbage": [1, {"x": None}], "data": "not an object"}
RESTRICTED = {
    ("POST", "/api/instances"), ("POST", "/api/instances/<string:instance_id>/suspend"),
    ("POST", "/api/instances/<string:instance_id>/resume"), ("POST", "/api/instances/<string:instance_id>/terminate"),
    ("POST", "/api/tasks/<string:task_id>/complete"), ("POST", "/api/tasks/<string:task_id>/claim"),
    ("POST", "/api/tasks/<string:task_id>/reassign"), ("POST", "/api/tasks/<string:task_id>/delegate"),
    ("POST", "/api/tasks/<string:task_id>/attachments"), ("DELETE", "/api/attachments/<string:attachment_id>"),
    ("POST", "/api/messages"), ("POST", "/api/escalations/<int:escalation_id>/resolve"),
    ("POST", "/api/process-models"), ("POST", "/api/process-models/validate"),
    ("GET", "/api/jobs"), ("GET", "/api/incidents"), ("POST", "/api/incidents/<int:job_id>/retry"),
    ("GET", "/api/reports/coverage"), ("GET", "/api/reports/budget-adjustments"),
    ("GET", "/api/reports/scorecard"), ("POST", "/api/reports/scorecard"),
    ("GET", "/api/reports/scorecard.csv"), ("GET", "/api/reports/scorecard/<string:department_id>"),
    ("POST", "/api/reports/pilots"), ("GET", "/api/rules"), ("PUT", "/api/rules"),
    ("PUT", "/api/calendar/<string:day>"), ("POST", "/api/departments"), ("GET", "/api/users"),
    ("POST", "/api/users"), ("GET", "/api/users/<string:username>"), ("PATCH", "/api/users/<string:username>"),
    ("POST", "/api/libraries/indicators"), ("POST", "/api/libraries/indicators/<string:code>/confirm"),
    ("POST", "/api/libraries/experts"), ("PATCH", "/api/libraries/experts/<int:expert_id>"),
    ("POST", "/api/libraries/agencies"), ("PATCH", "/api/libraries/agencies/<int:agency_id>"),
}
_ARG = re.compile(r"<(?:(\w+):)?(\w+)>")


def _restricted_operations(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            needed = requirement(app.view_functions[rule.endpoint], method)
            if needed is not None:
                yield method, rule, needed


def _path(rule) -> tuple[str, dict[str, object]]:
    """The rule with a plausible value in every path variable (an id that need not exist)."""
    values: dict[str, object] = {}

    def fill(m: re.Match) -> str:
        values[m.group(2)] = 1 if m.group(1) == "int" else "x-1"
        return str(values[m.group(2)])

    return _ARG.sub(fill, rule.rule), values


def _openapi_path(rule) -> str:
    return _ARG.sub(lambda m: "{" + m.group(2) + "}", rule.rule)


def test_every_restricted_operation_refuses_before_reading_its_input(app, as_user, runtime):
    found = {(method, rule.rule) for method, rule, _ in _restricted_operations(app)}
    assert found >= RESTRICTED, f"operations that lost their @requires: {sorted(RESTRICTED - found)}"
    spec = as_user("admin").get("/api/openapi.json").get_json()
    events = count_rows(runtime, "events")
    refused = 0
    for method, rule, needed in _restricted_operations(app):
        assert "403" in spec["paths"][_openapi_path(rule)][method.lower()]["responses"], (method, rule.rule)
        path, args = _path(rule)
        forbidden = [u for u in PEOPLE if not needed.allows(principal(u), args)]
        assert forbidden, f"{method} {rule.rule} is open to everyone: why restrict it?"
        for user in forbidden:
            client = as_user(user)
            for resp in (client.open(path, method=method, query_string=GARBAGE_QUERY, json=GARBAGE_BODY),
                         client.open(path, method=method, data=b"\xff not json", content_type="application/json"),
                         client.open(path, method=method)):
                assert resp.status_code == 403, (user, method, path, resp.status_code, resp.get_json())
                assert resp.content_type == "application/problem+json"
                refused += 1
    assert refused >= 3 * len(RESTRICTED)
    assert count_rows(runtime, "events") == events, "a refused call changed nothing"


def test_a_bureau_report_is_403_for_a_department_with_or_without_parameters(as_user):
    staff = as_user("staff_a")
    for query in ("", "?year=2015&level=municipal", "?year=abc"):
        resp = staff.get(f"/api/reports/coverage{query}")
        assert resp.status_code == 403 and "bureau" in resp.get_json()["detail"]
    assert as_user("reviewer").get("/api/reports/coverage").status_code == 422  # allowed: now the input counts


def test_anonymous_callers_are_still_asked_to_sign_in_first(app):
    resp = app.test_client().get("/api/reports/coverage")
    assert resp.status_code == 401 and resp.headers["WWW-Authenticate"].startswith("Bearer")
