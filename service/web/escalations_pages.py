"""The supervisors' queue (/escalations): escalations with their decisions, and accountability cases (问责).

A decision is the same command as POST /api/escalations/{id}/resolve (dismiss and escalate likewise): only the
decisions the escalation's kind allows are offered, in the page's language; further fields the supervisor task's
form asks for are rendered from its JSON Schema like any task form.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from service import policy
from service.api.schemas import unstorable
from service.bpm.commands import Command, DismissEscalation, EscalateEscalation, ResolveEscalation
from service.db import Connection
from service.domain.escalation_kinds import DECISIONS
from service.domain.roles import Principal
from service.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, JixiaoError, NotFound
from service.queries import dashboard_queries, escalation_facts, escalations_queries, tasks_queries
from service.queries.departments import department_names
from service.web import bp, form_fields, formdata, i18n, refusals
from service.web.pages import PER_PAGE, choice, page_number, pager, reading, runtime, viewer
from service.web.session_auth import login_required

# What the decision itself carries (service/bpm/escalation_commands.py): not asked twice.
DECISION_FIELDS = ("decision", "decision_comment")
# Refusals the escalation rules give (service/domain/escalation_kinds.py), shown in the page's language.
_REFUSALS = ("not_allowed", "reason_required", "suspend_first")


def may_decide(me: Principal, esc: dict[str, Any]) -> bool:
    """Supervisors decide; once handed up, the bureau's leadership (who may also decide before)."""
    return policy.may(me, policy.DECIDE_ESCALATION, {"level": esc["level"], "state": esc["state"]})


def refusal_text(refused: JixiaoError, lang: str) -> str | None:
    """An escalation rule's refusal in the page's language (None for other errors)."""
    first = refused.errors[0] if refused.errors else {}
    if first.get("reason") not in _REFUSALS:
        return None
    return refused.detail if lang == "zh" else str(first.get("message") or refused.detail)


def decision_form(conn: Connection, task_id: str | None) -> dict[str, Any]:
    """The supervisor task's other form fields, wrapped under "data" (posted as data/<name>)."""
    if not task_id:
        return {}
    try:
        task = tasks_queries.get(conn, runtime().specs, task_id, viewer())
    except NotFound:
        return {}
    if task["state"] != "ready":
        return {}
    schema = ((task.get("form") or {}).get("schema")) or {}
    props = {k: v for k, v in (schema.get("properties") or {}).items() if k not in DECISION_FIELDS}
    required = [r for r in schema.get("required") or [] if r in props]
    if not props:
        return {}
    inner = {"type": "object", "properties": props, "required": required}
    return {"$defs": schema.get("$defs", {}), "type": "object", "properties": {"data": inner}}


def list_filters() -> dict[str, Any]:
    """The list's filters from the query string (anything not understood is no filter)."""
    args = request.args
    age = args.get("older_than_days", "")
    return {"kind": choice(args, "kind", escalations_queries.KINDS),
            "department_id": (args.get("department_id") or None) and not unstorable(args["department_id"])
            and args["department_id"][:50] or None,
            "level": choice(args, "level", escalations_queries.LEVELS),
            "older_than_days": int(age) if age.isdigit() and int(age) <= 36_500 else None}


def decorate(conn: Connection, esc: dict[str, Any], me: Principal, lang: str) -> dict[str, Any]:
    """What the decision form needs: may the user decide or hand up, the options in the page's language, and
    the supervisor task's further fields."""
    esc["may_decide"] = may_decide(me, esc)
    esc["may_escalate"] = esc["may_decide"] and policy.may(me, policy.ESCALATE, {"level": esc["level"]})
    esc["options"] = [(d["decision"], d["label"] if lang == "zh" else d["label_en"])
                      for d in esc["allowed_decisions"]]
    wrapper = decision_form(conn, esc["task_id"]) if esc["may_decide"] else {}
    esc["fields"] = form_fields.build(wrapper, {"data": {}}, lang=lang)[0].children if wrapper else []
    return esc


