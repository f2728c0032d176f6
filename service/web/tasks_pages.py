"""The task page (/tasks/<id>): the form from the task's JSON Schema, claim / unclaim / delegate, completion.

Every change goes through the one mutation path (WorkflowService), exactly as POST /api/tasks/{id}/… does;
the engine validates the form and its 422 errors are shown next to the fields. Drafts are kept in the
browser (localStorage, keyed by user and task; static/task.js): no server state for a half-filled form.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from service import policy
from service.bpm import form_checks
from service.bpm.commands import Claim, Delegate, Unclaim
from service.bpm.model_checks import form_key_name
from service.db import Connection
from service.domain.roles import Principal
from service.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, JixiaoError, NotFound
from service.queries import decision_facts, departments, instances_queries, library_options, tasks_queries
from service.web import bp, escalation_detail, form_fields, formdata, i18n, refusals
from service.web.instances_pages import owning_process
from service.web.pages import reading, runtime, viewer
from service.web.session_auth import login_required

# Instance variables worth showing beside a form (the cycle's data contract), in this order.
CONTEXT_KEYS = ("project_id", "project_name", "fiscal_year", "level", "department_id", "sector", "budget_amount",
                "is_major", "is_key", "goal_status", "revisions", "review_outcome", "review_comment", "head_comment",
                "final_score", "final_grade")


def actions(me: Principal, task: dict[str, Any]) -> dict[str, bool]:
    """Which buttons the page offers: the same conditions the engine's access check enforces."""
    if (not policy.may(me, policy.CHANGE_ANYTHING) or task["state"] != "ready"
            or task.get("instance_status") != "running"):
        return {"claim": False, "unclaim": False, "delegate": False, "complete": False}
    assignee = task["assignee"]
    candidate = policy.may(me, policy.WORK_ON_TASK, task)
    mine = assignee == me.username
    return {"claim": assignee is None and candidate,
            "unclaim": assignee is not None and task["delegation_state"] != "pending"
            and (mine or policy.may(me, policy.RELEASE_OTHERS_TASKS)),
            "delegate": mine,
            "complete": mine or (assignee is None and candidate)}


def shown(conn: Connection, key: str, value: Any) -> str:
    """An instance variable as people read it: names for codes, 是/否 for flags, money with separators."""
    if isinstance(value, bool):
        return i18n.text("yes" if value else "no")
    if key == "budget_amount" and isinstance(value, int | float):
        return f"{value:,.2f}"
    if key == "department_id":
        return departments.department_names(conn, i18n.current()).get(str(value), str(value))
    prefix = {"level": "level_", "sector": "sector_", "goal_status": "goal_status_"}.get(key)
    return i18n.label(prefix, value) if prefix else form_fields.json_text(value)


def _schema(task: dict[str, Any]) -> dict[str, Any]:
    return ((task.get("form") or {}).get("schema")) or {}


def _libraries(fields: list[form_fields.Field]) -> set[str]:
    found: set[str] = set()
    for f in fields:
        if f.library:
            found.add(f.library)
        found |= _libraries(f.children) | _libraries(f.columns)
    return found


def dossier(conn: Connection, task: dict[str, Any], lang: str) -> dict[str, Any]:
    """What the task decides on, laid out for reading: earlier forms' answers by their schemas' titles, the computed
    score (for a spot check or an agency's rating), the grade history, and the escalation a supervisor's task was
    opened for."""
    facts = decision_facts.for_task(conn, runtime().specs, task, task["version_hash"])
    sections = []
    for found in facts["sections"]:
        heading = i18n.text(f"dossier_{found['form']}")
        sections.append({"form": found["form"],
                         "title": heading if heading != f"dossier_{found['form']}"
                         else form_fields.form_title(found["schema"], lang),
                         "fields": form_fields.read_only(found["schema"], found["answers"], lang)})
    escalation = None
    if facts["escalation_id"] is not None:
        try:
            escalation = escalation_detail.page_facts(conn, facts["escalation_id"])
        except NotFound:  # the viewer sees the task but not the instance behind it
            escalation = None
    return {"sections": sections, "score": facts["score"], "grades": facts["grades"],
            "escalation": escalation}


