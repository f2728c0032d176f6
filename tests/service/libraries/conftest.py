"""Rules and libraries seeded on the wiped test database; projects of the test departments."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update

from service import db
from service.config import ROOT
from service.cycle import projects_records
from service.libraries.seed import seed_libraries
from service.models import Agency, Expert
from service.rules import store
from service.runtime import Runtime
from tests.conftest import START


@pytest.fixture
def libraries(runtime: Runtime) -> Runtime:
    """The repository's rules and libraries; every expert and agency of the seeds is free of the test
    departments (the seeds name the real ones), so tests set the conflicts they need."""
    with db.write(runtime.engine) as conn:
        store.seed_rules(conn, ROOT / "seeds" / "rules.json", "test", START)
        seed_libraries(conn, START)
        conn.execute(update(Expert).values(conflicts="[]"))
        conn.execute(update(Agency).values(conflicts="[]"))
    return runtime


@pytest.fixture
def project(libraries: Runtime) -> Any:
    """make_project("2015-a-001", department_id="dept-a", sector="education", fiscal_year=2015) → its id."""

    def _make(id: str, *, department_id: str = "dept-a", sector: str = "education", fiscal_year: int = 2015) -> str:
        with db.write(libraries.engine) as conn:
            projects_records.create(conn, START, id=id, fiscal_year=fiscal_year, department_id=department_id,
                            name=f"项目 {id}", sector=sector, amount=Decimal("6000000"))
        return id

    return _make
