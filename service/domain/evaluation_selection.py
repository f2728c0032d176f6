"""Which projects get a key evaluation (重点评价) or a spot-check (抽查) of their self-evaluation — pure.

Key evaluation (DOMAIN.md, Evaluation): projects marked key, and major projects in the plan's focus areas
(rule `evaluation.key_focus_sectors`). An evaluation's kind (EVALUATION_KINDS) says what is evaluated: a project, a
transfer to a lower level (the plan 二(三)3一是: "以及上级对下级转移支付项目纳入重点评价范围", so always key) or an
enterprise's use of fiscal funds (the same item: "实施企业使用财政性资金绩效评价", evaluated by the bureau's key
evaluation too). Spot-checks (quality control of self-evaluation reports): a share of the
other projects (rule `evaluation.spot_check_share`, percent), chosen by a hash of the project id rather than at
random, so that a replay of the instance — and anyone re-checking the selection — gets the same answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from service.domain.grades import to_decimal
from service.errors import InvalidInput

_BUCKETS = 10_000  # a share is honoured to 0.01 %

EVALUATION_KINDS = ("project", "transfer", "enterprise")
ALWAYS_KEY = frozenset({"transfer", "enterprise"})
# the start variable naming the subject of each kind that has one
SUBJECT_FIELDS = {"transfer": "transfer_recipient", "enterprise": "enterprise_name"}


def evaluation_kind(variables: dict[str, Any]) -> tuple[str, str | None]:
    """The kind and subject (receiving level or district; enterprise) the start data names; project by default."""
    kind = variables.get("evaluation_kind") or "project"
    if kind not in EVALUATION_KINDS:
        raise InvalidInput("unknown evaluation kind",
                           [{"field": "evaluation_kind", "message": f"one of {', '.join(EVALUATION_KINDS)}"}])
    field = SUBJECT_FIELDS.get(kind)
    if field is None:
        return kind, None
    subject = str(variables.get(field) or "").strip()
    if not subject:
        raise InvalidInput(f"a {kind} evaluation names its {field.replace('_', ' ')}",
                           [{"field": field, "message": "required for this evaluation kind"}])
    return kind, subject


def key_selected(*, is_key: bool, is_major: bool, sector: str, focus_sectors: Iterable[str],
                 kind: str = "project") -> bool:
    """A key evaluation for key projects, for major projects in a focus sector, and for every transfer to a lower
    level and every enterprise's use of fiscal funds."""
    return bool(is_key) or kind in ALWAYS_KEY or (bool(is_major) and sector in set(focus_sectors))


def spot_check_bucket(project_id: str) -> int:
    """The project's fixed place (0–9999) in the spot-check draw: the first 8 bytes of SHA-256 of its id."""
    digest = hashlib.sha256(project_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % _BUCKETS


def spot_check_selected(project_id: str, share_percent: Any) -> bool:
    """Whether the project's self-evaluation is spot-checked: its bucket falls below share % of the buckets."""
    share = to_decimal(share_percent, "evaluation.spot_check_share")
    return Decimal(spot_check_bucket(project_id)) < share * _BUCKETS / 100
