"""`jixiao seed --demo` builds a living municipality: real instances driven through the command path on a moved
clock into a mix of the states the pages show (goals under review, a red warning, an open escalation, evaluations
of every grade, an overdue rectification), and a second run changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from service import clock
from service.cli import main
from service.config import ROOT
from service.db import make_engine
from service.migrate import upgrade

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=clock.LOCAL)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """A fresh database (the demo's organisation and accounts must not leak into the shared test database)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite3'}"
    upgrade(url)
    mp = pytest.MonkeyPatch()
    mp.setenv("DATABASE_URL", url)
    clock.set_now(NOW)
    try:
        runner = CliRunner()
        deployed = runner.invoke(main, ["deploy", str(ROOT / "workflows")])
        assert deployed.exit_code == 0, deployed.output
        seeded = runner.invoke(main, ["seed", "--demo", "--demo-size", "13"])
        assert seeded.exit_code == 0, seeded.output
        yield url, seeded
    finally:
        clock.reset()
        mp.undo()


def _rows(url: str, sql: str) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql)))
    finally:
        engine.dispose()


def test_demo_prints_how_to_sign_in_as_every_role(demo_db):
    from service.domain.roles import ROLES

    _, seeded = demo_db
    for role in ROLES:
        assert role in seeded.output
    assert "demo-jixiao" in seeded.output and "jyj.staff" in seeded.output


def test_demo_has_three_fiscal_years_in_their_stages(demo_db):
    url, _ = demo_db
    years = dict(_rows(url, "select fiscal_year, count(*) from projects group by fiscal_year"))
    assert sorted(years) == [2025, 2026, 2027] and all(n == 13 for n in years.values())
    under_review = _rows(url, "select count(*) from tasks where state = 'ready' and bpmn_id in "
                              "('finance_review', 'supervise_review', 'lead_review')")
    # Goals of 2027 wait for the bureau's review — or, a review left lying past its grace period, for the
    # supervisors' (or the bureau leadership's) decision: the demo's dates follow the real date.
    assert under_review[0][0] >= 1


def test_demo_shows_a_red_warning_and_an_open_escalation(demo_db):
    url, _ = demo_db
    red = _rows(url, "select p.fiscal_year from monitoring_reports m join projects p on p.id = m.project_id "
                     "where m.warning_level = 'red'")
    assert red and {r[0] for r in red} <= {2025, 2026}
    assert _rows(url, "select count(*) from escalations where state = 'open'")[0][0] >= 1
    assert _rows(url, "select count(*) from projects where status = 'stopped' and budget_cut > 0")[0][0] >= 1


def test_demo_has_evaluations_of_every_grade_and_an_overdue_rectification(demo_db):
    url, _ = demo_db
    grades = {r[0] for r in _rows(url, "select grade from evaluations where kind = 'self'")}
    assert grades >= {"优", "良", "中", "差"}
    overdue = _rows(url, "select r.status from rectifications r where r.status = 'overdue'")
    escalated = _rows(url, "select count(*) from escalations e join tasks t on t.id = e.task_id "
                           "where e.state = 'open' and t.bpmn_id in ('supervise_rectification', 'lead_rectification')")
    assert overdue or escalated[0][0] >= 1
    decisions = {r[0] for r in _rows(url, "select proposal from budget_decisions")}
    assert {"priority", "cut"} <= decisions


def test_demo_instances_verify_and_a_second_seed_changes_nothing(demo_db):
    url, _ = demo_db
    before = _rows(url, "select count(*) from events")[0][0]
    again = CliRunner().invoke(main, ["seed", "--demo"])
    assert again.exit_code == 0 and "demo accounts: 0 new" in again.output, again.output
    assert _rows(url, "select count(*) from events")[0][0] == before
    verified = CliRunner().invoke(main, ["audit", "verify", "--all"])
    assert verified.exit_code == 0, verified.output
