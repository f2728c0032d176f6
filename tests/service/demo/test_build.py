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

from service import clock, db
from service.cli import main
from service.config import ROOT
from service.db import make_engine
from service.demo import progress as demo_progress
from service.migrate import upgrade

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=clock.LOCAL)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """A fresh database (the demo's organisation and accounts must not leak into the shared test database)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite3'}"
    upgrade(url)
    mp = pytest.MonkeyPatch()
    mp.setenv("DATABASE_URL", url)
    # The build's progress file too: pages under test elsewhere (other pytest-xdist workers) read the real one.
    mp.setattr(demo_progress, "PROGRESS_FILE", tmp_path_factory.mktemp("progress") / "demo_progress.json")
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


def test_each_printed_sign_in_can_act_on_a_task_now(demo_db):
    """The accounts printed at start have open work they can do, one per role, the departmental
    ones from different departments; the mutation path's own check agrees for every one of them."""
    from service.bpm import access
    from service.bpm.commands import CompleteTask
    from service.demo.signins import ELSEWHERE, choose
    from service.domain.roles import AGENCY_EVALUATOR, DEPARTMENT_HEAD, DEPARTMENT_STAFF, ROLES
    from service.people.directory import principal_of

    url, seeded = demo_db
    engine = make_engine(url)
    try:
        chosen = choose(engine)
        roles = [s.role for s in chosen]
        assert len(roles) == len(set(roles))  # one per role
        # every role that works in the inbox has an account with work, in the small demo too — but the agencies: the
        # full demo gives a slipped key evaluation more time, and this small one may have no key project to spare
        assert set(ROLES) - set(ELSEWHERE) - {AGENCY_EVALUATOR} <= set(roles), roles
        by_role = {s.role: s for s in chosen}
        staff, head = by_role[DEPARTMENT_STAFF], by_role[DEPARTMENT_HEAD]
        with engine.connect() as conn:
            staff_p, head_p = principal_of(conn, staff.username), principal_of(conn, head.username)
        assert staff_p.department_id != head_p.department_id
        for s in chosen:
            line = next(line for line in seeded.output.splitlines() if f" {s.username} " in line)
            assert line.split()[0] == s.role
            if s.role in ELSEWHERE or (s.role == AGENCY_EVALUATOR and s.actionable == 0):
                continue
            with engine.connect() as conn:
                actor = principal_of(conn, s.username)
                rows = conn.execute(text(
                    "select t.id as task_id, t.state as task_state, t.assignee, t.owner, t.delegation_state, "
                    "t.candidate_groups, t.candidate_users, t.department_id as task_department_id, "
                    "i.id, i.status, i.department_id, i.started_by from tasks t join instances i "
                    "on i.id = t.instance_id where t.state = 'ready' and i.status = 'running'")).all()
            doable = []
            for row in rows:
                task = _Task(row)
                try:
                    access.check_task_command(actor, task, row, CompleteTask(task.id, {}), False)
                except Exception:  # noqa: BLE001 - not this account's task
                    continue
                doable.append(task.id)
            assert len(doable) == s.actionable >= 1, s
    finally:
        engine.dispose()


class _Task:
    def __init__(self, row: Any) -> None:
        self.id, self.state, self.assignee, self.owner = row.task_id, row.task_state, row.assignee, row.owner
        self.delegation_state, self.candidate_groups = row.delegation_state, row.candidate_groups
        self.candidate_users, self.department_id = row.candidate_users, row.task_department_id


def test_demo_has_three_fiscal_years_in_their_stages(demo_db):
    url, _ = demo_db
    years = dict(_rows(url, "select fiscal_year, count(*) from projects group by fiscal_year"))
    # 2025 also has the transfer, the enterprise subsidy and the district project shown to the end (KEY_SUBJECTS)
    assert years == {2025: 13 + 3, 2026: 13, 2027: 13}
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


def test_demo_shows_a_predecessors_grade_on_a_goal_review_and_an_in_year_adjustment(demo_db):
    url, _ = demo_db
    # a 2027 project continuing a 2025 one (its results decide the 2027 budget), the 2025 one graded, and its
    # goals under review now (the head's or the bureau's review, or a supervisor's on a slipped one)
    reviewed = _rows(url, "select p.id, d.for_year from projects p join evaluations e on e.project_id = "
                          "p.predecessor_project_id join budget_decisions d on d.project_id = p.predecessor_project_id "
                          "join tasks t on t.instance_id = p.instance_id where p.fiscal_year = 2027 "
                          "and t.state = 'ready' and t.form_key in ('goal_submission', 'goal_review')")
    assert reviewed and {r[1] for r in reviewed} == {2027}
    moved = _rows(url, "select a.fiscal_year, a.handling, a.amount, a.toward, a.decided_by from budget_adjustments a")
    assert moved and all(r[0] == 2026 and r[1] == "stop" and r[2] > 0 and r[3] and r[4] for r in moved)


