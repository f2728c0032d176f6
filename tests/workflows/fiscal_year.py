"""A fiscal year of slips on the moved clock, driven from the deadline catalogue (docs/CYCLE.md, "Deadlines").

Every catalogued escalation (service/bpm/deadline_catalogue.py, the table `jixiao docs deadlines` prints) gets
scenarios: one instance per decision the escalation allows. The instance is brought to the task whose deadline
slips (or whose target misses) by completing every other ready task with the data of `HAPPY`; then nobody acts.
The first scenario of each escalation is left alone until the ladder hands it to the bureau's leadership, who
decide; the others are decided by a supervisor as soon as they open. Each day of the year runs as the worker does:
a pass at 08:00 in Wuhan (timers, jobs, mail), the daily reminder sweep, then people act, and a last pass.

What to extend when the models grow (each gap fails the test, naming the task):
- `STARTS`: how each process is started for a fresh project (a catalogued process missing here: "no way to start");
- `HAPPY`: who completes each user task and with what, on the way to the slipping task ("HAPPY has no data");
- `PROJECTS_FOR`: the project fields a task needs to come up at all (key projects, major amounts, spot checks);
- `TARGET_KINDS`: each kind of missed target, how to make it miss (which task's data), the escalation code it
  raises (a catalogued escalation event), or the supervisors' task that answers it where the catalogue cannot
  attach it to a user task, or else the department's answer left undone; `REACHED_BY` brings up a task that only
  a missed target opens;
- `NEXT_STEPS`: each decision (or form:decision) and the documented next step it must drive the model to.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select

from service import clock, db
from service.bpm import deadline_catalogue as catalogue
from service.config import ROOT
from service.cycle import goals_records, performance_reports_records, projects_records
from service.domain import escalation_kinds
from service.domain.evaluation_selection import spot_check_selected
from service.domain.reminders_rules import leads_of, reminder_day
from service.domain.roles import DEPARTMENT_HEAD, DEPARTMENTAL, ESCALATION_GROUPS, SYSTEM
from service.domain.workdays import Calendar, add_working_days
from service.models import Base
from service.notifications.recipients import names
from service.rules import store as rules
from service.runtime import Runtime
from tests.conftest import PEOPLE
from workers.reminder_sweep import LEAD_RULE, sweep_reminders
from workers.runner import run_once

TASKS = Base.metadata.tables["tasks"]
INSTANCES = Base.metadata.tables["instances"]
ESCALATIONS = Base.metadata.tables["escalations"]
NOTIFICATIONS = Base.metadata.tables["notifications"]
LAST_DAY = date(2016, 3, 31)  # a fiscal year from March 2015, with the evaluation of 2014 and the reports of 2015

# --- what people do on the way to a slip ---------------------------------------------------------------------------
GOAL: dict[str, Any] = {
    "goal_summary": "完成 12 所义务教育学校标准化改造，惠及 5 万名学生",
    "indicators": [
        {"name": "新建校舍面积", "category": "quantity", "unit": "平方米", "comparator": ">=", "target": 10000,
         "weight": 40, "standard_source": "plan"},
        {"name": "工程验收合格率", "category": "quality", "unit": "%", "comparator": ">=", "target": 100, "weight": 20,
         "standard_source": "industry"},
        {"name": "受益学生数", "category": "social", "unit": "万人", "comparator": ">=", "target": 5, "weight": 40,
         "standard_source": "plan"},
    ],
}
# Budget 1,200,000 and the checkpoint of 31 July: time progress 58.33 %.
ACTUALS = [{"name": "新建校舍面积", "actual": 6000, "expected": 10000},
           {"name": "工程验收合格率", "actual": 100, "expected": 100},
           {"name": "受益学生数", "actual": 3, "expected": 5}]  # goal progress 68 %
GREEN_REPORT = {"executed_amount": 700_000, "indicator_actuals": ACTUALS, "can_meet": "certain"}
RESULTS = [{"name": "新建校舍面积", "actual": 9000}, {"name": "工程验收合格率", "actual": 100},
           {"name": "受益学生数", "actual": 5}]
SELF_EVALUATION = {"executed_amount": 1_100_000, "indicator_results": RESULTS, "summary": "按计划实施，详见自评报告。",
                   "satisfaction_survey": {"method": "问卷", "respondents": 400, "rate": 90},
                   "evidence": ["附件1 验收报告"]}
KEY_REPORT = {"framework": {
    "decision": [{"name": "立项依据", "weight": 10, "score": 90}, {"name": "目标设定", "weight": 10, "score": 80}],
    "process": [{"name": "资金管理", "weight": 1, "score": 100}],
    "output": [{"name": "数量", "weight": 60, "score": 90}, {"name": "质量", "weight": 40, "score": 80}],
    "effect": [{"name": "社会效益", "weight": 1, "score": 85}]},
    "findings": "资金拨付滞后", "report_refs": ["报告.pdf"]}
FEEDBACK = {"feedback_summary": "产出指标基本完成，满意度调查样本不足", "issues": ["满意度调查样本不足"]}
PLAN = {"rectification_plan": "扩大满意度调查覆盖面，完善绩效台账",
        "rectification_measures": [{"issue": "满意度调查样本不足", "measure": "委托第三方开展覆盖全部学校的调查",
                                    "completed": True}],
        "evidence": [{"title": "满意度调查报告", "reference": "教育局〔2015〕12号"}]}

# The municipal entered indicators of rule scorecard.indicators, with points within their weights.
SCORES = {"basic.rules": 4, "basic.organisation": 5, "reform.innovation": 5, "reform.pilots": 2}
# (process, task) → (who completes it — "@role": that role's person in the task's department —, the form data): the way through each process to the task that slips.
HAPPY: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {
    ("goal_review", "declare_goal"): ("staff_a", GOAL),
    ("goal_review", "submit_goal"): ("head_a", {"head_approved": True}),
    ("goal_review", "finance_review"): ("reviewer", {"completeness": "良", "relevance": "优", "appropriateness": "良",
                                                     "feasibility": "良", "review_outcome": "优"}),
    ("goal_review", "expert_review"): ("expert", {"expert_outcome": "pass", "expert_comment": "目标合理可行"}),
    ("monitoring", "file_report"): ("staff_a", GREEN_REPORT),
    ("monitoring", "midterm_review"): ("reviewer", {
        "midterm_executed_amount": 700_000, "midterm_conclusion": "on_track", "midterm_comment": "按计划推进",
        "midterm_indicator_actuals": [{"name": "新建校舍面积", "actual": 6000, "expected": 10000}]}),
    ("monitoring", "midterm_corrective"): ("@department_staff", {"midterm_corrective_plan": "调整施工计划，压缩工期",
                                                                 "midterm_budget_adjustment": 100_000}),
    ("monitoring", "corrective_measures"): ("staff_a", {
        "corrective_measure": "reallocate", "reallocate_amount": 100_000, "corrective_explanation": "部分资金调整"}),
    ("evaluation", "self_evaluation"): ("staff_a", SELF_EVALUATION),
    ("evaluation", "key_report"): ("agency", KEY_REPORT),
    ("evaluation", "rate_agency"): ("reviewer", {"agency_rating": {"quality": 90, "timeliness": 80,
                                                                    "compliance": 100}}),
    ("evaluation", "spot_check"): ("reviewer", {"spot_check_decision": "agree"}),
    ("rectification", "feed_back_results"): ("reviewer", FEEDBACK),
    ("rectification", "submit_rectification"): ("staff_a", PLAN),
    ("rectification", "verify_rectification"): ("supervisor", {"verification_verdict": "done"}),
    ("rectification", "handle_accountability"): ("supervisor", {
        "responsible_party": "市教育局计财处", "sanction": "interview", "accountability_outcome": "约谈分管负责人"}),
    ("accountability", "handle_accountability"): ("supervisor", {
        "responsible_party": "市教育局计财处", "sanction": "interview", "accountability_outcome": "约谈分管负责人"}),
    ("comprehensive_evaluation", "self_report"): ("@department_staff", {
        "self_summary": "本年度建立了预算绩效管理办法，配备专职人员。",
        "self_scores": [{"code": code, "self_points": p, "description": "见佐证材料",
                         "evidence": [{"title": "绩效管理办法", "reference": "教发〔2015〕3号"}]}
                        for code, p in SCORES.items()]}),
    ("comprehensive_evaluation", "bureau_scoring"): ("reviewer", {
        "scores": [{"code": code, "points": p, "comment": "依据佐证材料"} for code, p in SCORES.items()],
        "feedback": "目标管理较好，运行监控需加强。", "improvements": ["按时报送监控报告"]}),
    ("comprehensive_evaluation", "acknowledge_result"): ("@department_head", {"acknowledged": True,
                                                                             "acknowledge_comment": "收到"}),
    ("budget_linkage", "confirm_budget"): ("reviewer", {"budget_confirmation": "confirm"}),
    ("coverage_review", "rectify_coverage"): ("@department_head", {
        "coverage_rectification_plan": "2016年起全部项目编报绩效目标"}),
    ("supervision_inspection", "inspect"): ("supervisor", {
        "inspection_summary": "绩效目标未细化", "findings": [{"aspect": "goal_setting", "severity": "major",
                                                        "text": "绩效目标未细化到县区"}]}),
    ("supervision_inspection", "acknowledge_findings"): ("@department_head", {"acknowledged": True}),
    ("performance_report", "file_perf_report"): ("staff_a", {
        "report_summary": "全年预算绩效管理工作有序推进。", "goal_management": "全部项目编报绩效目标。",
        "monitoring_summary": "按时点报送监控报告。", "evaluation_summary": "完成单位自评 12 项。",
        "results_use": "评价结果与预算安排挂钩。", "problems": "部分指标难以量化。"}),
    ("performance_report", "approve_perf_report"): ("@department_head", {"head_approved": True}),
    ("performance_report", "review_perf_report"): ("reviewer", {"review_decision": "accept"}),
    ("budget_linkage", "disclose_results"): ("reviewer", {"disclosure_channel": "portal",
                                                          "disclosed_items": ["goals", "evaluation_report",
                                                                              "results"]}),
}


def happy(process_id: str, bpmn_id: str) -> tuple[str | None, dict[str, Any]]:
    """HAPPY's entry for a task; a called process's task (accountability's in a call activity) by its id alone."""
    if (process_id, bpmn_id) in HAPPY:
        return HAPPY[process_id, bpmn_id]
    found = {v[0]: v for (_, t), v in HAPPY.items() if t == bpmn_id}
    return next(iter(found.values())) if len(found) == 1 else (None, {})


def _approved_goal(rt: Runtime, pid: str) -> None:
    with db.write(rt.engine) as conn:
        goals_records.record_declaration(conn, clock.now(), project_id=pid, revision=1, summary="标准化建设",
                                 indicators=GOAL["indicators"])
        goals_records.approve(conn, clock.now(), project_id=pid, revision=1)


def _stage(rt: Runtime, pid: str, process_id: str, **extra: Any) -> str:
    with db.read(rt.engine) as conn:
        row = projects_records.get(conn, pid)
    inst = rt.workflows.start(process_id, {**projects_records.cycle_variables(row), **extra}, business_key=row.id,
                              actor=SYSTEM, department_id=row.department_id, now=clock.now())
    return str(inst["id"])


# A department's comprehensive evaluation is one per department and fiscal year (uq_scorecards_department_year):
# the k-th scenario of the process gets the k-th pair.
SCORED = [(d, y) for y in (2015, 2014, 2016, 2017, 2018, 2019) for d in ("dept-a", "dept-b")]  # rules from 2014


def _comprehensive(rt: Runtime, k: int) -> str:
    department, year = SCORED[k]
    data = {"department_id": department, "department_name": department, "fiscal_year": year, "level": "municipal"}
    inst = rt.workflows.start("comprehensive_evaluation", data, business_key=f"scorecard-{year}-{department}",
                              actor=SYSTEM, department_id=department, now=clock.now())
    return str(inst["id"])


def _coverage_review(rt: Runtime, k: int) -> str:
    """The year-end review of a department that missed the plan's coverage target, as the calendar job starts it
    from the coverage report (one per department and year)."""
    department, year = SCORED[k]
    missed = [{"measure": "goal_money_share", "label": "纳入绩效目标管理的项目资金占比", "actual": 25.0, "target": 50.0,
               "numerator": 1_000_000, "denominator": 4_000_000, "target_year": year}]
    data = {"department_id": department, "department_name": department, "fiscal_year": year, "level": "municipal",
            "missed_targets": missed}
    inst = rt.workflows.start("coverage_review", data, business_key=f"coverage-{year}-{department}-{k}",
                              actor=SYSTEM, department_id=department, now=clock.now())
    return str(inst["id"])


def _inspection(rt: Runtime) -> str:
    """A supervisor's inspection of a special transfer fund managed by dept-a (whose staff_a rectifies, as HAPPY
    has it)."""
    department, year = "dept-a", 2015
    data = {"target_kind": "fund", "department_id": department, "fund_name": "农村义务教育薄弱学校改造专项转移支付",
            "fund_amount": 8_000_000, "fiscal_year": year, "level": "municipal", "sector": "transfer",
            "aspects": ["goal_setting", "execution"]}
    inst = rt.workflows.start("supervision_inspection", data, actor=SYSTEM, department_id=department,
                              now=clock.now())
    return str(inst["id"])


def _performance_report(rt: Runtime, k: int) -> str:
    """dept-a's periodic report, one period (a month of 2014, whose rule rows hold) of its own per scenario, claimed
    and started as the worker's calendar job does (workers/calendar_jobs.py)."""
    year, month = 2014, 1 + k
    start, end = date(year, month, 1), date(year, month, 28)
    label = f"{year}-{month:02d}"
    with db.write(rt.engine) as conn:
        assert performance_reports_records.claim(conn, clock.now(), department_id="dept-a", level="municipal",
                                         fiscal_year=year, period_start=start, period_end=end, period_label=label,
                                         lease=timedelta(hours=1))
    data = {"department_id": "dept-a", "department_name": "市教育局", "fiscal_year": year, "level": "municipal",
            "period_start": start.isoformat(), "period_end": end.isoformat(), "period_label": label}
    inst = rt.workflows.start("performance_report", data, business_key=f"report:dept-a:{start.isoformat()}",
                              actor=SYSTEM, department_id="dept-a", now=clock.now())
    with db.write(rt.engine) as conn:
        performance_reports_records.started(conn, department_id="dept-a", period_start=start, instance_id=str(inst["id"]))
    return str(inst["id"])


# process → (project fields, start(runtime, project id, the scenario's number among the process's)): each scenario
# gets a project of its own and starts the process for it.
STARTS: dict[str, tuple[dict[str, Any], Callable[[Runtime, str, int], str]]] = {
    "goal_review": ({}, lambda rt, pid, _k: _stage(rt, pid, "goal_review")),
    "monitoring": ({}, lambda rt, pid, _k: (_approved_goal(rt, pid), _stage(rt, pid, "monitoring"))[1]),
    # The fiscal year 2014 is evaluated from March 2015; GOAL's indicators as approved.
    "evaluation": ({"fiscal_year": 2014}, lambda rt, pid, _k: _stage(rt, pid, "evaluation",
                                                                     indicators=GOAL["indicators"])),
    "rectification": ({"fiscal_year": 2014}, lambda rt, pid, _k: _stage(rt, pid, "rectification", final_grade="中",
                                                                        final_score=72.5)),
    "budget_linkage": ({"fiscal_year": 2014}, lambda rt, pid, _k: _stage(rt, pid, "budget_linkage",
                                                                         final_grade="中",
                                                                         rectification_status="done")),
    "accountability": ({"fiscal_year": 2014}, lambda rt, pid, _k: _stage(
        rt, pid, "accountability", accountability_reason="rectification_overdue")),
    "comprehensive_evaluation": ({}, lambda rt, _pid, k: _comprehensive(rt, k)),
    "coverage_review": ({}, lambda rt, _pid, k: _coverage_review(rt, k)),
    "supervision_inspection": ({}, lambda rt, _pid, _k: _inspection(rt)),
    "performance_report": ({}, lambda rt, _pid, k: _performance_report(rt, k)),
}


@dataclass(frozen=True)
class TargetKind:
    """How to make one kind of target miss (the project, the data a task is completed with), and what it opens."""

    process_id: str
    project: dict[str, Any]
    overrides: dict[str, tuple[str, dict[str, Any]]]  # task → (who, data) replacing HAPPY until the escalation fires
    code: str | None  # the escalation code the models raise for it (a catalogued escalation event), if any
    # Where the catalogue cannot attach the escalation to a user task (a script finds the miss after the task):
    # the supervisors' task that answers it and the boundary event that opens it.
    answered_at: str | None = None
    element_id: str | None = None
    # Without an escalation of its own (or while the models raise none yet): the department's answer that is
    # asked for and left undone — (task, its deadline escalation).
    slips: tuple[str, str] | None = None


def _report(executed: float, can_meet: str) -> tuple[str, dict[str, Any]]:
    data = {**GREEN_REPORT, "executed_amount": executed, "can_meet": can_meet}
    if can_meet != "certain":
        data["deviation_reasons"] = "施工许可延迟"
    return "staff_a", data


# 40 % spent on 30 June, the goals at 12 %: the goal lags execution by more than the red gap.
MIDTERM_SERIOUS = {"midterm_executed_amount": 480_000, "midterm_conclusion": "off_track", "midterm_comment": "进度偏慢",
                   "midterm_indicator_actuals": [{"name": "新建校舍面积", "actual": 3000, "expected": 10000}]}

# 40 % spent on 30 June, the goals at 52 %: behind time, not past the red threshold.
MIDTERM_BEHIND = {**MIDTERM_SERIOUS, "midterm_indicator_actuals": [
    {"name": "新建校舍面积", "actual": 4000, "expected": 9000}, {"name": "工程验收合格率", "actual": 100, "expected": 100},
    {"name": "受益学生数", "actual": 2, "expected": 4}]}

# Kinds of missed targets (targets, not only dates, can slip), each made to miss once. A kind whose code the
# catalogue lists runs as that catalogued escalation (one scenario per decision); one without runs its `slips`.
TARGET_KINDS: dict[str, TargetKind] = {
    # 41.67 % spent at 58.33 % of the year: yellow; corrective measures are asked for and not given in time.
    "yellow": TargetKind("monitoring", {}, {"file_report": _report(500_000, "possible")}, None,
                         slips=("corrective_measures", "corrective_overdue")),
    # 25 % spent: red, the goal still possible: to the supervisors at once where the models raise RED_WARNING,
    # else corrective measures asked for and not given in time.
    "red": TargetKind("monitoring", {}, {"file_report": _report(300_000, "possible")}, "RED_WARNING",
                      slips=("corrective_measures", "corrective_overdue")),
    # The goal cannot be met: a serious deviation (the plan 二(一)2) goes to the supervisors at once.
    "serious_deviation": TargetKind("monitoring", {}, {"file_report": _report(200_000, "impossible")},
                                    "SERIOUS_DEVIATION"),
    # A key project's mid-term review concluding off_track with gaps past the red threshold.
    "midterm_off_track": TargetKind("monitoring", {"is_key": True}, {"midterm_review": ("reviewer", MIDTERM_SERIOUS)},
                                    "MIDTERM_OFF_TRACK", answered_at="review_midterm_off_track",
                                    element_id="on_midterm_off_track"),
    # A department missing the plan's coverage targets at year end (from the coverage report): STARTS starts its
    # review as the year-end calendar job does.
    "coverage_missed": TargetKind("coverage_review", {}, {}, "COVERAGE_MISSED", answered_at="review_coverage",
                                  element_id="on_coverage_missed"),
    # A key project's mid-term review off_track but not past the red threshold: corrective measures are asked for
    # (no escalation of their own) and not given in time.
    "midterm_behind": TargetKind("monitoring", {"is_key": True}, {"midterm_review": ("reviewer", MIDTERM_BEHIND)},
                                 None, slips=("midterm_corrective", "midterm_corrective_slipped")),
    # To add: a 差 grade not rectified (an accountability proposal), once the models raise an escalation for it.
}
# A catalogued deadline on a task reached only through a missed target → the kind that brings the task up.
REACHED_BY = {("monitoring", "corrective_measures"): "yellow", ("monitoring", "midterm_corrective"): "midterm_behind",
              ("coverage_review", "rectify_coverage"): "coverage_missed"}
# A catalogued deadline on a task that an earlier escalation of the same instance brings up → (that escalation's
# code, the decision a supervisor takes on it as soon as it opens). The earlier escalation is not the scenario's:
# the scenario's checks (exactly one escalation opened, climbed, decided) look past it.
AFTER: dict[tuple[str, str], tuple[str, str]] = {
    ("coverage_review", "rectify_coverage"): ("COVERAGE_MISSED", "order_rectification"),
}
# A task only some projects have → the project's fields that bring it up.
PROJECTS_FOR: dict[tuple[str, str], dict[str, Any]] = {
    # 6,000,000 ≥ the major threshold and education is a focus sector (rule evaluation.key_focus_sectors)
    ("evaluation", "key_report"): {"amount": 6_000_000},
    ("evaluation", "rate_agency"): {"amount": 6_000_000},
    ("goal_review", "expert_review"): {"amount": 6_000_000},
    ("monitoring", "midterm_review"): {"is_key": True},  # the mid-term review of key projects
    ("evaluation", "spot_check"): {"spot_checked": True},  # a project id the hash draw picks
}


# --- the scenarios -------------------------------------------------------------------------------------------------
@dataclass
class Scenario:
    name: str
    process_id: str
    element_id: str  # the escalation it must open
    code: str  # the escalation's code (the boundary timer's id, or the escalation code)
    kind: str  # the escalation row's kind: deadline | escalation
    held: str | None  # the task left to slip
    decision: str
    allowed: list[str]
    climbs: str | None  # the ladder element that hands it to the leadership (None: a supervisor decides at once)
    lead_task: str | None
    key: tuple[str, str, str]  # the catalogue's (process, task, escalation element) this scenario makes fire
    grace_rule: str | None  # the rule row of the grace period after the due date (None: at the due date)
    decider: str  # who answers it first: "supervisor", or "leader" where the model sends it to the leadership
    answer_form: str | None  # the form of the task that answers it (deadline_escalation: the shared ladder shape)
    supervise_task: str  # the supervisors' task that answers it
    project: dict[str, Any]
    overrides: dict[str, tuple[str, dict[str, Any]]]
    ladder_tasks: frozenset[str]
    # state
    pid: str = ""
    iid: str = ""
    department_id: str = ""
    phase: str = "start"
    escalation: dict[str, Any] = field(default_factory=dict)
    held_task: Any = None
    decided_at: datetime | None = None
    refused_stop: bool = False
    problems: list[str] = field(default_factory=list)
    after: tuple[str, str] | None = None  # AFTER: the earlier escalation (code, decision) that brings up `held`
    after_decided: bool = False


def catalogue_entries() -> list[catalogue.Entry]:
    return catalogue.read(ROOT / "workflows", ROOT / "forms")


def plan(entries: list[catalogue.Entry]) -> tuple[list[Scenario], list[str], list[str]]:
    """The scenarios for every catalogued escalation and every target kind; what the driver cannot reach (named);
    the target kinds the models raise nothing for yet."""
    by_task = {(e.process_id, e.task_id): e for e in entries}
    answered = {(k.process_id, k.answered_at): k for k in TARGET_KINDS.values() if k.answered_at}
    ladder = {(e.process_id, x.task_id) for e in entries for x in e.escalations} | set(answered)
    kind_of = {k.code: k for k in TARGET_KINDS.values() if k.code}
    catalogued = {x.when for e in entries for x in e.escalations if x.kind == "target"}
    scenarios: list[Scenario] = []
    missing: list[str] = []

    def add(process_id: str, x: catalogue.Escalation, held: str | None, project: dict[str, Any],
            overrides: dict[str, Any], key: tuple[str, str, str], only_first: bool = False) -> None:
        climb = by_task.get((process_id, x.task_id))
        climbs = climb.escalations[0] if climb and climb.escalations else None
        decisions = [d for d, _ in x.decisions]
        if not decisions:
            missing.append(f"{process_id}.{x.task_id}: the form of the task answering {x.element_id} offers no "
                           "decision")
            return
        where = f"{key[0]}.{key[1]} ({x.element_id})"
        for i, decision in enumerate(decisions[:1] if only_first else decisions):
            up = climbs if i == 0 and not only_first else None
            decider = "supervisor" if "supervisor" in x.groups else "leader"
            scenarios.append(Scenario(
                f"{where}→{'leadership' if up or decider == 'leader' else 'supervisor'}:{decision}", process_id, x.element_id,
                x.when if x.kind == "target" else x.element_id, "escalation" if x.kind == "target" else "deadline",
                held, decision, decisions, up.element_id if up else None, up.task_id if up else None, key,
                x.grace_rule, decider,
                by_task[process_id, x.task_id].form_key, x.task_id, project, overrides,
                frozenset(t for p, t in ladder if p == process_id),
                after=AFTER.get((key[0], key[1])) if held is not None else None))

    for e in entries:
        if (e.process_id, e.task_id) in ladder:
            continue  # a supervisor's or the leadership's task: it slips as the ladder of the escalation it answers
        for x in e.escalations:
            if e.process_id not in STARTS:
                missing.append(f"{e.process_id}.{e.task_id} ({x.element_id}): no way to start process "
                               f"{e.process_id} (STARTS)")
                continue
            project = {**STARTS[e.process_id][0], **PROJECTS_FOR.get((e.process_id, e.task_id), {})}
            overrides, held = {}, e.task_id
            if x.kind == "target":
                target = kind_of.get(x.when)
                if target is None:
                    missing.append(f"{e.process_id}.{e.task_id} ({x.element_id}): no target kind makes escalation "
                                   f"{x.when} fire (TARGET_KINDS)")
                    continue
                project, overrides, held = {**project, **target.project}, dict(target.overrides), None
            elif (e.process_id, e.task_id) in REACHED_BY:
                target = TARGET_KINDS[REACHED_BY[e.process_id, e.task_id]]
                project, overrides = {**project, **target.project}, dict(target.overrides)
            add(e.process_id, x, held, project, overrides, (e.process_id, e.task_id, x.element_id))
    dormant = []
    for name, target in TARGET_KINDS.items():
        project = {**STARTS[target.process_id][0], **target.project}
        answer = by_task.get((target.process_id, target.answered_at or ""))
        if target.code in catalogued:
            continue  # made to miss above, as the catalogued escalation it raises
        if target.code and answer is not None:  # raised where the catalogue sees no user task: answered here
            x = catalogue.Escalation(target.element_id or "", "target", target.code, None, answer.task_id,
                                     answer.task_name, answer.groups,
                                     catalogue._decisions(ROOT / "forms", answer.form_key))
            add(target.process_id, x, None, project, dict(target.overrides),
                (target.process_id, answer.task_id, answer.escalations[0].element_id if answer.escalations else ""))
        elif target.slips:
            task, element = target.slips
            [x] = [x for x in by_task[target.process_id, task].escalations if x.element_id == element]
            add(target.process_id, x, task, project, dict(target.overrides), (target.process_id, task, element),
                only_first=True)
        else:
            dormant.append(f"{name} ({target.code})")
    return scenarios, missing, dormant


def catalogued_escalations(entries: list[catalogue.Entry]) -> set[tuple[str, str, str]]:
    return {(e.process_id, e.task_id, x.element_id) for e in entries for x in e.escalations}


# --- the people who hear of a task ---------------------------------------------------------------------------------
def expected_recipients(task: Any) -> set[str]:
    """Who is reminded of a task (DESIGN.md, Escalation; rule reminders.lead_working_days): its assignee or, while
    unclaimed, its candidates (departmental roles within the task's department, bureau roles everywhere), and the
    department's head for a department's task. Worked out from the test's people, not from the code under test."""
    groups = set(names(task.candidate_groups))
    if task.assignee:
        people = {task.assignee}
    else:
        people = {u for u, (dept, roles) in PEOPLE.items()
                  if any(r in groups and (r not in DEPARTMENTAL or dept == task.department_id) for r in roles)}
        people |= set(names(task.candidate_users)) & set(PEOPLE)  # the only active accounts (only_test_people)
    if task.department_id and groups & DEPARTMENTAL:
        people |= {u for u, (dept, roles) in PEOPLE.items() if dept == task.department_id and DEPARTMENT_HEAD in roles}
    return people


# --- the year ------------------------------------------------------------------------------------------------------
class Year:
    """Runs the scenarios day by day; `runtimes` are the workers (two run each pass and each sweep concurrently)."""

    def __init__(self, runtimes: list[Runtime], as_user: Any, scenarios: list[Scenario]) -> None:
        self.rts = runtimes
        self.rt = runtimes[0]
        self.as_user = as_user
        self.scenarios = scenarios
        self.sweeps: list[tuple[datetime, set[str]]] = []  # each sweep's time and the ready tasks it could remind
        self.covered: set[tuple[str, str, str]] = set()
        self.incidents: list[str] = []

    # workers -------------------------------------------------------------------------------------------------------
    def _concurrently(self, work: Callable[[Runtime, str], Any]) -> list[Any]:
        if len(self.rts) == 1:
            return [work(self.rts[0], "worker-1")]
        barrier, results, errors = threading.Barrier(len(self.rts)), [None] * len(self.rts), []

        def run(i: int) -> None:
            try:
                barrier.wait()
                results[i] = work(self.rts[i], f"worker-{i + 1}")
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(self.rts))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return results

    def work(self, now: datetime) -> None:
        """Worker passes at `now` until every worker is idle (handlers may start more work)."""
        for _ in range(30):
            outcomes = self._concurrently(lambda rt, owner: run_once(rt, owner, now))
            for o in outcomes:
                if o.jobs.incidents:
                    self.incidents += [str(i) for i in o.jobs.incidents]
            if not any(o.timers.fired or o.jobs.done or o.jobs.retried or o.jobs.released or o.notifications.sent
                       or o.notifications.retried for o in outcomes):
                return
        raise AssertionError("the workers never became idle")

    def sweep(self, now: datetime) -> None:
        with db.read(self.rt.engine) as conn:
            ready = set(conn.execute(select(TASKS.c.id).select_from(TASKS.join(INSTANCES, INSTANCES.c.id ==
                                                                                TASKS.c.instance_id))
                                     .where(TASKS.c.state == "ready", INSTANCES.c.status == "running",
                                            TASKS.c.due_at.is_not(None))).scalars())
        self.sweeps.append((now, ready))
        for result in self._concurrently(lambda rt, _owner: sweep_reminders(rt, now)):
            assert not result.skipped, result.skipped

    # people --------------------------------------------------------------------------------------------------------
    def ready(self, iid: str) -> list[Any]:
        with db.read(self.rt.engine) as conn:
            return list(conn.execute(select(TASKS).where(TASKS.c.instance_id == iid, TASKS.c.state == "ready")
                                     .order_by(TASKS.c.created_at)))

    def escalations(self, iid: str) -> list[Any]:
        with db.read(self.rt.engine) as conn:
            return list(conn.execute(select(ESCALATIONS).where(ESCALATIONS.c.instance_id == iid)
                                     .order_by(ESCALATIONS.c.id)))

    def complete(self, s: Scenario, task: Any, now: datetime) -> None:
        """Complete a ready task as its person would: with the scenario's miss until it fired, then as planned."""
        missing = s.overrides.get(task.bpmn_id) if s.phase in ("reach", "slip") else None
        who, data = missing or happy(s.process_id, task.bpmn_id)
        if who is None:
            s.problems.append(f"{s.name}: task {s.process_id}.{task.bpmn_id} is ready and HAPPY has no data for it")
            s.phase = "failed"
            return
        if who.startswith("@"):  # that role's person in the task's department
            who = next(u for u, (dept, roles) in PEOPLE.items()
                       if dept == task.department_id and roles == [who[1:]])
        resp = self.as_user(who).post(f"/api/tasks/{task.id}/complete", json={"data": data})
        if resp.status_code != 200:
            s.problems.append(f"{s.name}: completing {task.bpmn_id} as {who}: {resp.status_code} {resp.get_json()}")
            s.phase = "failed"

    def start(self, s: Scenario, n: int, now: datetime) -> None:
        fields, start = STARTS[s.process_id]
        year = int({**fields, **s.project}.get("fiscal_year", 2015))
        s.pid = f"{year}-dept-a-y{n:03d}"
        if "spot_checked" in s.project:  # the draw of rule evaluation.spot_check_share is a hash of the project id
            share = _rule(self.rt, date(year, 1, 1), "evaluation.spot_check_share")
            s.pid = next(f"{year}-dept-a-y{n:03d}-{i}" for i in range(1000)
                         if spot_check_selected(f"{year}-dept-a-y{n:03d}-{i}", share) is s.project["spot_checked"])
        with db.write(self.rt.engine) as conn:
            projects_records.create(conn, now, id=s.pid, fiscal_year=year, department_id="dept-a", name="义务教育学校标准化建设",
                            sector="education", amount=_amount(s.project), kind="project",
                            is_key=bool(s.project.get("is_key", False)))
        k = sum(1 for other in self.scenarios[:n] if other.process_id == s.process_id)
        s.iid = start(self.rt, s.pid, k)
        [instance] = _rows(self, "instances", id=s.iid)
        s.department_id = str(instance.department_id)
        s.phase = "reach"

    def snapshot(self) -> None:
        """Today's ready tasks and escalations of every instance, read once for all the scenarios."""
        self.today_ready: dict[str, list[Any]] = defaultdict(list)
        self.today_escalations: dict[str, list[Any]] = defaultdict(list)
        with db.read(self.rt.engine) as conn:
            for t in conn.execute(select(TASKS).where(TASKS.c.state == "ready").order_by(TASKS.c.created_at)):
                self.today_ready[t.instance_id].append(t)
            for e in conn.execute(select(ESCALATIONS).order_by(ESCALATIONS.c.id)):
                self.today_escalations[e.instance_id].append(e)

    def act(self, s: Scenario, now: datetime) -> None:
        """What people do today in this scenario (everything else is the workers')."""
        if s.phase in ("reach", "slip"):
            for task in self.today_ready[s.iid]:
                if task.bpmn_id == s.held or task.bpmn_id in s.ladder_tasks:
                    if task.bpmn_id == s.held and s.held_task is None:
                        s.held_task, s.phase = task, "slip"
                    continue
                self.complete(s, task, now)
                if s.phase == "failed":
                    return
            opened = self.own(s, self.today_escalations[s.iid], now)
            if opened:
                self.opened(s, opened, now)
        elif s.phase == "climb":
            opened = self.own(s, self.today_escalations[s.iid], now)
            if len(opened) != 1:
                return self.fail(s, f"while climbing, {len(opened)} escalations: "
                                    f"{[(e.element_id, e.state, e.level) for e in opened]}")
            if opened[0].level == "leadership":
                self.climbed(s, opened[0])
        elif s.phase == "next":
            self.next_step(s, now)
        elif s.phase == "done":  # the instance goes on as people would have it: no more slips
            for task in self.today_ready[s.iid]:
                if task.bpmn_id not in s.ladder_tasks:
                    self.complete(s, task, now)

    def own(self, s: Scenario, escalations: list[Any], now: datetime) -> list[Any]:
        """The scenario's escalations: an earlier one that brings up the task (AFTER) is decided as it opens and
        left out."""
        if s.after is None:
            return escalations
        code, decision = s.after
        for esc in escalations:
            if esc.code == code and esc.state == "open" and not s.after_decided:
                resp = self.as_user("supervisor").post(f"/api/escalations/{esc.id}/resolve",
                                                       json={"decision": decision, "comment": "督办人员决定"})
                if resp.status_code != 200:
                    self.fail(s, f"deciding the earlier {code} {decision}: {resp.status_code} {resp.get_json()}")
                s.after_decided = True
        return [e for e in escalations if e.code != code]

    def opened(self, s: Scenario, opened: list[Any], now: datetime) -> None:
        if len(opened) != 1:
            return self.fail(s, f"{len(opened)} escalations opened: {[e.element_id for e in opened]}")
        esc = opened[0]
        got = (esc.element_id, esc.code, esc.kind, esc.level, esc.state, esc.department_id)
        want = (s.element_id, s.code, s.kind, esc.level if s.decider == "leader" else "supervisor", "open",
                s.department_id)
        if got != want:
            return self.fail(s, f"escalation {got}, expected {want}")
        if s.held_task is not None:  # on the first day's pass after the due day plus the grace period
            due_day = clock.to_local(clock.from_db(s.held_task.due_at)).date()
            grace = _rule(self.rt, due_day, s.grace_rule) if s.grace_rule else 0
            want = add_working_days(_calendar(self.rt), due_day, grace) + timedelta(days=1)
            got = clock.to_local(clock.from_db(esc.opened_at)).date()
            if got != want:
                return self.fail(s, f"opened on {got}: due {due_day} + {grace} working days of grace is {want}")
        self.covered.add(s.key)
        s.escalation = {"id": esc.id, "opened_at": esc.opened_at, "task_id": esc.task_id}
        self.refused(s)
        if s.climbs:
            s.phase = "climb"
        else:
            self.decide(s, s.decider, now)

    def refused(self, s: Scenario) -> None:
        """A decision the kind does not allow is refused, saying why (and changes nothing)."""
        other = next(d for d in escalation_kinds.DECISIONS if d not in s.allowed)
        resp = self.as_user(s.decider).post(f"/api/escalations/{s.escalation['id']}/resolve",
                                            json={"decision": other, "comment": "试图作出不允许的决定"})
        body = resp.get_json()
        if resp.status_code != 422 or "not_allowed" not in str(body):
            self.fail(s, f"decision {other} not refused as not allowed: {resp.status_code} {body}")

    def climbed(self, s: Scenario, esc: Any) -> None:
        ready = {t.bpmn_id: t for t in self.ready(s.iid)}
        lead = ready.get(s.lead_task or "")
        if (esc.escalated_by, esc.state) != ("timer", "open") or lead is None or esc.task_id != lead.id:
            return self.fail(s, f"ladder: escalated_by {esc.escalated_by}, task {esc.task_id}, ready {sorted(ready)}")
        if "bureau_leader" not in names(lead.candidate_groups):
            return self.fail(s, f"the leadership's task {lead.bpmn_id} is offered to {lead.candidate_groups}")
        [supervised] = _rows(self, "tasks", id=s.escalation["task_id"])  # handed up the day after it was due
        want = clock.to_local(clock.from_db(supervised.due_at)).date() + timedelta(days=1)
        if (supervised.state, clock.local_today(clock.now())) != ("cancelled", want):
            return self.fail(s, f"{supervised.bpmn_id} {supervised.state}, handed up on {clock.now()}, not {want}")
        self.covered.add((s.process_id, s.supervise_task, s.climbs or ""))
        refused = self.as_user("supervisor").post(f"/api/escalations/{esc.id}/resolve",
                                                  json={"decision": s.decision, "comment": "督办人员越级决定"})
        if refused.status_code != 403:
            return self.fail(s, f"a supervisor decided the leadership's escalation: {refused.status_code}")
        self.decide(s, "leader", clock.now())

    def decide(self, s: Scenario, who: str, now: datetime) -> None:
        if _next_step(s, s.decision) is None:
            return self.fail(s, f"decision {s.decision} ({s.answer_form}) has no documented next step in NEXT_STEPS")
        decision = s.decision
        if decision == "stop" and _stop_requires_suspension(self.rt, now):
            resp = self.as_user(who).post(f"/api/escalations/{s.escalation['id']}/resolve",
                                          json={"decision": "stop", "comment": "停止执行"})
            body = resp.get_json()
            if resp.status_code != 409 or "suspend_first" not in str(body):
                return self.fail(s, f"stop before suspension not refused: {resp.status_code} {body}")
            s.refused_stop, decision = True, "suspend"  # 情况严重，暂缓后停止: suspend first
        resp = self.as_user(who).post(f"/api/escalations/{s.escalation['id']}/resolve",
                                      json={"decision": decision, "comment": f"{who} 决定"})
        if resp.status_code != 200:
            return self.fail(s, f"{who} deciding {decision}: {resp.status_code} {resp.get_json()}")
        s.decided_at, s.phase = now, "next"
        s.escalation["decided"], s.escalation["by"] = decision, who

    def next_step(self, s: Scenario, now: datetime) -> None:
        opened = self.own(s, self.escalations(s.iid), now)
        if len(opened) != 1:
            return self.fail(s, f"after the decision, {len(opened)} escalations: "
                                f"{[(e.element_id, e.state, e.decision) for e in opened]}")
        esc = opened[0]
        if (esc.state, esc.decision) != ("resolved", s.escalation["decided"]):
            return self.fail(s, f"escalation {esc.state} {esc.decision} after the decision")
        problem = _next_step(s, s.escalation["decided"])(self, s, now)  # type: ignore[misc]
        if problem:
            return self.fail(s, f"after {s.escalation['decided']}: {problem}")
        s.phase = "done"

    def fail(self, s: Scenario, problem: str) -> None:
        s.problems.append(f"{s.name}: {problem}")
        s.phase = "failed"

    # the run -------------------------------------------------------------------------------------------------------
    def run(self) -> date:
        day = clock.local_today(clock.now())
        for n, s in enumerate(self.scenarios):
            self.start(s, n, clock.now())
        while day <= LAST_DAY and any(s.phase not in ("done", "failed") for s in self.scenarios):
            now = datetime.combine(day, time(8), clock.LOCAL)
            clock.set_now(now)
            self.work(now)  # timers due overnight, jobs, yesterday's mail
            self.sweep(now)  # the daily reminder sweep (its mail goes with the day's last pass)
            self.snapshot()
            for s in self.scenarios:
                if s.phase != "failed":
                    self.act(s, now)
            self.work(now)
            day += timedelta(days=1)
        for s in self.scenarios:
            if s.phase not in ("done", "failed"):
                s.problems.append(f"{s.name}: the driver never got past {s.phase!r} by {LAST_DAY} (unreachable?)")
        return day

    # the reminders -------------------------------------------------------------------------------------------------
    def expected_reminders(self) -> set[str]:
        """Every reminder key the year's sweeps owed: per task, lead time and person, once."""
        with db.read(self.rt.engine) as conn:
            tasks = {t.id: t for t in conn.execute(select(TASKS).where(TASKS.c.due_at.is_not(None)))}
            calendar = rules.calendar(conn, date(2014, 1, 1), date(2017, 12, 31))
            lead_values = {}
            for t in tasks.values():
                year = clock.to_local(clock.from_db(t.due_at)).year
                if year not in lead_values:
                    lead_values[year] = leads_of(rules.get(conn, year, "municipal", LEAD_RULE))
        owed: set[str] = set()
        for task_id, t in tasks.items():
            due = clock.from_db(t.due_at)
            due_day = clock.to_local(due).date()
            leads = lead_values[due_day.year]
            windows = _windows(calendar, due_day, leads)
            for lead, (first, last) in windows.items():
                if any(first <= clock.local_today(at) <= last and at < due and task_id in ready
                       for at, ready in self.sweeps):
                    owed |= {f"reminder:{task_id}:{lead}:{u}" for u in expected_recipients(t)}
        return owed


