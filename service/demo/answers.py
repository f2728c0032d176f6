"""What the demo's people type into each form, by form key, from the project's scenario.

A scenario is a few numbers per project (how its review goes, how much it has spent at the checkpoint, how far its
goals are met at the end) chosen so that the municipality shows every path of the cycle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from service.models import LibraryIndicator


@dataclass(frozen=True)
class Scenario:
    reviews: tuple[str, ...] = ("优",)  # successive finance review outcomes (中 returns for revision)
    execution: float = 0.65  # share of the budget executed at the checkpoint (31 July)
    goal_progress: float = 0.62  # share of each indicator's target reached at the checkpoint
    can_meet: str = "certain"
    stop: bool = False  # the supervisor stops the project after a serious deviation
    achievement: float = 1.0  # share of each target reached at year end (drives the grade)
    spent: float = 0.97  # share of the budget spent by year end
    stall_at: str | None = None  # the form nobody answers (still open, overdue, or escalated by now)
    extend: bool = False  # the supervisors (or the leadership) extend the slipped task's deadline in the last days
    declares_late: bool = False  # the department declares its goals in the second week, not the first
    opens_case: bool = False  # the leadership opened an accountability case on the overdue rectification lately


def indicators_for(conn: Connection, sector: str) -> list[dict[str, Any]]:
    """An output, an effect and a satisfaction indicator from the library for the sector (common ones otherwise)."""
    li = LibraryIndicator.__table__
    rows = conn.execute(select(li).where(li.c.level == 3, li.c.status == "confirmed").order_by(li.c.code)).all()
    rows = [r for r in rows if json.loads(r.standards or "{}")]  # a target comes from a standard value

    def pick(categories: tuple[str, ...]) -> Any:
        own = [r for r in rows if r.category in categories and sector in json.loads(r.sectors or "[]")]
        common = [r for r in rows if r.category in categories and not json.loads(r.sectors or "[]")]
        return (own or common)[0]

    chosen = [(pick(("quantity",)), 40), (pick(("social", "economic", "ecological", "sustainability")), 40),
              (pick(("satisfaction",)), 20)]
    out = []
    for row, weight in chosen:
        source, target = standard_of(json.loads(row.standards or "{}"))
        out.append({"library_code": row.code, "name": row.name, "category": row.category, "unit": row.unit or "项",
                    "comparator": row.comparator or ">=", "target": target, "weight": weight,
                    "standard_source": source, "evidence_required": row.category == "quantity"})
    return out


# A declaration takes the library's standard value in this order: the plan's (计划标准) first, as the bureau's
# review expects targets to follow the project's plan, then the industry's, history's, any other.
STANDARD_ORDER = ("plan", "industry", "history", "other")


def standard_of(standards: dict[str, Any]) -> tuple[str, Any]:
    """The standard a demo declaration adopts: (source, value) from the library's standard values."""
    source = next(s for s in (*STANDARD_ORDER, *standards) if s in standards)
    return source, standards[source]


REVIEW_CRITERIA = {"优": "优", "良": "良", "中": "中", "差": "差"}
REVIEW_COMMENTS = {"优": "目标明确，指标可衡量", "良": "经协商补充了时效指标", "中": "产出指标不可衡量，请修改",
                   "差": "项目立项依据不足，不予安排"}