def test_demo_instances_verify_and_a_second_seed_changes_nothing(demo_db):
    url, _ = demo_db
    before = _rows(url, "select count(*) from events")[0][0]
    again = CliRunner().invoke(main, ["seed", "--demo"])
    assert again.exit_code == 0 and "demo accounts: 0 new" in again.output, again.output
    assert _rows(url, "select count(*) from events")[0][0] == before
    verified = CliRunner().invoke(main, ["audit", "verify", "--all"])
    assert verified.exit_code == 0, verified.output


def test_demo_has_a_department_and_a_fund_inspection_with_rectifications_under_way(demo_db):
    url, seeded = demo_db
    rows = _rows(url, "select target_kind, department_id, fund_name, status, rectification_status from inspections "
                      "order by id")
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [("fund", "jyj", "rectifying", "open"),
                                                       ("department", "jyj", "rectifying", "submitted")]
    assert rows[0][2] == "农村义务教育薄弱学校改造补助专项转移支付资金" and rows[1][2] is None
    findings = _rows(url, "select inspection_id, severity, requires_rectification from inspection_findings "
                          "order by inspection_id, position")
    assert [(r[1], bool(r[2])) for r in findings] == [("major", True), ("minor", False), ("serious", True),
                                                      ("major", True), ("minor", True)]
    waiting = {r[0] for r in _rows(url, "select t.bpmn_id from tasks t join inspections i on i.instance_id = "
                                        "t.instance_id where t.state = 'ready'")}
    assert waiting == {"submit_rectification", "verify_rectification"}
    assert "2 supervision inspections" in seeded.output


def test_demo_has_last_years_reports_with_one_missing_and_escalated_and_two_training_sessions(demo_db):
    url, _ = demo_db
    reports = _rows(url, "select department_id, status, period_label from performance_reports")
    assert len(reports) >= 3 and {r[2] for r in reports} == {"2025"}
    [missing] = [r for r in reports if r[1] != "accepted"]  # every other department's report was accepted
    assert missing[1] == "due"
    slipped = _rows(url, "select count(*) from escalations where code = 'perf_report_slipped' and state = 'open'")
    assert slipped[0][0] == 1
    assert _rows(url, "select count(*) from training_sessions where year = 2025 and level = 'municipal'")[0][0] == 2
    attended = _rows(url, "select distinct a.department_id from training_attendance a where a.department_id is not null")
    assert 0 < len(attended) < len(reports)  # one department attended no session


def test_demo_shows_the_libraries_by_level_ratings_bulletin_and_disclosures(demo_db):
    url, _ = demo_db
    district_experts = _rows(url, "SELECT name FROM experts WHERE district_id = 'jaq-czj' ORDER BY name")
    assert {r.name for r in district_experts} == {"邓志华", "孙丽君", "胡建平"}
    assert _rows(url, "SELECT count(*) FROM experts WHERE district_id IS NULL")[0][0] == 30  # the city's, shared
    [indicator] = _rows(url, "SELECT status, district_id FROM library_indicators WHERE name = '区属学校课后服务覆盖率'")
    assert tuple(indicator) == ("confirmed", "jaq-czj")
    rated = _rows(url, "SELECT rating, rated_by FROM expert_engagements WHERE rating IS NOT NULL")
    assert rated and all(1 <= r.rating <= 5 and r.rated_by == "cz.reviewer" for r in rated)
    # 28 November 2026, six-month periods: the first half of 2026 is the last one over.
    assert [tuple(r) for r in _rows(url, "SELECT year, period FROM agency_bulletins")] == [(2026, 1)]
    assert _rows(url, "SELECT count(*) FROM disclosures WHERE stage = 'goals'")[0][0] > 0