def render(conn: Connection, task_id: str, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
           raw: dict[str, str] | None = None, status: int = 200, message: str | None = None) -> ResponseReturnValue:
    """The task page, with submitted values and errors when a completion was refused."""
    rt, me, lang = runtime(), viewer(), i18n.current()
    task = tasks_queries.get(conn, rt.specs, task_id, me)
    schema = _schema(task)
    data = task["data"] if values is None else values
    fields = form_fields.build(schema, data, errors, raw, lang)
    try:
        inst: dict[str, Any] | None = instances_queries.get(conn, task["instance_id"], me)
    except NotFound:  # a named candidate of another department's task sees the task, not the instance
        inst = None
    diagram_process = owning_process(inst["version"], task["bpmn_id"], task["process_id"]) if inst else None
    sector = str(task["data"].get("sector") or "") or None
    department = str(task["data"].get("department_id") or "") or None
    libraries = {name: library_options.library_options(conn, name, lang, sector, department)
                 for name in _libraries(fields)}
    facts = dossier(conn, task, lang)
    answered = {f.name for section in facts["sections"] for f in section["fields"]}
    context = [(key, shown(conn, key, task["data"][key])) for key in CONTEXT_KEYS
               if key in task["data"] and key not in (schema.get("properties") or {}) and key not in answered]
    return render_template(
        "web/task.html", task=task, inst=inst, fields=fields, form_title=form_fields.form_title(schema, lang),
        form_help=form_fields.help_text(schema, lang), actions=actions(me, task), libraries=libraries,
        summary=formdata.summary(errors or {}, schema, lang), message=message, context=context,
        rerender=values is not None, diagram_process=diagram_process, dossier=facts,
        draft_key=f"jixiao.draft.{me.username}.{task_id}"), status


@bp.get("/tasks/<task_id>")
@login_required
def task_page(task_id: str) -> ResponseReturnValue:
    """A task with its form (when the user may complete it) and the process diagram."""
    with reading() as conn:
        return render(conn, task_id)


def _local_errors(conn: Connection, task: dict[str, Any], data: dict[str, Any]) -> dict[str, str]:
    """The form's own JSON Schema errors of what parsed, from the validator the engine uses, so that one round
    trip shows every problem even when some inputs could not be read."""
    rt = runtime()
    inst = instances_queries.get(conn, task["instance_id"], viewer())
    validator = rt.specs.get(inst["version"]).validator(form_key_name(task["form_key"])) if task["form_key"] else None
    if validator is None:
        return {}
    return formdata.engine_errors(form_checks.schema_errors(validator, data), _schema(task), i18n.current())


@bp.post("/tasks/<task_id>/complete")
@login_required
def task_complete(task_id: str) -> ResponseReturnValue:
    """Complete the task with the posted form: back to the inbox, or the form again with its errors."""
    rt, me, lang = runtime(), viewer(), i18n.current()
    with reading() as conn:
        task = tasks_queries.get(conn, rt.specs, task_id, me)
        schema = _schema(task)
        data, errors, raw = formdata.parse(schema, request.form, lang)
        if errors:
            merged = {**_local_errors(conn, task, data), **errors}
            return render(conn, task_id, data, merged, raw, 422)
    try:
        with rt.unit_of_work() as conn:  # a refusal leaves the block first: nothing of the command stays
            rt.workflows.complete_task(task_id, data, actor=me, conn=conn)
    except InvalidInput as refused:
        with reading() as conn:  # the command's own transaction has ended: the page shown again reads anew
            return render(conn, task_id, data, formdata.engine_errors(refused.errors, schema, lang), raw, 422,
                          i18n.text("form_has_errors"))
    except (Conflict, InvalidTransition, Forbidden) as refused:
        status = 403 if isinstance(refused, Forbidden) else 409
        with reading() as conn:
            return render(conn, task_id, data, None, raw, status, refusals.text(refused, lang))
    flash(i18n.text("task_completed", name=task["name"] or task["bpmn_id"]), "ok")
    return redirect(url_for("web.inbox", completed=task_id))


def _command(task_id: str, command: Any, done: str) -> ResponseReturnValue:
    rt, me = runtime(), viewer()
    try:
        with rt.unit_of_work() as conn:
            rt.workflows.apply_to_task(task_id, command, actor=me, conn=conn)
        flash(i18n.text(done), "ok")
    except JixiaoError as refused:  # an unknown delegate is NotFound too: said on the task page
        flash(refusals.text(refused), "error")
    return redirect(url_for("web.task_page", task_id=task_id))


@bp.post("/tasks/<task_id>/claim")
@login_required
def task_claim(task_id: str) -> ResponseReturnValue:
    """Claim the task: it becomes yours."""
    return _command(task_id, Claim(task_id), "task_claimed")


@bp.post("/tasks/<task_id>/unclaim")
@login_required
def task_unclaim(task_id: str) -> ResponseReturnValue:
    """Give the task back to its candidates."""
    return _command(task_id, Unclaim(task_id), "task_unclaimed")


@bp.post("/tasks/<task_id>/delegate")
@login_required
def task_delegate(task_id: str) -> ResponseReturnValue:
    """Delegate the task to another user; it comes back to you when they complete it."""
    to_user = request.form.get("user", "").strip()
    if not to_user or len(to_user) > 100:
        flash(i18n.text("delegate_needs_user"), "error")
        return redirect(url_for("web.task_page", task_id=task_id))
    return _command(task_id, Delegate(task_id, to_user), "task_delegated")
