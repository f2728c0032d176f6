"""SQLAlchemy 2 typed models. Import from here."""

from service.models.attachments_tables import Attachment
from service.models.base import Base
from service.models.cycle import (
    AccountabilityCase,
    BudgetAdjustment,
    BudgetDecision,
    CoverageReview,
    Disclosure,
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
from service.models.events import Chain, Event, VerifyCheckpoint, VerifyFinding, VerifyRun
from service.models.inspections_tables import Inspection, InspectionFinding
from service.models.instances_tables import Escalation, Instance, Job, MessageWait, TaskCandidate, TaskRow
from service.models.libraries_tables import (
    Agency,
    AgencyBulletin,
    AgencyEngagement,
    Expert,
    ExpertEngagement,
    LibraryIndicator,
    SupervisionMember,
)
from service.models.notifications import Notification
from service.models.people_tables import ApiToken, Department, User, UserRole
from service.models.performance_reports_tables import PerformanceReport
from service.models.process import ProcessDefinition, ProcessVersion, VersionFile
from service.models.rules_tables import CalendarDay, FiscalYear, Rule
from service.models.scorecards import Scorecard, ScorecardEntry
from service.models.trainings_tables import TrainingAttendance, TrainingSession

__all__ = [
    "AccountabilityCase", "Agency", "AgencyBulletin", "AgencyEngagement", "ApiToken", "Attachment", "Base",
    "BudgetAdjustment", "BudgetDecision", "CalendarDay", "Chain", "CoverageReview", "Disclosure",
    "Department", "Escalation", "Evaluation", "Event", "Expert", "ExpertEngagement", "FiscalFigure", "FiscalYear",
    "Goal", "GoalIndicator", "Inspection", "InspectionFinding", "Instance", "Job", "LibraryIndicator", "MessageWait",
    "MonitoringReport", "Notification", "PerformanceReport",
    "ProcessDefinition", "ProcessVersion", "Project", "ProjectAction", "Rectification", "Rule", "Scorecard",
    "ScorecardEntry", "SubunitEvaluation", "SupervisionMember",
    "TaskCandidate", "TaskRow", "TrainingAttendance", "TrainingSession", "User", "UserRole", "VerifyCheckpoint",
    "VerifyFinding", "VerifyRun",
    "VersionFile",
]
