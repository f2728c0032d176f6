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


def test_the_queue_filters_by_kind_department_level_and_age(runtime, deploy_fixture, as_user, frozen_clock):
    _overdue(runtime, deploy_fixture)
    supervisor = as_user("supervisor")

    def ids(query: str) -> list[int]:
        resp = supervisor.get(f"/api/escalations?{query}")
        assert resp.status_code == 200, resp.get_json()
        return [e["id"] for e in resp.get_json()["items"]]

    [item] = supervisor.get("/api/escalations").get_json()["items"]
    assert (item["age_days"], item["department_id"], item["process_name"]) == (0, "dept-a", "带期限的审核")
    assert ids("kind=deadline") == [item["id"]] and ids("kind=escalation") == []
    assert ids("department_id=dept-a") == [item["id"]] and ids("department_id=dept-b") == []
    assert ids("level=supervisor&state=open") == [item["id"]] and ids("level=leadership") == []
    assert ids("code=overdue") == [item["id"]] and ids("code=SERIOUS_DEVIATION") == []
    assert ids("older_than_days=3") == []
    clock.advance(timedelta(days=4))
    assert ids("older_than_days=3") == [item["id"]] and ids("older_than_days=4") == []
    assert supervisor.get("/api/escalations").get_json()["items"][0]["age_days"] == 4
    assert supervisor.post(f"/api/escalations/{item['id']}/escalate", json={}).status_code == 200
    assert ids("level=leadership") == [item["id"]] and ids("level=supervisor") == []
    for bad in ("kind=late", "level=boss", "older_than_days=-1", "older_than_days=x", "state=maybe"):
        refused = supervisor.get(f"/api/escalations?{bad}")
        assert refused.status_code == 422 and refused.mimetype == "application/problem+json", bad


def test_the_facts_name_the_slipped_task_its_owner_and_the_timeline(runtime, deploy_fixture, as_user, frozen_clock):
    _overdue(runtime, deploy_fixture)
    [item] = as_user("supervisor").get("/api/escalations").get_json()["items"]
    resp = as_user("supervisor").get(f"/api/escalations/{item['id']}/facts")
    assert resp.status_code == 200
    facts = resp.get_json()
    assert facts["escalation"] == item
    slip = facts["slipped"]
    assert (slip["bpmn_id"], slip["name"], slip["candidate_groups"]) == ("review", "审核", ["finance_reviewer"])
    assert slip["overdue_calendar_days"] == 1 and slip["due_at"].endswith("+00:00")
    assert facts["reminders"] == [] and facts["project"] is None
    assert [e["command"] for e in facts["timeline"]][:1] == ["start"]
    assert as_user("staff_b").get(f"/api/escalations/{item['id']}/facts").status_code == 404


def test_the_escalation_report_counts_overdue_by_stage_and_open_by_department(runtime, deploy_fixture, as_user,
                                                                              frozen_clock):
    deploy_fixture("timers.bpmn")
    runtime.workflows.start("timers", {}, actor=principal("staff_a"))
    clock.advance(timedelta(days=5, hours=12))  # past the review's due date (P5D), before its timer is fired
    report = as_user("supervisor").get("/api/reports/escalations").get_json()
    assert [(r["process_id"], r["bpmn_id"], r["overdue"]) for r in report["overdue_by_stage"]] == [
        ("timers", "review", 1)]
    assert report["open_escalations_by_department"] == []
    fire_due(runtime.workflows)
    report = as_user("supervisor").get("/api/reports/escalations").get_json()
    assert [(r["department_id"], r["supervisor"], r["leadership"], r["total"])
            for r in report["open_escalations_by_department"]] == [("dept-a", 1, 0, 1)]
    assert as_user("staff_b").get("/api/reports/escalations").get_json() == {
        "overdue_by_stage": [], "open_escalations_by_department": []}  # another department's
