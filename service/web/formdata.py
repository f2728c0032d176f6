"""What a task form posts, turned back into JSON data by its schema; validation errors mapped onto the fields.

Inputs are named by their JSON path ("indicators/2/target"). Table rows keep the index the page gave them
(rows may have been removed in between): rows are renumbered in order, blank rows dropped, and errors and
raw text are keyed by the renumbered path, which is how the page is rendered again.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from werkzeug.datastructures import MultiDict

from service import clock
from service.web import i18n
from service.web.form_fields import json_text, kind_of, label, resolve

_REQUIRED = re.compile(r"^'(.+)' is a required property$")
_CONTAINS_KIND = re.compile(r"^no row has (\S+) one of (.+)$")
_OVER_BUDGET = re.compile(r"^exceeds the budget of (-?[\d.]+)$")
_BEFORE = re.compile(r"^is before (\S+)$")
_WEIGHTS = re.compile(r"^the weights total (-?[\d.]+), not 100$")


def parse(schema: dict[str, Any], form: MultiDict[str, str], lang: str
          ) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """(data, errors by path, raw text by path) from a posted form."""
    errors: dict[str, str] = {}
    raw: dict[str, str] = {}
    data = _object(schema, schema, form, "", "", errors, raw, lang)
    return data, errors, raw


def _object(schema: dict[str, Any], root: dict[str, Any], form: MultiDict[str, str], name_prefix: str,
            key_prefix: str, errors: dict[str, str], raw: dict[str, str], lang: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, prop in (resolve(schema, root).get("properties") or {}).items():
        prop = resolve(prop if isinstance(prop, dict) else {}, root)
        path, key = name_prefix + name, key_prefix + name
        kind = kind_of(prop, root)
        if kind == "object":
            sub = _object(prop, root, form, path + "/", key + "/", errors, raw, lang)
            if sub:
                out[name] = sub
        elif kind == "table":
            rows = _table(prop, root, form, path, key, errors, raw, lang)
            if rows or any(k.startswith(path + "/") for k in form):
                out[name] = rows
        elif kind == "multiselect":
            chosen = [_enum_value(resolve(prop.get("items") or {}, root), v) for v in form.getlist(path)]
            if chosen:
                out[name] = [v for v in chosen if v is not None]
        elif kind == "attachments":
            ids = [v.strip() for v in form.getlist(path) if v.strip()]
            if ids:
                out[name] = ids
        elif kind == "lines":
            lines = [line.strip() for line in form.get(path, "").splitlines() if line.strip()]
            if lines:
                out[name] = lines
        elif kind == "boolean" and path not in form and _is_checkbox(prop, schema, root, name):
            out[name] = False
        else:
            text = form.get(path, "").strip()
            if not text:
                continue
            try:
                out[name] = coerce(kind, prop, text)
            except ValueError as problem:
                errors[key] = i18n.text(str(problem), lang=lang)
                raw[key] = text
    return out


def _is_checkbox(prop: dict[str, Any], parent: dict[str, Any], root: dict[str, Any], name: str) -> bool:
    # An optional yes/no is a checkbox (absent means false); a required one has two radio buttons.
    return name not in set(resolve(parent, root).get("required") or [])


def _table(prop: dict[str, Any], root: dict[str, Any], form: MultiDict[str, str], path: str, key: str,
           errors: dict[str, str], raw: dict[str, str], lang: str) -> list[dict[str, Any]]:
    items = resolve(prop.get("items") or {}, root)
    pattern = re.compile(re.escape(path) + r"/(\d+)/")
    indices = sorted({int(m.group(1)) for k in form if (m := pattern.match(k))})
    rows: list[dict[str, Any]] = []
    for index in indices:
        row_errors: dict[str, str] = {}
        row_raw: dict[str, str] = {}
        row = _object(items, root, form, f"{path}/{index}/", f"{key}/{len(rows)}/", row_errors, row_raw, lang)
        if not row_errors and all(v is False for v in row.values()):
            continue  # a blank row (unticked boxes only): the user added it and left it
        rows.append(row)
        errors.update(row_errors)
        raw.update(row_raw)
    return rows


def _enum_value(prop: dict[str, Any], text: str) -> Any:
    for value in prop.get("enum") or []:
        if json_text(value) == text:
            return value
    return None


def _number(text: str) -> int | float:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError("form_number") from None
    if not value.is_finite():
        raise ValueError("form_number")
    if value == value.to_integral_value() and "." not in text and "e" not in text.lower():
        return int(value)
    as_float = float(value)
    if not math.isfinite(as_float):
        raise ValueError("form_number")
    return as_float


def coerce(kind: str, prop: dict[str, Any], text: str) -> Any:
    """The JSON value of an input's text; ValueError(message key) when it cannot be one."""
    if kind in ("boolean", "checkbox"):
        if text not in ("true", "false"):
            raise ValueError("form_choose")
        return text == "true"
    if kind == "integer":
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ValueError("form_integer")
        return int(text)
    if kind == "number":
        return _number(text)
    if kind == "mixed":
        try:
            return _number(text)
        except ValueError:
            return text
    if kind == "select":
        value = _enum_value(prop, text)
        if value is None:
            raise ValueError("form_choose")
        return value
    if kind == "datetime":
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("form_datetime") from None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=clock.LOCAL)).isoformat()
    if kind == "date":
        try:
            date.fromisoformat(text)
        except ValueError:
            raise ValueError("form_date") from None
    return text


