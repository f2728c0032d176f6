"""Attachment fields of form schemas: which ids a submitted form names, and which schemas a deployment refuses."""

from __future__ import annotations

import json

import pytest

from service.attachments.attachment_fields import Reference, is_attachment_id, references, schema_problems
from service.errors import InvalidModel
from tests.conftest import FIXTURES

A, B, C = "0b6f2a4e-8c1d-4e0a-9d7b-3f1c2e5a6b7c", "1c7e3b5f-9d2e-4f1b-8e8c-4a2d3f6b7c8d", \
    "2d8f4c6a-0e3f-4a2c-9f9d-5b3e4a7c8d9e"

NESTED = {
    "$defs": {"file": {"type": "string", "format": "attachment"}},
    "type": "object",
    "properties": {
        "report": {"$ref": "#/$defs/file"},
        "indicators": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"},
            "evidence": {"type": "array", "items": {"$ref": "#/$defs/file"}}}}},
        "earlier": {"type": "array", "x-evidence-scope": "instance", "items": {"$ref": "#/$defs/file"}},
        "note": {"type": "string"},
    },
}


def test_references_follow_properties_arrays_and_refs_with_their_scope():
    data = {"report": A, "note": B, "indicators": [{"name": "校舍", "evidence": [B, C]}, {"name": "满意度"}],
            "earlier": [A]}
    assert references(NESTED, data) == [
        Reference("report", A, "task"), Reference("indicators/0/evidence/0", B, "task"),
        Reference("indicators/0/evidence/1", C, "task"), Reference("earlier/0", A, "instance"),
    ]
    assert references(NESTED, {"note": A}) == []  # a plain string field is not evidence


def test_attachment_ids_are_canonical_uuids():
    assert is_attachment_id(A) and is_attachment_id(7)  # non-strings are for the type keyword to judge
    for bad in (A.upper(), "{" + A + "}", "urn:uuid:" + A, A.replace("-", ""), "../etc/passwd", ""):
        assert not is_attachment_id(bad)


def test_the_fixture_form_is_clean_and_misuses_are_named():
    assert schema_problems(json.loads((FIXTURES / "evidence.schema.json").read_text())) == []
    bad = {"properties": {"files": {"type": "array", "format": "attachment"},
                          "cited": {"type": "array", "x-evidence-scope": "project", "items": {"format": "attachment"}}}}
    assert schema_problems(bad) == [
        '/properties/files: format "attachment" applies to strings (an attachment id); use an array of them for '
        "several files",
        "/properties/cited: x-evidence-scope must be one of task, instance",
    ]


def test_a_deployment_with_a_misused_evidence_field_is_refused(deploy_fixture):
    form = json.loads((FIXTURES / "evidence.schema.json").read_text())
    form["properties"]["cited"]["x-evidence-scope"] = "everywhere"
    with pytest.raises(InvalidModel) as info:
        deploy_fixture(files={"evidence.bpmn": (FIXTURES / "evidence.bpmn").read_bytes(),
                              "evidence.schema.json": json.dumps(form).encode()})
    assert any("x-evidence-scope" in e["message"] for e in info.value.errors)
