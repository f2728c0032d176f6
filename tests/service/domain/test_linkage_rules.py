"""Budget linkage amounts (结果应用) from rule `linkage.proposals`: the seeded rule row, then edited rows."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from service.config import ROOT
from service.domain.linkage_rules import change_for, proposed_amount
from service.errors import InvalidInput


def _seeded() -> dict:
    rules = json.loads((ROOT / "seeds" / "rules.json").read_text(encoding="utf-8"))["rules"]
    return next(r["value"] for r in rules if r["key"] == "linkage.proposals")


SEEDED = _seeded()


@pytest.mark.parametrize("proposal, grade, amount", [
    ("priority", "优", "1200000.00"),
    ("maintain", "良", "1200000.00"),
    ("cut", "中", "1080000.00"),  # local practice: 中 → cut 10 %
    ("cancel", "差", "0.00"),
    ("cancel", None, "0.00"),  # a blocked goal or a stopped project: no grade, cancelled
    ("hold", "中", "1080000.00"),  # unrectified: the grade's amount, held until rectification is done
    ("hold", "良", "1200000.00"),
    ("hold", None, "1200000.00"),
])
def test_seeded_rule_gives_each_proposal_its_amount(proposal, grade, amount):
    assert proposed_amount(1_200_000, proposal, grade, SEEDED) == Decimal(amount)


def test_amounts_are_rounded_to_the_fen():
    assert proposed_amount("333333.35", "cut", "中", SEEDED) == Decimal("300000.02")  # 300000.015 half up


def test_an_edited_rule_row_changes_the_amount_without_code():
    edited = {**SEEDED, "中": {"proposal": "cut", "change": -0.15}, "优": {"proposal": "priority", "change": 0.05}}
    assert proposed_amount(1_000_000, "cut", "中", edited) == Decimal("850000.00")
    assert proposed_amount(1_000_000, "priority", "优", edited) == Decimal("1050000.00")


def test_a_grade_mapped_to_another_category_uses_that_categorys_change():
    # 差 may be "cut heavily" instead of cancelled (DOMAIN.md 5): the DMN still says cut for 中.
    edited = {**SEEDED, "差": {"proposal": "cut", "change": -0.5}}
    assert change_for("cut", "差", edited) == Decimal("-0.5")
    assert change_for("cut", "中", edited) == Decimal("-0.1")
    assert change_for("cut", None, edited) == Decimal("-0.1")


def test_never_below_zero_and_bad_rules_are_refused():
    assert proposed_amount(100, "cancel", "差", SEEDED) == Decimal("0.00")
    with pytest.raises(InvalidInput):
        change_for("cut", "中", {**SEEDED, "中": {"proposal": "cut", "change": -1.5}})
    with pytest.raises(InvalidInput):
        change_for("cut", "中", {"中": {"proposal": "shrink", "change": -0.1}})
    with pytest.raises(InvalidInput):
        change_for("priority", "优", {"中": {"proposal": "cut", "change": -0.1}})  # no row says priority
    with pytest.raises(InvalidInput):
        change_for("maybe", "优", SEEDED)
    with pytest.raises(InvalidInput):
        proposed_amount(-1, "maintain", "良", SEEDED)
