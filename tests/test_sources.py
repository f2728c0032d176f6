"""Every rule names its source (DOMAIN.md, "Sources"): the plan with a section that exists, a national document by
number, or local practice with its reason; what is quoted from the plan is the plan's own words.

Read: the rule rows and the libraries' seeds, the BPMN and DMN documentation, the forms, the pages (templates and
their texts), the code's comments and docstrings, the README and docs/. The outline comes from the plan's text (tests/plan_text.py).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest

from tests.plan_text import ROOT, citations, in_plan, outline, plan_text, quoted_from_plan

RULES = json.loads((ROOT / "seeds" / "rules.json").read_text(encoding="utf-8"))["rules"]
KINDS = ("the plan ", "national practice", "local practice")
NATIONAL_DOCUMENT = re.compile(r"[\u4e00-\u9fff]+〔\d{4}〕\d+号")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _texts() -> Iterator[tuple[str, str]]:
    """(where, text) for every text that may state a rule."""
    for i, row in enumerate(RULES):
        yield f"seeds/rules.json row {i} ({row['key']})", row.get("source", "")
    for path in sorted((ROOT / "seeds").rglob("*.json")):
        if path.name != "rules.json":
            data = json.loads(path.read_text(encoding="utf-8"))
            yield str(path.relative_to(ROOT)), data.get("source", "") if isinstance(data, dict) else ""
    for path in sorted((ROOT / "workflows").glob("*.[bd][pm][mn]*")):
        for element in ET.parse(path).iter():
            if element.tag.rsplit("}", 1)[-1] in ("documentation", "description") and element.text:
                yield f"{path.relative_to(ROOT)} <{element.tag.rsplit('}', 1)[-1]}>", element.text
    for path in sorted((ROOT / "forms").glob("*.json")):
        for text in _strings(json.loads(path.read_text(encoding="utf-8"))):
            yield str(path.relative_to(ROOT)), text
    for folder, pattern in (("service", "*.py"), ("service/web/templates", "*.html"), ("workers", "*.py"),
                            (".", "README.md"), ("docs", "*.md")):
        for path in sorted((ROOT / folder).glob(pattern) if folder == "." else (ROOT / folder).rglob(pattern)):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                yield f"{path.relative_to(ROOT)}:{n}", line


TEXTS = list(_texts())


def test_the_outline_is_the_plans():
    sections = outline()
    assert {"一(五)", "二(一)4", "二(二)三是", "二(三)3二是", "二(三)4二是", "三(四)"} <= set(sections)
    assert not {"二(四)", "二(五)", "二(三)5", "三(六)"} & set(sections)
    assert "情况严重,暂缓后停止该项目的执行" in sections["二(一)2"]  # its comma, not DOMAIN.md's


def test_every_citation_of_the_plan_names_a_section_of_its_outline():
    sections = outline()
    wrong = [f"{where}: {', '.join(c.sections) or 'no section'} — {text.strip()[:120]}"
             for where, text in TEXTS for c in citations(text)
             if not c.sections or set(c.sections) - set(sections)]
    assert not wrong, "\n".join(wrong)


def test_what_is_quoted_from_the_plan_is_its_own_words():
    wrong = [f"{where}: “{q}”" for where, text in TEXTS for q in quoted_from_plan(text) if not in_plan(q)]
    assert not wrong, "\n".join(wrong)


def test_every_rule_row_names_its_kind_of_source():
    wrong = []
    for row in RULES:
        source = row.get("source") or ""
        if not source.strip():
            wrong.append(f"{row['key']}: no source")
        elif not source.startswith(KINDS):
            wrong.append(f"{row['key']}: begins neither “the plan <section>”, “national practice” nor “local practice”")
        elif source.startswith("the plan ") and not citations(source)[:1]:
            wrong.append(f"{row['key']}: the plan without a section")
        elif source.startswith("national practice") and not NATIONAL_DOCUMENT.search(source):
            wrong.append(f"{row['key']}: national practice without the document's number")
        elif re.search(r"\bissue\b|DOMAIN\.md", source):
            wrong.append(f"{row['key']}: cites a tracker or a design note, which an inspector cannot look up")
    assert not wrong, "\n".join(wrong)


def _numbers(value: Any) -> Iterator[float]:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, (int, float)):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, list):
        for v in value:
            yield from _numbers(v)


# How the plan writes a number it gives in words.
IN_WORDS = {100: ("全覆盖",), 1: ("一",), 2: ("两", "二")}


@pytest.mark.parametrize("row", [r for r in RULES if r["source"].startswith("the plan ")], ids=lambda r: r["key"])
def test_a_number_credited_to_the_plan_is_in_the_section_cited(row):
    cited = citations(row["source"])[0].sections
    text = "\n".join(outline()[s] for s in cited)
    for n in [*_numbers(row["value"]), *([row["year"]] if "year" in row else [])]:
        shown = f"{n:g}"
        assert re.search(rf"(?<!\d){re.escape(shown)}(?!\d)", text) or any(w in text for w in IN_WORDS.get(n, ())), \
            f"{row['key']}: {shown} is not in the plan {', '.join(cited)}"


def test_the_plan_text_is_the_shared_one():
    assert plan_text().count("武汉市预算绩效管理工作方案(2014—2015年)") >= 2
    assert "CONTACT US" not in plan_text()  # the web page's furniture is not the plan


@pytest.mark.parametrize(("text", "cited"), [
    ("the plan 二(四)/(五): accountability", [("二(四)", "二(五)")]),
    ("（《武汉市预算绩效管理工作方案》二(三)1二是、二(三)3二是）", [("二(三)1二是", "二(三)3二是")]),
    ("the plan 三 and 二(三)3", [("三", "二(三)3")]),
    ("（方案：监督指导库）", [()]),
    ("(the plan: 随机抽取)", [()]),
    ("the plan gives no day count; the plan's targets", []),
    ("整改方案、实施方案", []),
    ("《武汉市预算绩效管理工作方案(2014—2015年)》 (the plan)", []),
])
def test_citations_are_read_as_the_project_writes_them(text, cited):
    assert [c.sections for c in citations(text)] == cited


def test_a_quotation_is_the_plans_when_its_sentence_cites_the_plan():
    text = "本地做法；方案二(一)2：“情况严重,暂缓后停止该项目的执行。”其后。目标审核为“差”：不得进入预算。"
    assert quoted_from_plan(text) == ["情况严重,暂缓后停止该项目的执行。"]
    assert in_plan("情况严重,暂缓后停止该项目的执行。") and not in_plan("情况严重，暂缓后停止该项目的执行。")
