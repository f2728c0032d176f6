"""More of the escalation ladder for the tests of budget_linkage, comprehensive_evaluation and accountability, beside
the helpers in tests/workflows/stages.py: the day of a decision, the due day an order gives, a case opened and
closed."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from service import clock, db
from service.domain.workdays import add_working_days
from service.rules import store as rules
from tests.workflows import stages

CASE_OUTCOME = {"responsible_party": "经办处室", "sanction": "interview", "accountability_outcome": "约谈经办处室负责人"}


def today() -> date:
    return clock.now().astimezone(clock.LOCAL).date()


def order_due(cycle: Any, decided_on: date) -> date:
    """The due day of a task ordered done on `decided_on`: rule escalation.order_working_days working days over the
    holiday calendar."""
    with db.read(cycle.rt.engine) as conn:
        days = rules.get(conn, decided_on.year, "*", "escalation.order_working_days")
        cal = rules.calendar(conn, decided_on, decided_on + timedelta(days=90))
    return add_working_days(cal, decided_on, days)


def open_case(cycle: Any, iid: str, task: str, name: str) -> Any:
    """A supervisor opens an accountability case on `task`'s slip (the shape of goal_review's declaration ladder):
    the case runs under the kind's code beside the task, reissued as if ordered done. Returns the case row."""
    esc = stages.slip(cycle, iid, task, name)
    stages.decide(cycle, esc, "open_accountability")
    stages.reissued(cycle, iid, task, name, "open_accountability", today(), order_due(cycle, today()))
    assert stages.ready(cycle, iid) == sorted([task, "handle_accountability"])  # the work does not wait for it
    [case] = [c for c in cycle.rows("accountability_cases", reason=f"{name}_slipped", status="open")
              if c.key.startswith(f"{iid}:")]
    return case


def close_case(cycle: Any, iid: str) -> None:
    cycle.complete(iid, "handle_accountability", CASE_OUTCOME, user="supervisor")
