"""The marks on a process diagram, from an instance's replayed tasks: completed and active elements, the sequence
flows taken between them, and the called processes its call activities stand for."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from service.domain.completed_path import outline, taken
from service.queries import deployed_versions

ACTIVE = ("READY", "WAITING", "STARTED")


def of_process(conn: Connection, version: str, process_id: str, tasks: list[dict[str, Any]]) -> dict[str, Any]:
    """{"completed", "active", "taken": element and flow ids; "calls": [(call activity id, called process id,
    whether it is active)]} for the diagram of `process_id`; `tasks` are the replayed state's tasks."""
    own = [t for t in tasks if t["process"] == process_id]
    completed = sorted({t["bpmn_id"] for t in own if t["state"] == "COMPLETED"})
    active = sorted({t["bpmn_id"] for t in own if t["state"] in ACTIVE})
    found = deployed_versions.process_file(conn, version, process_id)
    shape = outline(found[1], process_id) if found else None
    flows = taken(shape.flows, completed, active) if shape else []
    calls = [(call, called, call in active) for call, called in sorted((shape.calls if shape else {}).items())
             if call in completed or call in active]
    return {"completed": completed, "active": active, "taken": flows, "calls": calls}
