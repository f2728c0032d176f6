"""The facts a comprehensive-evaluation scorecard is measured from, and the measures over them: pure.

See service/domain/scorecard_rules.py for the scorecard itself. Each measure turns one department's facts into the
records behind an indicator (Evidence), each passed or not; the indicator's points rule then counts them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

ENTERED = "entered"
# Indicator categories (DOMAIN.md 1): a complete declaration holds at least one output and one effect indicator.
OUTPUTS = frozenset({"quantity", "quality", "timeliness", "cost"})
EFFECTS = frozenset({"economic", "social", "ecological", "sustainability"})
PASSING_REVIEW = frozenset({"优", "良"})  # DOMAIN.md 1: 优 and 良 proceed, 中 returns, 差 blocks
# Project statuses from which a self-evaluation is due: the goal was approved and the project was not stopped
# (a stopped project's cycle ends with a "cancel" budget decision, without evaluation).
EVALUATION_DUE = frozenset({"approved", "running", "paused", "suspended", "evaluated", "closed"})


@dataclass(frozen=True)
class Indicator:
    """One row of rule `scorecard.indicators`."""

    code: str
    dimension: str
    name: str
    name_en: str
    weight: Decimal
    measure: str  # a key of MEASURES, or "entered"
    formula: str  # ratio | deduct | entered
    no_data: str = "zero"  # full | zero
    per_item: Decimal | None = None  # deduct: points per failed record
    tolerance: Decimal | None = None  # spot_check_agreement: points a spot-check may fall below the self-score
    rule: str = ""  # the points rule in words

    @property
    def entered(self) -> bool:
        return self.formula == ENTERED


# --- facts (gathered by service/queries/scorecard_queries.py) ------------------------------------------------------
@dataclass(frozen=True)
class Declaration:
    """A project's goal declaration: when it was first submitted against the declaration task's due date."""

    project_id: str
    goal_id: int  # the first revision
    declared_at: datetime  # UTC: the declaration task's completion, else the goal row's declared_at
    due_at: datetime | None  # UTC: the first declaration task's due date; None when no task had one
    task_id: str | None
    latest_goal_id: int
    categories: frozenset[str]  # indicator categories of the latest revision


@dataclass(frozen=True)
class Review:
    """The first finance review a project's goal got (the lowest revision with an outcome)."""

    project_id: str
    goal_id: int
    revision: int
    outcome: str


@dataclass(frozen=True)
class MonitoringFiling:
    report_id: int
    project_id: str
    checkpoint: date
    due_on: date | None
    reported_on: date  # Asia/Shanghai


@dataclass(frozen=True)
class CorrectiveRequest:
    """A warning's request for corrective measures and the department's answer, if any."""

    action_id: int
    project_id: str
    due_on: date | None
    answer_id: int | None = None
    answer: str | None = None  # continue | reallocate | cancel
    answered_on: date | None = None


@dataclass(frozen=True)
class ProjectRecord:
    project_id: str
    kind: str
    status: str
    self_evaluation_id: int | None = None
    self_score: Decimal | None = None
    spot_check_id: int | None = None
    spot_score: Decimal | None = None


@dataclass(frozen=True)
class RectificationRecord:
    id: int
    project_id: str
    status: str
    due_on: date | None  # the first deadline set (a supervisor's extension does not make a late one on time)
    submitted_on: date | None


@dataclass(frozen=True)
class BudgetDecisionRecord:
    id: int
    project_id: str
    confirmed: bool
    disclosed: bool


@dataclass(frozen=True)
class TrainingRecord:
    """A department's attendance of a training session held in the year (the plan 三(四))."""

    attendance_id: int
    department_id: str
    session_id: int
    title: str
    held_on: date
    head_count: int


@dataclass(frozen=True)
class SubjectFacts:
    """What one department's (or district finance bureau's) measured indicators are computed from."""

    department_id: str
    as_of: date  # deadlines after this day are not yet due
    projects: tuple[ProjectRecord, ...] = ()
    declarations: tuple[Declaration, ...] = ()
    reviews: tuple[Review, ...] = ()
    filings: tuple[MonitoringFiling, ...] = ()
    requests: tuple[CorrectiveRequest, ...] = ()
    rectifications: tuple[RectificationRecord, ...] = ()
    decisions: tuple[BudgetDecisionRecord, ...] = ()
    trainings: tuple[TrainingRecord, ...] = ()


@dataclass(frozen=True)
class Evidence:
    """A record behind a score: a row of `table` (or a task) and whether it passed the indicator's test."""

    table: str
    id: str
    project_id: str | None
    ok: bool
    note: str
    task_id: str | None = None
    # The note as facts, for the pages to say in their language: kind (texts.py `sc_note_<kind>`) and its values
    # (dates and times as ISO text, times in UTC; the pages show them in the display zone).
    kind: str = ""
    facts: tuple[tuple[str, str], ...] = ()


# --- measures: facts → the records behind the indicator, each passed or not --------------------------------------
def _declarations_on_time(facts: SubjectFacts, ind: Indicator) -> list[Evidence]:
    return [Evidence("goals", str(d.goal_id), d.project_id, d.declared_at <= d.due_at,
                     f"declared {d.declared_at:%Y-%m-%d %H:%M} UTC, due {d.due_at:%Y-%m-%d %H:%M} UTC", d.task_id,
                     "declared", (("declared", d.declared_at.isoformat()), ("due", d.due_at.isoformat())))
            for d in facts.declarations if d.due_at is not None]


def _declarations_complete(facts: SubjectFacts, ind: Indicator) -> list[Evidence]:
    return [Evidence("goals", str(d.latest_goal_id), d.project_id,
                     bool(d.categories & OUTPUTS) and bool(d.categories & EFFECTS),
                     "categories: " + (", ".join(sorted(d.categories)) or "none"), None,
                     "categories", (("categories", ",".join(sorted(d.categories))),)) for d in facts.declarations]


