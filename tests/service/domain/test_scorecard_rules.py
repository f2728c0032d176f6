"""The scorecard's arithmetic (service/domain/scorecard_rules.py) on a hand-built department, recomputed by hand from the
indicator rows of seeds/rules.json (scorecard.indicators, municipal)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from service.config import ROOT
from service.domain import scorecard_rules
from service.errors import InvalidInput


def _rule(key: str, level: str = "*") -> object:
    rows = json.loads((ROOT / "seeds" / "rules.json").read_text(encoding="utf-8"))["rules"]
    return next(r["value"] for r in rows if r["key"] == key and r.get("level", "*") == level)


INDICATORS = scorecard_rules.parse_indicators(_rule(scorecard_rules.INDICATORS_KEY, "municipal"))
BY_CODE = {i.code: i for i in INDICATORS}
FLOORS = _rule(scorecard_rules.FLOORS_KEY)
D = Decimal


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


DUE = _utc(2014, 9, 15, 15, 59, 59)  # 23:59:59 in Wuhan
FACTS = scorecard_rules.SubjectFacts(
    "dept-x", as_of=date(2016, 6, 30),
    projects=(
        scorecard_rules.ProjectRecord("p1", "project", "closed", 11, D("92"), 12, D("85")),  # spot-check 7 below: fails
        scorecard_rules.ProjectRecord("p2", "project", "evaluated", 21, D("80"), 22, D("78")),  # 2 below: within 5
        scorecard_rules.ProjectRecord("p3", "project", "running"),  # due a self-evaluation, has none
        scorecard_rules.ProjectRecord("p4", "project", "stopped"),  # stopped: no self-evaluation due
        scorecard_rules.ProjectRecord("p5", "department", "blocked"),  # blocked goal: none due
    ),
    declarations=(
        scorecard_rules.Declaration("p1", 101, _utc(2014, 9, 10), DUE, "t1", 101, frozenset({"quantity", "social"})),
        scorecard_rules.Declaration("p2", 201, _utc(2014, 9, 16), DUE, "t2", 202, frozenset({"quantity", "satisfaction"})),
        scorecard_rules.Declaration("p3", 301, _utc(2014, 9, 10), None, None, 301, frozenset({"cost", "economic"})),
        scorecard_rules.Declaration("p4", 401, _utc(2014, 9, 12), DUE, "t4", 401, frozenset({"quality", "ecological"})),
        scorecard_rules.Declaration("p5", 501, DUE, DUE, "t5", 501, frozenset({"social"})),
    ),
    reviews=(scorecard_rules.Review("p1", 101, 1, "优"), scorecard_rules.Review("p2", 201, 1, "中"), scorecard_rules.Review("p3", 301, 1, "良"),
             scorecard_rules.Review("p4", 401, 1, "良"), scorecard_rules.Review("p5", 501, 1, "差")),
    filings=(
        scorecard_rules.MonitoringFiling(1, "p1", date(2015, 7, 31), date(2015, 8, 31), date(2015, 8, 28)),
        scorecard_rules.MonitoringFiling(2, "p2", date(2015, 7, 31), date(2015, 8, 31), date(2015, 9, 2)),  # late
        scorecard_rules.MonitoringFiling(3, "p3", date(2015, 7, 31), date(2015, 8, 31), date(2015, 8, 31)),  # on the day
        scorecard_rules.MonitoringFiling(4, "p4", date(2015, 7, 31), date(2015, 8, 31), date(2015, 9, 10)),  # late
        scorecard_rules.MonitoringFiling(5, "p1", date(2015, 10, 31), None, date(2015, 11, 3)),  # no deadline: not counted
    ),
    requests=(
        scorecard_rules.CorrectiveRequest(31, "p2", date(2015, 9, 14), 32, "continue", date(2015, 9, 10)),
        scorecard_rules.CorrectiveRequest(33, "p4", date(2015, 9, 20), 34, "cancel", date(2015, 9, 25)),  # answered late
        scorecard_rules.CorrectiveRequest(35, "p3", date(2015, 10, 10)),  # never answered
        scorecard_rules.CorrectiveRequest(36, "p3", date(2016, 7, 15)),  # still within its deadline: not counted
    ),
    rectifications=(
        scorecard_rules.RectificationRecord(41, "p1", "done", date(2016, 3, 1), date(2016, 2, 20)),
        scorecard_rules.RectificationRecord(42, "p2", "done", date(2016, 3, 1), date(2016, 3, 5)),  # done, but late
        scorecard_rules.RectificationRecord(43, "p3", "not_required", None, None),  # not counted
        scorecard_rules.RectificationRecord(44, "p4", "failed", date(2016, 3, 1), None),
        scorecard_rules.RectificationRecord(45, "p5", "open", date(2016, 7, 31), None),  # not yet due: not counted
    ),
    decisions=(scorecard_rules.BudgetDecisionRecord(51, "p1", True, True), scorecard_rules.BudgetDecisionRecord(52, "p2", True, False),
               scorecard_rules.BudgetDecisionRecord(53, "p4", False, False), scorecard_rules.BudgetDecisionRecord(54, "p5", True, True)),
    trainings=(scorecard_rules.TrainingRecord(61, "dept-x", 6, "绩效目标管理专题培训班", date(2015, 5, 20), 3),),
)
ENTERED = {code: scorecard_rules.EnteredScore(code, D(points), f"task-{code}", "reviewer") for code, points in (
    ("basic.rules", "4"), ("basic.organisation", "4.5"), ("reform.innovation", "5"),
    ("reform.pilots", "2.5"))}


def test_a_hand_built_department_scores_as_recomputed_by_hand():
    entries = {e.code: e for e in scorecard_rules.score(FACTS, INDICATORS, ENTERED)}
    expected = {
        # goals — on time: p1, p2 (late), p4, p5 (at the due second) have deadlines → 3 of 4 × 8 = 6.00
        "goals.declared_on_time": (D("6.00"), 4, 3),
        # complete (an output and an effect): p1, p3, p4 of 5 → 3/5 × 4 = 2.40
        "goals.complete": (D("2.40"), 5, 3),
        # first review 优/良: p1 优, p3 良, p4 良 of 5 → 3/5 × 8 = 4.80
        "goals.first_review": (D("4.80"), 5, 3),
        # monitoring: 4 reports with a deadline, 2 late → 10 − 2 × 2 = 6.00 (deduct, per_item 2)
        "monitoring.reports_on_time": (D("6.00"), 4, 2),
        # warnings: 3 due (the one due 2016-07-15 is still open), answered in time 1 → 1/3 × 10 = 3.33
        "monitoring.corrective_on_time": (D("3.33"), 3, 1),
        # self-evaluation due for p1 (closed), p2 (evaluated), p3 (running) → 2 of 3 × 10 = 6.67
        "evaluation.self_coverage": (D("6.67"), 3, 2),
        # spot-checks: p1 85 < 92 − 5 fails, p2 78 ≥ 80 − 5 passes → 1/2 × 10 = 5.00
        "evaluation.spot_check": (D("5.00"), 2, 1),
        # rectifications due: 41 on time, 42 late, 44 failed → 1/3 × 6 = 2.00
        "results.rectified_on_time": (D("2.00"), 3, 1),
        # budget decisions confirmed 3 of 4 → 3/4 × 5 = 3.75; disclosed 2 of 4 → 2/4 × 4 = 2.00
        "results.budget_applied": (D("3.75"), 4, 3),
        "results.disclosed": (D("2.00"), 4, 2),
        # training: the department attended one session of the year → 1/1 × 5 = 5.00
        "basic.training": (D("5.00"), 1, 1),
    }
    assert {code: (e.points, e.counted, e.passed) for code, e in entries.items() if code in expected} == expected
    assert {code: entries[code].points for code in ENTERED} == {code: s.points for code, s in ENTERED.items()}
    dims = {d.code: (d.points, d.max_points) for d in scorecard_rules.dimensions(entries.values())}
    assert dims == {
        "basic": (D("13.50"), 15),  # entered 4 + 4.5, training attended 5.00
        "goals": (D("13.20"), 20),  # 6.00 + 2.40 + 4.80
        "monitoring": (D("9.33"), 20),  # 6.00 + 3.33
        "evaluation": (D("11.67"), 20),  # 6.67 + 5.00
        "results": (D("7.75"), 15),  # 2.00 + 3.75 + 2.00
        "reform": (D("7.50"), 10),  # entered 5 + 2.5
    }
    total = scorecard_rules.total(entries.values())
    assert total == D("62.95")  # 13.50 + 13.20 + 9.33 + 11.67 + 7.75 + 7.50
    assert scorecard_rules.grade_of(total, FLOORS) == "中"  # 中 from 60 (rule scorecard.grade_floors)


def test_training_points_come_from_attendance_not_from_the_reviewer():
    rule = BY_CODE["basic.training"]
    assert (rule.measure, rule.formula, rule.no_data, rule.weight) == ("training_attended", "ratio", "zero", 5)

    def points(*trainings: scorecard_rules.TrainingRecord) -> tuple[D, int]:
        [entry] = [e for e in scorecard_rules.score(scorecard_rules.SubjectFacts("d", date(2016, 1, 1), trainings=trainings), INDICATORS)
                   if e.code == rule.code]
        return entry.points, entry.counted

    # no session attended in the year: 0 of 5; one or two attended: the full 5 (each attendance passes)
    assert points() == (D("0"), 0)
    assert points(scorecard_rules.TrainingRecord(1, "d", 1, "培训一", date(2015, 4, 1), 2)) == (D("5.00"), 1)
    assert points(scorecard_rules.TrainingRecord(1, "d", 1, "培训一", date(2015, 4, 1), 2),
                  scorecard_rules.TrainingRecord(2, "d", 2, "培训二", date(2015, 10, 9), 1)) == (D("5.00"), 2)


@pytest.mark.parametrize("late", range(7))
def test_late_monitoring_reports_lose_exactly_the_rules_points(late):
    rule = BY_CODE["monitoring.reports_on_time"]
    filings = tuple(scorecard_rules.MonitoringFiling(n, f"p{n}", date(2015, 7, 31), date(2015, 8, 31),
                                        date(2015, 9, 1) if n < late else date(2015, 8, 30)) for n in range(6))
    [entry] = [e for e in scorecard_rules.score(scorecard_rules.SubjectFacts("d", date(2016, 1, 1), filings=filings), INDICATORS)
               if e.code == rule.code]
    assert (rule.formula, rule.weight, rule.per_item) == ("deduct", 10, 2)
    # each late report costs per_item points, never below zero (10, 8, 6, 4, 2, 0, 0)
    assert entry.points == max(D(0), rule.weight - rule.per_item * late)
    assert [e.id for e in entry.evidence if not e.ok] == [str(n) for n in range(min(late, 6))]


def test_every_score_links_to_its_evidence():
    facts_ids = {
        "goals": {str(d.goal_id) for d in FACTS.declarations} | {str(d.latest_goal_id) for d in FACTS.declarations},
        "monitoring_reports": {str(f.report_id) for f in FACTS.filings},
        "project_actions": {str(r.action_id) for r in FACTS.requests},
        "evaluations": {str(i) for p in FACTS.projects for i in (p.self_evaluation_id, p.spot_check_id) if i},
        "projects": {p.project_id for p in FACTS.projects},
        "rectifications": {str(r.id) for r in FACTS.rectifications},
        "budget_decisions": {str(d.id) for d in FACTS.decisions},
        "training_attendance": {str(t.attendance_id) for t in FACTS.trainings},
        "tasks": {s.task_id for s in ENTERED.values()},
    }
    for entry in scorecard_rules.score(FACTS, INDICATORS, ENTERED):
        assert entry.evidence, entry.code  # every scored indicator names what it stands on
        for e in entry.evidence:
            assert e.id in facts_ids[e.table], (entry.code, e)
        if entry.formula != scorecard_rules.ENTERED:  # the points follow from exactly the records listed
            assert (entry.counted, entry.passed) == (len(entry.evidence), sum(e.ok for e in entry.evidence))


def test_no_records_follow_the_rows_no_data_rule():
    entries = {e.code: e for e in scorecard_rules.score(scorecard_rules.SubjectFacts("empty", date(2016, 1, 1)), INDICATORS)}
    for ind in INDICATORS:
        e = entries[ind.code]
        if ind.entered:
            assert e.points is None  # not scored yet
        else:
            assert e.no_data and e.points == (ind.weight if ind.no_data == "full" else 0), ind.code
    assert scorecard_rules.total(entries.values()) is None


def test_entered_points_are_checked_against_the_rule():
    good = [{"code": code, "points": float(s.points)} for code, s in ENTERED.items()]
    assert scorecard_rules.check_entered(INDICATORS, good) == []
    bad = [*good[:2], {"code": "reform.innovation", "points": 6.5}, {"code": "goals.complete", "points": 1},
           {"code": "basic.rules", "points": 1}, {"code": "basic.training", "points": 5}]
    assert scorecard_rules.check_entered(INDICATORS, bad) == [
        {"field": "scores[2].points", "message": "between 0 and 6"},
        {"field": "scores[3].code", "message": "not an entered indicator: goals.complete"},  # measured, not entered
        {"field": "scores[4].code", "message": "basic.rules twice"},
        # training is measured from the attendance records now, not entered by the reviewer
        {"field": "scores[5].code", "message": "not an entered indicator: basic.training"},
        {"field": "scores", "message": "missing reform.pilots"},
    ]


def test_ranks_share_ties_and_the_trend_compares_with_last_year():
    def card(dept: str, total: str | None, status: str = "scored") -> scorecard_rules.Card:
        return scorecard_rules.Card(dept, dept, None, status, (), D(total) if total else None)

    cards = [card("a", "88.5"), card("b", "91"), card("c", "88.5"), card("d", "70"), card("e", None, "notified")]
    totals = {c.department_id: c.total for c in cards if c.total is not None}
    ranked = scorecard_rules.ranked(cards, totals, previous={"a": (D("80"), 3), "d": (D("75.25"), 1)})
    assert [(c.department_id, c.rank, c.delta, c.previous_rank) for c in ranked] == [
        ("b", 1, None, None), ("a", 2, D("8.50"), 3), ("c", 2, None, None), ("d", 4, D("-5.25"), 1),
        ("e", None, None, None)]


def test_a_broken_indicator_rule_is_refused_with_reasons():
    rows = _rule(scorecard_rules.INDICATORS_KEY, "municipal")
    broken = [{**rows[0], "dimension": "luck"}, {**rows[1], "code": rows[0]["code"]},
              {**rows[6], "per_item": None}, *rows[7:]]
    with pytest.raises(InvalidInput) as failed:
        scorecard_rules.parse_indicators(broken)
    assert {"field": "scorecard.indicators[0].dimension", "message": "unknown dimension"} in failed.value.errors
    assert {"field": "scorecard.indicators[2].per_item", "message": "required"} in failed.value.errors
    assert {"field": "scorecard.indicators", "message": "code basic.rules twice"} in failed.value.errors
    with pytest.raises(InvalidInput, match="not valid") as failed:
        scorecard_rules.parse_indicators([{**r, "weight": r["weight"] * 2} for r in rows])
    assert failed.value.errors == [{"field": "scorecard.indicators", "message": "weights must add up to 100"}]
