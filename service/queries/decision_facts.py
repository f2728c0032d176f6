"""What a person reads before deciding a task: the answers the decision is about, and the records behind it.

A decision task's page shows, above its form, the earlier forms' answers it decides on (read from the task's
data, labelled by those forms' own schemas of the instance's version), the self-evaluation's computed score for
a spot check, the grade history (with the budget decisions made on earlier grades) for a budget decision or a
goal review, and for a supervisor the escalation the task was opened for (its slip, figures and timeline:
service/queries/escalation_facts.py).

Reads only, and only after the task query let the viewer see the task.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from service.bpm.statements import ESCALATIONS
from service.bpm.versions import SpecCache
from service.errors import NotFound
from service.models import Evaluation
from service.queries import project_history

EVALUATIONS = Evaluation.__table__

# The forms (forms/<key>.schema.json) whose answers a decision form's page shows, in reading order, keyed by the
# decision's own form: the goal and the head's opinion for the reviews of a goal (the finance review's criteria
# too for the experts, who review after it), the department's report for a spot check, the agency's report for
# its rating, the feedback and the department's rectification report for the verification; an inspection's target
# and aspects for its findings, and the findings for the inspected department's acknowledgement; the department's
# periodic performance management report (and its head's opinion) for the head and the bureau.
DOSSIERS: dict[str, tuple[str, ...]] = {
    "goal_submission": ("goal_declaration",),
    "goal_review": ("goal_declaration", "goal_submission"),
    "expert_review": ("goal_declaration", "goal_submission", "goal_review"),
    "spot_check": ("self_evaluation",),
    "agency_rating": ("key_evaluation_report",),
    "rectification_verification": ("results_feedback", "rectification_plan"),
    "inspection_findings": ("supervision_inspection_start",),
    "findings_acknowledgement": ("supervision_inspection_start", "inspection_findings"),
    "budget_decision": (),
    "performance_report_approval": ("performance_report",),
    "performance_report_review": ("performance_report", "performance_report_approval"),
}
# Decision forms that read a computed score (the evaluation kind it was recorded as: the department's
# self-evaluation for a spot check, the agency's key evaluation for its rating), and those that read the grades.
SCORED = {"spot_check": "self", "agency_rating": "key"}
# The goal reviews (the head's, the bureau's, the experts') read the grades too: a continued project's last grades
# and budget decisions are the basis of its next budget (the plan 二(一)4).
GRADED = ("budget_decision", "goal_submission", "goal_review", "expert_review")


def _answers(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The task data's values of the form's own fields (what was answered on that form)."""
    return {name: data[name] for name in (schema.get("properties") or {}) if data.get(name) is not None}


def sections(specs: SpecCache, version_hash: str, form_key: str | None, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The earlier forms a decision form decides on: [{"form", "schema", "answers"}], those answered only."""
    found = []
    forms = specs.get(version_hash).forms
    for key in DOSSIERS.get(form_key or "", ()):
        schema = forms.get(key)
        answers = _answers(schema, data) if schema else {}
        if answers:
            found.append({"form": key, "schema": schema, "answers": answers})
    return found


def _evaluation(row: Any) -> dict[str, Any]:
    item = dict(row)
    item["detail"] = json.loads(item["detail"]) if item.get("detail") else {}
    return item


def scored(conn: Connection, project_id: str, kind: str) -> dict[str, Any] | None:
    """The latest evaluation of `kind` of a project: its computed score, grade and the score's parts."""
    row = conn.execute(select(EVALUATIONS).where(EVALUATIONS.c.project_id == project_id,
                                                 EVALUATIONS.c.kind == kind)
                       .order_by(EVALUATIONS.c.completed_at.desc(), EVALUATIONS.c.id.desc())
                       .limit(1)).mappings().first()
    return _evaluation(row) if row else None


def grade_history(conn: Connection, project_id: str) -> dict[str, Any]:
    """The graded evaluations of the project and of the projects it continues (service/queries/project_history.py),
    oldest year first; the project's own budget decision, and the decisions made on the continued projects' grades
    (the budget linkage of the plan 二(一)4: a year's grade decides the budget being prepared when it is known)."""
    found = project_history.history(conn, project_id)
    own = [d for d in found["decisions"] if d["project_id"] == project_id]
    return {"evaluations": found["evaluations"], "decision": own[0] if own else None,
            "predecessors": found["predecessors"],
            "decisions": [d for d in found["decisions"] if d["project_id"] != project_id]}


def escalation_of(conn: Connection, instance_id: str, task_id: str) -> int | None:
    """The escalation a supervisor's (or the leadership's) task was opened for, the latest naming the task (read
    through its instance, which is indexed)."""
    found = conn.execute(select(ESCALATIONS.c.id).where(ESCALATIONS.c.instance_id == instance_id,
                                                        ESCALATIONS.c.task_id == task_id)
                         .order_by(ESCALATIONS.c.id.desc()).limit(1)).scalar()
    return int(found) if found is not None else None


def for_task(conn: Connection, specs: SpecCache, task: dict[str, Any], version_hash: str) -> dict[str, Any]:
    """Everything the decision page of `task` shows besides its form (call after the task query allowed it)."""
    data, form_key = task.get("data") or {}, task.get("form_key")
    project_id = data.get("project_id")
    try:
        found = sections(specs, version_hash, form_key, data)
    except NotFound:  # a version no longer cached and not in the database: no dossier, the form still works
        found = []
    facts: dict[str, Any] = {"sections": found, "score": None, "grades": None, "escalation_id": None}
    if form_key in SCORED and isinstance(project_id, str):
        facts["score"] = scored(conn, project_id, SCORED[form_key])
    if form_key in GRADED and isinstance(project_id, str):
        facts["grades"] = grade_history(conn, project_id)
    facts["escalation_id"] = escalation_of(conn, task["instance_id"], task["id"])
    return facts
