"""The accountability case's own deadline (workflows/accountability.bpmn): a case the supervisors leave lying past
its due date and grace period goes straight to the bureau's leadership — no supervisor supervises their own case —
who extend the deadline or order it handled; the case is reissued to the supervisors with the new deadline. It opens
no case about a case."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from service import clock
from tests.workflows import ladder, stages
from tests.workflows.stages import start_stage


def _case(cycle) -> str:
    """A case opened on Monday 2 March 2015: to be handled within 30 calendar days (accountability.handling_days)."""
    return start_stage(cycle, cycle.project(), "accountability", accountability_reason="other")


def _slip(cycle, iid: str) -> dict:
    """Past the due day (1 April) and 3 working days of grace (Monday 6 April is Qingming): from 8 April."""
    data = cycle.instance(iid)["data"]
    assert (data["accountability_due_on"], data["accountability_escalate_on"]) == ("2015-04-01", "2015-04-07")
    stages.at(cycle, datetime.fromisoformat(data["accountability_escalate_at"]))
    assert stages.open_escalations(cycle) == [] and stages.ready(cycle, iid) == ["handle_accountability"]
    stages.at(cycle, datetime.fromisoformat(data["accountability_escalate_at"]) + timedelta(seconds=1))
    [esc] = stages.open_escalations(cycle)
    return esc


@pytest.mark.parametrize("decision", ["extend_deadline", "order_rectification"])
def test_a_case_left_lying_goes_to_the_leadership_who_reissue_it(cycle, decision):
    iid = _case(cycle)
    esc = _slip(cycle, iid)
    assert (esc["code"], esc["element_id"], esc["kind"], esc["kind_name"], esc["level"], esc["escalated_by"]) == \
        ("accountability_slipped", "accountability_slipped", "deadline", "问责处理逾期", "leadership", None)
    assert [d["decision"] for d in esc["allowed_decisions"]] == ["extend_deadline", "order_rectification"]
    assert stages.ready(cycle, iid) == ["lead_accountability"]
    lead = cycle.task(iid, "lead_accountability", "leader")
    assert (esc["task_id"], lead["candidate_groups"]) == (lead["id"], ["bureau_leader"])
    # 5 working days after the grace period ended on 7 April (escalation.leadership_decision_working_days): 14 April
    assert stages.local_due(lead) == datetime(2015, 4, 14, 23, 59, 59, tzinfo=clock.LOCAL)
    # Theirs from the start: the supervisors whose case it is neither decide it nor hand it up.
    supervisor = cycle.as_user("supervisor")
    assert supervisor.post(f"/api/escalations/{esc['id']}/resolve", json={"decision": decision}).status_code == 403
    assert supervisor.post(f"/api/escalations/{esc['id']}/escalate", json={"reason": "请局领导决定"}).status_code == 403
    stages.verified(cycle)

    stages.at(cycle, datetime(2015, 4, 9, 10, 0, tzinfo=clock.LOCAL))
    stages.decide(cycle, esc, decision, user="leader")
    [resolved] = cycle.as_user("leader").get("/api/escalations").get_json()["items"]
    assert (resolved["state"], resolved["decision"], resolved["resolved_by"]) == ("resolved", decision, "leader")
    assert stages.ready(cycle, iid) == ["handle_accountability"]
    # extended by 15 calendar days from Thursday 9 April, or ordered within 10 working days: Thursday 23 April
    due = {"extend_deadline": datetime(2015, 4, 24), "order_rectification": datetime(2015, 4, 23)}[decision]
    assert stages.local_due(cycle.task(iid, "handle_accountability", "supervisor")) == \
        datetime.combine(due.date(), time(23, 59, 59), clock.LOCAL)
    ladder.close_case(cycle, iid)
    assert cycle.instance(iid)["status"] == "completed"
    assert cycle.rows("accountability_cases")[0].status == "closed"
    stages.verified(cycle)


def test_the_leadership_is_the_top_a_case_about_a_case_is_refused_and_a_second_slip_escalates_again(cycle):
    iid = _case(cycle)
    esc = _slip(cycle, iid)
    refused = cycle.as_user("leader").post(f"/api/escalations/{esc['id']}/resolve",
                                           json={"decision": "open_accountability", "comment": "问责督办人员"})
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["reason"] == "not_allowed"
    assert refused.get_json()["detail"] == "此类督办不可作出该决定：启动问责。可作出的决定：延长期限、责令限期整改。"
    # Nobody above the leadership: left undecided, it stays theirs and shows as overdue; nothing else opens.
    stages.at(cycle, datetime(2015, 5, 4, 10, 0, tzinfo=clock.LOCAL))
    [still] = stages.open_escalations(cycle)
    assert (still["id"], still["level"], still["task_id"]) == (esc["id"], "leadership", esc["task_id"])
    assert cycle.task(iid, "lead_accountability", "leader")["overdue"] is True

    stages.decide(cycle, esc, "order_rectification", user="leader")
    escalate = datetime.fromisoformat(cycle.instance(iid)["data"]["accountability_escalate_at"])
    stages.at(cycle, escalate + timedelta(seconds=1))  # the reissued case slips in its turn
    [again] = stages.open_escalations(cycle)
    assert again["id"] != esc["id"] and (again["code"], again["level"]) == ("accountability_slipped", "leadership")
    stages.verified(cycle)
