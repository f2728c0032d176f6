"""May this principal do this to that: every permission decision of the API, the pages and the engine's commands.

An action is a rule over the principal and the facts of the resource it is applied to (a mapping: the API passes
its path values, a page or a command the fields of the row it acts on) and the message a refusal carries. The API
checks an operation's action before reading its input (`@requires(action)`, service/api/blueprint.py), the pages
with `may` and `require`, the engine's command paths likewise, so a rule is written here once and nowhere else.
The roles themselves and who sees which instance or task (the rule the engine's queries apply in SQL,
service/queries/visibility.py) stay in service/domain/roles.py; the actions below delegate to them.
Conflicts of state (a task claimed by someone else, an escalation already decided) are not permissions: the
commands raise those themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from service.domain.roles import (
    ADMINISTRATOR,
    AUDITOR,
    BUREAU_WIDE,
    DEFAULT_STARTERS,
    DEPARTMENT_HEAD,
    DEPARTMENT_STAFF,
    ESCALATION_DECIDERS,
    FINANCE_REVIEWER,
    LEADERSHIP,
    PROCESS_DESIGNER,
    STARTERS,
    SUPERVISOR,
    SUPERVISORS,
    Principal,
    can_see_instance,
    task_candidate,
)
from service.errors import Forbidden

Resource = Mapping[str, Any]
Rule = Callable[[Principal, Resource], bool]
NOTHING: Resource = {}
# Who decides an escalation (escalations.level): the supervisors, or the bureau's leadership once handed up.
SUPERVISOR_LEVEL, LEADERSHIP_LEVEL = "supervisor", "leadership"


@dataclass(frozen=True)
class Action:
    """Something a principal may or may not do: its rule and the reason given when it is refused."""

    name: str
    rule: Rule
    message: str

    def allows(self, p: Principal, resource: Resource = NOTHING) -> bool:
        return self.rule(p, resource)


def may(p: Principal | None, action: Action, resource: Resource = NOTHING) -> bool:
    """May `p` (None: nobody signed in) do `action` to the resource with these facts?"""
    return p is not None and action.allows(p, resource)


def require(p: Principal, action: Action, resource: Resource = NOTHING) -> None:
    """Forbidden (403) with the action's message unless `p` may do it."""
    if not action.allows(p, resource):
        raise Forbidden(action.message)


def _any_of(*roles: str) -> Rule:
    return lambda p, _r: p.has(*roles)


def _department_worker(p: Principal) -> bool:
    return p.has(DEPARTMENT_STAFF, DEPARTMENT_HEAD)


def _bureau_or_department_worker(p: Principal, _r: Resource) -> bool:
    return p.sees_all_departments or _department_worker(p)


def _bureau(p: Principal, _r: Resource) -> bool:
    return p.sees_all_departments


def _changes_anything(p: Principal, _r: Resource) -> bool:
    return not p.read_only


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    return value.split(",") if isinstance(value, str) else list(value)


def _sees_instance(p: Principal, r: Resource) -> bool:
    return can_see_instance(p, r.get("department_id"), r.get("started_by"))


def _sees_task(p: Principal, r: Resource) -> bool:
    """Who sees the instance, who holds or owns the task, its candidates (the rule queries/visibility.py applies)."""
    if p.sees_all_departments or can_see_instance(p, r.get("instance_department_id"), r.get("started_by")):
        return True
    if p.username in (r.get("assignee"), r.get("owner")):
        return True
    return _candidate(p, r)


def _candidate(p: Principal, r: Resource) -> bool:
    return task_candidate(p, _names(r.get("candidate_groups")), _names(r.get("candidate_users")),
                          r.get("department_id"))


def _starts(p: Principal, _r: Resource) -> bool:
    return p.has(*STARTERS) and not p.read_only


def _starts_process(p: Principal, r: Resource) -> bool:
    """The model's candidateStarterGroups/Users where it declares them, else the bureau's DEFAULT_STARTERS."""
    if p.system:
        return True
    if r.get("declared"):
        return bool(p.roles & frozenset(r.get("groups") or ())) or p.username in (r.get("users") or ())
    return bool(p.roles & DEFAULT_STARTERS)


def _decides_escalation(p: Principal, r: Resource) -> bool:
    """Supervisors decide an open escalation; once handed up, only the bureau's leadership (who may decide before)."""
    if p.read_only or r.get("state", "open") != "open":
        return False
    return p.has(*LEADERSHIP) if r.get("level") == LEADERSHIP_LEVEL else p.has(*ESCALATION_DECIDERS)


