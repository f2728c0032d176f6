"""The commands that change an instance. Each is applied through `WorkflowService.apply`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Command:
    kind: ClassVar[str] = "command"

    def payload(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class CompleteTask(Command):
    kind: ClassVar[str] = "complete_task"
    task_id: str
    data: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "data": self.data}


@dataclass(frozen=True)
class FireTimers(Command):
    kind: ClassVar[str] = "fire_timers"


@dataclass(frozen=True)
class _WithReason(Command):
    reason: str | None = None

    def payload(self) -> dict[str, Any]:
        return {"reason": self.reason}


@dataclass(frozen=True)
class Suspend(_WithReason):
    kind: ClassVar[str] = "suspend"


@dataclass(frozen=True)
class Resume(_WithReason):
    kind: ClassVar[str] = "resume"


@dataclass(frozen=True)
class Terminate(_WithReason):
    kind: ClassVar[str] = "terminate"


@dataclass(frozen=True)
class Claim(Command):
    kind: ClassVar[str] = "claim"
    task_id: str

    def payload(self) -> dict[str, Any]:
        return {"task_id": self.task_id}


@dataclass(frozen=True)
class Unclaim(Command):
    kind: ClassVar[str] = "unclaim"
    task_id: str

    def payload(self) -> dict[str, Any]:
        return {"task_id": self.task_id}


@dataclass(frozen=True)
class Delegate(Command):
    """Camunda delegation: the delegate completes, and the task returns to its owner to resolve."""

    kind: ClassVar[str] = "delegate"
    task_id: str
    to_user: str

    def payload(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "to_user": self.to_user}


@dataclass(frozen=True)
class Reassign(Command):
    kind: ClassVar[str] = "reassign"
    task_id: str
    to_user: str

    def payload(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "to_user": self.to_user}


@dataclass(frozen=True)
class CompleteExternalTask(Command):
    """A Python task worker finished a service task (camunda:type="external"): its result goes into the process."""

    kind: ClassVar[str] = "complete_external_task"
    task_id: str
    result: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "result": self.result}


@dataclass(frozen=True)
class DeliverMessage(Command):
    """A message from outside (POST /api/messages) for an instance waiting at a message catch event."""

    kind: ClassVar[str] = "deliver_message"
    name: str
    body: dict[str, Any] = field(default_factory=dict)
    variable: str | None = None  # where the body lands; default: "<catching element id>_Response"

    def payload(self) -> dict[str, Any]:
        return {"name": self.name, "payload": self.body, "variable": self.variable}


@dataclass(frozen=True)
class AttachFile(Command):
    """Upload evidence to a task: checked, stored, recorded on the instance's chain; no engine run."""

    kind: ClassVar[str] = "attach_file"
    task_id: str
    content: bytes = field(repr=False)
    file_name: str | None = None

    def payload(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "name": self.file_name}


@dataclass(frozen=True)
class DetachFile(Command):
    """Withdraw an upload while its task is open (its uploader); the row and the file stay for the audit."""

    kind: ClassVar[str] = "detach_file"
    task_id: str
    attachment_id: str

    def payload(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "attachment_id": self.attachment_id}


@dataclass(frozen=True)
class ResolveEscalation(Command):
    """A supervisor's decision on an escalation: it completes the escalation's supervisor task (driving the BPMN)
    or, without one, acts on the instance (suspend, resume, stop) — see service/bpm/escalation_commands.py."""

    kind: ClassVar[str] = "resolve_escalation"
    escalation_id: int
    decision: str
    comment: str | None = None
    data: dict[str, Any] = field(default_factory=dict)  # more fields of the supervisor task's form

    def payload(self) -> dict[str, Any]:
        return {"escalation_id": self.escalation_id, "decision": self.decision, "comment": self.comment,
                "data": self.data}


@dataclass(frozen=True)
class DismissEscalation(Command):
    """Close an escalation without acting on the process; a reason is required."""

    kind: ClassVar[str] = "dismiss_escalation"
    escalation_id: int
    reason: str

    def payload(self) -> dict[str, Any]:
        return {"escalation_id": self.escalation_id, "reason": self.reason}


@dataclass(frozen=True)
class EscalateEscalation(Command):
    """Hand an escalation one level up, to the bureau's leadership (局领导)."""

    kind: ClassVar[str] = "escalate_escalation"
    escalation_id: int
    reason: str | None = None

    def payload(self) -> dict[str, Any]:
        return {"escalation_id": self.escalation_id, "reason": self.reason}


TASK_COMMANDS = (CompleteTask, Claim, Unclaim, Delegate, Reassign, AttachFile, DetachFile)
EVIDENCE_COMMANDS = (AttachFile, DetachFile)
ESCALATION_COMMANDS = (ResolveEscalation, DismissEscalation, EscalateEscalation)
