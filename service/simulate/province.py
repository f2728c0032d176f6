"""The synthetic province: the seeded organisation plus numbered departments up to the size asked for, a staff
member and a head for each, and one fiscal year's projects spread over them (the demo's generator)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select

from service import db
from service.cycle import projects_records
from service.demo import people_demo
from service.demo.projects_demo import DemoProject, generate, whole_department
from service.models import Department, Expert

DEPARTMENTS = Department.__table__
EXPERTS = Expert.__table__
PILOT_SHARE = 0.1  # whole-department spending items for a tenth of the departments, as in the demo
# A province has a larger expert library than the seeded city's 30: about a fifth of the projects are major and need a
# panel of 3 from experts engaged at most 6 times a year (seeds/rules.json), so one expert per 8 projects (a margin
# for conflicts of interest and the sector's preference) keeps every panel drawable.
PROJECTS_PER_EXPERT = 8


@dataclass(frozen=True)
class Province:
    year: int
    departments: int
    projects: list[str]  # ids, in creation order


def spread(total: int, parts: int) -> list[int]:
    """`total` split over `parts` as evenly as whole numbers allow (the first ones get the remainder)."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def add_departments(engine: Engine, wanted: int) -> list[dict[str, Any]]:
    """The first-level departments, numbered ones (模拟部门 0001, …) added until there are `wanted`; sectors repeat
    the seeded departments' sectors in turn."""
    with db.read(engine) as conn:
        depts = [dict(r._mapping) for r in conn.execute(
            select(DEPARTMENTS.c.id, DEPARTMENTS.c.name, DEPARTMENTS.c.level, DEPARTMENTS.c.sector)
            .where(DEPARTMENTS.c.kind == "department", DEPARTMENTS.c.parent_id.is_(None)).order_by(DEPARTMENTS.c.id))]
    sectors = sorted({d["sector"] for d in depts if d["sector"]}) or ["administration"]
    new = [{"id": f"sim{n:04d}", "name": f"模拟部门{n:04d}", "name_en": f"Simulated department {n:04d}",
            "level": "municipal", "kind": "department", "sector": sectors[n % len(sectors)], "active": True}
           for n in range(1, max(0, wanted - len(depts)) + 1)]
    if new:
        with db.write(engine) as conn:
            conn.execute(insert(DEPARTMENTS), new)
    return (depts + [{k: d[k] for k in ("id", "name", "level", "sector")} for d in new])[:wanted]


def add_experts(engine: Engine, wanted: int, sectors: list[str]) -> int:
    """Numbered experts (模拟专家0001, …, each with an account name and two sectors) until the library has `wanted`."""
    with db.read(engine) as conn:
        have = conn.execute(select(func.count()).select_from(EXPERTS)).scalar_one()
    new = [{"username": f"simexpert{n:04d}", "name": f"模拟专家{n:04d}", "employer": "模拟高校", "title": "教授",
            "fields": json.dumps([sectors[n % len(sectors)], sectors[(n + 1) % len(sectors)]]), "conflicts": "[]",
            "available": True, "district_id": None} for n in range(1, max(0, wanted - have) + 1)]
    if new:
        with db.write(engine) as conn:
            conn.execute(insert(EXPERTS), new)
    return len(new)


def build(engine: Engine, root: Path, departments: int, projects: int, year: int, now: datetime) -> Province:
    """Departments, experts, accounts (the demo's: named bureau people, experts, agencies, each department's staff
    and head) and `projects` projects of fiscal year `year`, whole-department items included."""
    depts = add_departments(engine, departments)
    add_experts(engine, -(-projects // PROJECTS_PER_EXPERT), sorted({d["sector"] or "administration" for d in depts}))
    people_demo.create_accounts(engine, people_demo.accounts(engine, root / "seeds" / "demo_people.json"), now)
    pilots = whole_department(depts, year, PILOT_SHARE)[:max(0, projects // 20)]  # at most one item in twenty
    counts = spread(projects - len(pilots), len(depts))
    items: list[DemoProject] = generate(depts, [year], {d["id"]: n for d, n in zip(depts, counts, strict=True)},
                                        seed=year) + pilots
    with db.write(engine) as conn:
        for p in items:
            projects_records.create(conn, now, id=p.id, fiscal_year=p.fiscal_year, department_id=p.department_id,
                                 name=p.name, sector=p.sector, amount=p.amount, kind=p.kind, is_key=p.is_key,
                                 predecessor_id=p.predecessor_id)
    return Province(year, len(depts), [p.id for p in items])
