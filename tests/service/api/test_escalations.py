"""The escalation API: detail with the decisions open, who may act, and the commands documented in OpenAPI."""

from __future__ import annotations

from datetime import timedelta

from service import clock
from tests.conftest import principal
from workers.timers import fire_due


def _overdue(runtime, deploy_fixture) -> str:
    deploy_fixture("timers.bpmn")
    iid = runtime.workflows.start("timers", {}, actor=principal("staff_a"))["id"]
    clock.advance(timedelta(days=6))
    fire_due(runtime.workflows)  # the review's deadline passed: an escalation with a supervisor task
    return str(iid)


def test_detail_lists_the_decisions_open_and_only_to_those_who_see_it(runtime, deploy_fixture, as_user,
                                                                      frozen_clock):
    _overdue(runtime, deploy_fixture)
    [item] = as_user("supervisor").get("/api/escalations").get_json()["items"]
    detail = as_user("supervisor").get(f"/api/escalations/{item['id']}")
    assert detail.status_code == 200 and detail.get_json() == item
    assert item["allowed_decisions"][0] == {"decision": "extend_deadline", "label": "延长期限",
                                            "label_en": "Extend the deadline"}
    assert (item["kind_name"], item["level"]) == ("督办", "supervisor")
    missing = as_user("staff_b").get(f"/api/escalations/{item['id']}")  # another department's
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert as_user("supervisor").get("/api/escalations/999999").status_code == 404


def test_auditors_and_departments_change_nothing(runtime, deploy_fixture, as_user, frozen_clock):
    _overdue(runtime, deploy_fixture)
    [item] = as_user("supervisor").get("/api/escalations").get_json()["items"]
    for user in ("auditor", "staff_a"):
        client = as_user(user)
        for path, body in (("resolve", {"decision": "order_rectification"}), ("dismiss", {"reason": "无需督办"}),
                           ("escalate", {})):
            answer = client.post(f"/api/escalations/{item['id']}/{path}", json=body)
            assert answer.status_code == 403, (user, path, answer.get_json())
    assert as_user("supervisor").get(f"/api/escalations/{item['id']}").get_json()["state"] == "open"
    unknown = as_user("supervisor").post(f"/api/escalations/{item['id']}/resolve", json={"decision": "pardon"})
    assert unknown.status_code == 422


def test_the_commands_are_documented_with_their_problems(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    for action in ("resolve", "dismiss", "escalate"):
        responses = spec["paths"][f"/api/escalations/{{escalation_id}}/{action}"]["post"]["responses"]
        assert {"200", "401", "403", "404", "409", "422"} <= set(responses), action
    assert "allowed_decisions" in spec["components"]["schemas"]["Escalation"]["properties"]
