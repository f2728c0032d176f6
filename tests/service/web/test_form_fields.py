"""Forms from JSON Schema: widgets and labels, posted values back into data, engine errors onto the fields."""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator
from werkzeug.datastructures import MultiDict

from service.config import ROOT
from service.web import form_fields, formdata

DECLARATION = json.loads((ROOT / "forms" / "goal_declaration.schema.json").read_text(encoding="utf-8"))
SCHEMA = {
    "type": "object",
    "title": "测试 / Test",
    "properties": {
        "summary": {"type": "string", "title": "摘要", "x-title-en": "Summary", "maxLength": 2000},
        "count": {"type": "integer", "title": "数量 / Count", "minimum": 1, "maximum": 9},
        "approved": {"type": "boolean", "title": "同意"},
        "urgent": {"type": "boolean", "title": "加急"},
        "grade": {"$ref": "#/$defs/grade", "title": "等级", "x-enum-titles": {"优": "优秀"}},
        "due": {"type": "string", "format": "date-time", "title": "期限"},
        "evidence": {"type": "string", "format": "attachment", "title": "佐证"},
        "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
        "rows": {"type": "array", "minItems": 2, "title": "明细",
                 "items": {"type": "object", "required": ["name"],
                           "properties": {"name": {"type": "string"}, "amount": {"type": "number"},
                                          "target": {"type": ["number", "string"]},
                                          "checked": {"type": "boolean"}}}},
    },
    "required": ["summary", "approved", "grade"],
    "$defs": {"grade": {"type": "string", "enum": ["优", "良"]}},
}


def _by_name(fields):
    return {f.name: f for f in fields}


def test_widgets_labels_and_hints_come_from_the_schema():
    fields = _by_name(form_fields.build(SCHEMA, {"rows": [{"name": "甲", "amount": 1.5}]}))
    kinds = {name: f.kind for name, f in fields.items()}
    assert kinds == {"summary": "textarea", "count": "integer", "approved": "boolean", "urgent": "checkbox",
                     "grade": "select", "due": "datetime", "evidence": "attachment", "tags": "multiselect",
                     "rows": "table"}
    assert fields["count"].label == "数量" and fields["count"].attrs == {"min": "1", "max": "9", "step": "1"}
    assert fields["grade"].options == [("优", "优秀"), ("良", "良")] and fields["grade"].required
    table = fields["rows"]
    assert [c.path for c in table.columns] == ["rows/__i__/name", "rows/__i__/amount", "rows/__i__/target",
                                               "rows/__i__/checked"]
    assert len(table.rows) == 2  # minItems: a second, empty row to fill
    assert table.rows[0][1].value == 1.5 and table.rows[1][0].path == "rows/1/name"
    english = _by_name(form_fields.build(SCHEMA, {}, lang="en"))
    assert (english["summary"].label, english["count"].label, english["approved"].label) == (
        "Summary", "Count", "同意")  # no English title: the Chinese one rather than nothing


def test_the_goal_declaration_renders_its_indicator_table():
    [summary, indicators] = form_fields.build(DECLARATION, {}, lang="en")
    assert (summary.kind, summary.label, indicators.kind, indicators.label) == (
        "textarea", "Overall goal", "table", "Indicators")
    columns = {c.name: c for c in indicators.columns}
    assert (columns["library_code"].kind, columns["library_code"].library) == ("library", "indicators")
    assert columns["target"].kind == "mixed" and columns["evidence_required"].kind == "checkbox"
    chinese = {c.name: c for c in form_fields.build(DECLARATION, {})[1].columns}
    assert ("quantity", "产出·数量") in chinese["category"].options
    assert "at least one output indicator" in indicators.help  # the notes of the table's allOf rules


