"""POST /api/messages: routed to the waiting instances, audited, replayable; all of them catch it, or none."""

from __future__ import annotations

from sqlalchemy import event, text

from service.bpm import running
from service.bpm.replay import replay
from service.bpm.verify import verify
from service.errors import EngineFailure, StaleVersion
from service.queries import instances_queries
from tests.conftest import principal


def test_message_reaches_the_waiting_instance_by_business_key(as_user, runtime, deploy_fixture):
    deploy_fixture("message.bpmn")
    wf = runtime.workflows
    first = wf.start("await_budget", {}, business_key="P-001", actor=principal("staff_a"))["id"]
    second = wf.start("await_budget", {}, business_key="P-002", actor=principal("staff_a"))["id"]
    staff = as_user("staff_a")
    assert staff.get(f"/api/tasks?instance_id={first}").get_json()["total"] == 0
    sent = staff.post("/api/messages", json={"name": "budget_issued", "correlation": {"business_key": "P-001"},
                                             "payload": {"amount": 5_000_000}, "variable": "budget"})
    assert sent.status_code == 200 and sent.get_json() == {"delivered": [first]}
    inst = staff.get(f"/api/instances/{first}").get_json()
    assert inst["data"]["budget"] == {"amount": 5_000_000}
    assert staff.get(f"/api/tasks?instance_id={first}").get_json()["total"] == 1
    assert staff.get(f"/api/tasks?instance_id={second}").get_json()["total"] == 0
    # Nobody waits any more under that key; another department sees nothing to deliver to; auditors may not send.
    again = staff.post("/api/messages", json={"name": "budget_issued", "correlation": {"business_key": "P-001"}})
    assert again.status_code == 404
    assert as_user("staff_b").post("/api/messages", json={"name": "budget_issued"}).status_code == 404
    assert as_user("auditor").post("/api/messages", json={"name": "budget_issued"}).status_code == 403
    history = as_user("auditor").get(f"/api/instances/{first}/history").get_json()["items"]
    assert [e["command"] for e in history] == ["start", "deliver_message"] and history[1]["actor"] == "staff_a"
    assert replay(runtime.engine, runtime.specs, runtime.settings, first).ok
    assert verify(runtime.engine, runtime.specs, runtime.settings, [first, second]).ok


def _two_waiting(runtime, deploy_fixture):
    deploy_fixture("message.bpmn")
    return [runtime.workflows.start("await_budget", {}, business_key=f"P-00{n}", actor=principal("staff_a"))["id"]
            for n in (1, 2)]


def _commands(runtime, iid):
    with runtime.engine.connect() as conn:
        return list(conn.execute(text("SELECT command FROM events WHERE instance_id = :i ORDER BY seq"),
                                 {"i": iid}).scalars())


def test_message_caught_by_two_instances_is_one_commit(as_user, runtime, deploy_fixture):
    first, second = _two_waiting(runtime, deploy_fixture)
    writes = []

    def count(conn):
        if conn.get_execution_options().get("jixiao_write"):
            writes.append(conn)

    event.listen(runtime.engine, "commit", count)
    try:
        sent = as_user("staff_a").post("/api/messages", json={"name": "budget_issued", "payload": {"amount": 1}})
    finally:
        event.remove(runtime.engine, "commit", count)

    assert sent.status_code == 200 and sent.get_json() == {"delivered": [first, second]}
    assert len(writes) == 1  # both instances' deliveries, in the request's one unit of work
    for iid in (first, second):
        assert _commands(runtime, iid) == ["start", "deliver_message"]
        assert as_user("staff_a").get(f"/api/tasks?instance_id={iid}").get_json()["total"] == 1


def test_message_that_fails_at_the_second_instance_reaches_neither(as_user, runtime, deploy_fixture, monkeypatch):
    first, second = _two_waiting(runtime, deploy_fixture)
    with runtime.reading() as conn:
        before = {iid: instances_queries.get(conn, iid) for iid in (first, second)}
    original, seen = running.run, []

    def fail_at_the_second(wf, act, ctx, *args, **kwargs):
        seen.append(ctx.id)
        if len(seen) == 2:  # the first instance's delivery is written by now, in the same transaction
            raise EngineFailure("the second instance's next step failed")
        return original(wf, act, ctx, *args, **kwargs)

    monkeypatch.setattr(running, "run", fail_at_the_second)
    sent = as_user("staff_a").post("/api/messages", json={"name": "budget_issued", "payload": {"amount": 1}})

    assert seen == [first, second] and sent.status_code == 422
    with runtime.reading() as conn:
        after = {iid: instances_queries.get(conn, iid) for iid in (first, second)}
    assert after == before  # neither advanced: same lock version, data, status
    for iid in (first, second):
        assert _commands(runtime, iid) == ["start"]
        assert as_user("staff_a").get(f"/api/tasks?instance_id={iid}").get_json()["total"] == 0
    monkeypatch.undo()  # both still wait, and catch the message once it can be delivered
    again = as_user("staff_a").post("/api/messages", json={"name": "budget_issued", "payload": {"amount": 1}})
    assert again.get_json() == {"delivered": [first, second]}


def test_message_that_keeps_losing_the_version_check_at_one_instance_reaches_none(as_user, runtime, deploy_fixture,
                                                                                   monkeypatch):
    # The second instance may still be waiting: a delivery that silently missed it would be wrong, so the whole
    # delivery is refused (409) after the retries, and the sender sends again.
    first, second = _two_waiting(runtime, deploy_fixture)
    original, tries = running.run, []

    def always_overtaken(wf, act, ctx, *args, **kwargs):
        if ctx.id == second:
            tries.append(ctx.id)
            raise StaleVersion("the instance was changed by someone else meanwhile")
        return original(wf, act, ctx, *args, **kwargs)

    monkeypatch.setattr(running, "run", always_overtaken)
    sent = as_user("staff_a").post("/api/messages", json={"name": "budget_issued", "payload": {"amount": 1}})

    assert sent.status_code == 409 and len(tries) > 1  # retried, then refused as a whole
    for iid in (first, second):
        assert _commands(runtime, iid) == ["start"]
