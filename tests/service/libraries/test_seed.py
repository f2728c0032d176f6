"""Seeding the libraries: every sector gets common indicators, a second seeding changes nothing."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from service import db
from service.cycle.projects_records import SECTORS
from service.libraries.seed import seed_libraries
from service.models import Agency, Expert, LibraryIndicator, SupervisionMember
from service.runtime import Runtime
from tests.conftest import START


def test_seeding_twice_changes_nothing(runtime: Runtime) -> None:
    with db.write(runtime.engine) as conn:
        first = seed_libraries(conn, START)
    with db.write(runtime.engine) as conn:
        second = seed_libraries(conn, START)
    assert first["indicators"] >= 100 and first["experts"] == 30 and first["agencies"] == 12
    assert first["supervision"] == 10
    assert second == {"indicators": 0, "experts": 0, "agencies": 0, "supervision": 0}
    with db.read(runtime.engine) as conn:
        for model, key in ((LibraryIndicator, "indicators"), (Expert, "experts"), (Agency, "agencies"),
                           (SupervisionMember, "supervision")):
            assert conn.execute(select(func.count()).select_from(model)).scalar_one() == first[key]


def test_every_sector_has_common_indicators_of_each_first_level(runtime: Runtime) -> None:
    with db.write(runtime.engine) as conn:
        seed_libraries(conn, START)
    with db.read(runtime.engine) as conn:
        rows = conn.execute(select(LibraryIndicator).where(LibraryIndicator.level == 3)).all()
    for sector in SECTORS:
        own = [r for r in rows if sector in json.loads(r.sectors)]
        assert len(own) >= 6, sector
        parents = {r.parent_code for r in own}
        assert any(p in parents for p in ("L2-quantity", "L2-quality", "L2-timeliness", "L2-cost")), sector
        assert "L2-satisfaction" in parents, sector
    assert all(r.scope == "common" and r.status == "confirmed" for r in rows)


def test_the_cycle_drivers_reference_data_seeds_the_libraries(runtime: Runtime) -> None:
    from tests.workflows.conftest import seed_reference

    with db.write(runtime.engine) as conn:
        seed_reference(conn, START)
    with db.read(runtime.engine) as conn:
        assert set(conn.execute(select(Expert.username)).scalars()) == {"expert"}
        assert set(conn.execute(select(Agency.username)).scalars()) == {"agency"}