@bp.get("/escalations")
@login_required
def escalations_page() -> ResponseReturnValue:
    """Open (or resolved) escalations the user may see, filtered by kind, department, level and age, and
    accountability cases."""
    rt, me, lang = runtime(), viewer(), i18n.current()
    state = request.args.get("state", "open")
    state = state if state in ("open", "resolved", "all") else "open"
    filters = list_filters()
    page = page_number()
    with reading() as conn:
        found = escalations_queries.list_escalations(conn, me, page=page, per_page=PER_PAGE, state=None if state
                                                     == "all" else state,
                                   specs=rt.specs, **filters)
        slipped = escalation_facts.slips(conn, rt.specs, found["items"])
        for esc in found["items"]:
            decorate(conn, esc, me, lang)
            esc["slip"] = slipped.get(esc["id"])
        case_status = request.args.get("cases", "open")
        case_status = case_status if case_status in ("open", "closed", "all") else "open"
        cases = dashboard_queries.accountability_cases(conn, me, page=page_number("cases_page"), per_page=PER_PAGE,
                                               status=None if case_status == "all" else case_status)
        departments = sorted(department_names(conn, lang).items(), key=lambda d: d[0])
    return render_template("web/escalations.html", escalations=found["items"], pager=pager(found["total"], page),
                           state=state, cases=cases["items"], cases_total=cases["total"], case_status=case_status,
                           filters=filters, kinds=escalations_queries.KINDS, levels=escalations_queries.LEVELS,
                           departments=departments)


def back_to(escalation_id: int) -> ResponseReturnValue:
    """After a decision: the detail page it was taken on, else the list."""
    if request.args.get("back") == "detail":
        return redirect(url_for("web.escalation_page", escalation_id=escalation_id))
    return redirect(url_for("web.escalations_page", state=request.args.get("state", "open")))


@bp.post("/escalations/<int:escalation_id>/resolve")
@login_required
def escalation_resolve(escalation_id: int) -> ResponseReturnValue:
    """A supervisor's decision on one escalation."""
    rt, me, lang = runtime(), viewer(), i18n.current()
    back = back_to(escalation_id)
    decision = request.form.get("decision", "")
    comment = request.form.get("comment", "").strip()[:4000] or None
    if decision not in DECISIONS:
        flash(i18n.text("decision_missing"), "error")
        return back
    with reading() as conn:
        esc = escalations_queries.get(conn, me, escalation_id)
        wrapper = decision_form(conn, esc["task_id"]) if decision != "dismiss" else {}
    if decision == "dismiss":
        return _run(DismissEscalation(escalation_id, comment or ""), back, "escalation_dismissed")
    data, errors, _raw = formdata.parse(wrapper, request.form, lang) if wrapper else ({}, {}, {})
    if errors:
        flash("; ".join(f"{where}: {text}" for _, where, text in formdata.summary(errors, wrapper, lang)), "error")
        return back
    try:
        with rt.unit_of_work() as conn:  # a refusal leaves the block first: nothing of the command stays
            rt.workflows.apply_to_escalation(
                ResolveEscalation(escalation_id, decision, comment, data.get("data", {})), actor=me, conn=conn)
    except InvalidInput as refused:
        if (said := refusal_text(refused, lang)) is not None:
            flash(said, "error")
            return back
        inner = {**(wrapper.get("properties") or {}).get("data", {}), "$defs": wrapper.get("$defs", {})}
        found = formdata.engine_errors(refused.errors, inner, lang)
        flash("; ".join(f"{where}: {text}" for _, where, text in formdata.summary(found, inner, lang))
              or refusals.text(refused, lang), "error")
        return back
    except (Conflict, Forbidden, InvalidTransition) as refused:
        flash(refusal_text(refused, lang) or refusals.text(refused, lang), "error")
        return back
    flash(i18n.text("escalation_resolved", decision=i18n.text(f"decision_{decision}")), "ok")
    return back


@bp.post("/escalations/<int:escalation_id>/escalate")
@login_required
def escalation_escalate(escalation_id: int) -> ResponseReturnValue:
    """A supervisor hands an escalation up to the bureau's leadership (局领导)."""
    back = back_to(escalation_id)
    reason = request.form.get("reason", "").strip()[:4000] or None
    return _run(EscalateEscalation(escalation_id, reason), back, "escalation_escalated")


def _run(command: Command, back: ResponseReturnValue, done: str) -> ResponseReturnValue:
    """Apply a command that asks no form fields; say what was refused, and why, in the page's language."""
    rt, me, lang = runtime(), viewer(), i18n.current()
    try:
        with rt.unit_of_work() as conn:
            rt.workflows.apply_to_escalation(command, actor=me, conn=conn)
    except (InvalidInput, Conflict, Forbidden, InvalidTransition) as refused:
        flash(refusal_text(refused, lang) or refusals.text(refused, lang), "error")
        return back
    flash(i18n.text(done), "ok")
    return back
