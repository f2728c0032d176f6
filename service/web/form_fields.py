"""A task's JSON Schema as fields to render: labels in the page's language, widgets by type, values and errors.

Nothing here knows a particular form: every form key renders from its schema (forms/<key>.schema.json), so a
process designer who adds a field gets it on the page without a code change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from service import clock
from service.config import ROOT
from service.web import i18n

ROW = "__i__"  # the row index placeholder of a table's template row (filled in by the page's script)
# A string longer than this may hold: a textarea, not a one-line input (a form may ask with "x-widget").
LONG_TEXT = 200


@dataclass
class Field:
    """One input (or fieldset / table) of a form."""

    path: str  # the JSON path of the value, "/"-separated ("indicators/0/target"); the input's name
    name: str
    label: str
    kind: str  # text textarea number integer mixed boolean checkbox select multiselect lines date datetime
    #            attachment attachments library object table
    required: bool = False
    value: Any = None
    error: str | None = None
    help: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)  # HTML hints: min max step minlength maxlength
    library: str | None = None
    children: list[Field] = field(default_factory=list)  # an object's fields
    columns: list[Field] = field(default_factory=list)  # a table's template row
    rows: list[list[Field]] = field(default_factory=list)


def resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """`schema` with a local "$ref" ("#/$defs/x") replaced by what it points to (sibling keywords kept)."""
    seen = 0
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < 20:
        target: Any = root
        for part in schema["$ref"].lstrip("#").strip("/").split("/"):
            if not part:
                continue
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(target, dict) else {}
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        seen += 1
    return schema if isinstance(schema, dict) else {}


def types_of(prop: dict[str, Any]) -> list[str]:
    """The JSON types a property allows, "null" left out (a blank input means "not given")."""
    declared = prop.get("type")
    types = [declared] if isinstance(declared, str) else list(declared or [])
    types = [t for t in types if t != "null"]
    if not types:
        if "properties" in prop:
            return ["object"]
        if "enum" in prop or "const" in prop:
            return ["string"]
    return types


def kind_of(prop: dict[str, Any], root: dict[str, Any]) -> str:
    """The widget for a property."""
    types = types_of(prop)
    if "enum" in prop:
        return "select"
    if types == ["object"]:
        return "object"
    if types == ["array"]:
        items = resolve(prop.get("items") or {}, root)
        if types_of(items) == ["object"]:
            return "table"
        if items.get("format") == "attachment":
            return "attachments"
        return "multiselect" if "enum" in items else "lines"
    if types == ["boolean"]:
        return "boolean"
    if types == ["integer"]:
        return "integer"
    if types == ["number"]:
        return "number"
    if set(types) > {"string"} and set(types) & {"number", "integer"}:
        return "mixed"  # a number when it reads as one, else text (e.g. a target "80..95")
    fmt = prop.get("format")
    if fmt in ("date", "attachment"):
        return fmt
    if fmt == "date-time":
        return "datetime"
    if prop.get("x-library"):
        return "library"
    if prop.get("x-widget") == "textarea" or (prop.get("maxLength") or 0) > LONG_TEXT:
        return "textarea"
    return "text"


def _split_title(title: str) -> tuple[str, str | None]:
    # Older forms carry both languages in one title: "项目名称 / Project".
    if " / " in title:
        zh, en = title.split(" / ", 1)
        return zh.strip(), en.strip()
    return title, None


def label(prop: dict[str, Any], name: str, lang: str) -> str:
    """The property's title in the page's language ("x-title-en" for English), else its name."""
    zh, en = _split_title(str(prop.get("title") or name))
    if lang == "en":
        return str(prop.get("x-title-en") or en or zh)
    return zh


def help_text(prop: dict[str, Any], lang: str) -> str | None:
    """The property's description in the page's language, if any."""
    text = prop.get("x-description-en") if lang == "en" else None
    text = text or prop.get("description")
    if not text:
        return None
    zh, en = _split_title(str(text))
    return en if lang == "en" and en else zh


def options(prop: dict[str, Any], lang: str, name: str = "") -> list[tuple[str, str]]:
    """(value, label) of an enum: "x-enum-titles" (Chinese) / "x-enum-titles-en", a dict or a parallel list; for
    an English page without English titles, the English another form gives the same Chinese title; for an enum
    without titles, the pages' own name of the value (texts.py `<name>_<value>`: sectors, levels…)."""
    values = list(prop.get("enum") or [])
    chinese = _titles(prop.get("x-enum-titles"), values)
    titles = chinese if lang == "zh" else _titles(prop.get("x-enum-titles-en"), values)
    out = []
    for v in values:
        key = json_text(v)
        text = titles.get(key)
        if text is None and lang == "en" and key in chinese:
            text = _english_titles().get(chinese[key])
        if text is None and name:
            text = i18n.STRINGS[lang].get(f"{name}_{key}")
        out.append((key, text if text is not None else key))
    return out


def _titles(titles: Any, values: list[Any]) -> dict[str, str]:
    if isinstance(titles, dict):
        return {str(k): str(v) for k, v in titles.items()}
    if isinstance(titles, list):
        return {json_text(v): str(t) for v, t in zip(values, titles, strict=False)}
    return {}


@cache
def _english_titles() -> dict[str, str]:
    """Chinese enum title → its English, from every form that gives both (forms/*.schema.json)."""

    found: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "enum" in node and "x-enum-titles" in node and "x-enum-titles-en" in node:
                values = list(node["enum"])
                zh, en = _titles(node["x-enum-titles"], values), _titles(node["x-enum-titles-en"], values)
                found.update({zh[k]: en[k] for k in zh if k in en})
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    for path in sorted((ROOT / "forms").glob("*.schema.json")):
        walk(json.loads(path.read_text(encoding="utf-8")))
    return found


