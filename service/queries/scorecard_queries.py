"""Gather the facts of the comprehensive evaluation (scorecards) and build the ranked table and the drill-down.

Whose records count (the plan 二(三)3):
- municipal: each first-level department is scored on its own projects of the fiscal year and its units';
- district: each district finance bureau is scored on the projects of its district's departments (those whose
  `district_id` names it) and their units.
A final scorecard (scored or acknowledged) is a snapshot: its stored entries are shown as they were scored. Any
other is computed live from the records, its entered indicators left unscored until the bureau scores them.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from service import clock, policy
from service.domain import scorecard_rules
from service.domain.roles import SYSTEM, Principal
from service.errors import InvalidInput, NotFound
from service.models import (
    BudgetDecision,
    Department,
    Evaluation,
    Goal,
    GoalIndicator,
    Instance,
    MonitoringReport,
    Project,
    ProjectAction,
    Rectification,
    Scorecard,
    ScorecardEntry,
    TaskRow,
)
from service.queries import trainings_queries
from service.rules import store

D, P, G, GI = Department.__table__, Project.__table__, Goal.__table__, GoalIndicator.__table__
MR, PA, E = MonitoringReport.__table__, ProjectAction.__table__, Evaluation.__table__
R, BD, T, INST = Rectification.__table__, BudgetDecision.__table__, TaskRow.__table__, Instance.__table__
S, SE = Scorecard.__table__, ScorecardEntry.__table__
DECLARE_TASK, RECTIFY_TASK = "declare_goal", "submit_rectification"  # workflows/goal_review, rectification.bpmn
ANSWERS = ("continue", "reallocate", "cancel")  # the corrective measures (workflows/monitoring.bpmn)


@dataclass(frozen=True)
class Subject:
    """Who is scored: a first-level department (municipal) or a district finance bureau, and whose records count."""

    department_id: str
    name: str
    name_en: str | None
    level: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class ScorecardReport:
    year: int
    level: str
    source: str  # the indicator rule's source
    rule_year: int
    indicators: tuple[scorecard_rules.Indicator, ...]
    cards: tuple[scorecard_rules.Card, ...]


def _local_day(value: datetime | None) -> date | None:
    return None if value is None else clock.to_local(clock.from_db(value)).date()


def subjects(conn: Connection, year: int, level: str) -> list[Subject]:
    """The scored departments of a level (active ones, and inactive ones that had projects in the year)."""
    if level not in store.LEVELS:
        raise InvalidInput("level must be municipal or district", [{"field": "level", "message": "invalid"}])
    rows = conn.execute(select(D.c.id, D.c.name, D.c.name_en, D.c.level, D.c.kind, D.c.parent_id, D.c.district_id,
                               D.c.active).where(D.c.level == level).order_by(D.c.id)).all()
    had_projects = set(conn.execute(select(P.c.department_id).where(P.c.fiscal_year == year).distinct()).scalars())
    units: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        if r.parent_id is not None:
            units[r.parent_id].append(r.id)
    first_level = [r for r in rows if r.kind == "department" and r.parent_id is None]
    if level == "municipal":
        chosen, members = first_level, {r.id: [r.id, *units[r.id]] for r in first_level}
    else:
        chosen = [r for r in rows if r.kind == "bureau"]
        members = {r.id: [] for r in chosen}
        for r in first_level:
            if r.district_id in members:
                members[r.district_id] += [r.id, *units[r.id]]
    return [Subject(r.id, r.name, r.name_en, level, tuple(members[r.id])) for r in chosen
            if r.active or set(members[r.id]) & had_projects]


def indicators(conn: Connection, year: int, level: str) -> tuple[tuple[scorecard_rules.Indicator, ...], store.RuleRow]:
    """The year's indicator rows for the level, checked."""
    try:
        row = store.get_row(conn, year, level, scorecard_rules.INDICATORS_KEY)
    except NotFound:
        raise InvalidInput(f"no scorecard rules for fiscal year {year}: seed the rules first (jixiao rules seed)",
                           [{"field": "year", "message": "no rules for this fiscal year"}]) from None
    return scorecard_rules.parse_indicators(row.value), row


