"""The accountability case's own deadline (workflows/accountability.bpmn): a case the supervisors leave lying past
its due date and grace period goes straight to the bureau's leadership — no supervisor supervises their own case —
who extend the deadline or order it handled; the case is reissued to the supervisors with the new deadline. It opens
no case about a case."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from service import clock
from tests.workflows import ladder
from tests.workflows.stages import start_stage


def _case(cycle) -> str:
    pid = cycle.project()
    return start_stage(cycle, pid, "accountability", accountability_reason="other")


@pytest.mark.parametrize("decision", ["extend_deadline", "order_rectification"])
def test_a_case_left_lying_goes_to_the_leadership_who_reissue_it(cycle, decision):
    iid = _case(cycle)
    assert ladder.ready(cycle, iid) == ["handle_accountability"]
    esc = ladder.slip(cycle, iid, "accountability")
    assert (esc["code"], esc["kind"], esc["level"], esc["escalated_by"]) == \
        ("handle_accountability_slipped", "deadline", "leadership", None)
    assert [d["decision"] for d in esc["allowed_decisions"]] == ["extend_deadline", "order_rectification"]
    assert ladder.ready(cycle, iid) == ["lead_handle_accountability"]
    assert esc["task_id"] == cycle.task(iid, "lead_handle_accountability")["id"]
    # Theirs from the start: the supervisors whose case it is neither decide it nor hand it up.
    ladder.decide(cycle, esc, decision, "supervisor", expect=403)
    handed = cycle.as_user("supervisor").post(f"/api/escalations/{esc['id']}/escalate", json={"reason": "请局领导决定"})
    assert handed.status_code == 403, handed.get_json()
    ladder.clean(cycle)

    clock.advance(timedelta(days=1))
    decided_on = clock.now().astimezone(clock.LOCAL).date()
    resolved = ladder.decide(cycle, esc, decision, "leader")
    assert (resolved["state"], resolved["decision"], resolved["resolved_by"]) == ("resolved", decision, "leader")
    assert ladder.open_escalations(cycle) == []
    assert ladder.ready(cycle, iid) == ["handle_accountability"]
    assert ladder.due_on(cycle, iid, "handle_accountability") == ladder.new_due_on(cycle, decision, decided_on)
    ladder.close_case(cycle, iid)
    assert cycle.instance(iid)["status"] == "completed"
    assert cycle.rows("accountability_cases")[0].status == "closed"
    ladder.clean(cycle)


def test_the_leadership_is_the_top_a_case_about_a_case_is_refused_and_a_second_slip_opens_a_second_escalation(cycle):
    iid = _case(cycle)
    esc = ladder.slip(cycle, iid, "accountability")
    refused = cycle.as_user("leader").post(f"/api/escalations/{esc['id']}/resolve",
                                           json={"decision": "open_accountability", "comment": "问责督办人员"})
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["reason"] == "not_allowed"
    assert refused.get_json()["detail"] == \
        "此类督办不可作出该决定：启动问责。可作出的决定：延长期限、责令限期整改。"
    # Nobody above the leadership: left undecided, it stays theirs, overdue, and nothing else opens.
    ladder.at(cycle, datetime.fromisoformat(ladder.data(cycle, iid)["accountability_decide_at"])
              + timedelta(days=10))
    [still] = ladder.open_escalations(cycle)
    assert (still["id"], still["level"]) == (esc["id"], "leadership")
    assert cycle.task(iid, "lead_handle_accountability", "leader")["overdue"] is True

    ladder.decide(cycle, esc, "order_rectification", "leader")
    again = ladder.slip(cycle, iid, "accountability")  # the reissued case slips in its turn
    assert again["id"] != esc["id"] and again["level"] == "leadership"
    assert len(cycle.as_user("supervisor").get("/api/escalations?code=handle_accountability_slipped")
               .get_json()["items"]) == 2
    ladder.clean(cycle)
