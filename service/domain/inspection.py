"""What a financial supervision inspection looks at and how its findings weigh (the plan 二(三)4二是: goal setting,
execution, evaluation quality and the use of results). Pure rules: no database, no clock."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from service.errors import InvalidInput

# aspect → (Chinese label, English label); the four checks the plan 二(三)4二是 names
ASPECTS: dict[str, tuple[str, str]] = {
    "goal_setting": ("目标设定", "Goal setting"),
    "execution": ("执行", "Execution"),
    "evaluation_quality": ("评价质量", "Evaluation quality"),
    "use_of_results": ("结果运用", "Use of results"),
}
# severity → (Chinese label, English label); a major or serious finding is always rectified (local practice)
SEVERITIES: dict[str, tuple[str, str]] = {
    "minor": ("一般", "Minor"),
    "major": ("较重", "Major"),
    "serious": ("严重", "Serious"),
}
RECTIFIED_ALWAYS = frozenset({"major", "serious"})
TARGET_KINDS: dict[str, tuple[str, str]] = {
    "department": ("预算部门", "Budget department"),
    "fund": ("专项转移支付资金", "Special transfer fund"),
}


def findings_of(raw: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The inspection task's findings, checked: each on one of the four aspects, with a known severity and a text;
    a major or serious finding requires rectification whatever the form said."""
    found, problems = [], []
    for i, item in enumerate(raw):
        aspect, severity, text = item.get("aspect"), item.get("severity"), str(item.get("text") or "").strip()
        if aspect not in ASPECTS:
            problems.append({"field": f"findings[{i}].aspect", "message": f"unknown aspect: {aspect}"})
        if severity not in SEVERITIES:
            problems.append({"field": f"findings[{i}].severity", "message": f"unknown severity: {severity}"})
        if not text:
            problems.append({"field": f"findings[{i}].text", "message": "a finding needs its text"})
        found.append({"position": i + 1, "aspect": aspect, "severity": severity, "text": text,
                      "requires_rectification": severity in RECTIFIED_ALWAYS or bool(item.get("rectify"))})
    if problems:
        raise InvalidInput("the findings do not fit the inspection", problems)
    return found


def needs_rectification(findings: Iterable[Mapping[str, Any]]) -> bool:
    """Whether the findings call for the rectification process: any one requiring rectification does."""
    return any(f["requires_rectification"] for f in findings)


def draw_members(candidates: Sequence[Mapping[str, Any]], *, sector: str | None, size: int,
                 rng: random.Random) -> list[Mapping[str, Any]]:
    """Draw `size` members of the supervision library at random, those following the sector first (the shape of
    the expert draw); fewer when the library holds fewer."""
    if size < 1:
        raise InvalidInput("the inspection team needs at least one member",
                           [{"field": "inspection.team_size", "message": "must be at least 1"}])
    following = [c for c in candidates if sector and sector in c["fields"]]
    others = [c for c in candidates if c not in following]
    rng.shuffle(following)
    rng.shuffle(others)
    return (following + others)[:size]