def test_demo_enters_two_years_of_fiscal_figures_and_the_coverage_divides_by_them(demo_db):
    from service.domain import coverage_rules
    from service.queries.coverage_queries import coverage_report

    url, _ = demo_db
    figures = _rows(url, "select fiscal_year, level, public_spending, livelihood_spending from fiscal_figures "
                         "where level = 'municipal' order by fiscal_year")
    assert [f[0] for f in figures] == [2024, 2025]
    money = _rows(url, "select sum(amount) from projects where fiscal_year = 2025 and level = 'municipal' "
                       "and kind = 'project'")[0][0]
    # 2025: 3.2 × the 2025 project money, in whole 万元; 民生 58 % of it
    assert abs(float(figures[1][2]) - 3.2 * float(money)) <= 5_000
    engine = make_engine(url)
    try:
        with db.read(engine) as conn:
            measures = {m.key: m for m in coverage_report(conn, 2026, "municipal").measures}
        with db.read(engine) as conn:
            missing = {m.key: m for m in coverage_report(conn, 2027, "municipal").measures}
    finally:
        engine.dispose()
    evaluated = measures[coverage_rules.EVALUATED_MONEY]
    assert evaluated.status == coverage_rules.MEASURED and evaluated.denominator == figures[1][2]
    livelihood = measures[coverage_rules.LIVELIHOOD_MONEY]
    assert livelihood.previous_actual is not None and livelihood.direction in (coverage_rules.RISING, coverage_rules.NOT_RISING)
    assert missing[coverage_rules.EVALUATED_MONEY].status == coverage_rules.NOT_ENTERED  # 2026's figures are left for the bureau


def test_the_dashboards_coverage_has_the_numbers_of_the_full_report_in_every_year_and_level(demo_db):
    """The dashboard reads the projects summed in SQL (no lines); the API and the year-end review each project: on
    the demo's years (goals, monitoring, evaluations of every kind, whole-department items) the numbers agree."""
    import dataclasses

    from service.queries.coverage_queries import coverage_report

    url, _ = demo_db
    engine = make_engine(url)
    compared = 0
    try:
        for year in (2024, 2025, 2026, 2027):
            for level in ("municipal", "district"):
                with db.read(engine) as conn:
                    full = coverage_report(conn, year, level)
                    bare = coverage_report(conn, year, level, lines=False)
                assert bare == dataclasses.replace(full, measures=tuple(
                    dataclasses.replace(m, projects=(), departments=()) for m in full.measures)), (year, level)
                compared += sum(1 for m in full.measures if m.numerator)
    finally:
        engine.dispose()
    assert compared >= 10  # the comparison covered measures with something counted, not empty years only


def test_every_demo_projects_kept_facts_are_what_its_goals_reports_and_evaluations_say(demo_db):
    """The dashboard and the coverage report read each project's latest goal status, latest warning and evaluation
    kinds from its row (kept by triggers): after the demo's whole cycle, through the real handlers, they agree with
    the rows they come from."""
    from sqlalchemy import select

    from tests.service.models.test_project_facts import PROJECTS, derived, kept

    url, _ = demo_db
    engine = make_engine(url)
    try:
        with db.read(engine) as conn:
            projects = list(conn.execute(select(PROJECTS.c.id)).scalars())
            facts = {p: kept(conn, p) for p in projects}
            assert facts == {p: derived(conn, p) for p in projects}
    finally:
        engine.dispose()
    assert sum(1 for goal, warning, kinds in facts.values() if goal and warning and kinds) >= 10


def test_demo_has_a_sub_unit_evaluated_by_its_department_counted_in_the_coverage(demo_db):
    from service.domain import coverage_rules
    from service.queries.coverage_queries import coverage_report

    url, seeded = demo_db
    assert _rows(url, "select fiscal_year, department_id, unit_id, status, grade, started_by, graded_by "
                      "from subunit_evaluations order by id") == [
        (2025, "jyj", "jyj-zx", "graded", "良", "jy.staff", "jy.head"),
        (2025, "wjw", "wjw-yy", "open", None, "ws.staff", None)]
    assert "demo sub-unit evaluations: 2 opened" in seeded.output
    engine = make_engine(url)
    try:
        with db.read(engine) as conn:
            measure = {m.key: m for m in coverage_report(conn, 2026, "municipal").measures}[coverage_rules.SUBUNIT_EVALUATIONS]
    finally:
        engine.dispose()
    # 84.5 → 良; the municipal units of the organisation, the schools counted
    assert measure.numerator == 1 and measure.target is None
    assert [d.id for d in measure.departments if d.counted] == ["jyj-zx"]


