"""The sign-ins `make run` prints: for each role that works in the inbox, one account that has a
task it can act on now, departmental roles from different departments (a role nobody has work for now: its first
account); the roles whose work is elsewhere (audit, designer, administration) with the page where it is; and the
district finance bureau's own accounts (`district`), whose work is their district's."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from service import db
from service.domain.roles import (
    ADMINISTRATOR,
    AUDITOR,
    DEPARTMENTAL,
    FINANCE_REVIEWER,
    PROCESS_DESIGNER,
    ROLES,
    Principal,
    task_candidate,
)
from service.libraries.common import district_of
from service.models import Department, Instance, LibraryIndicator, TaskRow, User, UserRole

# Roles whose work is not in the inbox, and the page where it is.
ELSEWHERE = {AUDITOR: "/audit", PROCESS_DESIGNER: "/designer", ADMINISTRATOR: "/admin"}


@dataclass(frozen=True)
class SignIn:
    role: str
    username: str
    display_name: str
    department: str | None  # the department's name
    actionable: int  # ready tasks of running instances this account may complete now
    page: str = "/inbox"
    proposed: int = 0  # the district's individual indicators awaiting its bureau's confirmation (district accounts)

# The page where a district's administrator confirms its departments' proposed indicators.
DISTRICT_INDICATORS = "/admin/libraries/indicators?status=proposed"


def actionable_tasks(p: Principal, tasks: list[dict]) -> list[dict]:
    """The ready tasks of running instances `p` may complete now: its own, or unclaimed ones offered to it
    (the rule the mutation path applies, service/bpm/access.py)."""
    if p.read_only:
        return []
    out = []
    for t in tasks:
        if t["assignee"] is not None:
            if t["assignee"] == p.username:
                out.append(t)
        elif task_candidate(p, _names(t["candidate_groups"]), _names(t["candidate_users"]), t["department_id"]):
            out.append(t)
    return out


def open_tasks(engine: Engine) -> list[dict]:
    T, I = TaskRow.__table__, Instance.__table__  # noqa: E741
    with db.read(engine) as conn:
        return [dict(r._mapping) for r in conn.execute(
            select(T.c.id, T.c.instance_id, T.c.department_id, T.c.candidate_groups, T.c.candidate_users,
                   T.c.assignee, T.c.form_key)
            .join(I, I.c.id == T.c.instance_id).where(T.c.state == "ready", I.c.status == "running"))]


def principals(engine: Engine) -> list[tuple[Principal, str, str | None]]:
    """Every active account as (principal, display name, department name), in the order they were created (the named
    demo accounts first)."""
    with db.read(engine) as conn:
        users = conn.execute(select(User.id, User.username, User.display_name, User.department_id)
                             .where(User.active.is_(True)).order_by(User.id)).all()
        roles: dict[int, set[str]] = {}
        for user_id, role in conn.execute(select(UserRole.user_id, UserRole.role)):
            roles.setdefault(user_id, set()).add(role)
        names = dict(conn.execute(select(Department.id, Department.name)).all())
    return [(Principal(u.username, u.department_id, frozenset(roles.get(u.id, ()))), u.display_name,
             names.get(u.department_id)) for u in users]


def choose(engine: Engine) -> list[SignIn]:
    """One account per role: for inbox roles the first (the named demo accounts come first) that can act on a task
    now, a departmental role in a department no other printed account belongs to; none found, the role's first
    account (with 0 tasks)."""
    tasks = open_tasks(engine)
    people = principals(engine)
    used_departments: set[str] = set()
    out: list[SignIn] = []
    for role in ROLES:
        holders = [(p, name, dept) for p, name, dept in people if role in p.roles]
        if role in ELSEWHERE:
            if holders:
                p, name, dept = holders[0]
                out.append(SignIn(role, p.username, name, dept, 0, ELSEWHERE[role]))
            continue
        for p, name, dept in holders:
            if role in DEPARTMENTAL and (p.department_id is None or p.department_id in used_departments):
                continue
            count = len(actionable_tasks(p, tasks))
            if count:
                if role in DEPARTMENTAL:
                    used_departments.add(p.department_id)  # type: ignore[arg-type]
                out.append(SignIn(role, p.username, name, dept, count))
                break
        else:  # nobody of this role has work now: still show whom to sign in as
            if holders:
                p, name, dept = holders[0]
                out.append(SignIn(role, p.username, name, dept, 0))
    return out


def district(engine: Engine) -> list[SignIn]:
    """The accounts of each district finance bureau that review and administer (a finance reviewer, an
    administrator): the reviewer with the ready tasks of the district's departments it may complete now, the
    administrator with the page where the district's proposed indicators wait; both with how many wait."""
    tasks = open_tasks(engine)
    D, LI = Department.__table__, LibraryIndicator.__table__  # noqa: N806
    with db.read(engine) as conn:
        bureaus = set(conn.execute(select(D.c.id).where(D.c.kind == "bureau", D.c.level == "district")).scalars())
        of = {d: district_of(conn, d) for d in {t["department_id"] for t in tasks}}
        proposed: dict[str, int] = {}
        for d in conn.execute(select(LI.c.district_id).where(LI.c.status == "proposed",
                                                             LI.c.district_id.in_(bureaus))).scalars():
            proposed[d] = proposed.get(d, 0) + 1
    out = []
    for p, name, dept in principals(engine):
        if p.department_id is None or p.department_id not in bureaus:
            continue
        waiting = proposed.get(p.department_id, 0)
        if FINANCE_REVIEWER in p.roles:
            own = [t for t in tasks if of.get(t["department_id"]) == p.department_id]
            out.append(SignIn(FINANCE_REVIEWER, p.username, name, dept, len(actionable_tasks(p, own)),
                              proposed=waiting))
        elif ADMINISTRATOR in p.roles:
            out.append(SignIn(ADMINISTRATOR, p.username, name, dept, 0, DISTRICT_INDICATORS, proposed=waiting))
    return out


def _names(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]
