"""The instance page (/instances/<id>) and the deployed BPMN files the pages' diagrams load.

Status and data come from the instance query (GET /api/instances/{id}); the marked elements from the
auditors' state function (GET /api/instances/{id}/state), the task rows (overdue) and the escalation rows.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, render_template, request
from flask.typing import ResponseReturnValue

from service import clock
from service.db import Connection
from service.errors import JixiaoError
from service.queries import (
    audit_queries,
    deployed_versions,
    diagram_marks,
    escalations_queries,
    instances_queries,
    tasks_queries,
)
from service.web import bp, refusals
from service.web.pages import reading, runtime, viewer
from service.web.session_auth import login_required

HISTORY_LIMIT = 500  # events listed on the page; the audit page pages through all of them


@bp.get("/diagrams/<version>/<process_id>.bpmn")
@login_required
def diagram(version: str, process_id: str) -> ResponseReturnValue:
    """The BPMN file that defines a process in a version (deployed models are readable by every user, as
    GET /api/process-models is)."""
    with reading() as conn:
        found = deployed_versions.process_file(conn, version, process_id)
    if found is None:
        abort(404)
    return Response(found[1], mimetype="application/xml",
                    headers={"Cache-Control": "private, max-age=86400"})  # a version never changes


ACTIVE = diagram_marks.ACTIVE


def markers(conn: Connection, inst: dict[str, Any], state: dict[str, Any] | None, process_id: str,
            ready: list[dict[str, Any]], escalations: list[dict[str, Any]]) -> dict[str, Any]:
    """The marks on one process's diagram: completed, active, the flows taken, overdue and escalated elements,
    and the called processes its call activities stand for (shown as links under the diagram)."""
    now = clock.now()
    marks = diagram_marks.of_process(conn, inst["version"], process_id, (state or {}).get("tasks", []))
    overdue = {t["bpmn_id"] for t in ready if t["due_at"] is not None and clock.from_db(t["due_at"]) < now}
    return {**marks, "overdue": sorted(overdue), "escalated": sorted({e["element_id"] for e in escalations})}


def owning_process(version: str, bpmn_id: str, default: str) -> str:
    """The process of a version whose diagram holds the element (a cycle's user tasks live in called processes;
    task rows carry the instance's own process id)."""
    for process_id, (spec, _subprocesses) in runtime().specs.get(version).processes.items():
        if bpmn_id in spec.task_specs:
            return process_id
    return default


def touched_processes(conn: Connection, inst: dict[str, Any], state: dict[str, Any] | None) -> list[str]:
    """The instance's own process and those it called (a cycle's stages), in the version's order."""
    touched = {t["process"] for t in (state or {}).get("tasks", [])} | {inst["process_id"]}
    return [p for p in deployed_versions.version_processes(conn, inst["version"]) if p in touched]


def instance_state(conn: Connection, instance_id: str) -> tuple[dict[str, Any] | None, str | None]:
    """The replayed state (as GET /api/instances/{id}/state answers it), or the reason it could not be had."""
    rt = runtime()
    try:
        return audit_queries.state_at(conn, rt.specs, rt.settings, instance_id, viewer(), None), None
    except JixiaoError as failed:
        return None, refusals.text(failed)


@bp.get("/instances/<instance_id>")
@login_required
def instance_page(instance_id: str) -> ResponseReturnValue:
    """Status, data, the diagram with its marked elements, open and done tasks, escalations and history."""
    me = viewer()
    with reading() as conn:
        inst = instances_queries.get(conn, instance_id, me)
        state, state_problem = instance_state(conn, instance_id)
        ready = tasks_queries.list_tasks(conn, page=1, per_page=200, now=clock.now(), viewer=me,
                                        instance_id=instance_id)["items"]
        done = tasks_queries.list_tasks(conn, page=1, per_page=200, now=clock.now(), viewer=me,
                                       instance_id=instance_id, state="completed")["items"]
        escalations = escalations_queries.of_instance(conn, instance_id)
        history = instances_queries.history(conn, instance_id, me, page=1, per_page=HISTORY_LIMIT)
        processes = touched_processes(conn, inst, state)
        # A cycle's stages run as called processes: show the one the user picked, or the one with open work.
        busy = [t["process"] for t in (state or {}).get("tasks", []) if t["state"] in ACTIVE]
        chosen = request.args.get("process")
        if chosen not in processes:
            chosen = next((p for p in reversed(busy) if p in processes), inst["process_id"])
        marks = markers(conn, inst, state, chosen, ready, escalations)
    return render_template("web/instance.html", inst=inst, state=state, state_problem=state_problem,
                           ready=ready, done=done, escalations=escalations, history=history,
                           marks=marks, processes=processes, chosen=chosen)
