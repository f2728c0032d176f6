"""Escalations: a deadline passed or a target slipped opens one; a supervisor's decision drives the BPMN."""

from __future__ import annotations

import json
from datetime import timedelta

from click.testing import CliRunner

from service import clock
from service.bpm.commands import CompleteTask, Terminate
from service.bpm.replay import replay
from service.cli import main
from service.queries import instances_queries, tasks_queries
from tests.conftest import principal
from workers.timers import fire_due


def _task(runtime, iid, bpmn_id):
    with runtime.reading() as conn:
        items = tasks_queries.list_tasks(conn, page=1, per_page=20, now=clock.now(), instance_id=iid)["items"]
    return next(t["id"] for t in items if t["bpmn_id"] == bpmn_id)


def test_deadline_escalation_decided_by_a_supervisor(runtime, deploy_fixture, as_user, frozen_clock):
    deploy_fixture("timers.bpmn")
    iid = runtime.workflows.start("timers", {}, actor=principal("staff_a"))["id"]
    supervisor = as_user("supervisor")
    clock.advance(timedelta(days=3, hours=1))
    fire_due(runtime.workflows)  # the reminder: not an escalation
    assert supervisor.get("/api/escalations").get_json()["total"] == 0
    clock.advance(timedelta(days=2))
    fire_due(runtime.workflows)  # the deadline passed: the review is cancelled, 督办 opens
    [esc] = supervisor.get("/api/escalations?state=open").get_json()["items"]
    assert (esc["kind"], esc["element_id"], esc["name"], esc["department_id"]) == ("deadline", "overdue", "逾期", "dept-a")
    assert esc["task_id"] == _task(runtime, iid, "escalate")
    assert as_user("staff_b").get("/api/escalations").get_json()["total"] == 0  # another department's
    assert as_user("staff_a").get("/api/escalations").get_json()["total"] == 1  # its own department sees it
    refused = as_user("staff_a").post(f"/api/escalations/{esc['id']}/resolve", json={"decision": "dismiss"})
    assert refused.status_code == 403
    decided = supervisor.post(f"/api/escalations/{esc['id']}/resolve",
                              json={"decision": "order_rectification", "comment": "限期十个工作日整改"})
    assert decided.status_code == 200
    body = decided.get_json()
    assert (body["state"], body["decision"], body["resolved_by"]) == ("resolved", "order_rectification", "supervisor")
    inst = supervisor.get(f"/api/instances/{iid}").get_json()
    assert inst["status"] == "completed" and inst["data"]["decision"] == "order_rectification"
    assert supervisor.post(f"/api/escalations/{esc['id']}/resolve", json={"decision": "dismiss"}).status_code == 409
    assert supervisor.get("/api/escalations?state=resolved").get_json()["total"] == 1
    assert replay(runtime.engine, runtime.specs, runtime.settings, iid).ok


def test_red_warning_escalation_event(runtime, deploy_fixture, as_user, frozen_clock):
    deploy_fixture("escalation.bpmn")
    iid = runtime.workflows.start("escalation", {}, actor=principal("staff_a"))["id"]
    runtime.workflows.apply(iid, CompleteTask(_task(runtime, iid, "report"), {"warning": "red"}),
                            actor=principal("staff_a"))
    [esc] = as_user("supervisor").get("/api/escalations").get_json()["items"]
    assert (esc["kind"], esc["code"], esc["task_id"]) == ("escalation", "RED", _task(runtime, iid, "handle_escalation"))


def test_escalations_of_a_terminated_instance_are_closed_and_others_can_be_dismissed(runtime, deploy_fixture, as_user,
                                                                                    frozen_clock):
    deploy_fixture("timers.bpmn")
    iid = runtime.workflows.start("timers", {}, actor=principal("staff_a"))["id"]
    clock.advance(timedelta(days=6))
    fire_due(runtime.workflows)
    runtime.workflows.apply(iid, Terminate(reason="项目取消"), actor=principal("supervisor"))
    [esc] = as_user("supervisor").get("/api/escalations").get_json()["items"]
    assert (esc["state"], esc["decision"]) == ("resolved", "cancelled")


# --- the commands of the one path: resolve, dismiss, escalate --------------------------------------------------

