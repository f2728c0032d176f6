"""Driving the cycle's stages as people would, for the rectification, linkage, cycle and pilot tests, and the escalation
ladder of any slipped task: the slip, the climb to the leadership, a decision, the task reissued."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from service import clock, db
from service.cycle import projects_records
from service.domain import escalation_kinds
from service.domain.evaluation_selection import spot_check_selected
from service.domain.roles import SYSTEM

GOAL: dict[str, Any] = {
    "goal_summary": "完成 12 所义务教育学校标准化改造，惠及 5 万名学生",
    "indicators": [
        {"name": "标准化改造学校数", "category": "quantity", "unit": "所", "comparator": ">=", "target": 12,
         "weight": 40, "standard_source": "plan", "evidence_required": True},
        {"name": "受益学生数", "category": "social", "unit": "万人", "comparator": ">=", "target": 5, "weight": 40,
         "standard_source": "plan"},
        {"name": "家长满意度", "category": "satisfaction", "unit": "%", "comparator": ">=", "target": 90, "weight": 20,
         "standard_source": "history"},
    ],
}
REVIEW = {"completeness": "良", "relevance": "优", "appropriateness": "良", "feasibility": "良"}
FEEDBACK = {"feedback_summary": "产出指标基本完成，满意度调查样本不足", "issues": ["满意度调查样本不足"]}
PLAN = {
    "rectification_plan": "扩大满意度调查覆盖面，完善绩效台账",
    "rectification_measures": [{"issue": "满意度调查样本不足", "measure": "委托第三方开展覆盖全部学校的调查",
                                "completed": True}],
    "evidence": [{"title": "满意度调查报告", "reference": "教育局〔2015〕12号"}],
}


def start_stage(cycle: Any, project_id: str, process_id: str, **extra: Any) -> str:
    """Start one stage alone with the cycle's variables plus what earlier stages would have handed over."""
    with db.read(cycle.rt.engine) as conn:
        row = projects_records.get(conn, project_id)
    inst = cycle.rt.workflows.start(process_id, {**projects_records.cycle_variables(row), **extra}, business_key=row.id,
                                    actor=SYSTEM, department_id=row.department_id, now=clock.now())
    cycle.work()
    return str(inst["id"])


def unsampled_id(prefix: str, share: int = 20) -> str:
    """A project id whose self-evaluation the hash draw (rule evaluation.spot_check_share) does not spot-check."""
    return next(f"{prefix}-{i:03d}" for i in range(1000) if not spot_check_selected(f"{prefix}-{i:03d}", share))


def approve_goal(cycle: Any, iid: str, outcome: str = "优") -> None:
    """The department declares, its head submits, the bureau reviews with `outcome`."""
    cycle.complete(iid, "declare_goal", GOAL, user="staff_a")
    cycle.complete(iid, "submit_goal", {"head_approved": True}, user="head_a")
    cycle.complete(iid, "finance_review", {**REVIEW, "review_outcome": outcome}, user="reviewer")


def self_evaluate(cycle: Any, iid: str, executed: float, schools: float, pupils: float, satisfied: float) -> None:
    """The department's self-evaluation of GOAL's indicators."""
    results = [{"name": "标准化改造学校数", "actual": schools}, {"name": "受益学生数", "actual": pupils},
               {"name": "家长满意度", "actual": satisfied}]
    cycle.complete(iid, "self_evaluation", {
        "executed_amount": executed, "indicator_results": results, "summary": "按计划实施，详见自评报告。",
        "satisfaction_survey": {"method": "问卷", "respondents": 400, "rate": satisfied}}, user="staff_a")


# --- the escalation ladder (docs/CYCLE.md, "User tasks") ---------------------------------------------------------
def at(cycle: Any, when: str | datetime) -> None:
    """Move the clock to `when` (an ISO time with its offset) and let the workers catch up."""
    clock.set_now(datetime.fromisoformat(when) if isinstance(when, str) else when)
    cycle.work()


def open_escalations(cycle: Any) -> list[dict[str, Any]]:
    found = cycle.as_user("supervisor").get("/api/escalations?state=open&per_page=100").get_json()["items"]
    return sorted(found, key=lambda e: e["id"])


def verified(cycle: Any) -> None:
    """`jixiao audit verify` finds every instance's history and derived rows in order."""
    from service.bpm.verify import verify

    report = verify(cycle.rt.engine, cycle.rt.specs, cycle.rt.settings)
    assert report.ok and report.checked, [str(f) for f in report.findings]


def ready(cycle: Any, iid: str) -> list[str]:
    return sorted(t["bpmn_id"] for t in cycle.tasks(iid))


