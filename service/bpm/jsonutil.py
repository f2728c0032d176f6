"""Canonical JSON for stored data, fingerprints and hashes."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return None  # callables, modules: not data


class NotJSON(ValueError):
    """Data holds a value JSON cannot represent (infinity or NaN)."""


def dumps(value: Any) -> str:
    """Compact JSON for the types task data may hold; NotJSON for infinity or NaN."""
    try:
        return json.dumps(value, default=_default, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError as exc:
        if "JSON compliant" in str(exc):
            raise NotJSON("the process computed a number JSON cannot hold (infinity or NaN)") from None
        raise


def canonical(value: Any) -> str:
    """Sorted-key JSON for hashing."""
    return json.dumps(value, default=_default, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def loads(text: str | None) -> Any:
    return json.loads(text) if text else None
