"""The auditors' page (/audit/<instance id>): the timeline of events, the diagram and data at any event and what
it changed (GET /api/instances/{id}/state?at=), verification by replay (POST /api/instances/{id}/replay), and
export as JSON Lines or CSV (as `jixiao audit export`).
"""

from __future__ import annotations

import io

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from service.bpm.archive import export_csv, export_jsonl
from service.queries import audit_queries, diagram_marks, instances_queries
from service.queries.escalations_queries import of_instance as instance_escalations
from service.web import bp, i18n
from service.web.instances_pages import ACTIVE, touched_processes
from service.web.pages import page_number, pager, reading, runtime, viewer
from service.web.session_auth import login_required

EVENTS_PER_PAGE = 100


@bp.get("/audit/<instance_id>")
@login_required
def audit_page(instance_id: str) -> ResponseReturnValue:
    """The instance as it was right after event `at` (default: the last), beside the timeline."""
    rt, me = runtime(), viewer()
    with reading() as conn:
        inst = instances_queries.get(conn, instance_id, me)
        at_text = request.args.get("at", "")
        at = int(at_text) if at_text.isdigit() and 0 < int(at_text) < 2**31 else None
        state = audit_queries.state_at(conn, rt.specs, rt.settings, instance_id, me, at)
        seq = state["seq"]
        page = page_number() if "page" in request.args else (seq - 1) // EVENTS_PER_PAGE + 1
        timeline = instances_queries.history(conn, instance_id, me, page=page, per_page=EVENTS_PER_PAGE)
        last = instances_queries.history(conn, instance_id, me, page=1, per_page=1)["total"]
        processes = touched_processes(conn, inst, state)
        busy = [t["process"] for t in state["tasks"] if t["state"] in ACTIVE]
        chosen = request.args.get("process")
        if chosen not in processes:
            chosen = next((p for p in reversed(busy) if p in processes), inst["process_id"])
        marks = {**diagram_marks.of_process(conn, inst["version"], chosen, state["tasks"]),
                 "changed": sorted({c["bpmn_id"] for c in state["changes"]["tasks"]})}
        escalations = instance_escalations(conn, instance_id)
    event = next((e for e in timeline["items"] if e["seq"] == seq), None)
    return render_template("web/audit.html", inst=inst, state=state, seq=seq, last=last, timeline=timeline,
                           pager=pager(timeline["total"], page, EVENTS_PER_PAGE), event=event,
                           processes=processes, chosen=chosen, marks=marks,
                           escalations=escalations)


@bp.post("/audit/<instance_id>/verify")
@login_required
def audit_verify(instance_id: str) -> ResponseReturnValue:
    """Replay the history and compare every fingerprint, the hash chain and the stored state."""
    rt = runtime()
    with reading() as conn:
        result = audit_queries.check(conn, rt.specs, rt.settings, instance_id, viewer())
    if result["ok"]:
        flash(i18n.text("verify_ok"), "ok")
    else:
        flash(i18n.text("verify_failed", seq=result["first_bad_event"] or "-", problem=result["problem"] or ""),
              "error")
    target = url_for("web.audit_page", instance_id=instance_id, at=request.args.get("at") or None)
    return redirect(target)


@bp.get("/audit/<instance_id>/export.<fmt>")
@login_required
def audit_export(instance_id: str, fmt: str) -> ResponseReturnValue:
    """The instance's history as JSON Lines (re-importable and verifiable elsewhere) or CSV (events only)."""
    if fmt not in ("jsonl", "csv"):
        return redirect(url_for("web.audit_page", instance_id=instance_id))
    out = io.StringIO()
    with reading() as conn:
        instances_queries.get(conn, instance_id, viewer())
        (export_jsonl if fmt == "jsonl" else export_csv)(conn, out, [instance_id])
    mimetype = "application/x-ndjson" if fmt == "jsonl" else "text/csv"
    return Response(out.getvalue().encode("utf-8"), mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="audit-{instance_id}.{fmt}"'})
