"""Driving the cycle's stages as people would, for the rectification, linkage, cycle and pilot tests."""

from __future__ import annotations

from typing import Any

from service import clock, db
from service.cycle import projects
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
        row = projects.get(conn, project_id)
    inst = cycle.rt.workflows.start(process_id, {**projects.cycle_variables(row), **extra}, business_key=row.id,
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
