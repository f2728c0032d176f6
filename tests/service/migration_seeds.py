"""Representative rows as a database at an earlier migration held them, for the upgrade tests.

Engine rows (instances, tasks, events, candidates, waits, jobs, escalations, attachments and the deployed version)
are copied from real instances the current code builds once (so their hash chains and replays check out); every
other table gets hand-written rows. Each row goes in with the columns its table had at the database's revision:
`TABLE_SINCE` says where each table appeared, `COLUMN_SINCE` where a later column did. A revision that adds a
table needs rows here: the test fails naming the table otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, DateTime, bindparam, column, inspect, select, table, text

from service.bpm.commands import AttachFile, Claim, Unclaim
from service.bpm.deploy import deploy
from service.bpm.verify import verify
from service.config import Settings
from service.domain.roles import SYSTEM, Principal
from service.migrate import upgrade
from service.models import Base
from service.people import directory
from service.runtime import Runtime
from tests.conftest import FIXTURES, fixture_files, password_of
from tests.service.attachments import samples

TABLE_SINCE = {
    "process_versions": "0001", "process_definitions": "0001", "version_files": "0001", "instances": "0001",
    "tasks": "0001", "events": "0001",
    "chains": "0002", "departments": "0002", "users": "0002", "user_roles": "0002", "api_tokens": "0002",
    "task_candidates": "0002",
    "message_waits": "0005", "jobs": "0006", "notifications": "0007", "escalations": "0008",
    **dict.fromkeys(["agencies", "calendar_days", "experts", "fiscal_years", "library_indicators", "rules",
                     "supervision_members", "projects", "accountability_cases", "agency_engagements",
                     "budget_decisions", "evaluations", "expert_engagements", "goals", "monitoring_reports",
                     "rectifications", "goal_indicators", "project_actions"], "0009"),
    "attachments": "0010", "scorecards": "0011", "scorecard_entries": "0011", "coverage_reviews": "0017",
    "budget_adjustments": "0018", "inspections": "0019", "inspection_findings": "0019",
    "training_sessions": "0020", "training_attendance": "0020", "performance_reports": "0020",
    "agency_bulletins": "0022", "disclosures": "0022",
    "fiscal_figures": "0021",
    "subunit_evaluations": "0023",
    "verify_checkpoints": "0027",
    "verify_runs": "0028", "verify_findings": "0028",
}
COLUMN_SINCE = {("instances", "department_id"): "0002", ("tasks", "department_id"): "0002",
                ("tasks", "owner"): "0002", ("tasks", "delegation_state"): "0002",
                ("task_candidates", "assignee"): "0004", ("departments", "district_id"): "0012",
                ("escalations", "level"): "0013", ("escalations", "escalated_at"): "0013",
                ("escalations", "escalated_by"): "0013", ("library_indicators", "comparator"): "0016",
                ("projects", "predecessor_project_id"): "0018",
                **dict.fromkeys([(t, "district_id") for t in ("library_indicators", "experts", "agencies",
                                                              "supervision_members")], "0022"),
                ("expert_engagements", "rated_by"): "0022", ("expert_engagements", "rated_at"): "0022",
                ("budget_decisions", "reported_to"): "0022",
                ("evaluations", "evaluation_kind"): "0023", ("evaluations", "evaluated_subject"): "0023",
                ("subunit_evaluations", "due_on"): "0025",
                **dict.fromkeys([("projects", c) for c in ("goal_status", "warning_level", "evaluation_kinds")],
                                "0029")}
# Generated keys the database assigns (the copies get new ones; nothing refers to them).
_GENERATED = {("events", "id"), ("jobs", "id"), ("escalations", "id"), ("process_definitions", "id"),
              ("users", "id")}
# Each template instance enters the seeds at the revision whose tables its rows need.
INSTANCE_SINCE = {"completed": "0001", "open_task": "0002", "waiting_message": "0005", "external": "0006",
                  "escalated": "0008", "evidence": "0010", "checkpointed": "0027"}
ENGINE_TABLES = ["instances", "tasks", "events", "task_candidates", "message_waits", "jobs", "escalations",
                 "attachments", "verify_checkpoints"]
PEOPLE = {"staff_a": ("dept-a", ["department_staff"]), "head_a": ("dept-a", ["department_head"])}
_T = datetime(2015, 3, 2, 1, 0)

HANDWRITTEN: dict[str, list[dict[str, Any]]] = {
    "notifications": [{"id": 1, "idempotency_key": "seed:mail", "recipient": "staff_a", "email": "a@example.cn",
                       "subject": "待办", "body": "请填报", "kind": "task", "instance_id": None, "status": "sent",
                       "attempts": 1, "retries_left": 3, "due_at": _T, "lock_owner": None, "lock_expires_at": None,
                       "last_error": None, "created_at": _T, "sent_at": _T}],
    "coverage_reviews": [{"id": 1, "fiscal_year": 2015, "level": "municipal", "department_id": "dept-a",
                          "missed": '[{"measure": "goal_money_share", "actual": 25.0, "target": 50.0}]',
                          "instance_id": None, "claimed_at": _T}],
    "inspections": [{"id": 1, "instance_id": "seed-inspection", "fiscal_year": 2015, "department_id": "dept-a",
                     "target_kind": "fund", "fund_name": "农村义务教育薄弱学校改造专项转移支付",
                     "fund_amount": Decimal("8000000.00"), "aspects": '["goal_setting", "execution"]',
                     "members": '[{"id": 1, "name": "陈国平", "organisation": "市人大常委会预算工作委员会"}]',
                     "status": "rectifying", "opened_at": _T, "due_on": date(2015, 3, 30), "inspected_at": _T,
                     "acknowledged_at": _T, "acknowledgement": "立即整改", "rectification_status": "open",
                     "rectification_due_on": date(2015, 4, 1), "rectification_plan": None,
                     "rectification_submitted_at": None, "rectification_verified_at": None,
                     "rectification_verdict": None, "closed_at": None}],
    "inspection_findings": [{"id": 1, "inspection_id": 1, "position": 1, "aspect": "goal_setting",
                             "severity": "major", "text": "绩效目标未细化到县区", "requires_rectification": True,
                             "rectification_instance_id": "seed-inspection"}],
    "training_sessions": [{"id": 1, "year": 2015, "level": "municipal", "title": "绩效目标管理专题培训班",
                           "held_on": date(2015, 5, 20), "organiser": "市财政局绩效管理处", "recorded_by": "seed",
                           "recorded_at": _T}],
    "training_attendance": [{"id": 1, "session_id": 1, "attendee_group": "departments", "department_id": "dept-a",
                             "head_count": 2, "recorded_by": "seed", "recorded_at": _T}],
    "performance_reports": [{"id": 1, "department_id": "dept-a", "level": "municipal", "fiscal_year": 2015,
                             "period_start": date(2015, 1, 1), "period_end": date(2015, 12, 31),
                             "period_label": "2015", "status": "accepted", "due_on": date(2016, 2, 1),
                             "content": '{"report_summary": "全年工作有序推进"}', "filed_at": _T, "reviewed_at": _T,
                             "decision": "accept", "review_comment": None, "instance_id": None, "claimed_at": _T}],
    "fiscal_figures": [{"fiscal_year": 2014, "level": "municipal", "public_spending": Decimal("100000000.00"),
                        "livelihood_spending": Decimal("60000000.00"), "source": "2014年市级决算",
                        "entered_by": "admin", "entered_at": _T}],
    "verify_runs": [{"id": "seed-run", "day": "2015-03-02", "status": "findings", "started_at": _T, "ended_at": _T,
                     "checked": 12, "from_checkpoint": 10, "findings": 1, "error": None}],
    "verify_findings": [{"id": 1, "run_id": "seed-run", "instance_id": "seed-inspection", "seq": 3,
                         "problem": "content does not match its hash (edited)", "table_name": None, "row_id": None,
                         "column_name": None}],
    "fiscal_years": [{"year": 2015, "status": "open", "declaration_opens_on": date(2014, 10, 8),
                      "cycle_launched_at": _T}],
    "calendar_days": [{"day": date(2015, 10, 1), "kind": "holiday", "name": "国庆节", "source": "国务院办公厅通知"}],
    "rules": [{"id": 1, "fiscal_year": 2015, "level": "municipal", "key": "grade.excellent", "value": "90",
               "source": "财预〔2020〕10号", "updated_at": _T, "updated_by": "seed"}],
    "library_indicators": [{"code": "C1", "name": "覆盖率", "name_en": None, "level": 1, "parent_code": None,
                            "category": "output", "scope": "common", "status": "active", "definition": None,
                            "formula": None, "quantitative": True, "unit": "%", "default_weight": Decimal("10.00"),
                            "sectors": "[]", "standards": "[]", "proposed_by": None}],
    "experts": [{"id": 1, "username": None, "name": "王专家", "employer": "武汉大学", "title": "教授", "fields": "[]",
                 "conflicts": "[]", "available": True}],
    "agencies": [{"id": 1, "username": None, "name": "某会计师事务所", "kind": "accounting", "qualifications": "[]",
                  "fields": "[]", "conflicts": "[]", "status": "active"}],
    "supervision_members": [{"id": 1, "username": None, "name": "李代表", "organisation": "市人大",
                             "role": "npc_deputy", "fields": "[]", "active": True}],
    "projects": [{"id": "P-2015-001", "fiscal_year": 2015, "department_id": "dept-a", "level": "municipal",
                  "kind": "project", "name": "农村饮水安全", "sector": "education", "amount": Decimal("6000000.00"),
                  "is_major": True, "is_key": False, "status": "declared", "budget_cut": None, "instance_id": None,
                  "predecessor_project_id": None, "created_at": _T, "updated_at": _T,
                  # what the triggers of 0029 keep: its goal's status, its report's warning, its evaluation's kind
                  "goal_status": "approved", "warning_level": "green", "evaluation_kinds": "self"}],
    "goals": [{"id": 1, "project_id": "P-2015-001", "revision": 1, "summary": "全年完成", "status": "approved",
               "review_outcome": "A", "review": None, "experts": None, "declared_at": _T, "decided_at": _T}],
    "goal_indicators": [{"id": 1, "goal_id": 1, "position": 1, "library_code": "C1", "name": "覆盖率",
                         "category": "output", "unit": "%", "comparator": ">=", "target": "95",
                         "weight": Decimal("10.00"), "standard_source": "plan", "evidence_required": False}],
    "monitoring_reports": [{"id": 1, "project_id": "P-2015-001", "checkpoint": date(2015, 7, 31),
                            "due_on": date(2015, 8, 10), "executed_amount": Decimal("3000000.00"),
                            "execution_rate": Decimal("50.00"), "time_progress": Decimal("58.33"),
                            "goal_progress": Decimal("50.00"), "can_meet": "yes", "warning_level": "green",
                            "detail": "{}", "reported_at": _T}],
    "project_actions": [{"id": 1, "key": "seed:action", "project_id": "P-2015-001", "report_id": 1,
                         "action": "remind", "due_on": None, "budget_cut": None, "note": None, "acted_at": _T,
                         "actor": "seed"}],
    "evaluations": [{"id": 1, "project_id": "P-2015-001", "kind": "self", "score": Decimal("92.50"), "grade": "优",
                     "evaluated_amount": None, "agency_id": None, "detail": "{}", "completed_at": _T}],
    "expert_engagements": [{"id": 1, "expert_id": 1, "project_id": "P-2015-001", "fiscal_year": 2015,
                            "rating": None, "drawn_at": _T}],
    "agency_engagements": [{"id": 1, "agency_id": 1, "project_id": "P-2015-001", "fiscal_year": 2015,
                            "assigned_at": _T, "quality": None, "timeliness": None, "compliance": None,
                            "rating": None, "rated_at": None}],
    "budget_decisions": [{"id": 1, "project_id": "P-2015-001", "for_year": 2016, "grade": "优",
                          "proposal": "keep", "base_amount": Decimal("6000000.00"),
                          "proposed_amount": Decimal("6000000.00"), "confirmed_amount": None, "confirmed_by": None,
                          "confirmed_at": None, "disclosed_at": None, "reported_at": None}],
    "budget_adjustments": [{"id": 1, "key": "seed:adjustment", "project_id": "P-2015-001", "fiscal_year": 2015,
                            "handling": "adjust", "amount": Decimal("300000.00"), "toward": "防汛应急抢险",
                            "reason": "预计无法完成年度目标", "decided_by": "seed", "decided_at": _T,
                            "instance_id": None}],
    "rectifications": [{"id": 1, "project_id": "P-2015-001", "fed_back_at": None, "due_on": None, "plan": None,
                        "submitted_at": None, "verified_at": None, "verdict": None, "status": "open"}],
    "accountability_cases": [{"id": 1, "key": "seed:case", "project_id": "P-2015-001", "department_id": "dept-a",
                              "reason": "red_warning", "status": "open", "outcome": None, "opened_at": _T,
                              "closed_at": None}],
    "scorecards": [{"id": 1, "department_id": "dept-a", "fiscal_year": 2015, "level": "municipal",
                    "status": "draft", "total": None, "grade": None, "rank": None, "instance_id": None,
                    "detail": "{}", "created_at": _T, "updated_at": _T, "scored_at": None,
                    "acknowledged_at": None}],
    "scorecard_entries": [{"id": 1, "scorecard_id": 1, "code": "S1", "dimension": "management", "source": "auto",
                           "points": None, "max_points": Decimal("10.00"), "task_id": None, "evidence": "[]",
                           "updated_at": _T}],
    "agency_bulletins": [{"id": 1, "year": 2015, "period": 1, "starts_on": date(2015, 1, 1),
                          "ends_on": date(2015, 6, 30), "published_at": _T, "published_by": "reviewer",
                          "entries": '[{"rank": 1, "agency_id": 1, "agency_name": "某会计师事务所", "mean_score": 85.0, '
                                     '"reports": [{"project_id": "P-2015-001", "score": 85.0}]}]'}],
    "disclosures": [{"id": 1, "project_id": "P-2015-001", "stage": "goals", "disclosed_at": _T}],
}
# A district department that names its district bureau (the column of 0012).
DISTRICT = [{"id": "district-1", "name": "江岸区财政局", "name_en": None, "level": "district", "kind": "bureau",
             "parent_id": None, "district_id": None, "sector": None, "active": True},
            {"id": "district-1-edu", "name": "江岸区教育局", "name_en": None, "level": "district",
             "kind": "department", "parent_id": None, "district_id": "district-1", "sector": "education",
             "active": True}]

# A sub-unit evaluated by its department (the table of 0023).
SUBUNIT = {"id": "dept-a-school", "name": "市教育局直属中学", "name_en": None, "level": "municipal", "kind": "unit",
           "parent_id": "dept-a", "district_id": None, "sector": "education", "active": True}
SUBUNIT_EVALUATIONS = [{"id": 1, "fiscal_year": 2014, "level": "municipal", "department_id": "dept-a",
                        "unit_id": "dept-a-school", "scope": "2014年度整体支出", "status": "graded",
                        "score": Decimal("86.50"), "grade": "良", "findings": "资产管理台账不全",
                        "started_by": "staff_a", "started_at": _T, "graded_by": "head_a", "graded_at": _T}]


@dataclass
class Template:
    """Rows of real instances built by the current code, by table; the evidence files by storage key."""

    instance_ids: dict[str, str] = field(default_factory=dict)
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)


def build_template(directory_: Path) -> Template:
    """Deploy the fixtures and run one instance per kind at head in a scratch SQLite database; keep their rows."""
    url = f"sqlite:///{directory_ / 'template.sqlite3'}"
    upgrade(url)
    settings = Settings(database_url=url, forms_dir=FIXTURES, workflows_dir=FIXTURES, engine_time_limit_s=3.0,
                        attachments_dir=directory_ / "template-attachments")
    rt = Runtime.build(settings)
    try:
        with rt.unit_of_work() as conn:
            deploy(conn, rt.specs, fixture_files("simple.bpmn", "message.bpmn", "external.bpmn",
                                                      "escalation.bpmn", "evidence.bpmn"), settings, actor="seed")
        with rt.engine.begin() as conn:
            for dept in ({"id": "bureau", "name": "市财政局", "kind": "bureau"},
                         {"id": "dept-a", "name": "市教育局", "sector": "education"}):
                directory.upsert_department(conn, dept)
        for name, (dept, roles) in PEOPLE.items():
            with rt.unit_of_work() as conn:
                directory.create_user(conn, "seed", username=name, display_name=name, password=password_of(name),
                                      roles=roles, department_id=dept)
        staff = Principal("staff_a", "dept-a", frozenset({"department_staff"}))
        wf, ids = rt.workflows, {}
        ids["completed"] = wf.start("simple", {"amount": 1})["id"]
        wf.complete_task(_task_of(rt, ids["completed"]), {"answer": "已完成"}, actor=SYSTEM)
        ids["open_task"] = wf.start("simple", {"amount": 2}, actor=staff)["id"]
        ids["waiting_message"] = wf.start("await_budget", {}, business_key="P-2015-001", actor=staff)["id"]
        ids["external"] = wf.start("external", {}, actor=staff)["id"]
        ids["escalated"] = wf.start("escalation", {}, actor=staff)["id"]
        wf.complete_task(_task_of(rt, ids["escalated"]), {"warning": "red"}, actor=staff)
        ids["evidence"] = wf.start("evidence", {}, actor=staff)["id"]
        task_id = _task_of(rt, ids["evidence"])
        wf.apply_to_task(task_id, AttachFile(task_id, samples.PDF, "自评报告.pdf"), actor=staff)
        # An instance `audit verify` has checkpointed (service/bpm/verify_checkpoints.py).
        ids["checkpointed"] = wf.start("simple", {"amount": 3}, actor=staff)["id"]
        task_id = _task_of(rt, ids["checkpointed"])
        for command in (Claim(task_id), Unclaim(task_id), Claim(task_id), Unclaim(task_id), Claim(task_id)):
            wf.apply(ids["checkpointed"], command, actor=staff)
        report = verify(rt.engine, rt.specs, settings, [ids["checkpointed"]])
        assert report.ok and report.checkpoints_written == 1, [str(f) for f in report.findings]
        template = Template(instance_ids=ids)
        with rt.engine.connect() as conn:
            for name in ["process_versions", "process_definitions", "version_files", "chains", "departments",
                         "users", *ENGINE_TABLES]:
                t = Base.metadata.tables[name]
                template.rows[name] = [dict(r) for r in conn.execute(select(t)).mappings()]
            template.rows["user_roles"] = [dict(r) for r in conn.execute(text(
                "SELECT users.username, user_roles.role FROM user_roles JOIN users ON users.id = user_roles.user_id"
            )).mappings()]
        for row in template.rows["attachments"]:
            template.files[row["storage_key"]] = samples.PDF
        return template
    finally:
        rt.close()


def _task_of(rt: Runtime, instance_id: str) -> str:
    with rt.engine.connect() as conn:
        return conn.execute(text("SELECT id FROM tasks WHERE instance_id = :i AND state = 'ready'"),
                            {"i": instance_id}).scalar_one()


def seed(conn: Connection, template: Template, revision: str) -> None:
    """Insert every row a database at `revision` could hold, with that revision's columns."""
    def at(since: str) -> bool:
        return since <= revision

    rows = template.rows
    instances = {iid for label, iid in template.instance_ids.items() if at(INSTANCE_SINCE[label])}
    _insert(conn, revision, "process_versions", rows["process_versions"])
    _insert(conn, revision, "version_files", rows["version_files"])
    _insert(conn, revision, "process_definitions", rows["process_definitions"])
    # The global chain: deployments from the start, people's changes once there were people (0002).
    _insert(conn, revision, "events", [e for e in rows["events"] if e["instance_id"] is None
                                       and (at("0002") or e["command"] == "deploy")])
    if at("0002"):
        for chain in rows["chains"]:  # migration 0002 opens the global chain's row; its head moved since
            conn.execute(text("UPDATE chains SET seq = :seq, last_hash = :last_hash WHERE name = :name"), chain)
        _insert(conn, revision, "departments", rows["departments"])
        _insert(conn, revision, "users", rows["users"])
        for role in rows["user_roles"]:
            conn.execute(text("INSERT INTO user_roles (user_id, role) SELECT id, :role FROM users "
                              "WHERE username = :username"), role)
        conn.execute(text("INSERT INTO api_tokens (token_hash, user_id, created_at, expires_at, revoked_at) "
                          "SELECT :hash, id, :at, :at, :at FROM users WHERE username = 'staff_a'")
                     .bindparams(bindparam("at", type_=DateTime)), {"hash": "0" * 64, "at": _T})
    for name in ENGINE_TABLES:
        if at(TABLE_SINCE[name]):
            _insert(conn, revision, name, [r for r in rows[name] if _instance_of(name, r, rows) in instances])
    for name, handwritten in HANDWRITTEN.items():
        if at(TABLE_SINCE[name]):
            _insert(conn, revision, name, handwritten)
    if at("0012"):
        _insert(conn, revision, "departments", DISTRICT)
    if at("0023"):
        _insert(conn, revision, "departments", [SUBUNIT])
        _insert(conn, revision, "subunit_evaluations", SUBUNIT_EVALUATIONS)


def _instance_of(name: str, row: dict[str, Any], rows: dict[str, list[dict[str, Any]]]) -> str | None:
    if name == "instances":
        return row["id"]
    if name == "task_candidates":
        return next(t["instance_id"] for t in rows["tasks"] if t["id"] == row["task_id"])
    return row["instance_id"]


def columns_at(name: str, revision: str) -> list[str]:
    """The columns of table `name` at `revision` (those of today's model that existed then)."""
    return [c.name for c in Base.metadata.tables[name].columns
            if COLUMN_SINCE.get((name, c.name), TABLE_SINCE[name]) <= revision and (name, c.name) not in _GENERATED]


def _insert(conn: Connection, revision: str, name: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    model = Base.metadata.tables[name]
    names = columns_at(name, revision)
    missing = set(names) - {c["name"] for c in inspect(conn).get_columns(name)}
    assert not missing, (f"table {name} has no column(s) {sorted(missing)} at revision {revision}: name the "
                         "revision that added them in COLUMN_SINCE (tests/service/migration_seeds.py)")
    # A plain table clause with that revision's columns (the model's types only bind the values).
    target = table(name, *[column(n, model.c[n].type) for n in names])
    conn.execute(target.insert(), [{n: r.get(n) for n in names} for r in rows])