def gather(conn: Connection, year: int, level: str, chosen: list[Subject], as_of: date) -> dict[str,
                                                                                                scorecard_rules.SubjectFacts]:
    """The facts of each chosen subject: the records of the year's projects of its member departments."""
    owner = {m: s.department_id for s in chosen for m in s.members}
    scope = select(P.c.id).where(P.c.fiscal_year == year, P.c.level == level, P.c.department_id.in_(list(owner)))
    projects = conn.execute(select(P.c.id, P.c.department_id, P.c.kind, P.c.status)
                            .where(P.c.id.in_(scope)).order_by(P.c.id)).all()
    owner_of = {p.id: owner[p.department_id] for p in projects}
    out: dict[str, dict[str, list[Any]]] = {s.department_id: defaultdict(list) for s in chosen}

    def add(project_id: str, kind: str, fact: Any) -> None:
        out[owner_of[project_id]][kind].append(fact)

    tasks: dict[tuple[str, str], Any] = {}
    for t in conn.execute(select(INST.c.business_key, T.c.id, T.c.bpmn_id, T.c.due_at, T.c.ended_at, T.c.state)
                          .select_from(T).join(INST, INST.c.id == T.c.instance_id)
                          .where(INST.c.business_key.in_(scope), T.c.bpmn_id.in_((DECLARE_TASK, RECTIFY_TASK)))
                          .order_by(T.c.created_at, T.c.id)):
        tasks.setdefault((t.business_key, t.bpmn_id), t)
    goals = conn.execute(select(G.c.id, G.c.project_id, G.c.revision, G.c.review_outcome, G.c.declared_at)
                         .where(G.c.project_id.in_(scope)).order_by(G.c.project_id, G.c.revision)).all()
    categories: dict[int, set[str]] = defaultdict(set)
    for goal_id, category in conn.execute(select(GI.c.goal_id, GI.c.category).join(G, G.c.id == GI.c.goal_id)
                                          .where(G.c.project_id.in_(scope))):
        categories[goal_id].add(category)
    by_project: dict[str, list[Any]] = defaultdict(list)
    for g in goals:
        by_project[g.project_id].append(g)
    for project_id, revisions in by_project.items():
        first, latest = revisions[0], revisions[-1]
        task = tasks.get((project_id, DECLARE_TASK))
        declared = task.ended_at if task is not None and task.state == "completed" else first.declared_at
        add(project_id, "declarations", scorecard_rules.Declaration(
            project_id, first.id, clock.from_db(declared), clock.from_db(task.due_at) if task is not None else None,
            task.id if task is not None else None, latest.id, frozenset(categories[latest.id])))
        reviewed = next((g for g in revisions if g.review_outcome is not None), None)
        if reviewed is not None:
            add(project_id, "reviews", scorecard_rules.Review(project_id, reviewed.id, reviewed.revision,
                                                              reviewed.review_outcome))
    for m in conn.execute(select(MR.c.id, MR.c.project_id, MR.c.checkpoint, MR.c.due_on, MR.c.reported_at)
                          .where(MR.c.project_id.in_(scope)).order_by(MR.c.id)):
        add(m.project_id, "filings", scorecard_rules.MonitoringFiling(m.id, m.project_id, m.checkpoint, m.due_on,
                                                         _local_day(m.reported_at)))  # type: ignore[arg-type]
    actions = conn.execute(select(PA.c.id, PA.c.key, PA.c.project_id, PA.c.action, PA.c.due_on, PA.c.acted_at)
                           .where(PA.c.project_id.in_(scope), PA.c.action.in_(("corrective_requested", *ANSWERS)))
                           .order_by(PA.c.id)).all()
    # A request's key is "<instance>:<report round>:corrective_requested"; the answer shares the instance and round.
    answers = {a.key.rsplit(":", 1)[0]: a for a in actions if a.action in ANSWERS}
    for a in actions:
        if a.action == "corrective_requested":
            ans = answers.get(a.key.rsplit(":", 1)[0])
            add(a.project_id, "requests", scorecard_rules.CorrectiveRequest(
                a.id, a.project_id, a.due_on, ans.id if ans else None, ans.action if ans else None,
                _local_day(ans.acted_at) if ans else None))
    evaluations: dict[tuple[str, str], Any] = {
        (e.project_id, e.kind): e for e in conn.execute(select(E.c.id, E.c.project_id, E.c.kind, E.c.score)
                                                        .where(E.c.project_id.in_(scope),
                                                               E.c.kind.in_(("self", "spot_check"))))}
    for p in projects:
        own, spot = evaluations.get((p.id, "self")), evaluations.get((p.id, "spot_check"))
        add(p.id, "projects", scorecard_rules.ProjectRecord(
            p.id, p.kind, p.status, own.id if own else None, _dec(own.score) if own else None,
            spot.id if spot else None, _dec(spot.score) if spot else None))
    for r in conn.execute(select(R.c.id, R.c.project_id, R.c.status, R.c.due_on, R.c.submitted_at)
                          .where(R.c.project_id.in_(scope)).order_by(R.c.id)):
        task = tasks.get((r.project_id, RECTIFY_TASK))
        first_due = _local_day(task.due_at) if task is not None and task.due_at is not None else r.due_on
        add(r.project_id, "rectifications", scorecard_rules.RectificationRecord(r.id, r.project_id, r.status, first_due,
                                                                   _local_day(r.submitted_at)))
    for b in conn.execute(select(BD.c.id, BD.c.project_id, BD.c.confirmed_at, BD.c.disclosed_at)
                          .where(BD.c.project_id.in_(scope)).order_by(BD.c.id)):
        add(b.project_id, "decisions", scorecard_rules.BudgetDecisionRecord(b.id, b.project_id,
                                                                            b.confirmed_at is not None,
                                                               b.disclosed_at is not None))
    for department_id, records in trainings_queries.attended(conn, year, list(owner)).items():
        out[owner[department_id]]["trainings"] += [
            scorecard_rules.TrainingRecord(r["id"], department_id, r["session_id"], r["title"], r["held_on"],
                                           r["head_count"])
            for r in records]
    return {dept: scorecard_rules.SubjectFacts(dept, as_of, **{k: tuple(v) for k, v in facts.items()})
            for dept, facts in out.items()}


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


