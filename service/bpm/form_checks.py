"""A form's errors as the engine reports them ({field, message}): its JSON Schema first, then the checks across
fields a person expects that the schema cannot say: the amount executed against the budget (an amount field's
"x-within-budget" names the field that must explain spending more than the project's budget_amount), weights that
total 100, dates in order (a date field's "x-not-before" names the sibling field it may not precede). The messages
are the engine's English; service/web/formdata.py `engine_errors` puts them in the page's words.

The cross-field checks run only when the schema passes, so every value they read has its schema's type.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from jsonschema import Draft202012Validator

# Local practice: an indicator's weight is its share of the goal's 100 points (the weights the demo and the
# bureau's templates use, 40/40/20); the plan gives no number.
WEIGHT_TOTAL = 100
_TOLERANCE = 1e-6


def schema_errors(validator: Draft202012Validator, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The JSON Schema errors, each at the pointer of its field; a missing required value at the missing field."""
    found = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    return [{"field": _field(e), "message": _message(e)} for e in found]


def cross_field(schema: dict[str, Any], data: dict[str, Any], context: dict[str, Any]) -> list[dict[str, Any]]:
    """The checks across fields; `context` is the data the task already holds (the project's budget_amount)."""
    return [*_within_budget(schema, data, context), *_adjustment_within_budget(schema, data, context),
            *_weights_total(schema, data), *_dates_in_order(schema, schema, data, "")]


def _field(error: Any) -> str | None:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        path += [n for n in error.validator_value if n not in error.instance and repr(n) in error.message][:1]
    return "/".join(path) or None


def _message(error: Any) -> str:
    """jsonschema's message, except for a `contains` that requires a property's value from a list: that names the
    property and the values, so the page can say which kind of row is missing."""
    if error.validator == "contains" and isinstance(error.validator_value, dict):
        for name, prop in (error.validator_value.get("properties") or {}).items():
            values = prop.get("enum") if isinstance(prop, dict) else None
            if values:
                return f"no row has {name} one of {', '.join(str(v) for v in values)}"
    return str(error.message)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _within_budget(schema: dict[str, Any], data: dict[str, Any], context: dict[str, Any]) -> list[dict[str, Any]]:
    """More executed than budgeted needs the reasons for the deviation, in the field the amount names."""
    budget = _number(context.get("budget_amount"))
    out: list[dict[str, Any]] = []
    for name, prop in (schema.get("properties") or {}).items():
        reasons = prop.get("x-within-budget") if isinstance(prop, dict) else None
        executed = _number(data.get(name))
        if not isinstance(reasons, str) or executed is None or budget is None or executed <= budget + _TOLERANCE:
            continue
        if str(data.get(reasons) or "").strip():
            continue
        out += [{"field": name, "message": f"exceeds the budget of {budget:.2f}"},
                {"field": reasons, "message": "required when the executed amount exceeds the budget"}]
    return out


def _adjustment_within_budget(schema: dict[str, Any], data: dict[str, Any],
                              context: dict[str, Any]) -> list[dict[str, Any]]:
    """An in-year budget adjustment moves at most the project's budget, and only under an opinion that takes money
    off the project (adjust or stop: service/domain/adjustments_rules.py)."""
    if "adjustment_amount" not in (schema.get("properties") or {}):
        return []
    amount, budget = _number(data.get("adjustment_amount")), _number(context.get("budget_amount"))
    if amount is None or amount == 0:
        return []
    if data.get("handling_opinion") not in ("adjust", "stop"):
        return [{"field": "adjustment_amount", "message": "only an adjust or stop opinion moves budget"}]
    if budget is not None and amount > budget + _TOLERANCE:
        return [{"field": "adjustment_amount", "message": f"exceeds the budget of {budget:.2f}"}]
    return []


def _weights_total(schema: dict[str, Any], data: dict[str, Any]) -> list[dict[str, Any]]:
    """A goal's indicators with weights: the weights total 100."""
    if "indicators" not in (schema.get("properties") or {}) or not isinstance(data.get("indicators"), list):
        return []
    weights = [_number(row.get("weight")) for row in data["indicators"] if isinstance(row, dict)]
    if not weights or any(w is None for w in weights):
        return []
    total = sum(w for w in weights if w is not None)
    if abs(total - WEIGHT_TOTAL) <= _TOLERANCE:
        return []
    shown = int(total) if total == int(total) else round(total, 2)
    return [{"field": "indicators", "message": f"the weights total {shown}, not {WEIGHT_TOTAL}"}]


def _resolve(node: Any, root: dict[str, Any]) -> dict[str, Any]:
    if isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/$defs/"):
        target = (root.get("$defs") or {}).get(node["$ref"][len("#/$defs/"):])
        return {**(target if isinstance(target, dict) else {}), **{k: v for k, v in node.items() if k != "$ref"}}
    return node if isinstance(node, dict) else {}


def _when(value: Any) -> datetime | None:
    """A date or date-time value as a comparable time (a date at its start, naive times as given)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value) if "T" in value or " " in value else \
            datetime.combine(date.fromisoformat(value), datetime.min.time())
    except ValueError:
        return None
    return parsed.replace(tzinfo=None) if parsed.tzinfo is None else parsed


def _dates_in_order(node: dict[str, Any], root: dict[str, Any], data: Any, prefix: str) -> list[dict[str, Any]]:
    """Every field with "x-not-before": "<sibling>" is not earlier than that sibling (in table rows too)."""
    node = _resolve(node, root)
    if not isinstance(data, dict):
        return []
    out: list[dict[str, Any]] = []
    for name, prop in (node.get("properties") or {}).items():
        prop = _resolve(prop, root)
        value = data.get(name)
        earlier = prop.get("x-not-before")
        if isinstance(earlier, str):
            this, that = _when(value), _when(data.get(earlier))
            try:
                wrong = this is not None and that is not None and this < that
            except TypeError:  # one with a zone, one without: the schema's formats keep them alike
                wrong = False
            if wrong:
                out.append({"field": prefix + name, "message": f"is before {earlier}"})
        if isinstance(value, dict):
            out += _dates_in_order(prop, root, value, f"{prefix}{name}/")
        elif isinstance(value, list):
            items = _resolve(prop.get("items"), root)
            for index, row in enumerate(value):
                out += _dates_in_order(items, root, row, f"{prefix}{name}/{index}/")
    return out
