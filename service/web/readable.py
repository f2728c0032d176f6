"""Process data as people read it: the values grouped under the forms that ask for them, labelled by those forms'
schema titles (the same layout as a decision page's dossier), never as JSON or by their keys.

The cycle's variables are the fields of forms/cycle_start.schema.json; every other form answered in the process
shows as its own section. Variables no form asks for (the engine's deadline bookkeeping: rule names, due and
escalation times) are listed apart as identifiers with their values, for those who trace the machine.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from service.config import ROOT
from service.web import form_fields, i18n
from service.web.pages import department_name, runtime

FIRST = ("cycle_start",)  # the project and its year, before what was answered about it
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _schemas(version_hash: str) -> list[tuple[str, dict[str, Any]]]:
    schemas = runtime().specs.get(version_hash).forms
    return [(k, schemas[k]) for k in FIRST if k in schemas] + sorted(
        (k, s) for k, s in schemas.items() if k not in FIRST)


def sections(version_hash: str, data: dict[str, Any] | None
             ) -> tuple[list[dict[str, Any]], list[tuple[str, Any]]]:
    """([{"form", "title", "fields"}], [(key, value)] of the variables no form labels) for a version's data."""
    data = {k: v for k, v in (data or {}).items() if v is not None}
    lang = i18n.current()
    found = []
    for key, schema in _schemas(version_hash):
        answers = {name: data.pop(name) for name in list(schema.get("properties") or {}) if name in data}
        if isinstance(answers.get("department_id"), str):  # a department by its name, not its id
            answers["department_id"] = department_name(answers["department_id"])
        fields = form_fields.read_only(schema, answers, lang) if answers else []
        if fields:
            title = i18n.text("data_project") if key in FIRST else form_fields.form_title(schema, lang)
            found.append({"form": key, "title": title, "fields": fields})
    return found, sorted(data.items())


def field(version_hash: str, key: str, value: Any) -> Any:
    """One variable as a form field to read (label from its form's schema), None when no form asks for it."""
    if key == "department_id" and isinstance(value, str):
        value = department_name(value)
    for _form, schema in _schemas(version_hash):
        if key in (schema.get("properties") or {}):
            # the key's own field: a form's other fields may show their defaults beside it
            fields = form_fields.read_only(schema, {key: value}, i18n.current())
            return next((f for f in fields if f.name == key), None)
    return None


def plain(value: Any) -> str:
    """A machine value in words: yes/no, times in the display zone, lists and objects as `key: value` lines."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return i18n.text("yes" if value else "no")
    if isinstance(value, str) and _ISO_TIME.match(value):
        try:
            return i18n.local_time(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    if isinstance(value, dict):
        return "; ".join(f"{k}: {plain(v)}" for k, v in value.items())
    if isinstance(value, list):
        return i18n.text("list_sep").join(plain(v) for v in value)
    return str(value)


def evidence_note(evidence: Any) -> str:
    """A scorecard evidence line in the page's language (service/domain/scorecard_facts.py, Evidence.kind and
    facts): times in the display zone, statuses, grades and indicator categories by their names."""
    kind = getattr(evidence, "kind", "") or ""
    key = f"sc_note_{kind}"
    if not kind or key not in i18n.STRINGS[i18n.current()]:
        return str(evidence.note) if i18n.current() == "en" else i18n.text("sc_note_other")
    values = {}
    for name, raw in dict(evidence.facts).items():
        if name in ("declared", "due") and _ISO_TIME.match(raw):
            values[name] = plain(raw)
        elif name == "status":
            values[name] = i18n.label("rect_status_" if evidence.table == "rectifications" else "project_status_", raw)
        elif name == "categories":
            names = dict(form_fields.options(_category_schema(), i18n.current()))
            values[name] = i18n.text("list_sep").join(names.get(c, c) for c in raw.split(",") if c) or \
                i18n.text("none")
        elif name == "answer":
            values[name] = i18n.label("corrective_answer_", raw)
        else:
            values[name] = raw
    return i18n.text(key, **values)


def _category_schema() -> dict[str, Any]:


    schema = json.loads((ROOT / "forms" / "goal_declaration.schema.json").read_text(encoding="utf-8"))
    return dict(schema["$defs"]["indicator"]["properties"]["category"])
