"""SQLAlchemy 2 typed models. Import from here."""

from service.models.attachments import Attachment
from service.models.base import Base
from service.models.cycle import (
    AccountabilityCase,
    BudgetAdjustment,
    BudgetDecision,
    CoverageReview,
    Evaluation,
    FiscalFigure,
    Goal,
    GoalIndicator,
    MonitoringReport,
    Project,
    ProjectAction,
    Rectification,
    SubunitEvaluation,
)
from service.models.events import Chain, Event
from service.models.inspections import Inspection, InspectionFinding
from service.models.instances import Escalation, Instance, Job, MessageWait, TaskCandidate, TaskRow
from service.models.libraries import (
    Agency,
    AgencyEngagement,
    Expert,
    ExpertEngagement,
    LibraryIndicator,
    SupervisionMember,
)
from service.models.notifications import Notification
from service.models.people import ApiToken, Department, User, UserRole
from service.models.process import ProcessDefinition, ProcessVersion, VersionFile
from service.models.rules import CalendarDay, FiscalYear, Rule
from service.models.scorecards import Scorecard, ScorecardEntry

__all__ = [
    "AccountabilityCase", "Agency", "AgencyEngagement", "ApiToken", "Attachment", "Base", "BudgetAdjustment",
    "BudgetDecision",
    "CalendarDay", "Chain", "CoverageReview",
    "Department", "Escalation", "Evaluation", "Event", "Expert", "ExpertEngagement", "FiscalFigure", "FiscalYear",
    "Goal", "GoalIndicator", "Inspection", "InspectionFinding", "Instance", "Job", "LibraryIndicator", "MessageWait",
    "MonitoringReport", "Notification",
    "ProcessDefinition", "ProcessVersion", "Project", "ProjectAction", "Rectification", "Rule", "Scorecard",
    "ScorecardEntry", "SubunitEvaluation", "SupervisionMember",
    "TaskCandidate", "TaskRow", "User", "UserRole", "VersionFile",
]
