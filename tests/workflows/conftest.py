"""The real cycle: the repository's workflows/ and forms/ deployed, rules, calendar and libraries seeded.

`cycle` drives instances the way people and workers do: tasks are completed through the API as a given user,
worker passes (timers, external-task handlers, mail) run at the test clock's time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from service import clock, db
from service.bpm.deploy import deploy, read_dir
from service.bpm.versions import LoadedVersion
from service.config import Settings
from service.cycle import cycle_launch, projects_records
from service.models import Base
from service.runtime import Runtime
from tests.conftest import START
from tests.database_state import PEOPLE_TABLES, Snapshot, row_counts


class Cycle:
    def __init__(self, rt: Runtime, as_user: Any) -> None:
        self.rt = rt
        self.as_user = as_user

    # --- records ------------------------------------------------------------------------------------
    def project(self, id: str = "2015-dept-a-001", *, department_id: str = "dept-a", amount: float = 1_200_000,
                sector: str = "education", name: str = "义务教育学校标准化建设", fiscal_year: int = 2015,
                kind: str = "project", is_key: bool = False, predecessor_id: str | None = None) -> str:
        with db.write(self.rt.engine) as conn:
            projects_records.create(conn, clock.now(), id=id, fiscal_year=fiscal_year, department_id=department_id,
                            name=name, sector=sector, amount=Decimal(str(amount)), kind=kind, is_key=is_key,
                            predecessor_id=predecessor_id)
        return id

    def start(self, project_id: str, process_id: str | None = None) -> str:
        with db.write(self.rt.engine) as conn:
            iid = cycle_launch.start_cycle(conn, self.rt.workflows, project_id, clock.now(), process_id=process_id)
        self.work()
        return iid

    def rows(self, table: str, **where: Any) -> list[Any]:
        from sqlalchemy import select

        from service.models import Base

        t = Base.metadata.tables[table]
        q = select(t)
        for k, v in where.items():
            q = q.where(t.c[k] == v)
        with db.read(self.rt.engine) as conn:
            return list(conn.execute(q))

    # --- people and workers -------------------------------------------------------------------------
    def tasks(self, iid: str, user: str = "power") -> list[dict[str, Any]]:
        resp = self.as_user(user).get(f"/api/tasks?instance_id={iid}&per_page=100")
        assert resp.status_code == 200, resp.get_json()
        return list(resp.get_json()["items"])  # ready tasks the user may see

    def task(self, iid: str, bpmn_id: str, user: str = "power") -> dict[str, Any]:
        found = [t for t in self.tasks(iid, user) if t["bpmn_id"] == bpmn_id]
        assert found, f"no ready task {bpmn_id} for {user}: {[t['bpmn_id'] for t in self.tasks(iid, 'power')]}"
        return found[0]

    def complete(self, iid: str, bpmn_id: str, data: dict[str, Any], user: str = "power",
                 expect: int = 200) -> Any:
        task = self.task(iid, bpmn_id, user)
        resp = self.as_user(user).post(f"/api/tasks/{task['id']}/complete", json={"data": data})
        assert resp.status_code == expect, resp.get_json()
        self.work()
        return resp.get_json()

    def work(self, now: datetime | None = None) -> None:
        """Worker passes at the clock's time until nothing is left to do (handlers may start more work)."""
        from workers.runner import run_once

        for _ in range(20):
            outcome = run_once(self.rt, "test-worker", now or clock.now())
            assert not outcome.jobs.incidents, self.rows("jobs", status="failed")[0].last_error
            if not (outcome.timers.fired or outcome.jobs.done or outcome.jobs.retried or outcome.jobs.released):
                return
        raise AssertionError("the workers never became idle")

    def advance(self, **delta: float) -> None:
        clock.advance(timedelta(**delta))
        self.work()

    def instance(self, iid: str) -> dict[str, Any]:
        return self.as_user("auditor").get(f"/api/instances/{iid}").get_json()


@dataclass
class _Seeded:
    """The database right after seeding and deploying (kept for the session), and what it was seeded from."""

    before: tuple[int, ...]  # the row counts of the emptied database it was seeded on
    rows: Snapshot
    version: LoadedVersion  # the deployed workflows, parsed


_SEEDED: dict[str, _Seeded] = {}


@pytest.fixture
def cycle(settings: Settings, runtime: Runtime, as_user: Any) -> Iterator[Cycle]:
    clock.set_now(START)
    try:
        _seed_and_deploy(runtime)
        yield Cycle(runtime, as_user)
    finally:
        clock.reset()


def _seed_and_deploy(runtime: Runtime) -> None:
    """Rules, calendar and libraries seeded, the real workflows deployed, at START. Seeding and deploying take
    seconds; the rows they write are the same for every test that starts from the same emptied database, so the
    first such test keeps them and the next ones get them copied back (and the parsed workflows)."""
    url = runtime.settings.database_url
    before = row_counts(runtime.engine)
    seeded = _SEEDED.get(url)
    if seeded is not None and seeded.before == before:
        seeded.rows.restore(runtime.engine)
        runtime.specs.put(seeded.version)
        return
    real = Settings(database_url=url)  # the repository's workflows/ and forms/
    with db.write(runtime.engine) as conn:
        seed_reference(conn, START)
    with runtime.unit_of_work() as conn:
        version = deploy(conn, runtime.specs, read_dir(real.workflows_dir), real, actor="test").version
    if all(n == 0 for n, table in zip(before, Base.metadata.sorted_tables, strict=True)
           if table.name not in PEOPLE_TABLES):
        _SEEDED[url] = _Seeded(before, Snapshot(runtime.engine), runtime.specs.get(version))


def seed_reference(conn: Any, now: datetime) -> None:
    from service.config import ROOT
    from service.libraries.seed import seed_libraries
    from service.rules import store

    store.seed_rules(conn, ROOT / "seeds" / "rules.json", "test", now)
    store.seed_calendar(conn, 2014, 2026)
    seed_libraries(conn, now)
    # The test database has one expert account and one agency account: every library member signs in as them.
    from sqlalchemy import update

    from service.models import Agency, Expert

    conn.execute(update(Expert).values(username="expert"))
    conn.execute(update(Agency).values(username="agency"))