def _events(runtime, iid):
    from sqlalchemy import select

    from service.bpm.event_log import EVENTS

    with runtime.engine.connect() as conn:
        return [(e.command, json.loads(e.input)) for e in conn.execute(
            select(EVENTS.c.command, EVENTS.c.input).where(EVENTS.c.instance_id == iid).order_by(EVENTS.c.seq))]


def _verified(runtime, monkeypatch):
    """`jixiao audit verify --all` on the test database: every history reproduces."""
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    result = CliRunner().invoke(main, ["audit", "verify", "--all"])
    assert result.exit_code == 0, result.output
    return result.output


def _noted(runtime, as_user):
    """An instance whose target slipped: an escalation with no supervisor task (the supervisor acts on the instance)."""
    iid = runtime.workflows.start("escalation_noted", {}, actor=principal("staff_a"))["id"]
    runtime.workflows.complete_task(_task(runtime, iid, "report"), {}, actor=principal("staff_a"))
    [esc] = [e for e in as_user("supervisor").get("/api/escalations?state=open").get_json()["items"]
             if e["instance_id"] == iid]
    return iid, esc


def test_escalating_one_level_up_hands_the_decision_to_the_leadership(runtime, deploy_fixture, as_user,
                                                                      frozen_clock, monkeypatch):
    deploy_fixture("timers.bpmn")
    iid = runtime.workflows.start("timers", {}, actor=principal("staff_a"))["id"]
    clock.advance(timedelta(days=6))
    fire_due(runtime.workflows)
    supervisor, leader = as_user("supervisor"), as_user("leader")
    [esc] = supervisor.get("/api/escalations?state=open").get_json()["items"]
    assert (esc["level"], [d["decision"] for d in esc["allowed_decisions"]]) == \
        ("supervisor", ["extend_deadline", "order_rectification", "open_accountability"])
    assert leader.post(f"/api/escalations/{esc['id']}/escalate", json={}).status_code == 403  # supervisors hand up

    handed = supervisor.post(f"/api/escalations/{esc['id']}/escalate", json={"reason": "涉及多个部门，请局领导决定"})
    assert handed.status_code == 200, handed.get_json()
    body = handed.get_json()
    assert (body["level"], body["escalated_by"], body["state"]) == ("leadership", "supervisor", "open")
    assert leader.post(f"/api/escalations/{esc['id']}/escalate", json={}).status_code == 409  # no higher level
    refused = supervisor.post(f"/api/escalations/{esc['id']}/resolve", json={"decision": "order_rectification"})
    assert refused.status_code == 403  # it is the leadership's now

    decided = leader.post(f"/api/escalations/{esc['id']}/resolve",
                          json={"decision": "order_rectification", "comment": "限期整改"})
    assert decided.status_code == 200, decided.get_json()
    assert (decided.get_json()["state"], decided.get_json()["resolved_by"]) == ("resolved", "leader")
    with runtime.reading() as conn:
        assert instances_queries.get(conn, iid)["data"]["decision"] == "order_rectification"
    commands = [c for c, _ in _events(runtime, iid)]
    assert commands[-2:] == ["escalate_escalation", "resolve_escalation"]
    escalated, resolved = [p for c, p in _events(runtime, iid)][-2:]
    assert (escalated["escalation_id"], escalated["to"], escalated["reason"]) == \
        (esc["id"], "leadership", "涉及多个部门，请局领导决定")
    assert (resolved["effect"], resolved["decision"], resolved["task_id"]) == \
        ("complete_task", "order_rectification", esc["task_id"])
    assert replay(runtime.engine, runtime.specs, runtime.settings, iid).ok
    assert "all histories and their derived rows reproduce" in _verified(runtime, monkeypatch)