def _windows(calendar: Calendar, due_day: date, leads: list[int]) -> dict[int, tuple[date, date]]:
    """Lead time → the days on which it is the most urgent lead whose reminder day has come."""
    out = {}
    ordered = sorted(leads, reverse=True)
    for i, lead in enumerate(ordered):
        first = reminder_day(calendar, due_day, lead)
        last = due_day if i == len(ordered) - 1 else reminder_day(calendar, due_day, ordered[i + 1]) - timedelta(1)
        if first <= last:
            out[lead] = (first, last)
    return out


def _amount(project: dict[str, Any]) -> Any:
    from decimal import Decimal

    return Decimal(str(project.get("amount", 1_200_000)))


def _rule(rt: Runtime, day: date, key: str) -> Any:
    with db.read(rt.engine) as conn:
        return rules.get(conn, day.year, "municipal", key)


def _calendar(rt: Runtime) -> Calendar:
    with db.read(rt.engine) as conn:
        return rules.calendar(conn, date(2014, 1, 1), date(2017, 12, 31))


def _stop_requires_suspension(rt: Runtime, now: datetime) -> bool:
    with db.read(rt.engine) as conn:
        return bool(rules.get(conn, clock.local_today(now).year, "municipal",
                              "escalation.stop_requires_suspension"))


