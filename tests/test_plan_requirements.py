"""docs/PLAN.md answers an inspector: every section of the plan has a row, each row quotes the plan's own words,
and every process, form, rule row, page, API operation and command it names exists."""

from __future__ import annotations

import json
import re
from typing import Any

import click
import pytest

from service.cli import main
from tests.plan_text import ROOT, in_plan, outline

DOC = ROOT / "docs" / "PLAN.md"
RULE_KEYS = {r["key"] for r in json.loads((ROOT / "seeds" / "rules.json").read_text(encoding="utf-8"))["rules"]}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _rows() -> list[list[str]]:
    rows = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("| ") and not line.startswith(("| Section", "|---")):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            assert len(cells) == 4, line
            rows.append(cells)
    return rows


ROWS = _rows()


def _leaves() -> set[str]:
    keys = set(outline())
    return {k for k in keys if not any(other != k and other.startswith(k) for other in keys)}


def test_every_section_of_the_plan_has_a_row():
    sections = [row[0] for row in ROWS]
    assert not set(sections) - set(outline()), "rows name sections the plan does not have"
    assert not _leaves() - set(sections), f"sections without a row: {sorted(_leaves() - set(sections))}"


def test_each_row_quotes_the_plans_own_words():
    for section, words, *_ in ROWS:
        quotes = re.findall(r"“([^”]+)”", words)
        assert quotes, f"{section}: no words of the plan"
        for q in quotes:
            assert in_plan(q), f"{section}: “{q}” is not in the plan"
            assert q.replace("……", "") and outline()[section].find(q.split("……")[0]) >= 0, \
                f"{section}: “{q}” is the plan's, but not in {section}"


def test_each_row_is_implemented_somewhere_or_says_why_not():
    for section, words, where, _ in ROWS:
        named = re.findall(r"`([^`]+)`", where)
        assert named or where.startswith("**Not covered**"), f"{section} {words}: neither a place nor a reason"
        if where.startswith("**Not covered**"):
            assert len(where) > len("**Not covered**") + 20, f"{section}: say why it is not covered"


def _route_exists(app: Any, ref: str) -> bool:
    method, _, path = ref.partition(" ") if ref.startswith(METHODS) else ("GET", "", ref)
    wanted = re.sub(r"<[^>]+>", "<>", path.split("?")[0])
    return any(re.sub(r"<[^>]+>", "<>", rule.rule) == wanted and method in rule.methods
               for rule in app.url_map.iter_rules())


def _command_exists(ref: str) -> bool:
    command: Any = main
    for word in ref.split()[1:]:
        if not isinstance(command, click.Group) or word not in command.commands:
            return False
        command = command.commands[word]
    return True


@pytest.mark.parametrize("row", ROWS, ids=lambda row: f"{row[0]} {row[1][:12]}")
def test_everything_a_row_names_exists(app, row):
    for ref in re.findall(r"`([^`]+)`", " ".join(row[2:])):
        if ref.startswith("/") or ref.startswith(METHODS):
            assert _route_exists(app, ref), f"no page or API operation {ref}"
        elif ref.startswith("jixiao "):
            assert _command_exists(ref), f"no command {ref}"
        elif "/" in ref:
            assert (ROOT / ref).is_file(), f"no file {ref}"
        else:
            assert ref in RULE_KEYS, f"no rule row {ref}"
