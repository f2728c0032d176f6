"""Which projects get a key evaluation (重点评价) or a spot-check (抽查) of their self-evaluation — pure.

Key evaluation (DOMAIN.md, Evaluation): projects marked key, and major projects in the plan's focus areas
(rule `evaluation.key_focus_sectors`). Spot-checks (quality control of self-evaluation reports): a share of the
other projects (rule `evaluation.spot_check_share`, percent), chosen by a hash of the project id rather than at
random, so that a replay of the instance — and anyone re-checking the selection — gets the same answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from service.domain.grades import to_decimal

_BUCKETS = 10_000  # a share is honoured to 0.01 %


def key_selected(*, is_key: bool, is_major: bool, sector: str, focus_sectors: Iterable[str]) -> bool:
    """A key evaluation for key projects and for major projects in a focus sector."""
    return bool(is_key) or (bool(is_major) and sector in set(focus_sectors))


def spot_check_bucket(project_id: str) -> int:
    """The project's fixed place (0–9999) in the spot-check draw: the first 8 bytes of SHA-256 of its id."""
    digest = hashlib.sha256(project_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % _BUCKETS


def spot_check_selected(project_id: str, share_percent: Any) -> bool:
    """Whether the project's self-evaluation is spot-checked: its bucket falls below share % of the buckets."""
    share = to_decimal(share_percent, "evaluation.spot_check_share")
    return Decimal(spot_check_bucket(project_id)) < share * _BUCKETS / 100
