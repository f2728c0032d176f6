"""Escalation kinds (督办事项) and the decisions open to each (DOMAIN.md 2 and 4; DESIGN.md, Escalation).

An escalation is opened by a BPMN element: a boundary timer (its `code` is the boundary event's id) or an
escalation event (its `code` is the escalation code). The table below names every kind the models in
`workflows/` raise and the decisions a supervisor may take on it; where a supervisor task answers the escalation,
its form's `decision` enum lists exactly these (tests/service/domain/test_escalation_kinds.py holds them equal).
Pure: no database, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# decision → (Chinese label, English label)
DECISIONS: dict[str, tuple[str, str]] = {
    "extend_deadline": ("延长期限", "Extend the deadline"),
    "order_rectification": ("责令限期整改", "Order rectification within a deadline"),
    "open_accountability": ("启动问责", "Open an accountability case"),
    "resume": ("恢复执行", "Resume"),
    "suspend": ("暂缓执行", "Suspend"),
    "stop": ("停止执行并核减预算", "Stop, with the budget cut"),
    "dismiss": ("撤销督办（须说明理由）", "Dismiss, with a reason"),
}
# A project's deviation: resume, suspend, or — once suspended — stop with the budget cut (the plan 二(一)2).
_DEVIATION = ("resume", "suspend", "stop")
# A task left undone a grace period after its due date (the escalation ladder, docs/CYCLE.md "Deadlines"): the
# supervisor (or, one level up, the bureau's leadership) extends the deadline, orders it done within one, or opens an
# accountability case; the models reissue the task with the new due date (forms/deadline_escalation.schema.json) —
# with a case too, the case running beside the reissued task under the kind's code as its reason (the shape: the
# gateway `gw_<T>_accountability`, the fork `fork_<T>_accountability`, the call activity `call_slip_accountability`;
# docs/CYCLE.md, "User tasks").
_SLIPPED = ("extend_deadline", "order_rectification", "open_accountability")
# A target slipping while the department's corrective measures are under way (a red warning that is no serious
# deviation, a mid-term review seriously off track): the supervisor orders the measures done within their deadline,
# or suspends the project until a report is no longer seriously off course (forms/target_escalation.schema.json).
_TARGET = ("order_rectification", "suspend")


@dataclass(frozen=True)
class Kind:
    """One kind of escalation: what slipped, and the decisions open to the supervisor."""

    code: str | None
    name: str
    name_en: str
    decisions: tuple[str, ...]
    form_key: str | None = None  # the supervisor task's form that records the decision


KINDS: dict[str, Kind] = {k.code or "": k for k in (
    Kind("corrective_overdue", "逾期未提出纠偏措施", "No corrective measures by the deadline", _DEVIATION,
         "deviation_decision"),
    Kind("SERIOUS_DEVIATION", "严重偏离绩效目标", "Serious deviation from the goal", _DEVIATION,
         "deviation_decision"),
    Kind("RED_WARNING", "红色预警", "Red warning", _TARGET, "target_escalation"),
    Kind("MIDTERM_OFF_TRACK", "中期评估严重滞后", "Mid-term review: seriously off track", _TARGET, "target_escalation"),
    Kind("COVERAGE_MISSED", "未达覆盖目标", "Coverage targets missed",
         ("order_rectification", "open_accountability", "dismiss"), "coverage_review"),
    Kind("feedback_overdue", "评价结果反馈逾期", "Results not fed back in time", _SLIPPED, "feedback_escalation"),
    Kind("rectification_overdue", "整改逾期", "Rectification overdue",
         ("extend_deadline", "order_rectification", "open_accountability"), "escalation_handling"),
    *(Kind(code, name, name_en, _SLIPPED, "deadline_escalation") for code, name, name_en in (
        ("declaration_slipped", "逾期未编报绩效目标", "Performance goals not declared in time"),
        ("submission_slipped", "部门负责人审核逾期", "Department head's review overdue"),
        ("review_slipped", "财政审核逾期", "Finance review overdue"),
        ("midterm_slipped", "中期评估逾期", "Mid-term review overdue"),
        ("report_slipped", "监控报告逾期未报", "Monitoring report not filed in time"),
        ("midterm_corrective_slipped", "中期评估纠偏措施逾期", "Corrective measures after the mid-term review overdue"),
        ("self_evaluation_slipped", "单位自评逾期", "Self-evaluation overdue"),
        ("key_report_slipped", "第三方机构重点评价报告逾期", "Agency's key evaluation report overdue"),
        ("expert_review_slipped", "专家评审逾期", "Expert panel's review overdue"),
        ("rating_slipped", "机构报告质量评价逾期", "Rating of the agency's report overdue"),
        ("spot_check_slipped", "自评报告抽查逾期", "Spot check of the self-evaluation overdue"),
        ("verification_slipped", "整改核查逾期", "Verification of the rectification overdue"),
        ("confirmation_slipped", "预算安排确认逾期", "Budget decision not confirmed in time"),
        ("disclosure_slipped", "绩效信息逾期未公开", "Performance information not disclosed in time"),
        ("self_report_slipped", "综合评价自评报告逾期未报", "Comprehensive evaluation self-report overdue"),
        ("scoring_slipped", "综合评价财政评分逾期", "Comprehensive evaluation scoring overdue"),
        ("acknowledgement_slipped", "综合评价结果逾期未确认", "Comprehensive evaluation result not acknowledged"),
        ("coverage_rectification_slipped", "覆盖目标整改措施逾期未报",
         "Measures for the missed coverage targets not filed in time"),
        ("findings_ack_slipped", "监督检查发现逾期未确认", "Inspection findings not acknowledged in time"),
        ("perf_report_slipped", "预算绩效管理报告逾期未报", "Performance management report not filed in time"),
        ("perf_report_approval_slipped", "绩效管理报告部门审核逾期",
         "Department head's approval of the performance management report overdue"),
        ("perf_report_review_slipped", "绩效管理报告财政审核逾期",
         "Bureau review of the performance management report overdue"),
    )),
    # The supervision office's own inspection left unfinished goes straight to the bureau's leadership, like an
    # accountability case: no supervisor supervises their own inspection (workflows/supervision_inspection.bpmn).
    Kind("inspection_slipped", "监督检查逾期未完成", "Inspection not finished in time",
         ("extend_deadline", "order_rectification"), "inspection_escalation"),
    # The supervisors' own accountability case left lying goes straight to the bureau's leadership (no supervisor
    # supervises their own case) and opens no case about a case: its own form (workflows/accountability.bpmn).
    Kind("accountability_slipped", "问责处理逾期", "Accountability case not handled in time",
         ("extend_deadline", "order_rectification"), "accountability_escalation"),
)}
# Kinds whose decision may open an accountability case: each is that case's reason (accountability_reason).
ACCOUNTABLE = tuple(code for code, kind in KINDS.items() if "open_accountability" in kind.decisions)
# A kind no row names, answered by a supervisor task without a decision list of its own.
WITH_TASK = Kind(None, "督办", "Escalation", ("extend_deadline", "order_rectification", "open_accountability"))
# A kind no row names and no supervisor task answers: the supervisor acts on the instance itself, or dismisses.
WITHOUT_TASK = Kind(None, "督办", "Escalation", ("resume", "suspend", "stop", "dismiss"))


def kind_of(code: str | None, *, has_task: bool, form_decisions: Iterable[str] | None = None) -> Kind:
    """The kind of an escalation: its table row, else the supervisor form's own list, else the defaults."""
    if code and code in KINDS:
        return KINDS[code]
    if has_task:
        listed = tuple(form_decisions or ())
        return Kind(code, WITH_TASK.name, WITH_TASK.name_en, listed) if listed else WITH_TASK
    return WITHOUT_TASK