def json_text(value: Any) -> str:
    """A value as an input shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _hints(prop: dict[str, Any], kind: str) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    if kind in ("number", "integer"):
        for key, html in (("minimum", "min"), ("maximum", "max")):
            if isinstance(prop.get(key), int | float):
                attrs[html] = json_text(prop[key])
        attrs["step"] = "1" if kind == "integer" else "any"
    if kind in ("text", "textarea", "library", "mixed", "attachment"):
        if isinstance(prop.get("minLength"), int) and prop["minLength"] > 0:
            attrs["minlength"] = prop["minLength"]
        if isinstance(prop.get("maxLength"), int):
            attrs["maxlength"] = prop["maxLength"]
    return attrs


def _display(kind: str, value: Any) -> Any:
    if kind == "datetime" and isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(clock.LOCAL)
        return parsed.strftime("%Y-%m-%dT%H:%M")
    return value


def make_field(name: str, prop: dict[str, Any], path: str, root: dict[str, Any], values: Any,
               errors: dict[str, str], raw: dict[str, str], lang: str, required: bool) -> Field:
    """A field for property `name` at `path` with its value from `values` (the enclosing object's data)."""
    prop = resolve(prop, root)
    kind = kind_of(prop, root)
    value = values.get(name) if isinstance(values, dict) else None
    if value is None and "default" in prop:
        value = prop["default"]
    if kind == "boolean" and not required:
        kind = "checkbox"  # unchecked means false; a required yes/no is asked with two radio buttons
    f = Field(path=path, name=name, label=label(prop, name, lang), kind=kind, required=required,
              value=raw.get(path, _display(kind, value)), error=errors.get(path), help=help_text(prop, lang),
              attrs=_hints(prop, kind), library=prop.get("x-library"))
    if kind in ("select", "multiselect"):
        f.options = options(prop if kind == "select" else resolve(prop.get("items") or {}, root), lang, name)
    if kind == "object":
        f.children = object_fields(prop, root, value if isinstance(value, dict) else {}, errors, raw, lang, path)
    elif kind == "table":
        _fill_table(f, prop, root, value, errors, raw, lang)
    return f


def _fill_table(f: Field, prop: dict[str, Any], root: dict[str, Any], value: Any, errors: dict[str, str],
                raw: dict[str, str], lang: str) -> None:
    items = resolve(prop.get("items") or {}, root)
    rows = value if isinstance(value, list) else []
    f.columns = object_fields(items, root, {}, {}, {}, lang, f"{f.path}/{ROW}")
    count = max(len(rows), int(prop.get("minItems") or 0), 1)
    f.rows = [object_fields(items, root, rows[i] if i < len(rows) and isinstance(rows[i], dict) else {}, errors, raw,
                            lang, f"{f.path}/{i}") for i in range(count)]
    f.attrs = {k: v for k, v in (("min_rows", prop.get("minItems")), ("max_rows", prop.get("maxItems"))) if v}
    notes = [help_text(part.get("contains") or {}, lang) or help_text(part, lang) for part in prop.get("allOf") or []
             if isinstance(part, dict) and "contains" in part]
    f.help = "；".join(n for n in [f.help, *notes] if n) or None


def object_fields(schema: dict[str, Any], root: dict[str, Any], values: dict[str, Any], errors: dict[str, str],
                  raw: dict[str, str], lang: str, prefix: str = "") -> list[Field]:
    """The fields of an object schema, in the schema's order."""
    schema = resolve(schema, root)
    required = set(schema.get("required") or [])
    return [make_field(name, prop if isinstance(prop, dict) else {}, f"{prefix}/{name}" if prefix else name, root,
                       values, errors, raw, lang, name in required)
            for name, prop in (schema.get("properties") or {}).items()]


def build(schema: dict[str, Any], values: dict[str, Any], errors: dict[str, str] | None = None,
          raw: dict[str, str] | None = None, lang: str = "zh") -> list[Field]:
    """Every field of a form schema, filled with `values` (or the raw text a user typed) and errors by path."""
    return object_fields(schema, schema, values, errors or {}, raw or {}, lang)


def form_title(schema: dict[str, Any] | None, lang: str) -> str | None:
    """The form's own title in the page's language."""
    if not schema or not schema.get("title"):
        return None
    return label(schema, "", lang)


def _given(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def answered(fields: list[Field]) -> list[Field]:
    """The fields that hold an answer, for reading: an object with its answered fields, a table with its rows and
    the columns some row fills in."""
    kept = []
    for f in fields:
        if f.kind == "object":
            f.children = answered(f.children)
            if f.children:
                kept.append(f)
        elif f.kind == "table":
            f.rows = [row for row in f.rows if any(_given(cell.value) for cell in row)] if _given(f.value) else []
            filled = [i for i in range(len(f.columns)) if any(_given(row[i].value) for row in f.rows)]
            f.columns = [f.columns[i] for i in filled]
            f.rows = [[row[i] for i in filled] for row in f.rows]
            if f.rows:
                kept.append(f)
        elif _given(f.value):
            kept.append(f)
    return kept


def read_only(schema: dict[str, Any], answers: dict[str, Any], lang: str) -> list[Field]:
    """A form's answers as fields to read (the `answers` macro of web/_readonly.html)."""
    return answered(build(schema, answers, lang=lang))
