"""bench/copies.py: a simulated year's projects, with their goals, reports and evaluations, copied under new
departments, on the session's database (SQLite, or PostgreSQL in CI)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select

from bench.copies import DEPARTMENTS, PROJECTS, RECORDS, copy_projects
from service import clock, db
from service.models import Evaluation, Goal, MonitoringReport
from tests.conftest import START


def _count(conn: Any, table: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_copies_have_the_originals_rows_and_facts_under_departments_of_their_own(runtime: Any) -> None:
    at = clock.to_db(START)
    with db.write(runtime.engine) as conn:
        for pid, dept in (("2015-a-1", "dept-a"), ("2015-b-1", "dept-b")):
            conn.execute(insert(PROJECTS).values(id=pid, fiscal_year=2015, department_id=dept, level="municipal",
                                                 kind="project", name=pid, sector="education", amount=1000,
                                                 is_major=False, is_key=False, status="running", created_at=at,
                                                 updated_at=at))
            conn.execute(insert(Goal.__table__).values(project_id=pid, revision=1, summary="目标", status="approved",
                                                       declared_at=at))
        conn.execute(insert(MonitoringReport.__table__).values(
            project_id="2015-a-1", checkpoint=START.date(), executed_amount=1, execution_rate=50, time_progress=50,
            goal_progress=50, can_meet="yes", warning_level="red", detail="{}", reported_at=at))
        conn.execute(insert(Evaluation.__table__).values(project_id="2015-b-1", kind="self", score=90, grade="优",
                                                         detail="{}", completed_at=at))
        departments = _count(conn, DEPARTMENTS)
        before = {t.name: _count(conn, t) for t in RECORDS}
        try:
            assert copy_projects(conn, 2) == 6
            assert _count(conn, DEPARTMENTS) == departments + 4
            assert {t.name: _count(conn, t) for t in RECORDS} == {name: 3 * n for name, n in before.items()}
            facts = {r.id: (r.department_id, r.goal_status, r.warning_level, r.evaluation_kinds) for r in
                     conn.execute(select(PROJECTS))}
            assert facts["2015-a-1~c2"] == ("dept-a~c2", "approved", "red", "")
            assert facts["2015-b-1~c1"] == ("dept-b~c1", "approved", None, "self")
        finally:
            for table in RECORDS:
                conn.execute(delete(table))
            conn.execute(delete(PROJECTS))
            conn.execute(delete(DEPARTMENTS).where(DEPARTMENTS.c.id.contains("~c", autoescape=True)))
