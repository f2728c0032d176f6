"""Entries of a library as a task form's options (a form field names its library with "x-library")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from service.cycle.projects_records import SECTORS
from service.libraries import indicators
from service.libraries.common import district_of, drawn_from


def library_options(conn: Connection, library: str, lang: str, sector: str | None = None,
                    department_id: str | None = None) -> list[dict[str, Any]]:
    """Entries of a library named by a form's "x-library" (only "indicators" so far), for a datalist: the
    confirmed indicators of every sector and of the project's own, the city's and those of the district of the
    project's department (`department_id`)."""
    if library != "indicators":
        return []
    count = conn.execute(select(func.count()).select_from(indicators.INDICATORS)).scalar_one()
    found = indicators.list_indicators(conn, status="confirmed", per_page=max(count, 1),
                                       sector=sector if sector in SECTORS else None)["items"]
    district = district_of(conn, department_id)
    found = [i for i in found if drawn_from(i["district_id"], district)]
    # Leaves of the hierarchy are what a goal names; the upper levels only group them.
    deepest = max((i["level"] for i in found), default=0)
    return [{"code": i["code"], "name": (i["name_en"] or i["name"]) if lang == "en" else i["name"],
             "category": i["category"], "unit": i["unit"] or "", "weight": i["default_weight"]}
            for i in found if i["level"] == deepest]