# --- stored scorecards ------------------------------------------------------------------------------------------
def entry_json(entry: scorecard_rules.Entry) -> str:
    """An entry as stored in scorecard_entries.evidence (the snapshot the drill-down shows)."""
    doc = {k: getattr(entry, k) for k in ("code", "dimension", "name", "name_en", "formula", "measure", "counted",
                                          "passed", "no_data", "rule", "comment")}
    doc["max_points"] = str(entry.max_points)
    doc["points"] = None if entry.points is None else str(entry.points)
    doc["evidence"] = [e.__dict__ for e in entry.evidence]
    return json.dumps(doc, ensure_ascii=False, sort_keys=True)


def entry_from_json(text: str) -> scorecard_rules.Entry:
    doc = json.loads(text)
    return scorecard_rules.Entry(**{**doc, "max_points": Decimal(doc["max_points"]), "points": _dec(doc["points"]),
                       "evidence": tuple(scorecard_rules.Evidence(**e) for e in doc["evidence"])})


def stored(conn: Connection, years: tuple[int, ...], level: str) -> dict[tuple[int, str], tuple[Any,
                                                                                                list[scorecard_rules.Entry]]]:
    """Stored scorecards of the years and level, by (year, department), each with its entries."""
    cards = conn.execute(select(S).where(S.c.fiscal_year.in_(years), S.c.level == level)).all()
    entries: dict[int, list[scorecard_rules.Entry]] = defaultdict(list)
    if cards:
        for e in conn.execute(select(SE.c.scorecard_id, SE.c.evidence)
                              .where(SE.c.scorecard_id.in_([c.id for c in cards])).order_by(SE.c.id)):
            entries[e.scorecard_id].append(entry_from_json(e.evidence))
    return {(c.fiscal_year, c.department_id): (c, entries[c.id]) for c in cards}


def _card(subject: Subject, facts: scorecard_rules.SubjectFacts, inds: tuple[scorecard_rules.Indicator, ...], row: Any,
          entries: list[scorecard_rules.Entry]) -> scorecard_rules.Card:
    if row is not None and row.status in scorecard_rules.FINAL and entries:
        order = {i.code: n for n, i in enumerate(inds)}
        kept = tuple(sorted(entries, key=lambda e: order.get(e.code, len(order))))
        return scorecard_rules.Card(subject.department_id, subject.name, subject.name_en, row.status, kept,
                                    _dec(row.total),
                       row.grade, scorecard_id=row.id, instance_id=row.instance_id)
    return scorecard_rules.Card(subject.department_id, subject.name, subject.name_en, row.status if row
                                else "not_started",
                   scorecard_rules.score(facts, inds), scorecard_id=row.id if row else None,
                   instance_id=row.instance_id if row else None)


def _finals(saved: dict[tuple[int, str], tuple[Any, list[scorecard_rules.Entry]]], year: int) -> dict[str, Decimal]:
    return {dept: Decimal(str(row.total)) for (y, dept), (row, _) in saved.items()
            if y == year and row.status in scorecard_rules.FINAL and row.total is not None}