def _hands_up_escalation(p: Principal, r: Resource) -> bool:
    """Supervisors hand an escalation still at their level up to the bureau's leadership."""
    return not p.read_only and p.has(*SUPERVISORS) and r.get("level", SUPERVISOR_LEVEL) == SUPERVISOR_LEVEL


def _proposes_indicators(p: Principal, _r: Resource) -> bool:
    return p.department_id is not None and bool(p.roles & {DEPARTMENT_STAFF, DEPARTMENT_HEAD})


def _reads_scorecard(p: Principal, r: Resource) -> bool:
    """The bureau reads every scorecard; a department's staff and head their own department's."""
    return p.sees_all_departments or (_department_worker(p) and r.get("department_id") == p.department_id)


def _opens_subunit_evaluation(p: Principal, _r: Resource) -> bool:
    return _department_worker(p) and (p.system or p.department_id is not None)


def _grades_subunit_evaluation(p: Principal, r: Resource) -> bool:
    """The head of the evaluating department (any department's head where no evaluation is named)."""
    return p.has(DEPARTMENT_HEAD) and ("department_id" not in r or r["department_id"] == p.department_id)


def _administrator_in_person(p: Principal, _r: Resource) -> bool:
    return not p.system and ADMINISTRATOR in p.roles


_AUDITORS_READ_ONLY = "auditors read and change nothing"
_ADMINS = "only administrators manage people"

# --- instances and tasks (checked inside the engine's one mutation path, service/bpm/access.py) ---------------
SEE_INSTANCE = Action("instance.see", _sees_instance, "you may not see this instance")
SEE_TASK = Action("task.see", _sees_task, "you may not see this task")
CHANGE_ANYTHING = Action("anything.change", _changes_anything, _AUDITORS_READ_ONLY)
START_PROCESSES = Action("instances.start", _starts, "your roles do not allow starting processes")
START_PROCESS = Action("instance.start", _starts_process,
                       "you may not start this process: its model names who starts it")
START_ELSEWHERE = Action("instance.start_for_other_department",
                         lambda p, _r: p.sees_all_departments or p.has(PROCESS_DESIGNER),
                         "you can start processes for your own department only")
CHANGE_LIFECYCLE = Action("instance.suspend_resume_terminate", _any_of(*SUPERVISORS),
                          "only supervisors and administrators suspend, resume or terminate instances")
WORK_ON_TASK = Action("task.work", _candidate, "you are not a candidate for this task")
REASSIGN_TASKS = Action("task.reassign", _any_of(*SUPERVISORS), "only supervisors reassign tasks")
RELEASE_OTHERS_TASKS = Action("task.unclaim_for_another", _any_of(*SUPERVISORS),
                              "only supervisors release a task someone else has claimed")

DELETE_ATTACHMENT = Action("attachment.delete", lambda p, r: p.system or r.get("uploader") == p.username,
                           "only the person who uploaded an attachment may delete it")

# --- escalations ----------------------------------------------------------------------------------------------------
DECIDE_ESCALATION = Action("escalation.decide", _decides_escalation,
                           "only supervisors and the bureau's leadership decide escalations")
ESCALATE = Action("escalation.hand_up", _hands_up_escalation, "only supervisors hand escalations up")
# The API's gate before the escalation is read: whoever decides escalations may ask; the command then answers 409
# for one already with the leadership, and 403 (ESCALATE) for a leader asking to hand up one at the supervisors'.
ASK_TO_HAND_UP = Action("escalation.ask_to_hand_up", _any_of(*ESCALATION_DECIDERS), ESCALATE.message)

# --- process models -------------------------------------------------------------------------------------------------
DEPLOY_MODELS = Action("process_models.validate_deploy", _any_of(PROCESS_DESIGNER),
                       "only process designers validate and deploy process models")

# --- reports ----------------------------------------------------------------------------------------------------------
READ_BUREAU_REPORTS = Action("reports.read_bureau", _bureau,
                             "this report is for the finance bureau's reviewers, supervisors and auditors")
# Who reads some department's scorecard (the API's gate, before the department is known to exist), and whose.
READ_SCORECARDS = Action("scorecards.read", _bureau_or_department_worker,
                         "scorecards are read by the bureau and by each department's staff and head")
READ_SCORECARD = Action("scorecard.read", _reads_scorecard, "a department reads its own scorecard only")
LAUNCH_EVALUATIONS = Action("evaluations.launch_and_pilots", _any_of(ADMINISTRATOR, FINANCE_REVIEWER),
                            "launching evaluations and choosing pilots is for administrators and finance reviewers")
