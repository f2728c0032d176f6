"""SQLAlchemy 2 typed models. Import from here."""

from service.models.base import Base
from service.models.events import Chain, Event
from service.models.instances import Escalation, Instance, Job, MessageWait, TaskCandidate, TaskRow
from service.models.notifications import Notification
from service.models.people import ApiToken, Department, User, UserRole
from service.models.process import ProcessDefinition, ProcessVersion, VersionFile

__all__ = [
    "ApiToken", "Base", "Chain", "Department", "Escalation", "Event", "Instance", "Job", "MessageWait", "Notification",
    "ProcessDefinition", "ProcessVersion", "TaskCandidate", "TaskRow", "User", "UserRole", "VersionFile",
]
