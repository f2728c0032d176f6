"""How monitoring ends while a key project's mid-term review is still pending (workflows/monitoring.bpmn): the
review runs beside the checkpoint reports, and both the department's own cancellation and a supervisor's stop end
the process at once, dropping the review — a cancellation recorded as the department's, with no stop and no
accountability, a stop as the supervisors'."""

from __future__ import annotations

from service.bpm.verify import verify
from tests.workflows.test_monitoring import _actions, _approved, _at, _data, _open_escalations, _report


def test_a_department_cancelling_drops_the_pending_midterm_review_and_is_not_a_stop(cycle):
    pid = _approved(cycle, is_key=True)
    iid = cycle.start(pid, process_id="monitoring")
    _at(cycle, "2015-08-05T09:00:00+08:00")
    _report(cycle, iid, executed=300_000, can_meet="possible")  # red, but the goal may still be met: not serious
    assert "corrective_measures" in [t["bpmn_id"] for t in cycle.tasks(iid, "staff_a")]
    pending = {t.bpmn_id for t in cycle.rows("tasks", instance_id=iid, state="ready")}
    assert pending & {"midterm_review", "supervise_midterm", "lead_midterm"}, pending
    cycle.complete(iid, "corrective_measures", {"corrective_measure": "cancel",
                                                "corrective_explanation": "政策调整，项目不再实施"}, user="staff_a")
    data = _data(cycle, iid)
    assert cycle.instance(iid)["status"] == "completed"
    assert (data["monitoring_outcome"], data["project_stopped"], data["project_cancelled"]) == \
        ("cancelled", False, True)
    assert cycle.rows("projects", id=pid)[0].status == "cancelled"
    assert "stopped" not in _actions(cycle, pid)
    # The mid-term review (slipped in July, wherever it stood on the ladder) is dropped with its escalation.
    assert [t.bpmn_id for t in cycle.rows("tasks", instance_id=iid, state="ready")] == []
    assert _open_escalations(cycle) == [] and cycle.rows("accountability_cases") == []
    report = verify(cycle.rt.engine, cycle.rt.specs, cycle.rt.settings)
    assert report.ok and report.checked, [str(f) for f in report.findings]