def _project_status(year: Year, s: Scenario) -> str:
    with db.read(year.rt.engine) as conn:
        return str(projects_records.get(conn, s.pid).status)


def _reissued(rule: str) -> Callable[[Year, Scenario, datetime], str | None]:
    """The slipped task is back with its owner, due by the decision's rule row counted from the decision day."""

    def check(year: Year, s: Scenario, now: datetime) -> str | None:
        again = [t for t in year.ready(s.iid) if t.bpmn_id == s.held]
        if len(again) != 1 or s.held_task is None or again[0].id == s.held_task.id:
            return f"{s.held} is not reissued: ready {[t.bpmn_id for t in year.ready(s.iid)]}"
        with db.read(year.rt.engine) as conn:
            value = rules.get(conn, clock.local_today(now).year, "municipal", rule)
            calendar = rules.calendar(conn, date(2014, 1, 1), date(2017, 12, 31))
        decided = clock.local_today(s.decided_at or now)
        want = decided + timedelta(days=value) if rule.endswith("extension_days") else \
            add_working_days(calendar, decided, value)
        got = clock.to_local(clock.from_db(again[0].due_at)).date()
        return None if got == want else f"{s.held} reissued due {got}, expected {want} ({rule} = {value})"

    return check


def _project_now(status: str) -> Callable[[Year, Scenario, datetime], str | None]:
    def check(year: Year, s: Scenario, _now: datetime) -> str | None:
        got = _project_status(year, s)
        return None if got == status else f"project {s.pid} is {got}, expected {status}"

    return check


