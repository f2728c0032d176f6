"""A province's worth of projects from a smaller simulated year (issue #18, part 6 at 50,000 projects): the year's
first-level departments with projects, their projects, goals, monitoring reports and evaluations copied `times`
times, each copy under departments of its own (ids and names with the suffix `~c<n>`).

The copies have no instances, tasks or jobs: they are rows for the pages that read every project of a year (the
dashboard, the coverage report), not a simulated year; `/inbox` on such a database says nothing about 50,000
projects. Simulating 50,000 projects takes this machine hours (part 4); copying a 500-project year 99 times takes
seconds. The triggers that keep each project's facts (service/models/project_facts.py) fill the copies' as their
goals, reports and evaluations are inserted.

    .venv/bin/python -m bench.province --pages-only postgresql://…/a_simulated_db --copies 99 --no-verify
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, func, insert, null, select

from service.models import Department, Evaluation, Goal, MonitoringReport, Project

DEPARTMENTS, PROJECTS = Department.__table__, Project.__table__
RECORDS = (Goal.__table__, MonitoringReport.__table__, Evaluation.__table__)
MARK = "~c"  # the suffix of copied ids: "<id>~c<n>"


def _copied(column: Any, suffix: str) -> Any:
    return column + suffix  # SQL's || on both dialects


def _original(column: Any) -> Any:
    return ~column.contains(MARK, autoescape=True)


def _copy(conn: Connection, table: Table, where: Any, changed: dict[str, Any]) -> None:
    """Insert a copy of `table`'s rows matching `where`, with `changed` columns replaced; the records' generated ids
    are left to the database."""
    names = [c.name for c in table.columns if not (table in RECORDS and c.name == "id")]
    conn.execute(insert(table).from_select(names, select(*(changed.get(n, table.c[n]) for n in names))
                                           .where(where)))


def copy_projects(conn: Connection, times: int) -> int:
    """Copy the originals (rows not themselves copies) `times` times; the number of projects afterwards."""
    originals = _original(PROJECTS.c.id)
    for n in range(1, times + 1):
        suffix = f"{MARK}{n}"
        owners = select(PROJECTS.c.department_id).where(originals).distinct()
        _copy(conn, DEPARTMENTS, DEPARTMENTS.c.id.in_(owners),
              {"id": _copied(DEPARTMENTS.c.id, suffix), "name": _copied(DEPARTMENTS.c.name, suffix),
               "parent_id": null()})
        _copy(conn, PROJECTS, originals,
              {"id": _copied(PROJECTS.c.id, suffix), "department_id": _copied(PROJECTS.c.department_id, suffix),
               "instance_id": null(), "predecessor_project_id": null()})
        for table in RECORDS:
            _copy(conn, table, _original(table.c.project_id),
                  {"project_id": _copied(table.c.project_id, suffix)})
    return int(conn.execute(select(func.count()).select_from(PROJECTS)).scalar_one())