def build(conn: Connection, year: int, level: str, now: datetime, only: str | None = None) -> ScorecardReport:
    """The scorecards of a year and level (or of one department), ranked among the year's final scorecards, with
    the trend against year − 1."""
    inds, rule = indicators(conn, year, level)
    chosen = [s for s in subjects(conn, year, level) if only is None or s.department_id == only]
    facts = gather(conn, year, level, chosen, clock.local_today(now))
    saved = stored(conn, (year - 1, year), level)
    cards = [_card(s, facts[s.department_id], inds, *saved.get((year, s.department_id), (None, [])))
             for s in chosen]
    before = _finals(saved, year - 1)
    previous = {dept: (before[dept], rank) for dept, rank in scorecard_rules.ranks(before).items()}
    return ScorecardReport(year, level, rule.source, rule.fiscal_year, inds,
                           scorecard_rules.ranked(cards, _finals(saved, year), previous))


def scorecard_report(conn: Connection, year: int, level: str, now: datetime) -> ScorecardReport:
    """The ranked table of a fiscal year and level (municipal departments, or district finance bureaus)."""
    return build(conn, year, level, now)


def subject_of(conn: Connection, department_id: str) -> str:
    """The level of a scored department; NotFound for a department that has no scorecard (a unit, the bureau…)."""
    row = conn.execute(select(D.c.level, D.c.kind, D.c.parent_id).where(D.c.id == department_id)).first()
    if row is None or row.parent_id is not None or (row.kind, row.level) not in (
            ("department", "municipal"), ("bureau", "district")):
        raise NotFound(f"no scorecard for {department_id!r}: scorecards are for first-level municipal departments "
                       "and district finance bureaus")
    return str(row.level)


def scorecard_detail(conn: Connection, year: int, department_id: str, now: datetime,
                     viewer: Principal = SYSTEM) -> ScorecardReport:
    """One department's scorecard with every entry's evidence (its rank among the year's final scorecards)."""
    level = subject_of(conn, department_id)
    policy.require(viewer, policy.READ_SCORECARD, {"department_id": department_id})
    report = build(conn, year, level, now, only=department_id)
    if not report.cards:
        raise NotFound(f"no scorecard for {department_id!r} in {year}")
    return report


# --- plain data for the API, the CLI and the page -----------------------------------------------------------------
def card_dict(card: scorecard_rules.Card, entries: bool = False) -> dict[str, Any]:
    """A card as plain data (with its entries and their evidence for the drill-down)."""
    out: dict[str, Any] = {k: getattr(card, k) for k in (
        "department_id", "name", "name_en", "status", "total", "grade", "rank", "previous_total", "previous_rank",
        "delta", "scorecard_id", "instance_id")}
    out["dimensions"] = [d.__dict__ for d in card.dimensions]
    if entries:
        out["entries"] = [{**{k: v for k, v in e.__dict__.items() if k != "evidence"},
                           "evidence": [x.__dict__ for x in e.evidence]} for e in card.entries]
    return out


def report_dict(report: ScorecardReport, detail: bool = False) -> dict[str, Any]:
    """The ranked table (or, with `detail`, the one card of a drill-down) as plain data."""
    out: dict[str, Any] = {"year": report.year, "level": report.level, "source": report.source,
                           "rule_year": report.rule_year, "indicators": [i.__dict__ for i in report.indicators]}
    if detail:
        out["card"] = card_dict(report.cards[0], entries=True)
    else:
        out["cards"] = [card_dict(c) for c in report.cards]
    return out


CSV_COLUMNS = ("rank", "department_id", "department", "status", "total", "grade", *scorecard_rules.DIMENSIONS,
               "previous_total", "previous_rank", "delta")


def csv_text(report: ScorecardReport) -> str:
    """The ranked table as CSV (UTF-8 with a BOM, so spreadsheet programs read the Chinese names)."""

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for c in report.cards:
        dims = {d.code: d.points for d in c.dimensions}
        writer.writerow([_cell(v) for v in (c.rank, c.department_id, c.name, c.status, c.total, c.grade,
                                            *(dims.get(code) for code in scorecard_rules.DIMENSIONS), c.previous_total,
                                            c.previous_rank, c.delta)])
    return "\ufeff" + buf.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    # a cell a spreadsheet would run as a formula is quoted as text (OWASP CSV injection)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True