def test_a_decision_the_kind_does_not_allow_is_refused_and_changes_nothing(runtime, deploy_fixture, as_user,
                                                                         frozen_clock):
    deploy_fixture("escalation_noted.bpmn")
    iid, esc = _noted(runtime, as_user)
    assert [d["decision"] for d in esc["allowed_decisions"]] == ["resume", "suspend", "stop", "dismiss"]
    assert [d["label"] for d in esc["allowed_decisions"]] == ["恢复执行", "暂缓执行", "停止执行并核减预算",
                                                             "撤销督办（须说明理由）"]
    before = _events(runtime, iid)
    supervisor = as_user("supervisor")
    refused = supervisor.post(f"/api/escalations/{esc['id']}/resolve", json={"decision": "extend_deadline"})
    assert refused.status_code == 422
    problem = refused.get_json()
    assert problem["detail"].startswith("此类督办不可作出该决定：延长期限")
    assert problem["errors"][0]["reason"] == "not_allowed"
    no_reason = supervisor.post(f"/api/escalations/{esc['id']}/resolve", json={"decision": "dismiss"})
    assert (no_reason.status_code, no_reason.get_json()["errors"][0]["reason"]) == (422, "reason_required")
    assert supervisor.post(f"/api/escalations/{esc['id']}/dismiss", json={"reason": ""}).status_code == 422
    stop = supervisor.post(f"/api/escalations/{esc['id']}/resolve", json={"decision": "stop", "comment": "停止"})
    assert stop.status_code == 409 and "须先暂缓执行" in stop.get_json()["detail"]
    assert _events(runtime, iid) == before
    assert supervisor.get(f"/api/escalations/{esc['id']}").get_json()["state"] == "open"
    assert supervisor.get(f"/api/instances/{iid}").get_json()["status"] == "running"


def test_suspend_then_stop_and_dismiss_are_events_on_the_chain(runtime, deploy_fixture, as_user, frozen_clock,
                                                               monkeypatch):
    deploy_fixture("escalation_noted.bpmn")
    supervisor = as_user("supervisor")
    iid, esc = _noted(runtime, as_user)
    suspended = supervisor.post(f"/api/escalations/{esc['id']}/resolve", json={"decision": "suspend",
                                                                               "comment": "暂缓执行，限期说明"})
    assert suspended.status_code == 200, suspended.get_json()
    assert (suspended.get_json()["decision"], suspended.get_json()["allowed_decisions"]) == ("suspend", [])
    assert supervisor.get(f"/api/instances/{iid}").get_json()["status"] == "suspended"
    assert _events(runtime, iid)[-1] == ("resolve_escalation", {
        "escalation_id": esc["id"], "code": "TARGET_SLIP", "decision": "suspend", "comment": "暂缓执行，限期说明",
        "effect": "suspend"})

    # The same instance slips again after it resumed: now it may be stopped, having been suspended before.
    assert supervisor.post(f"/api/instances/{iid}/resume", json={}).status_code == 200
    clock.advance(timedelta(hours=1))
    again = runtime.workflows.start("escalation_noted", {}, actor=principal("staff_a"))["id"]  # another instance
    runtime.workflows.complete_task(_task(runtime, again, "report"), {}, actor=principal("staff_a"))
    other = next(e for e in supervisor.get("/api/escalations?state=open").get_json()["items"]
                 if e["instance_id"] == again)
    assert supervisor.post(f"/api/escalations/{other['id']}/resolve",
                           json={"decision": "stop"}).status_code == 409  # never suspended
    dismissed = supervisor.post(f"/api/escalations/{other['id']}/dismiss", json={"reason": "数据录入错误，已更正"})
    assert dismissed.status_code == 200, dismissed.get_json()
    assert (dismissed.get_json()["decision"], dismissed.get_json()["comment"]) == ("dismiss", "数据录入错误，已更正")
    assert _events(runtime, again)[-1] == ("dismiss_escalation", {"escalation_id": other["id"], "code": "TARGET_SLIP",
                                                                  "reason": "数据录入错误，已更正"})
    assert supervisor.get(f"/api/instances/{again}").get_json()["status"] == "running"  # nothing else changed

    third = runtime.workflows.start("escalation_noted", {}, actor=principal("staff_a"))["id"]
    assert supervisor.post(f"/api/instances/{third}/suspend", json={}).status_code == 200
    assert supervisor.post(f"/api/instances/{third}/resume", json={}).status_code == 200
    runtime.workflows.complete_task(_task(runtime, third, "report"), {}, actor=principal("staff_a"))
    late = next(e for e in supervisor.get("/api/escalations?state=open").get_json()["items"]
                if e["instance_id"] == third)
    stopped = supervisor.post(f"/api/escalations/{late['id']}/resolve", json={"decision": "stop", "comment": "停止"})
    assert stopped.status_code == 200, stopped.get_json()
    assert supervisor.get(f"/api/instances/{third}").get_json()["status"] == "terminated"
    assert _events(runtime, third)[-1][1]["effect"] == "terminate"
    for instance in (iid, again, third):
        assert replay(runtime.engine, runtime.specs, runtime.settings, instance).ok
    assert "verified 3 instance(s)" in _verified(runtime, monkeypatch)