def test_posted_values_become_typed_data_rows_renumbered_blank_rows_dropped():
    form = MultiDict([
        ("summary", "  目标  "), ("count", "3"), ("approved", "false"), ("urgent", "true"), ("grade", "优"),
        ("due", "2015-03-20T17:30"), ("tags", "a"), ("tags", "b"),
        ("rows/0/name", "甲"), ("rows/0/amount", "12"), ("rows/0/target", "85..100"),
        ("rows/3/name", ""), ("rows/3/amount", ""), ("rows/3/target", ""),  # added and left blank
        ("rows/5/name", "乙"), ("rows/5/amount", "0.5"), ("rows/5/target", "7"), ("rows/5/checked", "true"),
    ])
    data, errors, raw = formdata.parse(SCHEMA, form, "zh")
    assert errors == {} and raw == {}
    assert data == {"summary": "目标", "count": 3, "approved": False, "urgent": True, "grade": "优",
                    "due": "2015-03-20T17:30:00+08:00", "tags": ["a", "b"],
                    "rows": [{"name": "甲", "amount": 12, "target": "85..100", "checked": False},
                             {"name": "乙", "amount": 0.5, "target": 7, "checked": True}]}
    assert Draft202012Validator(SCHEMA).is_valid(data)


def test_unreadable_inputs_keep_their_text_and_get_an_error_under_the_renumbered_path():
    form = MultiDict([("summary", "x"), ("count", "3.5"), ("grade", "甲"),
                      ("rows/2/name", "甲"), ("rows/7/name", "乙"), ("rows/7/amount", "十二")])
    data, errors, raw = formdata.parse(SCHEMA, form, "zh")
    assert errors == {"count": "请输入整数", "grade": "请从列表中选择", "rows/1/amount": "请输入数字"}
    assert raw == {"count": "3.5", "grade": "甲", "rows/1/amount": "十二"}
    assert data["rows"] == [{"name": "甲", "checked": False}, {"name": "乙", "checked": False}]
    assert "approved" not in data  # a required yes/no nobody answered stays missing: "required" says so
    shown = _by_name(form_fields.build(SCHEMA, data, errors, raw))
    assert shown["rows"].rows[1][1].value == "十二" and shown["rows"].rows[1][1].error == "请输入数字"


def test_engine_errors_land_on_the_inputs_they_belong_to():
    validator = Draft202012Validator(DECLARATION)
    data = {"indicators": [{"name": "甲", "category": "quantity", "comparator": "range", "target": "80 到 90",
                            "weight": 120, "standard_source": "plan"}]}
    engine = [{"field": "/".join(str(p) for p in e.absolute_path) or None, "message": e.message}
              for e in validator.iter_errors(data)]  # exactly how the engine reports them (422)
    found = formdata.engine_errors(engine, DECLARATION, "zh")
    assert found["goal_summary"] == "必填"
    assert found["indicators/0/target"] == "格式不正确"
    assert found["indicators/0/weight"] == "不能大于 100"
    assert found["indicators"] in ("至少需要 2 行", "缺少必需类别的条目（见说明）")
    where = {path: place for path, place, _ in formdata.summary(found, DECLARATION, "zh")}
    assert where["indicators/0/weight"] == "绩效指标 · 第 1 行 · 权重"
    english = formdata.engine_errors(engine, DECLARATION, "en")
    assert english["indicators/0/weight"] == "Must be at most 100"


def test_explain_uses_the_fields_own_limits():
    assert formdata.explain("[] should be non-empty", {"type": "array", "minItems": 1}, "zh") == "至少需要 1 行"
    assert formdata.explain("[{'a': 1}] is too short", {"type": "array", "minItems": 2}, "en") == "At least 2 rows"
    assert formdata.explain("'' should be non-empty", {"type": "string", "minLength": 1}, "zh") == "必填"
    assert formdata.explain("'x' is too long", {"type": "string", "maxLength": 1}, "zh") == "不能超过 1 个字符"
    assert formdata.explain("5 is not one of ['a']", {"enum": ["a"]}, "zh") == "请从列表中选择"
    assert formdata.explain("something new", {}, "zh") == "something new"
