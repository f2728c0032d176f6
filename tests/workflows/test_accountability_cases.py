"""Each accountability case opened is a record of its own (service/cycle/accountability.py): a task that slips
again after a first case was opened on it opens a second case of the same kind in the same instance, and each case
is handled — and closed — once, with its own outcome."""

from __future__ import annotations

import json
from typing import Any

from service.bpm.verify import verify
from tests.workflows import ladder, stages
from tests.workflows.stages import start_stage

OUTCOMES = [{"responsible_party": "经办处室", "sanction": "interview", "accountability_outcome": "约谈经办处室负责人"},
            {"responsible_party": "预算处", "sanction": "notice", "accountability_outcome": "通报批评"}]


def _cases(cycle: Any, iid: str) -> list[Any]:
    return sorted((c for c in cycle.rows("accountability_cases") if c.key.startswith(f"{iid}:")), key=lambda c: c.id)


def _handling(cycle: Any, iid: str) -> list[Any]:
    return sorted((t for t in cycle.rows("tasks", instance_id=iid, state="ready")
                   if t.bpmn_id == "handle_accountability"), key=lambda t: t.created_at)


def test_two_slips_of_the_same_kind_open_two_cases_each_handled_once(cycle):
    pid = cycle.project(amount=2_000_000)
    iid = start_stage(cycle, pid, "budget_linkage", final_grade="良", rectification_status="done")
    first = ladder.open_case(cycle, iid, "confirm_budget", "confirmation")
    # The reissued task lies past its new deadline too (the first case is still being handled, within its 30 days):
    # the same kind of slip in the same instance opens a second case.
    esc = stages.slip(cycle, iid, "confirm_budget", "confirmation")
    stages.decide(cycle, esc, "open_accountability")
    cases = _cases(cycle, iid)
    assert [(c.reason, c.status) for c in cases] == [("confirmation_slipped", "open")] * 2
    assert cases[0].id == first.id and cases[0].key != cases[1].key
    assert stages.ready(cycle, iid) == ["confirm_budget", "handle_accountability", "handle_accountability"]

    # Each handling task closes its own case, once.
    for n, (task, outcome) in enumerate(zip(_handling(cycle, iid), OUTCOMES, strict=True)):
        resp = cycle.as_user("supervisor").post(f"/api/tasks/{task.id}/complete", json={"data": outcome})
        assert resp.status_code == 200, resp.get_json()
        cycle.work()
        assert [c.status for c in _cases(cycle, iid)] == ["closed"] * (n + 1) + ["open"] * (1 - n)
    once, twice = _cases(cycle, iid)
    assert [json.loads(c.outcome)["sanction"] for c in (once, twice)] == ["interview", "notice"]
    assert stages.ready(cycle, iid) == ["confirm_budget"]
    report = verify(cycle.rt.engine, cycle.rt.specs, cycle.rt.settings)
    assert report.ok, [str(f) for f in report.findings]