def answer(form_key: str, v: dict[str, Any], s: Scenario, round_: int, indicators: list[dict[str, Any]]) -> Any:
    """The form data for a task of `form_key` (None: this person does not act now). `v` are the task's variables."""
    if form_key == "deadline_escalation":  # a slipped task: re-issued with a new deadline, so it is open again now
        return {"decision": "extend_deadline", "decision_comment": "机构已说明原因，延长办理期限"} if s.extend else None
    if form_key == "escalation_handling":  # the overdue rectification: a case opened, the supervisors handle it now
        return {"decision": "open_accountability", "decision_comment": "逾期未整改，启动问责"} if s.opens_case else None
    if form_key == s.stall_at:
        return None
    budget = float(v.get("budget_amount") or 0)
    inds = v.get("indicators") or indicators
    if form_key == "goal_declaration":
        return {"goal_summary": f"{v.get('project_name')}：按计划完成年度建设任务，服务对象满意度不低于目标值",
                "indicators": indicators}
    if form_key == "goal_submission":
        return {"head_approved": True, "head_comment": "同意报送"}
    if form_key == "goal_review":
        outcome = s.reviews[min(round_, len(s.reviews) - 1)]
        mark = REVIEW_CRITERIA[outcome]
        return {"completeness": mark, "relevance": "优" if outcome in "优良" else mark, "appropriateness": mark,
                "feasibility": mark, "review_outcome": outcome,
                "review_comment": REVIEW_COMMENTS[outcome]}
    if form_key == "expert_review":
        return {"expert_outcome": "pass", "expert_comment": "绩效目标与项目内容相符"}
    if form_key == "midterm_review":
        return {"midterm_executed_amount": round(budget * s.execution * 0.8, 2),
                "midterm_indicator_actuals": [{"name": i["name"], "actual": _of(i, s.goal_progress * 0.8),
                                               "expected": i["target"]} for i in inds],
                "midterm_conclusion": "on_track" if s.execution > 0.5 else "attention"}
    if form_key == "monitoring_report":
        behind = s.can_meet != "certain"
        return {"executed_amount": round(budget * s.execution, 2), "can_meet": s.can_meet,
                "indicator_actuals": [{"name": i["name"], "actual": _of(i, s.goal_progress), "expected": i["target"],
                                       "deviation_reason": "施工进度滞后" if behind else None} for i in inds],
                "deviation_reasons": "征地拆迁滞后，工程延期开工" if behind else None}
    if form_key == "corrective_measures":
        return {"corrective_measure": "continue", "corrective_explanation": "已调整施工组织，四季度加快支出进度"}
    if form_key == "deviation_decision":
        if s.stop and v.get("decision") != "suspend":  # the plan 二(一)2: suspended first, stopped if still serious
            return {"decision": "suspend", "decision_comment": "严重偏离绩效目标，暂缓执行，限期重新报告",
                    "budget_cut": None}
        if s.stop:  # the plan 二(三)2: the cut goes to the same year's urgent spending (an in-year adjustment)
            return {"decision": "stop", "decision_comment": "暂缓后仍严重偏离，停止执行",
                    "budget_cut": round(budget * (1 - s.execution), 2), "handling_opinion": "stop",
                    "adjustment_toward": "防汛抗旱应急资金",
                    "adjustment_reason": "项目暂缓后仍严重偏离绩效目标，核减未执行预算用于当年急需安排的项目支出"}
        return {"decision": "resume", "decision_comment": "整改措施可行，恢复执行", "budget_cut": None,
                "handling_opinion": "continue"}
    if form_key == "self_evaluation":
        return {"executed_amount": round(budget * s.spent, 2),
                "indicator_results": [_result(i, s.achievement) for i in inds],
                "satisfaction_survey": {"method": "问卷调查", "respondents": 300,
                                        "rate": round(90 * min(1.0, s.achievement), 1)},
                "summary": "项目按计划实施，自评情况详见报告。"}
    if form_key == "key_evaluation_report":
        pct = min(1.0, s.achievement)

        def part(*subs: tuple[str, float, float]) -> list[dict[str, Any]]:
            return [{"name": n, "weight": w, "score": round(score * pct, 1)} for n, w, score in subs]

        return {"framework": {"decision": part(("立项依据充分性", 50, 95), ("绩效目标合理性", 50, 85)),
                              "process": part(("资金到位率", 40, 95), ("财务管理规范性", 60, 80)),
                              "output": part(("产出数量", 50, 96), ("产出质量", 50, 92)),
                              "effect": part(("社会效益", 60, 88), ("服务对象满意度", 40, 86))},
                "findings": "项目决策依据充分，资金管理规范，部分效益指标未达预期。",
                "recommendations": "加强绩效跟踪，完善满意度调查。"}
    if form_key == "agency_rating":
        return {"agency_rating": {"quality": 86, "timeliness": 90, "compliance": 88}, "rating_comment": "报告质量良好"}
    if form_key == "spot_check":
        return {"spot_check_decision": "agree", "spot_check_comment": "自评依据充分"}
    if form_key == "results_feedback":
        return {"feedback_summary": "评价结果已反馈，请按期整改", "issues": ["部分效益指标未达目标"],
                "rectification_required": True}
    if form_key == "rectification_plan":
        return {"rectification_plan": "完善项目管理制度，加快后续资金拨付",
                "rectification_measures": [{"issue": "部分效益指标未达目标", "measure": "调整实施方案并跟踪问效",
                                            "completed": True}],
                "evidence": [{"title": "整改报告", "reference": f"整改〔{v.get('fiscal_year')}〕1号"}]}
    if form_key == "rectification_verification":
        return {"verification_verdict": "done", "verification_comment": "整改到位"}
    if form_key == "budget_decision":
        return {"budget_confirmation": "confirm", "budget_comment": "按评价结果安排下年度预算"}
    if form_key == "disclosure":
        return {"disclosure_channel": "portal", "disclosed_items": ["goals", "evaluation_report", "results"]}
    return None  # escalations and accountability cases are left for the supervisors to handle in the demo


def _result(indicator: dict[str, Any], share: float) -> dict[str, Any]:
    """A self-evaluation's result: an actual value, or for a qualitative indicator the band and the percentage in it
    (bands of rule evaluation.qualitative_bands: achieved 80–100, partly 60–80, not achieved 0–60)."""
    if indicator.get("comparator") != "qualitative":
        return {"name": indicator["name"], "actual": _of(indicator, share)}
    percent = round(max(0.0, min(100.0, 100 * share)), 1)
    band = "achieved" if percent >= 80 else "partly" if percent >= 60 else "not_achieved"
    return {"name": indicator["name"], "band": band, "percent": percent}


def _of(indicator: dict[str, Any], share: float) -> float | str:
    """The actual value that achieves `share` of the target: beyond it for ≤ (less is better), short of it for ≥;
    a qualitative target is described (met, or still under way)."""
    target = indicator.get("target")
    if indicator.get("comparator") == "qualitative":
        return str(target) if share >= 1 else "正在推进"
    if target is None:
        return round(100 * share, 2)
    try:
        goal = float(target)
    except (TypeError, ValueError):
        return round(100 * share, 2)
    if indicator.get("comparator") == "<=":
        return round(goal / share, 2) if share > 0 else round(goal * 10, 2)
    return round(goal * share, 2)