def labelled(decisions: Iterable[str]) -> list[dict[str, str]]:
    """Decisions with their Chinese and English labels, in the table's order."""
    return [{"decision": d, "label": DECISIONS[d][0], "label_en": DECISIONS[d][1]} for d in decisions
            if d in DECISIONS]


@dataclass(frozen=True)
class Refusal:
    """Why a decision is refused: a stable reason code and the message in both languages."""

    reason: str  # not_allowed | reason_required | suspend_first
    message: str
    message_en: str
    conflict: bool = False  # refused because of what happened before (409), not because of the input (422)

    def as_error(self) -> dict[str, Any]:
        return {"field": "decision" if self.reason != "reason_required" else "reason", "message": self.message_en,
                "reason": self.reason}


_REFUSED = "此类督办不可作出该决定："


def refusal(kind: Kind, decision: str, *, reason: str | None, suspended_before: bool,
            stop_requires_suspension: bool) -> Refusal | None:
    """Why `decision` may not be taken on an escalation of `kind` (None: it may)."""
    if decision not in kind.decisions:
        label = DECISIONS.get(decision, (decision, decision))
        open_zh = "、".join(DECISIONS[d][0] for d in kind.decisions if d in DECISIONS) or "无"
        open_en = ", ".join(DECISIONS[d][1] for d in kind.decisions if d in DECISIONS) or "none"
        return Refusal("not_allowed", f"{_REFUSED}{label[0]}。可作出的决定：{open_zh}。",
                       f"This kind of escalation ({kind.name_en}) does not allow the decision {label[1]!r}; "
                       f"allowed: {open_en}.")
    if decision == "dismiss" and not (reason or "").strip():
        return Refusal("reason_required", f"{_REFUSED}撤销督办须说明理由。", "Dismissing an escalation needs a reason.")
    if decision == "stop" and stop_requires_suspension and not suspended_before:
        # The plan 二(一)2: “情况严重,暂缓后停止该项目的执行。” (rule escalation.stop_requires_suspension)
        return Refusal("suspend_first",
                       f"{_REFUSED}停止执行须先暂缓执行（方案二(一)2：“情况严重,暂缓后停止该项目的执行。”）",
                       "A project is stopped only after it was suspended (the plan 二(一)2); suspend it first.",
                       conflict=True)
    return None