def _review_first_pass(facts: SubjectFacts, ind: Indicator) -> list[Evidence]:
    return [Evidence("goals", str(r.goal_id), r.project_id, r.outcome in PASSING_REVIEW,
                     f"revision {r.revision} reviewed {r.outcome}", None,
                     "reviewed", (("revision", str(r.revision)), ("outcome", str(r.outcome)))) for r in facts.reviews]


def _monitoring_on_time(facts: SubjectFacts, ind: Indicator) -> list[Evidence]:
    return [Evidence("monitoring_reports", str(f.report_id), f.project_id, f.reported_on <= f.due_on,
                     f"checkpoint {f.checkpoint}, reported {f.reported_on}, due {f.due_on}", None, "reported",
                     (("checkpoint", str(f.checkpoint)), ("reported", str(f.reported_on)), ("due", str(f.due_on))))
            for f in facts.filings if f.due_on is not None]


def _corrective_on_time(facts: SubjectFacts, ind: Indicator) -> list[Evidence]:
    out = []
    for r in facts.requests:
        answered = r.answered_on is not None
        if r.due_on is None or (not answered and r.due_on >= facts.as_of):
            continue  # no deadline, or still open within it
        ok = answered and r.due_on is not None and r.answered_on <= r.due_on  # type: ignore[operator]
        note = f"due {r.due_on}, " + (f"answered {r.answer} on {r.answered_on}" if answered else "no answer")
        facts_of = (("due", str(r.due_on)), ("answer", str(r.answer)), ("answered", str(r.answered_on)))
        out.append(Evidence("project_actions", str(r.action_id), r.project_id, ok, note, None,
                            "answered" if answered else "unanswered", facts_of))
    return out


def _self_evaluation_coverage(facts: SubjectFacts, ind: Indicator) -> list[Evidence]:
    return [Evidence("evaluations", str(p.self_evaluation_id), p.project_id, True, "self-evaluated", None,
                     "self_evaluated")
            if p.self_evaluation_id is not None else
            Evidence("projects", p.project_id, p.project_id, False, f"status {p.status}, no self-evaluation", None,
                     "no_self_evaluation", (("status", str(p.status)),))
            for p in facts.projects if p.status in EVALUATION_DUE or p.self_evaluation_id is not None]


def _spot_check_agreement(facts: SubjectFacts, ind: Indicator) -> list[Evidence]:
    tolerance = ind.tolerance or Decimal(0)
    return [Evidence("evaluations", str(p.spot_check_id), p.project_id,
                     p.self_score is None or p.spot_score >= p.self_score - tolerance,
                     f"spot-check {p.spot_score} against self-evaluation {p.self_score} "
                     f"(evaluation {p.self_evaluation_id})", None, "spot_check",
                     (("spot", str(p.spot_score)), ("self", str(p.self_score))))
            for p in facts.projects if p.spot_check_id is not None and p.spot_score is not None]


def _rectification_on_time(facts: SubjectFacts, ind: Indicator) -> list[Evidence]:
    out = []
    for r in facts.rectifications:
        if r.status == "not_required":
            continue
        if r.status in ("open", "submitted") and (r.due_on is None or r.due_on >= facts.as_of):
            continue  # still within its deadline (or awaiting verification in time)
        ok = (r.status == "done" and r.submitted_on is not None and r.due_on is not None
              and r.submitted_on <= r.due_on)
        out.append(Evidence("rectifications", str(r.id), r.project_id, ok,
                            f"status {r.status}, submitted {r.submitted_on or '—'}, due {r.due_on or '—'}", None,
                            "rectification", (("status", str(r.status)), ("submitted", str(r.submitted_on or "—")),
                                              ("due", str(r.due_on or "—")))))
    return out


def _budget_decisions_confirmed(facts: SubjectFacts, ind: Indicator) -> list[Evidence]:
    return [Evidence("budget_decisions", str(d.id), d.project_id, d.confirmed,
                     "confirmed" if d.confirmed else "not confirmed", None,
                     "confirmed" if d.confirmed else "not_confirmed") for d in facts.decisions]


def _results_disclosed(facts: SubjectFacts, ind: Indicator) -> list[Evidence]:
    return [Evidence("budget_decisions", str(d.id), d.project_id, d.disclosed,
                     "disclosed" if d.disclosed else "not disclosed", None,
                     "disclosed" if d.disclosed else "not_disclosed") for d in facts.decisions]


def _training_attended(facts: SubjectFacts, ind: Indicator) -> list[Evidence]:
    """Each attendance of a session held in the year passes: with the row's "ratio" formula and no_data "zero", a
    department that sent someone to at least one session gets full points, one that sent nobody none."""
    return [Evidence("training_attendance", str(t.attendance_id), None, True,
                     f"{t.head_count} attended {t.title} on {t.held_on}", None, "trained",
                     (("title", t.title), ("held", str(t.held_on)), ("head_count", str(t.head_count))))
            for t in facts.trainings]


MEASURES: dict[str, Callable[[SubjectFacts, Indicator], list[Evidence]]] = {
    "declarations_on_time": _declarations_on_time,
    "declarations_complete": _declarations_complete,
    "review_first_pass": _review_first_pass,
    "monitoring_on_time": _monitoring_on_time,
    "corrective_on_time": _corrective_on_time,
    "self_evaluation_coverage": _self_evaluation_coverage,
    "spot_check_agreement": _spot_check_agreement,
    "rectification_on_time": _rectification_on_time,
    "budget_decisions_confirmed": _budget_decisions_confirmed,
    "results_disclosed": _results_disclosed,
    "training_attended": _training_attended,
}