PUBLISH_BULLETIN = Action("agency_bulletin.publish", _any_of(FINANCE_REVIEWER, ADMINISTRATOR),
                          "the finance bureau publishes the agency bulletin")

# --- libraries --------------------------------------------------------------------------------------------------------
PROPOSE_INDICATORS = Action("indicators.propose", _proposes_indicators,
                            "a department's staff or head proposes its individual indicators")
CONFIRM_INDICATORS = Action("indicators.confirm", _any_of(FINANCE_REVIEWER, ADMINISTRATOR),
                            "the finance bureau confirms individual indicators")
KEEP_LIBRARIES = Action("libraries.keep", _any_of(ADMINISTRATOR), "only administrators keep the libraries")
RATE_EXPERTS = Action("experts.rate", _any_of(FINANCE_REVIEWER), "the finance reviewer rates an expert's engagement")

# --- the bureau's plan duties -------------------------------------------------------------------------------------
READ_TRAININGS = Action("trainings.read", _bureau,
                        "training records are for the finance bureau's roles that see every department")
RECORD_TRAININGS = Action("trainings.record", _any_of(FINANCE_REVIEWER, ADMINISTRATOR),
                          "administrators and finance reviewers record training sessions and attendance")
READ_FISCAL_FIGURES = Action("fiscal_figures.read", _any_of(*BUREAU_WIDE),
                             "the fiscal figures are for the finance bureau's users")
ENTER_FISCAL_FIGURES = Action("fiscal_figures.enter", _any_of(ADMINISTRATOR, FINANCE_REVIEWER),
                              "only finance reviewers and administrators enter the fiscal figures")
READ_INSPECTIONS = Action("inspections.read", _bureau_or_department_worker,
                          "inspections are read by the finance bureau and by the inspected department's staff and "
                          "head")
READ_SUBUNIT_EVALUATIONS = Action("subunit_evaluations.read", _any_of(*BUREAU_WIDE, DEPARTMENT_STAFF, DEPARTMENT_HEAD),
                                  "sub-unit evaluations are read by the bureau and the departments concerned")
OPEN_SUBUNIT_EVALUATIONS = Action("subunit_evaluations.open", _opens_subunit_evaluation,
                                  "a department's staff or head opens the evaluation of one of its own sub-units")
GRADE_SUBUNIT_EVALUATIONS = Action("subunit_evaluations.grade", _grades_subunit_evaluation,
                                   "only the head of the evaluating department records the grade")

# --- administration ---------------------------------------------------------------------------------------------------
READ_RULES = Action("rules.read", _any_of(*BUREAU_WIDE, PROCESS_DESIGNER),
                    "the rule rows are for the finance bureau's users")
CHANGE_RULES = Action("rules.change", _any_of(ADMINISTRATOR), "only administrators change rules and the calendar")
ADMINISTER_PEOPLE = Action("people.administer", _any_of(ADMINISTRATOR), _ADMINS)
READ_USER = Action("user.read", lambda p, r: p.has(ADMINISTRATOR) or p.username == r.get("username"),
                   "only administrators read other users")
READ_INCIDENTS = Action("incidents.read", _any_of(ADMINISTRATOR, SUPERVISOR),
                        "jobs and incidents are for administrators and supervisors")
RETRY_INCIDENTS = Action("incidents.retry", _any_of(ADMINISTRATOR), "only administrators retry incidents")
READ_VERIFY_RUNS = Action("verify_runs.read", _any_of(AUDITOR, ADMINISTRATOR),
                           "only auditors and administrators read the nightly verifications")
MANAGE_OUTBOX = Action("outbox.manage", _administrator_in_person, "only administrators read the mail outbox")

# --- the pages' menu: who is offered an entry (the page behind it decides who may open it) -----------------------
MENU_ESCALATIONS = Action("menu.escalations",
                          lambda p, _r: p.has(*SUPERVISORS) or p.sees_all_departments or bool(p.department_id),
                          "the escalations are for the bureau and the departments")
MENU_INSPECTIONS = Action("menu.inspections", _any_of(SUPERVISOR, AUDITOR, ADMINISTRATOR),
                          "the inspections' menu is the supervision office's")
MENU_AUDIT = Action("menu.audit", lambda p, _r: AUDITOR in p.roles, "the audit menu is the auditors'")

ACTIONS: tuple[Action, ...] = tuple(v for v in dict(globals()).values() if isinstance(v, Action))
