"""SQLAlchemy 2 typed models. Import from here."""

from service.models.base import Base
from service.models.events import Event
from service.models.instances import Instance, TaskRow
from service.models.process import ProcessDefinition, ProcessVersion, VersionFile

__all__ = ["Base", "Event", "Instance", "ProcessDefinition", "ProcessVersion", "TaskRow", "VersionFile"]
