"""`jixiao report coverage`, `jixiao rules …` and `jixiao calendar …` on the test database."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from service import db
from service.cli import main
from service.rules import store
from tests.service.api.test_reports_api import base_departments, build_fiscal_years  # noqa: F401  (a fixture)


@pytest.fixture
def jixiao(runtime: Any, monkeypatch: pytest.MonkeyPatch, frozen_clock: Any) -> Any:
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)

    def run(*args: str) -> Any:
        return CliRunner().invoke(main, list(args))

    return run


def test_coverage_table_and_json(runtime, jixiao, base_departments):  # noqa: F811
    build_fiscal_years(runtime)
    result = jixiao("report", "coverage", "--year", "2015", "--level", "municipal")
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split() for line in result.output.splitlines()[2:]}
    # the hand-built year (tests/service/api/test_reports_api.py): goal money 45.00 % against ≥ 50 %, not met;
    # whole-department goals 1 of 2 (50.00 % ≥ 10 %); evaluated money 6,000,000 but the 2014 public spending is not
    # entered: no share; pilots 1 of 2 ≥ 10 %
    assert lines["goal_money_share"][1:6] == ["45.00", "%", "50.00", "%", "NO"]
    assert lines["whole_department_goal_share"][1:6] == ["50.00", "%", "10.00", "%", "yes"]
    assert lines["evaluated_money_share"][1:5] == ["—", "30.00", "%", "—"]
    assert "6,000,000.00 CNY / the 2014 figures are not entered" in result.output
    assert lines["whole_department_evaluation_share"][1:6] == ["50.00", "%", "10.00", "%", "yes"]
    assert "4,500,000.00 / 10,000,000.00 CNY" in result.output and "1 / 2 departments" in result.output

    as_json = jixiao("report", "coverage", "--year", "2014", "--level", "municipal", "--json")
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.output)
    goal = next(m for m in report["measures"] if m["key"] == "goal_money_share")
    assert (goal["actual"], goal["target"], goal["met"]) == (100.0, None, None)  # no 2014 goal target
    assert {p["id"] for p in goal["projects"]} == {"2014-a-001", "2014-b-001", "2014-b-002"}


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--year", "2015", "--level", "provincial"], 2, "provincial"),
    (["--year", "abc", "--level", "municipal"], 2, "abc"),
    (["--year", "1999", "--level", "municipal"], 2, "1999"),
    (["--level", "municipal"], 2, "--year"),
    (["--year", "2013", "--level", "municipal"], 1, "no rules for fiscal year 2013"),
])
def test_coverage_refuses_bad_input(runtime, jixiao, args, code, message):
    build_fiscal_years(runtime)
    result = jixiao("report", "coverage", *args)
    assert result.exit_code == code and message in result.output


def test_rules_seed_list_and_set(runtime, jixiao):
    seeded = jixiao("rules", "seed")
    assert seeded.exit_code == 0 and "rule row(s) added" in seeded.output
    assert jixiao("rules", "seed").output.startswith("0 rule row(s) added")
    listed = jixiao("rules", "list", "--year", "2015")
    assert listed.exit_code == 0
    assert any(line.startswith("2015 municipal") and "coverage.evaluated_money_share" in line and " 30 " in line
               for line in listed.output.splitlines())
    done = jixiao("rules", "set", "2016", "municipal", "coverage.evaluated_money_share", "35",
                  "--source", "市政府 2016 年工作要点 (test)")
    assert done.exit_code == 0, done.output
    with db.read(runtime.engine) as conn:
        row = store.get_row(conn, 2016, "municipal", "coverage.evaluated_money_share")
    assert (row.value, row.source) == (35, "市政府 2016 年工作要点 (test)")
    assert "coverage.evaluated_money_share" in jixiao("rules", "list").output


@pytest.mark.parametrize(("args", "code", "message"), [
    (["2016", "municipal", "goal.major_threshold", "8000000"], 2, "--source"),
    (["2016", "municipal", "goal.major_threshold", "eight", "--source", "x"], 2, "not JSON"),
    (["2016", "municipal", "goal.major_threshold", '"8000000"', "--source", "x"], 1, "number"),
    (["2016", "municipal", "goal.major_treshold", "1", "--source", "x"], 1, "unknown rule key"),
    (["2016", "municipal", "goal.major_threshold", "1", "--source", "  "], 1, "source"),
    (["2016", "county", "goal.major_threshold", "1", "--source", "x"], 2, "county"),
])
def test_rules_set_refuses_bad_input(runtime, jixiao, args, code, message):
    jixiao("rules", "seed")
    result = jixiao("rules", "set", *args)
    assert result.exit_code == code and message in result.output
    with db.read(runtime.engine) as conn:
        assert store.get(conn, 2016, "municipal", "goal.major_threshold") == 5_000_000


def test_calendar_seed_set_and_list(runtime, jixiao):
    seeded = jixiao("calendar", "seed", "--from", "2014", "--to", "2026")
    assert seeded.exit_code == 0 and "2014–2026" in seeded.output
    listed = jixiao("calendar", "list", "--year", "2015")
    assert "2015-10-10 Sat workday  国庆节 National Day" in listed.output
    assert listed.output.rstrip().endswith("249 working day(s) in 2015")
    done = jixiao("calendar", "set", "2015-12-31", "holiday", "--name", "本市调休", "--source", "市政府通知 (test)")
    assert done.exit_code == 0 and "2015-12-31: holiday 本市调休" in done.output
    assert jixiao("calendar", "set", "2015-10-10", "plain", "--source", "更正 (test)").exit_code == 0
    assert "247 working day(s) in 2015" in jixiao("calendar", "list", "--year", "2015").output
    # seeding again keeps the administrator's days
    jixiao("calendar", "seed", "--from", "2015", "--to", "2015")
    assert "247 working day(s) in 2015" in jixiao("calendar", "list", "--year", "2015").output


@pytest.mark.parametrize(("args", "message"), [
    (["set", "2015-13-01", "holiday", "--source", "x"], "2015-13-01"),
    (["set", "2015-12-31", "festival", "--source", "x"], "festival"),
    (["set", "2015-12-31", "holiday"], "--source"),
    (["seed", "--from", "2016", "--to", "2014"], "--to"),
])
def test_calendar_refuses_bad_input(jixiao, args, message):
    result = jixiao("calendar", *args)
    assert result.exit_code == 2 and message in result.output
