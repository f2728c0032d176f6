"""Choosing the whole-department evaluation pilots (部门整体支出绩效评价试点, the plan 二(三)3): pure.

The plan asks for pilots in a share of the first-level departments (rule `coverage.whole_department_evaluation_share`:
5 % in 2014, 10 % in 2015). The coverage report (service/domain/coverage_rules.py) measures the share of year N by the
first-level departments whose whole-department item of year N − 1 was evaluated, so the pilots "of year N" evaluate
the whole spending of fiscal year N − 1, and their number is counted against the same denominator as the report's.

The selection is deterministic:
1. departments that already have a whole-department item of the spending year stay pilots (never dropped);
2. the number of pilots is never below the share: ceil(share × departments / 100);
3. to fill up, departments not piloted the year before come first (the pilots rotate), then larger spending of the
   spending year first (the plan's attention goes where the money is), then the department id (a stable tie-break).
Only active departments are chosen; if too few are left the shortfall is reported, not hidden.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from service.domain.grades import to_decimal
from service.errors import InvalidInput

SHARE_KEY = "coverage.whole_department_evaluation_share"


@dataclass(frozen=True)
class Candidate:
    """A first-level department of the level, as the selection sees it."""

    department_id: str
    name: str
    spending: Decimal  # project money of the spending year (its own and its units')
    piloted_before: bool = False  # had a whole-department item the year before the spending year
    piloted_now: bool = False  # already has a whole-department item of the spending year
    active: bool = True


@dataclass(frozen=True)
class Choice:
    department_id: str
    name: str
    spending: Decimal
    reason: str  # existing | rotation | repeat


@dataclass(frozen=True)
class Selection:
    share: Decimal  # percent
    departments: int  # the denominator: first-level departments of the level
    target: int  # ceil(share × departments / 100)
    chosen: tuple[Choice, ...]
    shortfall: int  # pilots missing because too few active departments were left


def target_count(share: Any, departments: int) -> int:
    """The least number of pilots that reaches `share` percent of `departments` (a floor, so rounded up)."""
    value = to_decimal(share, SHARE_KEY)
    if not 0 <= value <= 100:
        raise InvalidInput("the pilot share must be a percentage", [{"field": SHARE_KEY, "message": "0 to 100"}])
    if departments < 0:
        raise InvalidInput("negative department count", [{"field": "departments", "message": "≥ 0"}])
    return int((value * departments / 100).to_integral_value(rounding=ROUND_CEILING))


def select(candidates: Iterable[Candidate], share: Any, departments: int | None = None) -> Selection:
    """The pilots of a year: the existing ones, filled up to the share in the documented order."""
    items = sorted(candidates, key=lambda c: c.department_id)
    ids = [c.department_id for c in items]
    if len(ids) != len(set(ids)):
        raise InvalidInput("a department is listed twice", [{"field": "candidates", "message": "duplicate"}])
    denominator = len(items) if departments is None else departments
    target = target_count(share, denominator)
    chosen = [Choice(c.department_id, c.name, c.spending, "existing") for c in items if c.piloted_now]
    others = sorted((c for c in items if not c.piloted_now and c.active),
                    key=lambda c: (c.piloted_before, -c.spending, c.department_id))
    for c in others[:max(0, target - len(chosen))]:
        chosen.append(Choice(c.department_id, c.name, c.spending, "repeat" if c.piloted_before else "rotation"))
    return Selection(to_decimal(share, SHARE_KEY), denominator, target, tuple(chosen),
                     max(0, target - len(chosen)))
