"""Start the cycle of a project: one `budget_cycle` instance per project and fiscal year."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from service.bpm.service import WorkflowService
from service.cycle import projects_records
from service.domain.evaluation_selection import SUBJECT_FIELDS, evaluation_kind
from service.domain.roles import SYSTEM, Principal
from service.errors import Conflict

CYCLE_PROCESS = "budget_cycle"
# Whole-department spending items (部门整体支出) run the pilot's process instead of the project cycle.
PILOT_PROCESS = "department_pilot"


def start_cycle(conn: Connection, workflows: WorkflowService, project_id: str, now: datetime,
                actor: Principal = SYSTEM, process_id: str | None = None,
                evaluation: dict[str, str] | None = None) -> str:
    """Start the cycle for a project (or, with `process_id`, one stage alone); refuse a second cycle. The instance
    and the project's link to it are written in the caller's transaction: both, or neither.

    `evaluation` names what the project's evaluation evaluates when it is not the project itself (the start form's
    evaluation_kind with transfer_recipient or enterprise_name: service/domain/evaluation_selection.py)."""
    row = projects_records.get(conn, project_id)
    variables = projects_records.cycle_variables(row)
    if evaluation:
        kind, subject = evaluation_kind(evaluation)
        variables["evaluation_kind"] = kind
        if subject is not None:
            variables[SUBJECT_FIELDS[kind]] = subject
    own_cycle = process_id is None
    if own_cycle and row.instance_id is not None:
        raise Conflict(f"project {project_id} already has its cycle (instance {row.instance_id})")
    started = process_id or (PILOT_PROCESS if row.kind == "department" else CYCLE_PROCESS)
    inst = workflows.start(started, variables, business_key=row.id, actor=actor,
                           department_id=row.department_id, now=now, conn=conn)
    extra = {"instance_id": inst["id"]} if own_cycle else {}
    projects_records.set_status(conn, project_id, "declaring", now, **extra)
    return str(inst["id"])