def test_demo_has_key_evaluations_of_a_transfer_and_of_an_enterprise(demo_db):
    """The plan 二(三)3一是: a transfer to the lower level and an enterprise's use of fiscal funds, key-evaluated by an
    agency and graded, their kind and subject on the records (/projects/<id> shows them, see tests/service/web)."""
    url, _ = demo_db
    rows = _rows(url, "select e.project_id, e.evaluation_kind, e.evaluated_subject, e.kind, e.grade, p.amount "
                      "from evaluations e join projects p on p.id = e.project_id "
                      "where e.evaluation_kind in ('transfer', 'enterprise') order by e.project_id, e.id")
    by = {(r.project_id, r.kind): r for r in rows}
    transfer, enterprise = by[("2025-jyj-zyzf", "key")], by[("2025-jxj-qyzj", "key")]
    assert (transfer.evaluation_kind, transfer.evaluated_subject) == ("transfer", "江岸区")
    assert (enterprise.evaluation_kind, enterprise.evaluated_subject) == ("enterprise", "武汉江城汽车零部件有限公司")
    assert transfer.grade in ("优", "良") and enterprise.grade in ("优", "良")
    assert float(transfer.amount) == 18_000_000 and float(enterprise.amount) == 6_800_000
    # both went through the whole cycle: the budget decision confirmed and the results reported to the city
    decided = dict(_rows(url, "select project_id, reported_to from budget_decisions where project_id in "
                              "('2025-jyj-zyzf', '2025-jxj-qyzj') and confirmed_at is not null"))
    assert decided == {"2025-jyj-zyzf": "武汉市人民政府", "2025-jxj-qyzj": "武汉市人民政府"}


def test_demo_district_accounts_do_the_districts_work(demo_db):
    """The Jiang'an finance bureau has its own reviewer and administrator, printed with the other sign-ins: the
    reviewer reviewed the district's goals, a district indicator waits for the district (the city cannot confirm
    it), and the district project's key results went to the district's government."""
    from service.demo.signins import DISTRICT_INDICATORS, district
    from service.errors import Forbidden
    from service.libraries import indicators

    url, seeded = demo_db
    engine = make_engine(url)
    try:
        signins = {s.username: s for s in district(engine)}
        with engine.connect() as conn:
            [code] = conn.execute(text("select code from library_indicators where status = 'proposed' "
                                       "and district_id = 'jaq-czj'")).scalars().all()
            with pytest.raises(Forbidden):
                indicators.confirm(conn, code, keeper="czj")  # the city's bureau keeps the city's entries only
            assert indicators.confirm(conn, code, keeper="jaq-czj")["status"] == "confirmed"
            conn.rollback()  # the demo keeps it waiting
    finally:
        engine.dispose()
    assert set(signins) == {"jaq.reviewer", "jaq.admin"}
    assert signins["jaq.reviewer"].role == "finance_reviewer" and signins["jaq.admin"].page == DISTRICT_INDICATORS
    assert all(s.proposed == 1 and s.department == "江岸区财政局" for s in signins.values())
    for username in signins:
        [line] = [line for line in seeded.output.splitlines() if f" {username} " in line]
        assert line.strip().startswith("district:") and "1 district indicator(s) awaiting confirmation" in line
    reviewed = _rows(url, "select distinct t.completed_by, substr(i.department_id, 1, 4) = 'jaq-' from tasks t "
                          "join instances i on i.id = t.instance_id where t.bpmn_id = 'finance_review' "
                          "and t.state = 'completed'")
    assert ("jaq.reviewer", 1) in {tuple(r) for r in reviewed}  # the district reviewed its own departments' goals
    assert all(by != "jaq.reviewer" or district_goal for by, district_goal in reviewed)
    reported = dict(_rows(url, "select d.project_id, d.reported_to from budget_decisions d "
                               "join projects p on p.id = d.project_id where p.level = 'district' "
                               "and d.reported_at is not null"))
    assert reported.get("2025-jaq-jyj-kfw") == "江岸区人民政府"
    assert set(reported.values()) == {"江岸区人民政府"}  # no district project's results went to the city


def test_demo_has_an_overdue_sub_unit_evaluation_counted_on_the_dashboard(demo_db):
    from service.domain.roles import FINANCE_REVIEWER, Principal
    from service.queries import subunit_evaluations_queries

    url, _ = demo_db
    engine = make_engine(url)
    today = clock.local_today(NOW)
    try:
        bureau = Principal("cz.reviewer", "czj", frozenset({FINANCE_REVIEWER}))
        with engine.connect() as conn:
            listed = {e["unit_id"]: e for e in subunit_evaluations_queries.list_evaluations(conn, bureau, today=today)}
            summary = subunit_evaluations_queries.overdue_summary(conn, bureau, today)
    finally:
        engine.dispose()
    late, graded = listed["wjw-yy"], listed["jyj-zx"]
    assert late["overdue"] and late["due_on"] < today and late["days_overdue"] == (today - late["due_on"]).days
    assert not graded["overdue"] and graded["due_on"] is not None
    assert summary == {"count": 1, "oldest_due": late["due_on"]}