def _case_opened(year: Year, s: Scenario, _now: datetime) -> str | None:
    """An accountability case (问责) runs for the project, for this slip, and is in the supervisors' hands."""
    cases = [c for c in _rows(year, "accountability_cases")
             if c.project_id == s.pid or str(c.key or "").startswith(s.iid)]
    if [(c.reason, c.status) for c in cases] != [(s.code, "open")]:
        return f"accountability cases {[(c.reason, c.status) for c in cases]}"
    with db.read(year.rt.engine) as conn:
        handling = conn.execute(select(TASKS.c.id).select_from(TASKS.join(INSTANCES, INSTANCES.c.id ==
                                                                            TASKS.c.instance_id))
                                .where(or_(INSTANCES.c.business_key == s.pid, INSTANCES.c.id == s.iid),
                                       TASKS.c.bpmn_id == "handle_accountability", TASKS.c.state == "ready")).all()
    if len(handling) != 1:
        return f"{len(handling)} handle_accountability tasks ready"
    if s.answer_form == "deadline_escalation":  # the shared ladder shape: the work is still ordered done
        return _reissued("escalation.order_working_days")(year, s, _now)
    return None


def _dismissed(year: Year, s: Scenario, _now: datetime) -> str | None:
    return None  # the escalation is resolved with the decision (checked for every decision); nothing else moves


