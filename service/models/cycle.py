"""The records the budget performance cycle writes (DOMAIN.md): projects, goals, monitoring, evaluation, results.

The processes write them through registered task handlers (workers/tasks/); dashboards and reports query them.
Money is in yuan (CNY) with two decimals.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base

Money = Numeric(16, 2)


class Project(Base):
    """A project (项目) of a department for a fiscal year, or a whole-department spending item (kind=department)."""

    __tablename__ = "projects"
    __table_args__ = (
        Index("ix_projects_year_level", "fiscal_year", "level"),
        Index("ix_projects_department", "department_id", "fiscal_year"),
    )

    id: Mapped[str] = mapped_column(String(50), primary_key=True)  # e.g. "2015-jyj-003"
    fiscal_year: Mapped[int] = mapped_column(Integer)
    department_id: Mapped[str] = mapped_column(ForeignKey("departments.id"))
    level: Mapped[str] = mapped_column(String(20))  # municipal | district (of the department)
    kind: Mapped[str] = mapped_column(String(20), default="project")  # project | department
    name: Mapped[str] = mapped_column(String(300))
    sector: Mapped[str] = mapped_column(String(50))
    amount: Mapped[Decimal] = mapped_column(Money)
    is_major: Mapped[bool] = mapped_column(Boolean, default=False)  # amount at or above the major threshold
    is_key: Mapped[bool] = mapped_column(Boolean, default=False)  # selected for mid-term / key evaluation
    # declaring | under_review | approved | blocked | running | paused | suspended | stopped | cancelled | evaluated
    # | closed (cancelled: by the department itself, after a warning; stopped: by a supervisor)
    status: Mapped[str] = mapped_column(String(20))
    budget_cut: Mapped[Decimal | None] = mapped_column(Money)  # cut for reallocation when stopped
    # the same project of an earlier year, continued in this one (its grades and budget decisions inform the review)
    predecessor_project_id: Mapped[str | None] = mapped_column(ForeignKey("projects.id"))
    instance_id: Mapped[str | None] = mapped_column(String(36))  # the cycle instance
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # Kept by triggers from the project's goals, monitoring reports and evaluations (service/models/project_facts.py);
    # never written by the service: its latest goal revision's status, its latest report's warning level (None: no
    # report yet, not monitored) and its evaluations' kinds (space-separated, in no set order; "" for none).
    goal_status: Mapped[str | None] = mapped_column(String(20))
    warning_level: Mapped[str | None] = mapped_column(String(10))
    evaluation_kinds: Mapped[str] = mapped_column(String(100), server_default="")


class Goal(Base):
    """A declared performance goal (绩效目标); every revision is a row, the latest one counts."""

    __tablename__ = "goals"
    __table_args__ = (UniqueConstraint("project_id", "revision", name="uq_goals_project_revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    revision: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # submitted | returned | approved | blocked
    review_outcome: Mapped[str | None] = mapped_column(String(4))  # 优 良 中 差
    review: Mapped[str | None] = mapped_column(Text)  # JSON: the four criteria and comment
    experts: Mapped[str | None] = mapped_column(Text)  # JSON: expert ids drawn for a major project
    declared_at: Mapped[datetime] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)


class GoalIndicator(Base):
    """An indicator (绩效指标) of a goal revision."""

    __tablename__ = "goal_indicators"
    __table_args__ = (Index("ix_goal_indicators_goal", "goal_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    library_code: Mapped[str | None] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    # quantity quality timeliness cost | economic social ecological sustainability | satisfaction
    category: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str | None] = mapped_column(String(30))
    comparator: Mapped[str] = mapped_column(String(20))  # >= <= = range qualitative
    target: Mapped[str] = mapped_column(String(100))  # a number, "low..high", or a qualitative target
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    standard_source: Mapped[str | None] = mapped_column(String(20))  # plan industry history other
    evidence_required: Mapped[bool] = mapped_column(Boolean, default=False)


class MonitoringReport(Base):
    """A checkpoint report of double monitoring (执行进度 + 目标实现), with its warning level."""

    __tablename__ = "monitoring_reports"
    __table_args__ = (
        UniqueConstraint("project_id", "checkpoint", name="uq_monitoring_project_checkpoint"),
        Index("ix_monitoring_level", "warning_level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    checkpoint: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    executed_amount: Mapped[Decimal] = mapped_column(Money)
    execution_rate: Mapped[Decimal] = mapped_column(Numeric(7, 2))  # percent
    time_progress: Mapped[Decimal] = mapped_column(Numeric(7, 2))  # percent
    goal_progress: Mapped[Decimal] = mapped_column(Numeric(7, 2))  # percent
    can_meet: Mapped[str] = mapped_column(String(20))  # certain | possible | impossible
    warning_level: Mapped[str] = mapped_column(String(10))  # red | yellow | green
    detail: Mapped[str] = mapped_column(Text)  # JSON: indicator actuals and reasons
    reported_at: Mapped[datetime] = mapped_column(DateTime)


class ProjectAction(Base):
    """What happened to a project after a warning: corrective measures, pause, suspend, stop (with the cut)."""

    __tablename__ = "project_actions"
    __table_args__ = (Index("ix_project_actions_project", "project_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)  # idempotency: instance + element + round
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("monitoring_reports.id"))
    # corrective_requested | continue | reallocate | cancel | paused | suspended | stopped | resumed |
    # corrective_ordered (a supervisor on a slipping target) | midterm_corrective (after an off-track mid-term review)
    action: Mapped[str] = mapped_column(String(30))
    due_on: Mapped[date | None] = mapped_column(Date)
    budget_cut: Mapped[Decimal | None] = mapped_column(Money)
    note: Mapped[str | None] = mapped_column(Text)
    acted_at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str | None] = mapped_column(String(100))


class Evaluation(Base):
    """A self-evaluation, mid-term review, key evaluation or spot-check of a project, with score and grade."""

    __tablename__ = "evaluations"
    __table_args__ = (
        UniqueConstraint("project_id", "kind", name="uq_evaluations_project_kind"),
        Index("ix_evaluations_grade", "grade"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    kind: Mapped[str] = mapped_column(String(20))  # self | midterm | key | spot_check
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    grade: Mapped[str | None] = mapped_column(String(4))  # 优 良 中 差
    evaluated_amount: Mapped[Decimal | None] = mapped_column(Money)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    # what was evaluated (the plan 二(三)3一是): project | transfer (to a lower level) | enterprise (its use of fiscal
    # funds); the receiving level or district, or the enterprise, in evaluated_subject. None: recorded before kinds
    evaluation_kind: Mapped[str | None] = mapped_column(String(20))
    evaluated_subject: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text)  # JSON: the score's parts
    completed_at: Mapped[datetime] = mapped_column(DateTime)


class SubunitEvaluation(Base):
    """A whole-department evaluation of a sub-unit by its own department (预算部门对下属预算单位整体支出绩效评价,
    the plan 二(三)3二是): opened by the department's staff, graded by its head."""

    __tablename__ = "subunit_evaluations"
    __table_args__ = (
        UniqueConstraint("fiscal_year", "unit_id", name="uq_subunit_evaluations_year_unit"),
        Index("ix_subunit_evaluations_year_level", "fiscal_year", "level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)  # the spending year evaluated
    level: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[str] = mapped_column(ForeignKey("departments.id"))  # the evaluating department
    unit_id: Mapped[str] = mapped_column(ForeignKey("departments.id"))  # its sub-unit (parent_id = department_id)
    scope: Mapped[str] = mapped_column(Text)  # what the evaluation covers
    status: Mapped[str] = mapped_column(String(20))  # open | graded
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    grade: Mapped[str | None] = mapped_column(String(4))  # 优 良 中 差
    findings: Mapped[str | None] = mapped_column(Text)
    started_by: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    graded_by: Mapped[str | None] = mapped_column(String(100))
    graded_at: Mapped[datetime | None] = mapped_column(DateTime)
    # the head grades it by then (rule evaluation.subunit_working_days after it was opened); open past it: overdue
    due_on: Mapped[date | None] = mapped_column(Date)


class Rectification(Base):
    """Results fed back to a unit and its rectification (整改): plan, evidence, verification."""

    __tablename__ = "rectifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), unique=True)
    fed_back_at: Mapped[datetime | None] = mapped_column(DateTime)
    due_on: Mapped[date | None] = mapped_column(Date)
    plan: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    verdict: Mapped[str | None] = mapped_column(String(20))  # done | insufficient
    status: Mapped[str] = mapped_column(String(20))  # open | submitted | done | overdue | failed | not_required


class BudgetDecision(Base):
    """Budget linkage (结果应用): the grade's proposal for the next year and the officer's confirmation."""

    __tablename__ = "budget_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), unique=True)
    for_year: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str | None] = mapped_column(String(4))
    proposal: Mapped[str] = mapped_column(String(20))  # priority | maintain | cut | cancel | hold
    base_amount: Mapped[Decimal] = mapped_column(Money)
    proposed_amount: Mapped[Decimal] = mapped_column(Money)
    confirmed_amount: Mapped[Decimal | None] = mapped_column(Money)
    confirmed_by: Mapped[str | None] = mapped_column(String(100))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    disclosed_at: Mapped[datetime | None] = mapped_column(DateTime)
    reported_at: Mapped[datetime | None] = mapped_column(DateTime)
    reported_to: Mapped[str | None] = mapped_column(String(200))  # the same-level government (市政府, 区政府)


class Disclosure(Base):
    """A project's disclosure (公开, the plan 二(一)4): its goals when approved, its report and results when final."""

    __tablename__ = "disclosures"
    __table_args__ = (UniqueConstraint("project_id", "stage", name="uq_disclosures_project_stage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    stage: Mapped[str] = mapped_column(String(20))  # goals | results
    disclosed_at: Mapped[datetime] = mapped_column(DateTime)


class BudgetAdjustment(Base):
    """An in-year budget adjustment (预算调整, the plan 二(三)2): money moved from a project that monitoring found
    would achieve nothing or miss its goals, toward the same year's urgent spending, with the classified handling
    opinion (分类处理意见) it was decided under. Written by the monitoring decision handlers, once per decision."""

    __tablename__ = "budget_adjustments"
    __table_args__ = (Index("ix_budget_adjustments_year", "fiscal_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)  # instance, round and decision: idempotent
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    handling: Mapped[str] = mapped_column(String(20))  # continue | adjust | suspend | stop
    amount: Mapped[Decimal] = mapped_column(Money)
    toward: Mapped[str] = mapped_column(String(300))  # the same year's urgent spending the money goes to
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(DateTime)
    instance_id: Mapped[str | None] = mapped_column(String(36))


class AccountabilityCase(Base):
    """An accountability case (问责) opened for a failure: an overdue rectification, a stopped project…"""

    __tablename__ = "accountability_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    project_id: Mapped[str | None] = mapped_column(ForeignKey("projects.id"))
    department_id: Mapped[str] = mapped_column(ForeignKey("departments.id"))
    reason: Mapped[str] = mapped_column(String(50))  # rectification_overdue | rectification_failed | stopped | other
    status: Mapped[str] = mapped_column(String(20))  # open | closed
    outcome: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class CoverageReview(Base):
    """A department escalated at year end for missing the plan's coverage targets (workflows/coverage_review.bpmn):
    one per fiscal year and department, claimed before its instance starts so that two workers start one."""

    __tablename__ = "coverage_reviews"
    __table_args__ = (UniqueConstraint("fiscal_year", "department_id", name="uq_coverage_reviews_year_department"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[str] = mapped_column(ForeignKey("departments.id"))
    missed: Mapped[str] = mapped_column(Text)  # JSON: the measures missed, with actual, target and source
    instance_id: Mapped[str | None] = mapped_column(String(36))  # None while claimed and not yet started
    claimed_at: Mapped[datetime] = mapped_column(DateTime)


class FiscalFigure(Base):
    """A level's spending of a fiscal year as the bureau enters it from its final accounts (决算): public spending
    (公共财政支出) and, within it, 民生 spending — the denominators of the plan's evaluated-money shares (二(三)3)."""

    __tablename__ = "fiscal_figures"

    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(20), primary_key=True)  # municipal | district
    public_spending: Mapped[Decimal] = mapped_column(Money)  # CNY
    livelihood_spending: Mapped[Decimal] = mapped_column(Money)  # CNY, 民生支出, part of the public spending
    source: Mapped[str] = mapped_column(Text)  # where the figures come from (the final accounts, a report…)
    entered_by: Mapped[str] = mapped_column(String(100))  # the user who entered them last
    entered_at: Mapped[datetime] = mapped_column(DateTime)
