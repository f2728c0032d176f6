"""Start the cycle of a project: one `budget_cycle` instance per project and fiscal year."""

from __future__ import annotations

from datetime import datetime

from service import db
from service.cycle import projects
from service.domain.roles import SYSTEM, Principal
from service.engine.service import WorkflowService
from service.errors import Conflict

CYCLE_PROCESS = "budget_cycle"


def start_cycle(workflows: WorkflowService, project_id: str, now: datetime, actor: Principal = SYSTEM,
                process_id: str = CYCLE_PROCESS) -> str:
    """Start the cycle for a project (or, with `process_id`, one stage alone); refuse a second one."""
    with db.read(workflows.engine) as conn:
        row = projects.get(conn, project_id)
    if row.instance_id is not None and process_id == CYCLE_PROCESS:
        raise Conflict(f"project {project_id} already has its cycle (instance {row.instance_id})")
    inst = workflows.start(process_id, projects.cycle_variables(row), business_key=row.id, actor=actor,
                           department_id=row.department_id, now=now)
    with db.write(workflows.engine) as conn:
        extra = {"instance_id": inst["id"]} if process_id == CYCLE_PROCESS else {}
        projects.set_status(conn, project_id, "declaring", now, **extra)
    return str(inst["id"])