def _rows(year: Year, table: str, **where: Any) -> list[Any]:
    t = Base.metadata.tables[table]
    q = select(t)
    for k, v in where.items():
        q = q.where(t.c[k] == v)
    with db.read(year.rt.engine) as conn:
        return list(conn.execute(q))


def _action_recorded(action: str) -> Callable[[Year, Scenario, datetime], str | None]:
    def check(year: Year, s: Scenario, _now: datetime) -> str | None:
        actions = [a.action for a in _rows(year, "project_actions", project_id=s.pid)]
        return None if action in actions else f"no {action} among the project's actions {actions}"

    return check


def _ready_task(year: Year, s: Scenario, bpmn_id: str) -> str | None:
    ready = [t.bpmn_id for t in year.ready(s.iid)]
    return None if bpmn_id in ready else f"no {bpmn_id} among the ready tasks {ready}"


def _next_step(s: Scenario, decision: str) -> Callable[[Year, Scenario, datetime], str | None] | None:
    return NEXT_STEPS.get(f"{s.answer_form}:{decision}") or NEXT_STEPS.get(decision)


# decision (or "form:decision" where the answering form's kind gives it another meaning) → the documented next step (docs/CYCLE.md; service/domain/escalation_kinds.py) it must drive the model to.
NEXT_STEPS: dict[str, Callable[[Year, Scenario, datetime], str | None]] = {
    "extend_deadline": _reissued("escalation.extension_days"),
    "order_rectification": _reissued("escalation.order_working_days"),
    "open_accountability": _case_opened,
    "resume": _project_now("running"),
    "suspend": _project_now("suspended"),
    "stop": _project_now("suspended"),  # refused before a suspension, then suspended (情况严重，暂缓后停止)
    "dismiss": _dismissed,
    # A department's missed coverage targets: its head is to rectify within a deadline.
    "coverage_review:order_rectification": lambda year, s, now: _ready_task(year, s, "rectify_coverage"),
    # A missed target whose corrective measures are under way (target_escalation): the measures are ordered done.
    "target_escalation:order_rectification": _action_recorded("corrective_ordered"),
}


def delivered_keys(smtp_messages: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for m in smtp_messages:
        counts[str(m["X-Jixiao-Key"])] += 1
    return counts


def ladder_groups_ok(entries: list[catalogue.Entry]) -> list[str]:
    """Every supervisor task of the catalogue climbs to the leadership (a ladder, modelled in BPMN)."""
    problems = []
    for e in entries:
        for x in e.escalations:
            if not ESCALATION_GROUPS & set(x.groups):
                problems.append(f"{e.process_id}.{e.task_id}: escalates to {x.groups}, not a supervisor")
    return problems
