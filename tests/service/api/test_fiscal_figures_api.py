"""PUT/GET /api/fiscal-figures/{year}/{level}: the bureau enters a level's public spending and 民生 spending of a
fiscal year (the denominators of the plan's evaluated-money shares, 二(三)3); checked, audited, nothing changed on
bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from service import db
from service.models import Event

FIGURES = {"public_spending": 36_500_000_000, "livelihood_spending": 27_010_000_000.5,
           "source": "2014年武汉市市级财政决算"}


def events(runtime: Any) -> list[dict[str, Any]]:
    with db.read(runtime.engine) as conn:
        rows = conn.execute(select(Event.actor, Event.input).where(
            Event.instance_id.is_(None), Event.command == "fiscal_figures_entered").order_by(Event.seq))
        return [{"actor": r.actor, **json.loads(r.input)} for r in rows]


def test_a_reviewer_enters_and_corrects_a_years_figures(runtime, as_user):
    reviewer = as_user("reviewer")
    assert reviewer.get("/api/fiscal-figures/2014/municipal").status_code == 404  # not entered yet
    resp = reviewer.put("/api/fiscal-figures/2014/municipal", json=FIGURES)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["fiscal_year"], body["level"], body["public_spending"], body["livelihood_spending"]) == (
        2014, "municipal", 36_500_000_000.0, 27_010_000_000.5)
    assert (body["source"], body["entered_by"]) == ("2014年武汉市市级财政决算", "reviewer")

    corrected = as_user("admin").put("/api/fiscal-figures/2014/municipal",
                                     json={**FIGURES, "livelihood_spending": 27_000_000_000})
    assert corrected.status_code == 200 and corrected.get_json()["entered_by"] == "admin"
    listed = as_user("auditor").get("/api/fiscal-figures").get_json()["items"]
    assert [(f["fiscal_year"], f["level"], f["livelihood_spending"]) for f in listed] == [
        (2014, "municipal", 27_000_000_000.0)]
    assert [(e["actor"], e["livelihood_spending"], e["before"] and e["before"]["livelihood_spending"])
            for e in events(runtime)] == [("reviewer", "27010000000.5", None),
                                          ("admin", "27000000000", "27010000000.50")]


@pytest.mark.parametrize("body", [
    {**FIGURES, "public_spending": 0},                                   # nothing spent is not a figure
    {**FIGURES, "livelihood_spending": 40_000_000_000},                  # 民生 is part of the public spending
    {**FIGURES, "public_spending": -5},
    {**FIGURES, "public_spending": 1.005},                               # below a fen
    {**FIGURES, "public_spending": 1e30},                                # more than any budget (and 28 digits)
    {**FIGURES, "public_spending": -1e30},
    {**FIGURES, "public_spending": "abc"},
    {**FIGURES, "source": " "},
    {k: v for k, v in FIGURES.items() if k != "livelihood_spending"},
])
def test_bad_figures_are_a_problem_and_nothing_is_stored(runtime, as_user, body):
    resp = as_user("admin").put("/api/fiscal-figures/2014/municipal", json=body)
    assert resp.status_code in (400, 422), resp.get_json()
    assert resp.headers["content-type"] == "application/problem+json" and resp.get_json()["errors"]
    assert as_user("admin").get("/api/fiscal-figures/2014/municipal").status_code == 404
    assert events(runtime) == []


@pytest.mark.parametrize("path", ["/api/fiscal-figures/1999/municipal", "/api/fiscal-figures/2014/provincial"])
def test_a_bad_year_or_level_in_the_path_is_a_problem(as_user, path):
    resp = as_user("admin").put(path, json=FIGURES)
    assert resp.status_code == 422 and resp.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("user", "reads", "enters"), [
    ("reviewer", 200, 200), ("admin", 200, 200), ("supervisor", 200, 403), ("auditor", 200, 403),
    ("staff_a", 403, 403), ("designer", 403, 403), ("expert", 403, 403),
])
def test_the_bureau_reads_reviewers_and_administrators_enter(runtime, as_user, user, reads, enters):
    client = as_user(user)
    assert client.get("/api/fiscal-figures").status_code == reads
    assert client.put("/api/fiscal-figures/2015/district", json=FIGURES).status_code == enters


def test_the_figures_are_documented(app):
    doc = app.test_client().get("/api/openapi.json").get_json()
    op = doc["paths"]["/api/fiscal-figures/{year}/{level}"]["put"]
    assert {"200", "401", "403"} <= set(op["responses"]) and "requestBody" in op
