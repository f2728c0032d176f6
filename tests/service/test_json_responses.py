"""API answers written by orjson are the documents Flask's own provider writes (service/json_responses.py)."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider

from service.json_responses import JSONProvider


@dataclasses.dataclass
class Line:
    id: str
    amount: Decimal


def both(obj: object, debug: bool = False) -> tuple[bytes, bytes]:
    app = Flask(__name__)
    app.debug = debug
    with app.app_context():
        ours = JSONProvider(app).response(obj).get_data()
        flasks = DefaultJSONProvider(app).response(obj).get_data()
    return ours, flasks


VALUES = [
    {"b": 1, "a": [1.5, None, True, "项目资金"], "c": {"z": 0, "y": -3}},
    {"when": datetime(2026, 12, 7, 1, 2, 3, tzinfo=UTC), "day": date(2026, 12, 7)},
    {"amount": Decimal("1234.50"), "id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
    {"lines": [Line("p1", Decimal("3.10"))]},
    [{"big": 2**70}],  # beyond 64 bits: orjson refuses it, Flask's provider writes it
    "纳入绩效目标管理的项目资金占比\u2028",
]


@pytest.mark.parametrize("value", VALUES)
def test_the_answer_parses_to_what_flasks_provider_writes(value: object):
    ours, flasks = both(value)
    assert json.loads(ours) == json.loads(flasks)
    assert ours.endswith(b"\n") and b": " not in ours and b"\n" not in ours[:-1]  # compact, one line


def test_keys_are_sorted_and_chinese_is_written_as_utf8():
    ours, flasks = both({"b": "市教育局", "a": 1})
    assert ours == '{"a":1,"b":"市教育局"}\n'.encode()
    assert flasks == b'{"a":1,"b":"\\u5e02\\u6559\\u80b2\\u5c40"}\n'


def test_debug_mode_keeps_flasks_indented_answer():
    ours, flasks = both({"b": 1, "a": [2]}, debug=True)
    assert ours == flasks and b"\n  " in ours


def test_a_value_neither_can_write_is_the_same_error():
    with pytest.raises(TypeError):
        both({"x": object()})


def test_the_app_answers_with_it(app):
    assert isinstance(app.json, JSONProvider)