def schema_at(schema: dict[str, Any], path: str) -> dict[str, Any]:
    """The (resolved) schema of the value at a "/"-separated path, {} when the path leaves the schema."""
    node = resolve(schema, schema)
    for part in [p for p in path.split("/") if p]:
        if part.isdigit():
            node = resolve(node.get("items") or {}, schema)
        else:
            node = resolve((node.get("properties") or {}).get(part) or {}, schema)
    return node


def engine_errors(errors: list[dict[str, Any]], schema: dict[str, Any], lang: str
                  ) -> dict[str, str]:
    """The engine's errors ({field, message}, field "indicators/0/target" or None) by the path of the input they
    belong to, explained in the page's language. A missing required value belongs to the missing input."""
    out: dict[str, str] = {}
    for error in errors:
        path = str(error.get("field") or "")
        message = str(error.get("message") or "")
        found = _REQUIRED.match(message)
        if found:
            name = found.group(1)
            if path.split("/")[-1] != name:  # the engine names the missing field itself (form_checks `_field`)
                path = f"{path}/{name}" if path else name
            text = i18n.text("form_required", lang=lang)
        elif before := _BEFORE.match(message):
            sibling = "/".join([*path.split("/")[:-1], before.group(1)])
            title = label(schema_at(schema, sibling), before.group(1), lang)
            text = i18n.text("form_not_before", lang=lang, field=title)
        elif kind := _CONTAINS_KIND.match(message):
            text = _missing_kind(kind.group(1), kind.group(2).split(", "), schema_at(schema, f"{path}/0"), lang)
        else:
            text = explain(message, schema_at(schema, path), lang)
        out.setdefault(path, text)
    return out


def explain(message: str, prop: dict[str, Any], lang: str) -> str:
    """A jsonschema message in words a user understands, with the limit taken from the field's schema."""
    def t(key: str, **values: object) -> str:
        return i18n.text(key, lang=lang, **values)

    if found := _OVER_BUDGET.match(message):
        return t("form_over_budget", budget=f"{float(found.group(1)):,.2f}")
    if message == "required when the executed amount exceeds the budget":
        return t("form_deviation_needed")
    if message == "only an adjust or stop opinion moves budget":
        return t("form_adjustment_opinion")
    if found := _WEIGHTS.match(message):
        return t("form_weights_total", total=found.group(1))
    declared = prop.get("type")
    is_list = "array" in (declared if isinstance(declared, list) else [declared])
    if "is less than the minimum of" in message or "is less than or equal to the minimum" in message:
        return t("form_min", limit=json_text(prop.get("minimum", prop.get("exclusiveMinimum"))))
    if "is greater than the maximum of" in message or "is greater than or equal to the maximum" in message:
        return t("form_max", limit=json_text(prop.get("maximum", prop.get("exclusiveMaximum"))))
    if "is not one of" in message:
        return t("form_choose")
    if "is not of type 'number'" in message or "is not of type 'integer'" in message:
        return t("form_number")
    if "is not of type 'string'" in message:
        return t("form_text")
    if "should be non-empty" in message or "is too short" in message or "fewer than" in message:
        if is_list:
            return t("form_min_rows", count=prop.get("minItems", 1))
        return t("form_required") if (prop.get("minLength") or 1) <= 1 else t("form_min_length",
                                                                               count=prop["minLength"])
    if "is too long" in message or "more than" in message:
        if is_list:
            return t("form_max_rows", count=prop.get("maxItems", ""))
        return t("form_max_length", count=prop.get("maxLength", ""))
    if "does not match" in message:
        return t("form_pattern")
    if "does not contain items matching" in message or "contains" in message and "match" in message:
        return t("form_contains")
    if "Additional properties are not allowed" in message:
        return t("form_unexpected")
    return message[:300]


def _missing_kind(name: str, values: list[str], row: dict[str, Any], lang: str) -> str:
    """Which kind of row is missing, named by the field's title and its values' titles from the row schema."""
    field = (row.get("properties") or {}).get(name)
    field = field if isinstance(field, dict) else {}
    titles = field.get("x-enum-titles-en" if lang == "en" else "x-enum-titles") or {}
    words = [str(titles.get(v, v)) for v in values]
    joined = (", " if lang == "en" else "、").join(words[:-1])
    joined = joined + i18n.text("form_or", lang=lang) + words[-1] if joined else words[-1]
    return i18n.text("form_contains_kind", lang=lang, field=label(field, name, lang), values=joined)


def summary(by_path: dict[str, str], schema: dict[str, Any], lang: str) -> list[tuple[str, str, str]]:
    """(path, where, message) of every error, "where" naming the field (and table row) for the top of the form."""
    out = []
    for path, message in by_path.items():
        parts = [p for p in path.split("/") if p]
        names, node = [], resolve(schema, schema)
        for part in parts:
            if part.isdigit():
                names.append(i18n.text("form_row", lang=lang, number=int(part) + 1))
                node = resolve(node.get("items") or {}, schema)
            else:
                node = resolve((node.get("properties") or {}).get(part) or {}, schema)
                names.append(label(node, part, lang))
        out.append((path, " · ".join(names) or i18n.text("form_whole", lang=lang), message))
    return out
