"""The policy (service/policy.py): every role against every action, written out by hand; the API and the pages give
the same answer for the same user; and the API and the pages hold no role checks of their own.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from service import policy
from service.domain.roles import ROLES
from service.errors import Forbidden
from tests.conftest import PEOPLE, principal
from tests.service.web.conftest import WebClient

ROOT = Path(__file__).resolve().parents[2]

# One person per role (tests/conftest.py PEOPLE): the departmental roles in dept-a, the bureau's roles in the
# bureau, experts and agencies in no department.
ONE_PER_ROLE = {"department_staff": "staff_a", "department_head": "head_a", "finance_reviewer": "reviewer",
                "expert": "expert", "agency_evaluator": "agency", "supervisor": "supervisor",
                "bureau_leader": "leader", "auditor": "auditor", "process_designer": "designer",
                "administrator": "admin"}
S, H, F, E, A = "department_staff", "department_head", "finance_reviewer", "expert", "agency_evaluator"
V, L, U, D, M = "supervisor", "bureau_leader", "auditor", "process_designer", "administrator"
BUREAU = {F, V, L, U, M}  # the roles that see every department
EVERYONE = set(ROLES)

A_TASK_ELSEWHERE = {"instance_department_id": "dept-b", "started_by": "staff_b", "assignee": None, "owner": None,
                    "candidate_groups": "expert", "candidate_users": "", "department_id": "dept-b"}
A_TASK_OF_DEPT_A = {"candidate_groups": "department_staff,finance_reviewer", "candidate_users": "agency",
                    "department_id": "dept-a"}

# (action, the resource's facts, the roles allowed): hand-written, not computed from the policy.
TABLE: list[tuple[policy.Action, dict[str, object], set[str]]] = [
    (policy.SEE_INSTANCE, {"department_id": "dept-b", "started_by": "staff_b"}, BUREAU),
    (policy.SEE_INSTANCE, {"department_id": "dept-a", "started_by": "staff_b"}, BUREAU | {S, H}),
    (policy.SEE_INSTANCE, {"department_id": "dept-b", "started_by": "designer"}, BUREAU | {D}),
    (policy.SEE_TASK, A_TASK_ELSEWHERE, BUREAU | {E}),
    (policy.SEE_TASK, A_TASK_ELSEWHERE | {"assignee": "agency"}, BUREAU | {E, A}),
    (policy.SEE_TASK, A_TASK_ELSEWHERE | {"instance_department_id": "dept-a"}, BUREAU | {E, S, H}),
    (policy.CHANGE_ANYTHING, {}, EVERYONE - {U}),
    (policy.START_PROCESSES, {}, {S, H, F, V, D, M}),
    (policy.START_PROCESS, {"declared": False}, {F, V, D, M}),
    (policy.START_PROCESS, {"declared": True, "groups": frozenset({S}), "users": ("leader",)}, {S, L}),
    (policy.START_ELSEWHERE, {}, BUREAU | {D}),
    (policy.CHANGE_LIFECYCLE, {}, {V, M}),
    (policy.WORK_ON_TASK, A_TASK_OF_DEPT_A, {S, F, A}),
    (policy.WORK_ON_TASK, A_TASK_OF_DEPT_A | {"department_id": "dept-b"}, {F, A}),
    (policy.WORK_ON_TASK, {"candidate_groups": ["department_head"], "candidate_users": [],
                           "department_id": "dept-a"}, {H}),
    (policy.REASSIGN_TASKS, {}, {V, M}),
    (policy.RELEASE_OTHERS_TASKS, {}, {V, M}),
    (policy.DECIDE_ESCALATION, {}, {V, L, M}),
    (policy.DECIDE_ESCALATION, {"level": "supervisor", "state": "open"}, {V, L, M}),
    (policy.DECIDE_ESCALATION, {"level": "leadership", "state": "open"}, {L, M}),
    (policy.DECIDE_ESCALATION, {"level": "supervisor", "state": "resolved"}, set()),
    (policy.ESCALATE, {}, {V, M}),
    (policy.ESCALATE, {"level": "supervisor"}, {V, M}),
    (policy.ESCALATE, {"level": "leadership"}, set()),
    (policy.ASK_TO_HAND_UP, {}, {V, L, M}),
    (policy.DEPLOY_MODELS, {}, {D}),
    (policy.READ_BUREAU_REPORTS, {}, BUREAU),
    (policy.READ_SCORECARDS, {}, BUREAU | {S, H}),
    (policy.READ_SCORECARD, {"department_id": "dept-a"}, BUREAU | {S, H}),
    (policy.READ_SCORECARD, {"department_id": "dept-b"}, BUREAU),
    (policy.LAUNCH_EVALUATIONS, {}, {F, M}),
    (policy.PUBLISH_BULLETIN, {}, {F, M}),
    (policy.PROPOSE_INDICATORS, {}, {S, H}),
    (policy.CONFIRM_INDICATORS, {}, {F, M}),
    (policy.KEEP_LIBRARIES, {}, {M}),
    (policy.RATE_EXPERTS, {}, {F}),
    (policy.DELETE_ATTACHMENT, {"uploader": "reviewer"}, {F}),
    (policy.READ_TRAININGS, {}, BUREAU),
    (policy.RECORD_TRAININGS, {}, {F, M}),
    (policy.READ_FISCAL_FIGURES, {}, BUREAU),
    (policy.ENTER_FISCAL_FIGURES, {}, {F, M}),
    (policy.READ_INSPECTIONS, {}, BUREAU | {S, H}),
    (policy.READ_SUBUNIT_EVALUATIONS, {}, BUREAU | {S, H}),
    (policy.OPEN_SUBUNIT_EVALUATIONS, {}, {S, H}),
    (policy.GRADE_SUBUNIT_EVALUATIONS, {}, {H}),
    (policy.GRADE_SUBUNIT_EVALUATIONS, {"department_id": "dept-a"}, {H}),
    (policy.GRADE_SUBUNIT_EVALUATIONS, {"department_id": "dept-b"}, set()),
    (policy.READ_RULES, {}, BUREAU | {D}),
    (policy.CHANGE_RULES, {}, {M}),
    (policy.ADMINISTER_PEOPLE, {}, {M}),
    (policy.READ_USER, {"username": "staff_a"}, {M, S}),
    (policy.READ_USER, {"username": "nobody"}, {M}),
    (policy.READ_INCIDENTS, {}, {V, M}),
    (policy.RETRY_INCIDENTS, {}, {M}),
    (policy.MANAGE_OUTBOX, {}, {M}),
    (policy.READ_VERIFY_RUNS, {}, {U, M}),
    (policy.MENU_ESCALATIONS, {}, EVERYONE - {E, A}),  # experts and agencies belong to no department
    (policy.MENU_INSPECTIONS, {}, {V, U, M}),
    (policy.MENU_AUDIT, {}, {U}),
]


def test_the_table_covers_every_action():
    assert {action.name for action, _, _ in TABLE} == {action.name for action in policy.ACTIONS}
    assert len({action.name for action in policy.ACTIONS}) == len(policy.ACTIONS), "an action name repeats"


@pytest.mark.parametrize(("action", "facts", "allowed"), TABLE,
                         ids=[f"{a.name}-{i}" for i, (a, _, _) in enumerate(TABLE)])
@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_role_against_every_action(role, action, facts, allowed):
    p = principal(ONE_PER_ROLE[role])
    assert policy.may(p, action, facts) is (role in allowed)
    if role in allowed:
        policy.require(p, action, facts)
    else:
        with pytest.raises(Forbidden, match=re.escape(action.message)):
            policy.require(p, action, facts)


def test_nobody_signed_in_may_do_nothing():
    assert not any(policy.may(None, action) for action in policy.ACTIONS)


def test_the_service_itself_passes_what_it_does_on_its_own_behalf():
    from service.domain.roles import SYSTEM

    for action in (policy.SEE_INSTANCE, policy.SEE_TASK, policy.CHANGE_ANYTHING, policy.START_PROCESS,
                   policy.CHANGE_LIFECYCLE, policy.WORK_ON_TASK, policy.REASSIGN_TASKS, policy.DECIDE_ESCALATION,
                   policy.ESCALATE):
        assert policy.may(SYSTEM, action, {}), action.name


# --- the API and the pages agree --------------------------------------------------------------------------------------
# (action, the API call, the page that asks the same action): a refused caller gets 403 from both, whatever else.
PAIRS = [
    (policy.ADMINISTER_PEOPLE, ("GET", "/api/users"), ("GET", "/admin/users")),
    (policy.ADMINISTER_PEOPLE, ("POST", "/api/departments"), ("GET", "/admin/departments")),
    (policy.CHANGE_RULES, ("PUT", "/api/rules"), ("GET", "/admin/rules")),
    (policy.CHANGE_RULES, ("PUT", "/api/calendar/2015-10-01"), ("GET", "/admin/calendar")),
    (policy.ENTER_FISCAL_FIGURES, ("PUT", "/api/fiscal-figures/2015/municipal"), ("GET", "/admin/fiscal-figures")),
    (policy.KEEP_LIBRARIES, ("POST", "/api/libraries/experts"), ("GET", "/admin/libraries")),
    (policy.CONFIRM_INDICATORS, ("POST", "/api/libraries/indicators/X-1/confirm"),
     ("POST", "/admin/libraries/indicators/X-1/confirm")),
    (policy.RATE_EXPERTS, ("PUT", "/api/libraries/expert-engagements/p-1/1"), ("POST", "/projects/p-1/experts/1/rating")),
    (policy.READ_INCIDENTS, ("GET", "/api/incidents"), ("GET", "/admin/incidents")),
    (policy.RETRY_INCIDENTS, ("POST", "/api/incidents/999999/retry"), ("POST", "/admin/incidents/999999/retry")),
    (policy.DEPLOY_MODELS, ("POST", "/api/process-models/validate"), ("GET", "/designer")),
    (policy.READ_BUREAU_REPORTS, ("GET", "/api/reports/performance-reports"), ("GET", "/performance-reports")),
    (policy.READ_BUREAU_REPORTS, ("GET", "/api/reports/scorecard.csv"), ("GET", "/scorecard.csv")),
    (policy.READ_TRAININGS, ("GET", "/api/trainings"), ("GET", "/trainings")),
    (policy.RECORD_TRAININGS, ("POST", "/api/trainings"), ("POST", "/trainings")),
    (policy.RECORD_TRAININGS, ("POST", "/api/trainings/999999/attendance"), ("POST", "/trainings/999999/attendance")),
    (policy.READ_SUBUNIT_EVALUATIONS, ("GET", "/api/subunit-evaluations"), ("GET", "/subunit-evaluations")),
    (policy.OPEN_SUBUNIT_EVALUATIONS, ("POST", "/api/subunit-evaluations"), ("POST", "/subunit-evaluations")),
    (policy.GRADE_SUBUNIT_EVALUATIONS, ("POST", "/api/subunit-evaluations/999999/grade"),
     ("POST", "/subunit-evaluations/999999/grade")),
    (policy.READ_INSPECTIONS, ("GET", "/api/inspections"), ("GET", "/inspections")),
    (policy.READ_VERIFY_RUNS, ("GET", "/api/verify-runs"), ("GET", "/audit/verify-runs")),
    (policy.PUBLISH_BULLETIN, ("POST", "/api/reports/agency-bulletin"), ("POST", "/reports/agency-bulletin")),
]


def test_the_api_and_the_page_refuse_the_same_people(app, as_user):
    disagreements, refused = [], 0
    for username in PEOPLE:  # one sign-in per person: hashing a password is slow on purpose
        api, page = as_user(username), WebClient(app)
        page.login(username, f"pw-{username}-2015")
        page.get("/")
        token = page.csrf_token()  # of the page the sign-in led to: posts below carry it
        for action, (api_method, api_path), (page_method, page_path) in PAIRS:
            allowed = policy.may(principal(username), action)
            answered = api.open(api_path, method=api_method, json={}).status_code
            if page_method == "GET":
                shown = page.get(page_path).status_code
            else:
                shown = page.http.post(page_path, data={"csrf_token": token}).status_code
            if (answered != 403) is not allowed or (shown != 403) is not allowed or shown >= 500:
                disagreements.append((username, action.name, allowed, api_path, answered, page_path, shown))
            refused += not allowed
    assert not disagreements, disagreements
    assert refused >= len(PAIRS), "every pair refuses someone"


# --- no role checks of their own in the API and the pages -----------------------------------------------------------
FACES = sorted(p for folder in ("service/web", "service/api") for p in (ROOT / folder).rglob("*.py"))
# What a page or an API view may take from the role catalogue: the type of the caller, and the catalogue itself
# (listing the roles, labelling them).
CATALOGUE_NAMES = {"Principal", "ROLES"}
# A principal's attributes that decide a permission: only the policy reads them.
DECIDING_ATTRIBUTES = {"has", "sees_all_departments", "read_only", "groups_in"}


def _role_checks(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    keys = {id(k) for node in ast.walk(tree) if isinstance(node, ast.Dict) for k in node.keys if k is not None}
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value in ROLES and id(node) not in keys:
            found.append(f"line {node.lineno}: the role name {node.value!r}")
        elif isinstance(node, ast.ImportFrom) and node.module == "service.domain.roles":
            found += [f"line {node.lineno}: imports {a.name}" for a in node.names if a.name not in CATALOGUE_NAMES]
        elif (isinstance(node, ast.Attribute) and node.attr in DECIDING_ATTRIBUTES
              and not (node.attr == "read_only" and id(node) in called)):  # forms.read_only(...) renders a form
            found.append(f"line {node.lineno}: .{node.attr}")
    return found


@pytest.mark.parametrize("path", FACES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_api_and_the_pages_ask_the_policy(path):
    assert not _role_checks(path), f"{path.relative_to(ROOT)} decides a permission itself: {_role_checks(path)}"


def test_the_templates_ask_the_policy():
    pattern = re.compile(r"\.(has|sees_all_departments|read_only|groups_in)\b|[\"'](" + "|".join(ROLES) + r")[\"']")
    found = []
    for template in sorted((ROOT / "service/web/templates").rglob("*.html")):
        for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), 1):
            found += [f"{template.name}:{number}: {m.group(0)}" for m in pattern.finditer(line)
                      if m.group(0) != "'supervisor'" or "level=" not in line]  # an escalation level, not a role
    assert not found, found
