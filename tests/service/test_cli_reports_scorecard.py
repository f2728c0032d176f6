"""`jixiao report scorecard`, `jixiao scorecard launch` and `jixiao pilots select` on the test database."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from click.testing import CliRunner

from service.cli import main
from tests.service.api.test_reports_api import base_departments  # noqa: F401  (a fixture)
from tests.service.api.test_reports_api_scorecard import DEPT_A, build_year
from tests.workflows.conftest import cycle  # noqa: F401  (a fixture)


@pytest.fixture
def jixiao(runtime: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    return lambda *args: CliRunner().invoke(main, list(args))


def test_the_table_as_text_json_and_csv(cycle, jixiao, base_departments):  # noqa: F811
    build_year(cycle)
    text = jixiao("report", "scorecard", "--year", "2015", "--level", "municipal")
    assert text.exit_code == 0, text.output
    line = next(row.split() for row in text.output.splitlines() if " dept-a " in row)
    # rank, department, total, grade, then the six dimensions (tests/service/api/test_reports_api_scorecard.py)
    assert line[:10] == ["—", "dept-a", "—", "—", "—", "16.00", "18.00", "15.00", "6.00", "—"]

    as_json = json.loads(jixiao("report", "scorecard", "--year", "2015", "--level", "municipal", "--json").output)
    [card] = [c for c in as_json["cards"] if c["department_id"] == "dept-a"]
    assert {d["code"]: d["points"] for d in card["dimensions"]} == DEPT_A

    as_csv = jixiao("report", "scorecard", "--year", "2015", "--level", "municipal", "--csv")
    rows = {r["department_id"]: r for r in csv.DictReader(io.StringIO(as_csv.output))}
    assert (rows["dept-a"]["monitoring"], rows["dept-b"]["results"]) == ("18.00", "6.00")

    assert jixiao("report", "scorecard", "--year", "2015", "--level", "municipal", "--json", "--csv").exit_code == 2
    refused = jixiao("report", "scorecard", "--year", "2013", "--level", "municipal")
    assert refused.exit_code == 1 and "no scorecard rules for fiscal year 2013" in refused.output


def test_launch_and_pilots(cycle, jixiao, base_departments):  # noqa: F811
    cycle.project("2014-dept-a-001", amount=3_000_000, fiscal_year=2014)
    launched = jixiao("scorecard", "launch", "--year", "2015", "--level", "municipal")
    assert launched.exit_code == 0 and "2 evaluation(s) started, 0 already under way" in launched.output
    again = jixiao("scorecard", "launch", "--year", "2015", "--level", "municipal")
    assert "0 evaluation(s) started, 2 already under way" in again.output

    chosen = jixiao("pilots", "select", "--year", "2015")
    assert chosen.exit_code == 0, chosen.output
    assert "pilots 2015 municipal: 1 of 2 department(s), target 1 (10 %), spending of 2014" in chosen.output
    assert "dept-a" in chosen.output and "created_started" in chosen.output
    assert [(p.kind, p.fiscal_year) for p in cycle.rows("projects", id="2014-dept-a-whole")] == [("department", 2014)]