def ready_rows(cycle: Any, iid: str) -> list[str]:
    """The instance's ready tasks as stored (also those no API user is shown)."""
    return sorted(t.bpmn_id for t in cycle.rows("tasks", instance_id=iid, state="ready"))


def local_due(task: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(task["due_at"].replace("Z", "+00:00")).astimezone(clock.LOCAL)


def slip(cycle: Any, iid: str, task: str, name: str) -> dict[str, Any]:
    """Let `task` (its deadline named `name`) lie past its grace period: one escalation of kind `<name>_slipped`
    opens in the supervisors' queue, and only then; the task is withdrawn for the supervisors' `supervise_<name>`."""
    data = cycle.instance(iid)["data"]
    assert local_due(cycle.task(iid, task)) == datetime.fromisoformat(data[f"{name}_due_at"])
    escalate = datetime.fromisoformat(data[f"{name}_escalate_at"])
    at(cycle, escalate)  # a timer fires once its time has passed, not at it
    assert open_escalations(cycle) == [] and task in ready(cycle, iid)
    at(cycle, escalate + timedelta(seconds=1))
    [esc] = open_escalations(cycle)
    kind = escalation_kinds.KINDS[f"{name}_slipped"]
    assert (esc["kind"], esc["code"], esc["element_id"], esc["kind_name"], esc["level"]) == \
        ("deadline", kind.code, kind.code, kind.name, "supervisor")
    assert [d["decision"] for d in esc["allowed_decisions"]] == list(kind.decisions)
    assert task not in ready(cycle, iid) and cycle.task(iid, f"supervise_{name}", "supervisor")["id"] == esc["task_id"]
    return dict(esc)


def climb(cycle: Any, iid: str, name: str, esc: dict[str, Any]) -> dict[str, Any]:
    """The supervisors let the decision deadline pass: the same escalation goes to the bureau's leadership."""
    decide = datetime.fromisoformat(cycle.instance(iid)["data"][f"{name}_decide_at"])
    at(cycle, decide + timedelta(seconds=1))
    [handed] = open_escalations(cycle)
    lead = cycle.task(iid, f"lead_{name}", "leader")
    assert (handed["id"], handed["level"], handed["escalated_by"], handed["task_id"]) == \
        (esc["id"], "leadership", "timer", lead["id"])
    assert lead["candidate_groups"] == ["bureau_leader"] and f"supervise_{name}" not in ready(cycle, iid)
    return dict(handed)


def decide(cycle: Any, esc: dict[str, Any], decision: str, user: str = "supervisor") -> None:
    resp = cycle.as_user(user).post(f"/api/escalations/{esc['id']}/resolve",
                                    json={"decision": decision, "comment": "督办意见"})
    assert resp.status_code == 200, resp.get_json()
    cycle.work()


def refused(cycle: Any, iid: str, esc: dict[str, Any], decision: str) -> None:
    """A decision the kind does not allow is refused with the reason, and changes nothing."""
    before = ready(cycle, iid)
    resp = cycle.as_user("supervisor").post(f"/api/escalations/{esc['id']}/resolve", json={"decision": decision})
    assert resp.status_code == 422, resp.get_json()
    body = resp.get_json()
    assert [e["reason"] for e in body["errors"]] == ["not_allowed"]
    assert "allowed: Extend the deadline, Order rectification within a deadline, Open an accountability case" in \
        body["errors"][0]["message"]
    assert [e["id"] for e in open_escalations(cycle)] == [esc["id"]] and ready(cycle, iid) == before


def reissued(cycle: Any, iid: str, task: str, name: str, decision: str, decided_on: date, order_due: date,
             user: str = "power") -> dict[str, Any]:
    """After `decision`, `task` is back with its owner: 15 calendar days more (escalation.extension_days), or — on
    an order, and beside an opened case — `order_due` (escalation.order_working_days: 10 working days); a case opens
    under the kind's code only on open_accountability."""
    again = cycle.task(iid, task, user)
    due = decided_on + timedelta(days=15) if decision == "extend_deadline" else order_due
    assert local_due(again) == datetime.combine(due, time(23, 59, 59), clock.LOCAL)
    assert open_escalations(cycle) == []
    cases = cycle.rows("accountability_cases")
    if decision == "open_accountability":
        [case] = cases
        assert (case.reason, case.status) == (f"{name}_slipped", "open")
        assert case.key.startswith(f"{iid}:{name}_slipped:")  # and the id of the task that opened it
        assert "handle_accountability" in ready(cycle, iid)
    else:
        assert cases == [] and "handle_accountability" not in ready(cycle, iid)
    return again
