"""Budget linkage (结果应用): the next year's amount of a proposal — pure (the plan 二(一)4; mapping: local practice).

The DMN table `workflows/budget_proposal.dmn` decides the category (priority / maintain / cut / cancel / hold);
the change each category makes to the base amount comes from rule `linkage.proposals`
({grade: {"proposal": category, "change": fraction}}, e.g. 中 → cut −0.10), so the percentages stay rule rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from service.domain.grades import GRADES, to_decimal
from service.errors import InvalidInput

PROPOSALS = ("priority", "maintain", "cut", "cancel", "hold")
HOLD = "hold"
_CENT = Decimal("0.01")
_RULE = "linkage.proposals"
_YEAR_RULE = "linkage.budget_year_offset"


def check_proposals(proposals: Mapping[str, Any]) -> dict[str, tuple[str, Decimal]]:
    """Rule `linkage.proposals` as {grade: (category, change)}; refuse unknown names and cuts below −100 %."""
    checked: dict[str, tuple[str, Decimal]] = {}
    for grade, entry in proposals.items():
        if grade not in GRADES or not isinstance(entry, Mapping):
            raise InvalidInput(f"{_RULE} names an unknown grade", [{"field": _RULE, "message": f"grade {grade!r}"}])
        category = entry.get("proposal")
        if category not in PROPOSALS or category == HOLD:
            raise InvalidInput(f"{_RULE} names an unknown proposal",
                               [{"field": f"{_RULE}.{grade}", "message": f"proposal {category!r}"}])
        change = to_decimal(entry.get("change"), f"{_RULE}.{grade}.change")
        if change < -1:
            raise InvalidInput(f"{_RULE} cuts more than the whole amount",
                               [{"field": f"{_RULE}.{grade}.change", "message": "must be at least -1"}])
        checked[grade] = (category, change)
    return checked


def change_for(proposal: str, grade: str | None, proposals: Mapping[str, Any]) -> Decimal:
    """The fraction by which a proposal changes the base amount.

    A grade's own row wins when it names the proposal (an administrator may map two grades to one category
    with different changes). "hold" (fund only after rectification, local practice) keeps the amount the
    grade earns, released once rectification is done; without a grade a hold changes nothing.
    """
    rows = check_proposals(proposals)
    if proposal not in PROPOSALS:
        raise InvalidInput("unknown budget proposal", [{"field": "budget_proposal", "message": repr(proposal)}])
    if proposal == HOLD:
        return rows[grade][1] if grade in rows else Decimal(0)
    if grade in rows and rows[grade][0] == proposal:
        return rows[grade][1]
    for category, change in rows.values():
        if category == proposal:
            return change
    raise InvalidInput(f"{_RULE} has no row for proposal {proposal!r}",
                       [{"field": _RULE, "message": f"add a grade whose proposal is {proposal!r}"}])


def proposed_amount(base_amount: Any, proposal: str, grade: str | None, proposals: Mapping[str, Any]) -> Decimal:
    """The next year's proposed amount: base × (1 + change), to the fen (half up), never below zero."""
    base = to_decimal(base_amount, "budget_amount")
    if base < 0:
        raise InvalidInput("the base amount is negative", [{"field": "budget_amount", "message": "must be ≥ 0"}])
    amount = (base * (1 + change_for(proposal, grade, proposals))).quantize(_CENT, rounding=ROUND_HALF_UP)
    return max(amount, Decimal("0.00"))


def budget_year(fiscal_year: int, offset: Any) -> int:
    """The budget year a fiscal year's results are decided into: fiscal year + rule `linkage.budget_year_offset`.

    Results of year N are known in the first half of N + 1, when the budget of N + 1 is already in force and that
    of N + 2 is being prepared, so the default offset is 2 (local practice, see the rule row's source).
    """
    if isinstance(offset, bool) or not isinstance(offset, int) or not 1 <= offset <= 3:
        raise InvalidInput(f"{_YEAR_RULE} must be a whole number of years from 1 to 3",
                           [{"field": _YEAR_RULE, "message": repr(offset)}])
    return int(fiscal_year) + offset


CITY_GOVERNMENT = "武汉市人民政府"


def government_of(bureau_name: str | None) -> str:
    """The same-level government a key project's results are reported to (the plan 一(四): “重点评价结果向同级政府
    报告”): a district project's to its district's government, named after the district's finance bureau
    (江岸区财政局 → 江岸区人民政府); the city's (None: no district) to the city's."""
    if not bureau_name:
        return CITY_GOVERNMENT
    district = bureau_name.removesuffix("财政局")
    return f"{district}人民政府"


CITY_GOVERNMENT_EN = "Wuhan Municipal People's Government"


def government_name_en(reported_to: str | None, bureaus: dict[str, str | None]) -> str | None:
    """The English name of the government a key project's results went to (`reported_to`, as `government_of` named
    it), from the district finance bureaus' Chinese and English names (江岸区财政局 / Jiang'an District Finance Bureau
    → Jiang'an District People's Government); None when unknown (the page shows the Chinese name)."""
    if not reported_to:
        return None
    if reported_to == CITY_GOVERNMENT:
        return CITY_GOVERNMENT_EN
    for name, name_en in bureaus.items():
        if government_of(name) == reported_to and name_en:
            return f"{name_en.removesuffix(' Finance Bureau').strip()} People's Government"
    return None
