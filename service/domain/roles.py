"""Roles (DOMAIN.md, Roles) and what each may do (DESIGN.md, People and access)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

DEPARTMENT_STAFF = "department_staff"
DEPARTMENT_HEAD = "department_head"
FINANCE_REVIEWER = "finance_reviewer"
EXPERT = "expert"
AGENCY_EVALUATOR = "agency_evaluator"
SUPERVISOR = "supervisor"
BUREAU_LEADER = "bureau_leader"
AUDITOR = "auditor"
PROCESS_DESIGNER = "process_designer"
ADMINISTRATOR = "administrator"

# name → (Chinese label, scoped to the user's own department?)
ROLES: dict[str, tuple[str, bool]] = {
    DEPARTMENT_STAFF: ("部门经办人", True),
    DEPARTMENT_HEAD: ("部门负责人", True),
    FINANCE_REVIEWER: ("财政审核人员", False),
    EXPERT: ("评审专家", False),
    AGENCY_EVALUATOR: ("第三方机构评价人员", False),
    SUPERVISOR: ("督办人员", False),
    # One level above the supervisors: an escalation nobody decided in time climbs to the bureau's leadership.
    BUREAU_LEADER: ("局领导", False),
    AUDITOR: ("审计人员", False),
    PROCESS_DESIGNER: ("流程设计人员", False),
    ADMINISTRATOR: ("系统管理员", False),
}
DEPARTMENTAL = frozenset(r for r, (_, scoped) in ROLES.items() if scoped)
# Bureau roles whose holders see every department's instances (auditors read everything).
BUREAU_WIDE = frozenset({FINANCE_REVIEWER, SUPERVISOR, BUREAU_LEADER, AUDITOR, ADMINISTRATOR})
# Roles that may start instances, and who may change an instance's lifecycle or reassign its tasks.
STARTERS = frozenset({DEPARTMENT_STAFF, DEPARTMENT_HEAD, FINANCE_REVIEWER, SUPERVISOR, PROCESS_DESIGNER,
                      ADMINISTRATOR})
SUPERVISORS = frozenset({SUPERVISOR, ADMINISTRATOR})
# One level above the supervisors: the bureau's leadership decides the escalations handed up to it.
LEADERSHIP = frozenset({BUREAU_LEADER, ADMINISTRATOR})
# Who may act on an escalation at some level: the supervisors and, above them, the leadership.
ESCALATION_DECIDERS = SUPERVISORS | LEADERSHIP
# Who starts a process whose model declares no candidateStarterGroups/Users: the bureau's roles that change
# things. A department starts a process only where its model says so (DESIGN.md, Start rights).
DEFAULT_STARTERS = frozenset({FINANCE_REVIEWER, SUPERVISOR, PROCESS_DESIGNER, ADMINISTRATOR})
# Candidate groups whose task, reached from a boundary timer or escalation event, is an escalation in the queue.
ESCALATION_GROUPS = frozenset({SUPERVISOR, BUREAU_LEADER})


@dataclass(frozen=True)
class Principal:
    """Who is acting: a user with a department (None for the bureau-wide) and roles."""

    username: str
    department_id: str | None
    roles: frozenset[str]
    system: bool = False  # the service itself (timers, CLI, seeding): every check passes

    def has(self, *roles: str) -> bool:
        return self.system or any(r in self.roles for r in roles)

    @property
    def sees_all_departments(self) -> bool:
        return self.system or bool(self.roles & BUREAU_WIDE)

    @property
    def read_only(self) -> bool:
        """Auditors read everything and change nothing."""
        return not self.system and self.roles <= {AUDITOR}

    def groups_in(self, department_id: str | None) -> set[str]:
        """The candidate groups this user answers for in an instance of `department_id`."""
        return {r for r in self.roles
                if r not in DEPARTMENTAL or (department_id is not None and department_id == self.department_id)}


SYSTEM = Principal("system", None, frozenset(), system=True)
TIMER = Principal("timer", None, frozenset(), system=True)


def unknown_roles(names: Iterable[str]) -> list[str]:
    return sorted(n for n in names if n not in ROLES)


def can_see_instance(p: Principal, department_id: str | None, started_by: str | None,
                     involved: bool = False) -> bool:
    """Bureau-wide roles see all; others see their own department's instances, ones they started or work on."""
    if p.sees_all_departments:
        return True
    if department_id is not None and department_id == p.department_id:
        return True
    return started_by == p.username or involved


def task_candidate(p: Principal, groups: Iterable[str], users: Iterable[str], department_id: str | None) -> bool:
    """Is `p` a candidate of a task with these candidate groups and users in this department?"""
    if p.system:
        return True
    return p.username in set(users) or bool(p.groups_in(department_id) & set(groups))
