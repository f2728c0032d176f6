"""Load seeds/libraries/*.json into the library tables; rows already present stay as administrators changed them."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select

from service.config import ROOT
from service.models import Agency, Expert, LibraryIndicator, SupervisionMember

SEED_DIR = ROOT / "seeds" / "libraries"

INDICATORS = LibraryIndicator.__table__
EXPERTS = Expert.__table__
AGENCIES = Agency.__table__
SUPERVISION = SupervisionMember.__table__


def _load(directory: Path, name: str) -> list[dict[str, Any]]:
    return list(json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))["items"])


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _indicator_row(item: dict[str, Any]) -> dict[str, Any]:
    weight = item.get("default_weight")
    return {
        "code": item["code"], "name": item["name"], "name_en": item.get("name_en"), "level": item["level"],
        "parent_code": item.get("parent_code"), "category": item["category"], "scope": "common",
        "status": "confirmed", "definition": item.get("definition"), "formula": item.get("formula"),
        "quantitative": bool(item.get("quantitative", True)), "unit": item.get("unit"),
        "default_weight": Decimal(str(weight)) if weight is not None else None,
        "sectors": _dumps(item.get("sectors", [])), "standards": _dumps(item.get("standards", {})),
        "proposed_by": None, "comparator": item.get("comparator"),
    }


def _expert_row(item: dict[str, Any]) -> dict[str, Any]:
    return {"username": item.get("username"), "name": item["name"], "employer": item["employer"],
            "title": item.get("title"), "fields": _dumps(item.get("fields", [])),
            "conflicts": _dumps(item.get("conflicts", [])), "available": bool(item.get("available", True))}


def _agency_row(item: dict[str, Any]) -> dict[str, Any]:
    return {"username": item.get("username"), "name": item["name"], "kind": item["kind"],
            "qualifications": _dumps(item.get("qualifications", [])), "fields": _dumps(item.get("fields", [])),
            "conflicts": _dumps(item.get("conflicts", [])), "status": item.get("status", "active")}


def _member_row(item: dict[str, Any]) -> dict[str, Any]:
    return {"username": item.get("username"), "name": item["name"], "organisation": item["organisation"],
            "role": item["role"], "fields": _dumps(item.get("fields", [])), "active": bool(item.get("active", True))}


def seed_libraries(conn: Connection, now: datetime, directory: Path = SEED_DIR) -> dict[str, int]:
    """Insert the seeded library members that are missing (by indicator code, member name); returns counts added."""
    del now  # library rows carry no timestamps; kept for the seed functions' common signature
    counts = {"indicators": 0, "experts": 0, "agencies": 0, "supervision": 0}
    known = set(conn.execute(select(INDICATORS.c.code)).scalars())
    for item in _load(directory, "indicators"):
        if item["code"] not in known:
            conn.execute(insert(INDICATORS).values(**_indicator_row(item)))
            counts["indicators"] += 1
    # Members are matched by name: usernames may be re-pointed to other accounts after seeding.
    for key, table, build in (("experts", EXPERTS, _expert_row), ("agencies", AGENCIES, _agency_row),
                              ("supervision", SUPERVISION, _member_row)):
        names = set(conn.execute(select(table.c.name)).scalars())
        for item in _load(directory, key):
            if item["name"] not in names:
                conn.execute(insert(table).values(**build(item)))
                names.add(item["name"])
                counts[key] += 1
    return counts
