"""Driving a task's escalation ladder (workflows/evaluation.bpmn `self_evaluation` and the ladders modelled after it):
the slip after the grace period, the supervisors' silence, a decision, the task reissued with its new deadline."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from service import clock, db
from service.domain.workdays import add_working_days
from service.engine.verify import verify
from service.rules import store as rules


def at(cycle: Any, when: datetime) -> None:
    """The clock at `when`, and the workers' passes at that time."""
    clock.set_now(when)
    cycle.work()


def data(cycle: Any, iid: str) -> dict[str, Any]:
    return dict(cycle.instance(iid)["data"])


def open_escalations(cycle: Any) -> list[dict[str, Any]]:
    return list(cycle.as_user("supervisor").get("/api/escalations?state=open").get_json()["items"])


def ready(cycle: Any, iid: str) -> list[str]:
    return sorted(t["bpmn_id"] for t in cycle.tasks(iid))


def slip(cycle: Any, iid: str, name: str, code: str | None = None) -> dict[str, Any]:
    """Past `{name}_escalate_at` (due + grace): the one escalation the slip opened (of kind `code`, if given)."""
    at(cycle, datetime.fromisoformat(data(cycle, iid)[f"{name}_escalate_at"]) + timedelta(seconds=1))
    [esc] = [e for e in open_escalations(cycle) if code is None or e["code"] == code]
    return esc


def leave_undecided(cycle: Any, iid: str, name: str) -> dict[str, Any]:
    """Past `{name}_decide_at` with nobody deciding: the same escalation, climbed."""
    at(cycle, datetime.fromisoformat(data(cycle, iid)[f"{name}_decide_at"]) + timedelta(seconds=1))
    [esc] = open_escalations(cycle)
    return esc


def decide(cycle: Any, esc: dict[str, Any], decision: str, user: str, expect: int = 200) -> dict[str, Any]:
    resp = cycle.as_user(user).post(f"/api/escalations/{esc['id']}/resolve",
                                    json={"decision": decision, "comment": "督办意见"})
    assert resp.status_code == expect, resp.get_json()
    cycle.work()
    return dict(resp.get_json())


def new_due_on(cycle: Any, decision: str, decided_on: date) -> date:
    """The reissued task's due day: rule escalation.extension_days calendar days for an extension, rule
    escalation.order_working_days working days for an order, from the day of the decision."""
    with db.read(cycle.rt.engine) as conn:
        if decision == "extend_deadline":
            return decided_on + timedelta(days=rules.get(conn, decided_on.year, "*", "escalation.extension_days"))
        days = rules.get(conn, decided_on.year, "*", "escalation.order_working_days")
        cal = rules.calendar(conn, decided_on, decided_on + timedelta(days=90))
    return add_working_days(cal, decided_on, days)


def due_on(cycle: Any, iid: str, bpmn_id: str, user: str = "power") -> date:
    due = datetime.fromisoformat(cycle.task(iid, bpmn_id, user)["due_at"].replace("Z", "+00:00"))
    return due.astimezone(clock.LOCAL).date()


def clean(cycle: Any) -> None:
    """`jixiao audit verify`: every history and its derived rows (escalations included) reproduce."""
    report = verify(cycle.rt.engine, cycle.rt.specs, cycle.rt.settings)
    assert report.ok and report.checked, [str(f) for f in report.findings]


CASE_OUTCOME = {"responsible_party": "经办处室", "sanction": "interview", "accountability_outcome": "约谈经办处室负责人"}


def open_case(cycle: Any, iid: str, task: str, name: str, user: str = "supervisor") -> Any:
    """The slip's supervisor opens an accountability case (workflows/goal_review.bpmn's shape, `fork_T_accountability`):
    the case opens under the kind's code beside the task, reissued as if ordered done. Returns the case row."""
    esc = slip(cycle, iid, name)
    decided_on = clock.now().astimezone(clock.LOCAL).date()
    decide(cycle, esc, "open_accountability", user)
    [case] = cycle.rows("accountability_cases", key=f"{iid}:{task}_slipped")
    assert (case.reason, case.status) == (f"{task}_slipped", "open")
    assert ready(cycle, iid) == sorted([task, "handle_accountability"])  # the work does not wait for the case
    assert due_on(cycle, iid, task) == new_due_on(cycle, "order_rectification", decided_on)
    assert open_escalations(cycle) == []
    return case


def close_case(cycle: Any, iid: str) -> None:
    cycle.complete(iid, "handle_accountability", CASE_OUTCOME, user="supervisor")
