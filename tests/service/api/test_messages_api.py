"""POST /api/messages: routed to the waiting instances, audited, replayable."""

from __future__ import annotations

from service.bpm.replay import replay
from service.bpm.verify import verify
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
