"""The expert panel of a review: drawn once per project, 回避 of the project's department chain, the year's cap."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select, update

from service import db
from service.errors import Conflict, InvalidInput, NotFound
from service.libraries import experts
from service.models import Expert, ExpertEngagement
from service.rules import store
from service.runtime import Runtime
from tests.conftest import START


def _draw(rt: Runtime, project_id: str, department_id: str = "dept-a", sector: str = "education",
          fiscal_year: int = 2015) -> list[dict[str, Any]]:
    with db.write(rt.engine) as conn:
        return experts.draw_panel(conn, project_id=project_id, department_id=department_id, sector=sector,
                                  fiscal_year=fiscal_year, now=START)


def test_a_panel_is_drawn_once_and_a_rerun_returns_the_same_panel(libraries: Runtime, project: Any) -> None:
    pid = project("2015-a-001")
    panel = _draw(libraries, pid)
    assert len(panel) == 3 and len({e["id"] for e in panel}) == 3
    assert all(e["username"].startswith("expert") for e in panel)
    with db.write(libraries.engine) as conn:  # the library changes between the two runs of the job
        conn.execute(update(Expert).values(available=False))
    assert _draw(libraries, pid) == panel
    assert len(panel) == len(_rows(libraries, project_id=pid))


def test_the_draw_is_the_same_for_the_same_project_on_a_fresh_library(libraries: Runtime, project: Any) -> None:
    pid = project("2015-a-001")
    first = [e["name"] for e in _draw(libraries, pid)]
    with db.write(libraries.engine) as conn:
        conn.execute(ExpertEngagement.__table__.delete())
    assert [e["name"] for e in _draw(libraries, pid)] == first


def test_experts_conflicted_with_the_department_or_its_parent_are_never_drawn(libraries: Runtime,
                                                                              project: Any) -> None:
    with db.write(libraries.engine) as conn:
        conn.execute(update(Expert).where(Expert.id % 3 == 0).values(conflicts=json.dumps(["dept-a"])))
        conn.execute(update(Expert).where(Expert.id % 3 == 1).values(conflicts=json.dumps(["dept-a-unit"])))
        conflicted = set(conn.execute(select(Expert.id).where(Expert.conflicts != "[]")).scalars())
    for n in range(5):  # a unit's project: its own conflicts and its parent department's
        panel = _draw(libraries, project(f"2015-u-{n}", department_id="dept-a-unit"), department_id="dept-a-unit")
        assert not {e["id"] for e in panel} & conflicted


def test_no_expert_is_drawn_beyond_the_years_cap(libraries: Runtime, project: Any) -> None:
    with db.write(libraries.engine) as conn:
        store.set_rule(conn, 2015, "*", "experts.max_engagements_per_year", 1, "test", "test", START)
        ids = list(conn.execute(select(Expert.id).order_by(Expert.id)).scalars())
        conn.execute(update(Expert).where(Expert.id.not_in(ids[:7])).values(available=False))
    panels = [_draw(libraries, project(f"2015-a-{n}")) for n in (1, 2)]
    drawn = [e["id"] for panel in panels for e in panel]
    assert len(drawn) == len(set(drawn)) == 6  # nobody twice in the year
    with pytest.raises(Conflict, match="not enough eligible experts"):  # one expert left for a panel of three
        _draw(libraries, project("2015-a-3"))
    # A new fiscal year starts from zero engagements.
    assert len(_draw(libraries, project("2016-a-1", fiscal_year=2016), fiscal_year=2016)) == 3


def test_ratings_of_an_engagement_are_recorded(libraries: Runtime, project: Any) -> None:
    pid = project("2015-a-001")
    panel = _draw(libraries, pid)
    with db.write(libraries.engine) as conn:
        rated = experts.rate_engagement(conn, expert_id=panel[0]["id"], project_id=pid, rating=4, by="reviewer",
                                        now=START)
    assert (rated["rating"], rated["rated_by"], rated["rated_at"]) == (4, "reviewer", START)
    assert [float(r.rating) for r in _rows(libraries, expert_id=panel[0]["id"])] == [4.0]
    for bad in (0, 6, 4.5, True):
        with pytest.raises(InvalidInput), db.write(libraries.engine) as conn:
            experts.rate_engagement(conn, expert_id=panel[0]["id"], project_id=pid, rating=bad, by="reviewer",
                                    now=START)
    with pytest.raises(NotFound), db.write(libraries.engine) as conn:
        experts.rate_engagement(conn, expert_id=999_999, project_id=pid, rating=3, by="reviewer", now=START)
    assert [e["rating"] for e in _engagements(libraries, pid)] == [4, None, None]


def test_the_mean_rating_of_an_expert_spans_its_engagements(libraries: Runtime, project: Any) -> None:
    first, second = project("2015-a-001"), project("2015-a-002")
    with db.write(libraries.engine) as conn:
        ids = list(conn.execute(select(Expert.id).order_by(Expert.id)).scalars())
        conn.execute(update(Expert).where(Expert.id.not_in(ids[:3])).values(available=False))
    _draw(libraries, first), _draw(libraries, second)  # the same three experts, both times
    with db.write(libraries.engine) as conn:
        for pid, rating in ((first, 5), (second, 2)):
            experts.rate_engagement(conn, expert_id=ids[0], project_id=pid, rating=rating, by="reviewer", now=START)
        listed = {e["id"]: e for e in experts.list_experts(conn, fiscal_year=2015, per_page=100)["items"]}
    assert (listed[ids[0]]["mean_rating"], listed[ids[0]]["rated_engagements"]) == (3.5, 2)  # (5 + 2) / 2
    assert (listed[ids[1]]["mean_rating"], listed[ids[1]]["rated_engagements"]) == (None, 0)


def _engagements(rt: Runtime, project_id: str) -> list[dict[str, Any]]:
    with db.read(rt.engine) as conn:
        return experts.engagements(conn, project_id)


def test_the_listing_counts_the_years_engagements(libraries: Runtime, project: Any) -> None:
    panel = _draw(libraries, project("2015-a-001"))
    with db.read(libraries.engine) as conn:
        listed = experts.list_experts(conn, fiscal_year=2015, per_page=100)
        other_year = experts.list_experts(conn, fiscal_year=2016, per_page=100)
    assert listed["total"] == 30
    assert {e["id"] for e in listed["items"] if e["engagements"] == 1} == {e["id"] for e in panel}
    assert all(e["engagements"] == 0 for e in other_year["items"])


def _rows(rt: Runtime, **where: Any) -> list[Any]:
    with db.read(rt.engine) as conn:
        q = select(ExpertEngagement)
        for key, value in where.items():
            q = q.where(getattr(ExpertEngagement, key) == value)
        return list(conn.execute(q))
