"""The facts the triggers keep on each project's row (service/models/project_facts.py) are, after any sequence of
inserts, updates and deletes of goals, monitoring reports and evaluations, what those rows say: the latest goal
revision's status, the latest report's warning level, the evaluations' kinds. On the session's database: SQLite, or
PostgreSQL in CI."""

from __future__ import annotations

import threading
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, delete, insert, select, update

from service import clock, db
from service.models import Evaluation, Goal, MonitoringReport, Project, project_facts
from tests.conftest import START

PROJECTS, GOALS, REPORTS, EVALUATIONS = (Project.__table__, Goal.__table__, MonitoringReport.__table__,
                                         Evaluation.__table__)
IDS = ("facts-1", "facts-2")
KINDS = ("self", "midterm", "key", "spot_check")

# One step: (table, what, project index, key, value): insert or update the row keyed by (project, key), delete it, or
# move it to the other project.
_steps = st.tuples(st.sampled_from(("goal", "report", "evaluation")), st.sampled_from(("put", "delete", "move")),
                   st.integers(0, 1), st.integers(0, 3), st.integers(0, 3))


def _project(conn: Connection, pid: str) -> None:
    at = clock.to_db(START)
    conn.execute(insert(PROJECTS).values(id=pid, fiscal_year=2015, department_id="dept-a", level="municipal",
                                         kind="project", name=pid, sector="education", amount=1000, is_major=False,
                                         is_key=False, status="declaring", created_at=at, updated_at=at))


def derived(conn: Connection, pid: str) -> tuple[Any, Any, frozenset[str]]:
    goal = conn.execute(select(GOALS.c.status).where(GOALS.c.project_id == pid)
                        .order_by(GOALS.c.revision.desc()).limit(1)).scalar()
    warning = conn.execute(select(REPORTS.c.warning_level).where(REPORTS.c.project_id == pid)
                           .order_by(REPORTS.c.checkpoint.desc()).limit(1)).scalar()
    kinds = frozenset(conn.execute(select(EVALUATIONS.c.kind).where(EVALUATIONS.c.project_id == pid)).scalars())
    return goal, warning, kinds


def kept(conn: Connection, pid: str) -> tuple[Any, Any, frozenset[str]]:
    row = conn.execute(select(PROJECTS.c.goal_status, PROJECTS.c.warning_level, PROJECTS.c.evaluation_kinds)
                       .where(PROJECTS.c.id == pid)).one()
    return row.goal_status, row.warning_level, frozenset(row.evaluation_kinds.split())


def _apply(conn: Connection, step: tuple[str, str, int, int, int], at: datetime) -> None:
    table_name, what, p, key, value = step
    pid, other = IDS[p], IDS[1 - p]
    table, column, key_value, row = {
        "goal": (GOALS, GOALS.c.revision, key + 1,
                 {"summary": "目标", "status": ("submitted", "returned", "approved", "blocked")[value],
                  "declared_at": at}),
        "report": (REPORTS, REPORTS.c.checkpoint, date(2015, 3 + key, 1),
                   {"executed_amount": 1, "execution_rate": 50, "time_progress": 50, "goal_progress": 50,
                    "can_meet": "yes", "warning_level": ("green", "yellow", "red", "green")[value], "detail": "{}",
                    "reported_at": at}),
        "evaluation": (EVALUATIONS, EVALUATIONS.c.kind, KINDS[key],
                       {"score": 80 + value, "grade": "良", "detail": "{}", "completed_at": at}),
    }[table_name]
    mine = (table.c.project_id == pid, column == key_value)
    exists = conn.execute(select(table.c.id).where(*mine)).first() is not None
    if what == "delete":
        conn.execute(delete(table).where(*mine))
    elif what == "move":
        taken = conn.execute(select(table.c.id).where(table.c.project_id == other, column == key_value)).first()
        if exists and taken is None:
            conn.execute(update(table).where(*mine).values(project_id=other))
    elif exists:
        conn.execute(update(table).where(*mine).values(**row))
    else:
        conn.execute(insert(table).values(project_id=pid, **{column.key: key_value}, **row))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(_steps, max_size=25))
def test_the_kept_facts_are_what_the_goals_reports_and_evaluations_say(runtime: Any, steps: list[Any]) -> None:
    with db.write(runtime.engine) as conn:
        for table in (GOALS, REPORTS, EVALUATIONS):
            conn.execute(delete(table).where(table.c.project_id.in_(IDS)))
        conn.execute(delete(PROJECTS).where(PROJECTS.c.id.in_(IDS)))
        for pid in IDS:
            _project(conn, pid)
        assert [kept(conn, pid) for pid in IDS] == [(None, None, frozenset())] * 2
        at = clock.to_db(START)
        for step in steps:
            _apply(conn, step, at)
            assert [kept(conn, pid) for pid in IDS] == [derived(conn, pid) for pid in IDS], step


def test_recomputing_every_project_repairs_facts_written_by_hand(runtime: Any) -> None:
    """What the migration that added the columns does to the rows already there, and a repair after a hand-made
    change that went around the triggers."""
    at = clock.to_db(START)
    with db.write(runtime.engine) as conn:
        conn.execute(delete(PROJECTS).where(PROJECTS.c.id == "facts-r"))
        _project(conn, "facts-r")
        conn.execute(insert(GOALS).values(project_id="facts-r", revision=1, summary="目标", status="approved",
                                          declared_at=at))
        conn.execute(insert(EVALUATIONS).values(project_id="facts-r", kind="key", score=90, grade="优", detail="{}",
                                                completed_at=at))
        conn.execute(update(PROJECTS).where(PROJECTS.c.id == "facts-r")
                     .values(goal_status="blocked", warning_level="red", evaluation_kinds=""))
        project_facts.recompute_all(conn)
        assert kept(conn, "facts-r") == ("approved", None, frozenset({"key"}))


def test_two_writers_of_one_project_leave_both_their_facts(runtime: Any) -> None:
    """PostgreSQL (read committed): a second transaction's evaluation waits on the project's row for the first's
    commit, and its facts must then count the first's evaluation too: the trigger locks the row before it reads, so
    that it reads after the first committed. SQLite lets one writer at a time: nothing comes between."""
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's writers take turns")
    at = clock.to_db(START)
    with db.write(runtime.engine) as conn:
        conn.execute(delete(EVALUATIONS).where(EVALUATIONS.c.project_id == "facts-c"))
        conn.execute(delete(PROJECTS).where(PROJECTS.c.id == "facts-c"))
        _project(conn, "facts-c")

    def evaluate(conn: Connection, kind: str) -> None:
        conn.execute(insert(EVALUATIONS).values(project_id="facts-c", kind=kind, score=90, grade="优", detail="{}",
                                                completed_at=at))

    second_done = threading.Event()
    failures: list[BaseException] = []

    def second() -> None:
        try:
            with db.write(runtime.engine) as conn:
                evaluate(conn, "key")  # waits for the first's lock on the project's row
        except BaseException as exc:  # noqa: BLE001  (reported by the test below)
            failures.append(exc)
        finally:
            second_done.set()

    with db.write(runtime.engine) as conn:
        evaluate(conn, "self")
        waiting = threading.Thread(target=second)
        waiting.start()
        assert not second_done.wait(0.5), "the second writer did not wait for the first"
    waiting.join(10)
    assert not failures, failures
    with db.read(runtime.engine) as conn:
        assert kept(conn, "facts-c") == derived(conn, "facts-c") == (None, None, frozenset({"self", "key"}))
