"""The handlers other stages call: experts.draw, agency.assign, agency.rate (COMMON.md data contract)."""

from __future__ import annotations

from typing import Any

import pytest

from service.errors import InvalidInput
from service.runtime import Runtime
from tests.conftest import START
from workers.handlers import TaskContext, lookup


def _run(rt: Runtime, topic: str, variables: dict[str, Any]) -> dict[str, Any]:
    ctx = TaskContext(engine=rt.engine, settings=rt.settings,
                      now=START, instance_id=None, task_id=None, topic=topic)
    return lookup(topic)(ctx, variables)


CYCLE = {"project_id": "2015-a-001", "department_id": "dept-a", "sector": "education", "fiscal_year": 2015}


def test_experts_draw_returns_the_panel_and_its_users_the_same_on_a_rerun(libraries: Runtime, project: Any) -> None:
    project("2015-a-001")
    out = _run(libraries, "experts.draw", CYCLE)
    assert len(out["experts"]) == 3 and set(out["experts"][0]) == {"id", "name", "username"}
    assert out["expert_users"] == [e["username"] for e in out["experts"]]
    assert _run(libraries, "experts.draw", CYCLE) == out


def test_agency_assign_then_rate(libraries: Runtime, project: Any) -> None:
    project("2015-a-001")
    out = _run(libraries, "agency.assign", CYCLE)
    assert set(out) == {"agency_id", "agency_name", "agency_users"} and out["agency_users"]
    assert _run(libraries, "agency.assign", CYCLE) == out
    rated = _run(libraries, "agency.rate", {**CYCLE, "agency_rating": {"quality": 90, "timeliness": 80,
                                                                        "compliance": 100}})
    assert rated == {"agency_score": 90.0}


def test_handlers_refuse_missing_inputs(libraries: Runtime, project: Any) -> None:
    project("2015-a-001")
    with pytest.raises(InvalidInput):
        _run(libraries, "experts.draw", {"fiscal_year": 2015})
    with pytest.raises(InvalidInput):
        _run(libraries, "agency.rate", CYCLE)
