"""The synthetic province: the seeded organisation plus numbered departments up to the size asked for, a staff
member and a head for each, and one fiscal year's projects spread over them (the demo's generator)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select

from service import db
from service.cycle import projects as project_store
from service.demo import people
from service.demo.projects import DemoProject, generate, whole_department
from service.models import Department

D = Department.__table__
PILOT_SHARE = 0.1  # whole-department spending items for a tenth of the departments, as in the demo


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
            select(D.c.id, D.c.name, D.c.level, D.c.sector)
            .where(D.c.kind == "department", D.c.parent_id.is_(None)).order_by(D.c.id))]
    sectors = sorted({d["sector"] for d in depts if d["sector"]}) or ["administration"]
    new = [{"id": f"sim{n:04d}", "name": f"模拟部门{n:04d}", "name_en": f"Simulated department {n:04d}",
            "level": "municipal", "kind": "department", "sector": sectors[n % len(sectors)], "active": True}
           for n in range(1, max(0, wanted - len(depts)) + 1)]
    if new:
        with db.write(engine) as conn:
            conn.execute(insert(D), new)
    return (depts + [{k: d[k] for k in ("id", "name", "level", "sector")} for d in new])[:wanted]


def build(engine: Engine, root: Path, departments: int, projects: int, year: int, now: datetime) -> Province:
    """Departments, accounts (the demo's: named bureau people, experts, agencies, each department's staff and head)
    and `projects` projects of fiscal year `year`, whole-department items included."""
    depts = add_departments(engine, departments)
    people.create_accounts(engine, people.accounts(engine, root / "seeds" / "demo_people.json"), now)
    pilots = whole_department(depts, year, PILOT_SHARE)[:max(0, projects // 20)]  # at most one item in twenty
    counts = spread(projects - len(pilots), len(depts))
    items: list[DemoProject] = generate(depts, [year], {d["id"]: n for d, n in zip(depts, counts, strict=True)},
                                        seed=year) + pilots
    with db.write(engine) as conn:
        for p in items:
            project_store.create(conn, now, id=p.id, fiscal_year=p.fiscal_year, department_id=p.department_id,
                                 name=p.name, sector=p.sector, amount=p.amount, kind=p.kind, is_key=p.is_key,
                                 predecessor_id=p.predecessor_id)
    return Province(year, len(depts), [p.id for p in items])
