"""Training (the plan 三(四)): the attendee groups and the yearly sessions measure. Pure: no database, no clock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The plan 三(四) names who is trained: “财政干部、预算部门、第三方评价机构、专家学者”.
GROUPS: dict[str, tuple[str, str]] = {
    "bureau_staff": ("财政干部", "Finance bureau staff"),
    "departments": ("预算部门", "Budget departments"),
    "agencies": ("中介机构", "Evaluation agencies"),
    "experts": ("专家", "Experts"),
}
RULE = "training.sessions_per_year"


@dataclass(frozen=True)
class SessionsMeasure:
    """Sessions held at a level in a year against the rule's one to two."""

    year: int
    level: str
    held: int
    minimum: int
    maximum: int
    source: str | None

    @property
    def met(self) -> bool:
        """Met from the first session: the plan's “原则上” one to two is a floor, more sessions are no shortfall."""
        return self.held >= self.minimum

    def as_dict(self) -> dict[str, Any]:
        return {"year": self.year, "level": self.level, "held": self.held, "minimum": self.minimum,
                "maximum": self.maximum, "met": self.met, "source": self.source}


def sessions_measure(year: int, level: str, held: int, rule: Any, source: str | None) -> SessionsMeasure:
    """The measure from the rule row's value ({"min": 1, "max": 2})."""
    if not isinstance(rule, dict) or not isinstance(rule.get("min"), int) or not isinstance(rule.get("max"), int) \
            or not 0 <= rule["min"] <= rule["max"]:
        raise ValueError(f"rule {RULE} must be {{'min': n, 'max': m}} with 0 <= n <= m, not {rule!r}")
    return SessionsMeasure(year, level, held, rule["min"], rule["max"], source)
