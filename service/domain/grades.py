"""Grades of an evaluation (评价等级) from its score — pure (DOMAIN.md: 优 ≥ 90, 良 80–89, 中 60–79, 差 < 60).

The floors come from rule `evaluation.grade_floors` ({"优": 90, "良": 80, "中": 60}); the grade below the lowest
floor is 差. Scores are rounded to 2 decimals (half up) *before* grading, so the stored score and its grade never
disagree: 89.994 → 89.99 → 良, 89.995 → 90.00 → 优. "良 80–89" is read as "80 ≤ score < 90" (89.5 is 良).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from service.errors import InvalidInput

GRADES = ("优", "良", "中", "差")
LOWEST = "差"
_CENT = Decimal("0.01")


def to_decimal(value: Any, field: str = "value") -> Decimal:
    """A number from a form, a rule or a variable as an exact Decimal (floats through their shortest repr)."""
    if isinstance(value, bool) or value is None:
        raise InvalidInput(f"{field} must be a number", [{"field": field, "message": "must be a number"}])
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError:
        raise InvalidInput(f"{field} must be a number", [{"field": field, "message": "must be a number"}]) from None
    if not result.is_finite():
        raise InvalidInput(f"{field} must be a finite number", [{"field": field, "message": "must be finite"}])
    return result


def round_score(score: Any) -> Decimal:
    """A score as stored and shown: 2 decimals, half up (the evaluations.score column is Numeric(6, 2))."""
    return to_decimal(score, "score").quantize(_CENT, rounding=ROUND_HALF_UP)


def grade(score: Any, floors: Mapping[str, Any]) -> str:
    """The grade of a score against the floors of rule `evaluation.grade_floors` (the highest floor reached)."""
    rounded = round_score(score)
    for name, floor in sorted(_checked(floors).items(), key=lambda kv: kv[1], reverse=True):
        if rounded >= floor:
            return name
    return LOWEST


def _checked(floors: Mapping[str, Any]) -> dict[str, Decimal]:
    unknown = [k for k in floors if k not in GRADES or k == LOWEST]
    if unknown:
        raise InvalidInput("grade floors name unknown grades",
                           [{"field": "evaluation.grade_floors", "message": f"unknown grade(s) {unknown}"}])
    values = {k: to_decimal(v, f"evaluation.grade_floors.{k}") for k, v in floors.items()}
    ordered = [values[g] for g in GRADES if g in values]
    if ordered != sorted(ordered, reverse=True):
        raise InvalidInput("grade floors must fall from 优 to 中",
                           [{"field": "evaluation.grade_floors", "message": "floors out of order"}])
    return values


def final_result(self_evaluation: tuple[Any, str], spot_check: tuple[Any, str] | None = None,
                 key: tuple[Any, str] | None = None) -> dict[str, Any]:
    """The stage's result (score, grade): the key evaluation's when there is one, else the spot-checked score,
    else the self-evaluation's — the bureau's own (or commissioned) finding outranks the department's."""
    chosen = key or spot_check or self_evaluation
    return {"final_score": float(round_score(chosen[0])), "final_grade": chosen[1], "key_evaluated": key is not None}
