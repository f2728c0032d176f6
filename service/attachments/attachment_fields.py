"""Attachment fields of task forms (JSON Schema), and the attachment ids a submitted form refers to.

A form field holds evidence as an attachment id: `{"type": "string", "format": "attachment"}`, or several as
`{"type": "array", "items": {"type": "string", "format": "attachment"}}`. `"x-evidence": true` asks the web
page for an upload control. Required evidence is plain JSON Schema: `required` for the field, `minItems`
for a number of files.

Which attachments a field may name — `"x-evidence-scope"` on the field (or on the array holding it):
- `"task"` (the default): files uploaded to the very task being completed. Evidence is submitted with the
  step that asks for it, so what a reviewer sees is exactly what the submitter attached.
- `"instance"`: any active attachment of the same process instance, for a later step that cites evidence
  submitted earlier (a reviewer pointing at the department's report) without uploading it again.
Either way the attachment must exist and not be withdrawn (deleted).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

FORMAT = "attachment"
SCOPE_KEY = "x-evidence-scope"
SCOPES = ("task", "instance")
_MAX_DEPTH = 32  # schemas are deployed by process designers; a $ref cycle must not loop forever
_NAMED_SUBSCHEMAS = ("properties", "$defs", "definitions", "patternProperties", "dependentSchemas")


@dataclass(frozen=True)
class Reference:
    field: str  # "evidence" or "reports/1" — the pointer the form errors use
    attachment_id: str
    scope: str  # task | instance


def is_attachment_id(value: object) -> bool:
    """The `attachment` format: an attachment id is a UUID in its canonical text form."""
    if not isinstance(value, str):
        return True  # formats apply to strings only; the type keyword judges the rest
    try:
        return str(uuid.UUID(value)) == value  # lower case, with hyphens: as the service issues them
    except ValueError:
        return False


def has_attachment_fields(schema: Any, _depth: int = 0) -> bool:
    """Does the form schema declare any attachment field (anywhere)?"""
    if _depth > _MAX_DEPTH:
        return False
    if isinstance(schema, dict):
        if schema.get("format") == FORMAT:
            return True
        return any(has_attachment_fields(v, _depth + 1) for v in schema.values())
    if isinstance(schema, list):
        return any(has_attachment_fields(v, _depth + 1) for v in schema)
    return False


def schema_problems(schema: Any, path: str = "", _depth: int = 0) -> list[str]:
    """Misuses of the attachment keywords a deployment should refuse (an unknown scope would silently mean
    "task"; the format on a non-string type would never apply)."""
    if not isinstance(schema, dict) or _depth > _MAX_DEPTH:
        return []
    where = path or "/"
    problems = []
    if SCOPE_KEY in schema and schema[SCOPE_KEY] not in SCOPES:
        problems.append(f"{where}: {SCOPE_KEY} must be one of {', '.join(SCOPES)}")
    if schema.get("format") == FORMAT and schema.get("type", "string") != "string":
        problems.append(f'{where}: format "{FORMAT}" applies to strings (an attachment id); use an array of '
                        "them for several files")
    for key, value in schema.items():
        if key in _NAMED_SUBSCHEMAS and isinstance(value, dict):
            children = [(f"{key}/{name}", sub) for name, sub in value.items()]
        elif isinstance(value, dict):
            children = [(key, value)]
        elif isinstance(value, list):
            children = [(f"{key}/{i}", sub) for i, sub in enumerate(value)]
        else:
            continue
        for where_child, child in children:
            problems += schema_problems(child, f"{path}/{where_child}", _depth + 1)
    return problems


def references(schema: dict[str, Any], data: Any) -> list[Reference]:
    """Every attachment id `data` holds in a field the schema declares as an attachment (deduplicated)."""
    found: dict[tuple[str, str], Reference] = {}
    _walk(schema, schema, data, [], "task", found, 0)
    return list(found.values())


def _walk(root: dict[str, Any], schema: Any, data: Any, path: list[str], scope: str,
          found: dict[tuple[str, str], Reference], depth: int) -> None:
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return
    scope = schema.get(SCOPE_KEY, scope) if schema.get(SCOPE_KEY) in SCOPES else scope
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        _walk(root, _resolve(root, ref), data, path, scope, found, depth + 1)
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key) or []:
            _walk(root, sub, data, path, scope, found, depth + 1)
    for key in ("then", "else"):
        _walk(root, schema.get(key), data, path, scope, found, depth + 1)
    if schema.get("format") == FORMAT and isinstance(data, str):
        field = "/".join(path) or ""
        found.setdefault((field, data), Reference(field, data, scope))
    if isinstance(data, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if name in data:
                _walk(root, sub, data[name], [*path, name], scope, found, depth + 1)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for name, value in data.items():
                if name not in (schema.get("properties") or {}):
                    _walk(root, extra, value, [*path, name], scope, found, depth + 1)
    elif isinstance(data, list):
        prefix = schema.get("prefixItems") or []
        for i, item in enumerate(data):
            sub = prefix[i] if i < len(prefix) else schema.get("items")
            _walk(root, sub, item, [*path, str(i)], scope, found, depth + 1)


def _resolve(root: dict[str, Any], ref: str) -> Any:
    node: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node
