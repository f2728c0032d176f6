"""One escalation laid out for reading (/escalations/<id>): what slipped and since when, its owner, the reminders
sent, the figures of its kind, the instance's timeline, and the decision form (only the decisions its kind allows).

Reads GET /api/escalations/{id}/facts's read model (service/queries/escalation_facts.py); labels of the monitoring
report's fields come from its form schema's titles.
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask.typing import ResponseReturnValue

from service.db import Connection
from service.errors import NotFound
from service.queries import escalation_facts
from service.web import bp, form_fields, i18n
from service.web.escalations_pages import decorate
from service.web.pages import reading, runtime, viewer
from service.web.session_auth import login_required

REPORT_FORM = "monitoring_report"  # the form the monitoring figures were filed with (forms/)
MACHINE_ACTORS = ("system", "worker", "timer")


def report_labels(version_hash: str, lang: str) -> dict[str, Any]:
    """Titles of the monitoring report's fields and of its `can_meet` answers, from the deployed form schema."""
    try:
        schema = runtime().specs.get(version_hash).forms.get(REPORT_FORM) or {}
    except NotFound:
        schema = {}
    props = schema.get("properties") or {}
    labels: dict[str, Any] = {name: form_fields.label(props[name], name, lang) for name in props}
    labels["can_meet_options"] = dict(form_fields.options(props["can_meet"], lang)) if "can_meet" in props else {}
    return labels


def actor_name(event: dict[str, Any]) -> str:
    """Who acted: a person's display name, or what the machine's part is called in the page's language."""
    if event["actor"] in MACHINE_ACTORS:
        return i18n.text(f"actor_{event['actor']}")
    return str(event["actor_name"] or event["actor"] or "—")


def page_facts(conn: Connection, escalation_id: int) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The escalation as listed (with what the viewer may decide), its facts with the actors' names, and the
    monitoring form's labels: what this page and the supervisor's task page show."""
    rt, me, lang = runtime(), viewer(), i18n.current()
    found = escalation_facts.facts(conn, me, escalation_id, rt.specs)
    esc = decorate(conn, found["escalation"], me, lang)
    with_version = escalation_facts.version_of(conn, esc["instance_id"])
    labels = report_labels(with_version, lang) if with_version else {"can_meet_options": {}}
    for event in found["timeline"]:
        event["who"] = actor_name(event)
    return esc, found, labels


@bp.get("/escalations/<int:escalation_id>")
@login_required
def escalation_page(escalation_id: int) -> ResponseReturnValue:
    """The slip, the figures and the timeline of one escalation, with the decisions open to it."""
    with reading() as conn:
        esc, found, labels = page_facts(conn, escalation_id)
        return render_template("web/escalation.html", e=esc, f=found, labels=labels)
