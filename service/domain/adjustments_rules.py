"""In-year budget adjustments (the plan 二(三)2): the classified handling opinion and the amount moved — pure.

The plan asks, for projects monitoring finds will achieve nothing or miss their goals, “在甄别的基础上提出分类处理
意见,及时调整预算,用于当年急需安排的项目支出”. The opinion is one of four classes; money is moved only by the
classes that take it off the project (adjust, stop), never more than the project's budget.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from service.domain.grades import to_decimal
from service.errors import InvalidInput

# continue with correction | adjust the budget and continue | suspend | stop
HANDLINGS = ("continue", "adjust", "suspend", "stop")
MOVING = ("adjust", "stop")
_CENT = Decimal("0.01")


def checked_amount(handling: str, amount: Any, budget: Any) -> Decimal | None:
    """The amount an opinion moves to the same year's urgent spending, to the fen; None when it moves nothing.

    Refused: an unknown opinion, a negative amount, money moved under an opinion that keeps it on the project,
    an adjustment without an amount, and more than the project's budget.
    """
    if handling not in HANDLINGS:
        raise InvalidInput("unknown handling opinion", [{"field": "handling_opinion", "message": ", ".join(HANDLINGS)}])
    if amount is None:
        if handling == "adjust":
            raise InvalidInput("an adjustment needs the amount moved",
                               [{"field": "adjustment_amount", "message": "required"}])
        return None
    value = to_decimal(amount, "adjustment_amount").quantize(_CENT, rounding=ROUND_HALF_UP)
    if value < 0:
        raise InvalidInput("the amount moved is negative", [{"field": "adjustment_amount", "message": "must be ≥ 0"}])
    if value == 0:
        if handling == "adjust":
            raise InvalidInput("an adjustment moves more than nothing",
                               [{"field": "adjustment_amount", "message": "must be > 0"}])
        return None
    if handling not in MOVING:
        raise InvalidInput("this handling opinion keeps the budget on the project",
                           [{"field": "adjustment_amount", "message": "only for adjust or stop"}])
    if value > to_decimal(budget, "budget_amount"):
        raise InvalidInput("the amount moved exceeds the project's budget",
                           [{"field": "adjustment_amount", "message": f"at most {budget}"}])
    return value

