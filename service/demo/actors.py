"""Who acts on a demo task: the department's staff or head, the bureau's reviewer or supervisor, a drawn expert…"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Engine

from service import db
from service.domain.roles import Principal
from service.libraries.common import district_of
from service.people.directory import principal_of

BUREAU_ACTOR = {"finance_reviewer": "cz.reviewer", "supervisor": "cz.supervisor", "bureau_leader": "cz.leader",
               "administrator": "cz.admin"}
# A district's own bureau does the finance reviewer's work on its departments' projects (seeds/demo_people.json).
DISTRICT_ACTOR: dict[tuple[str | None, str], str] = {("jaq-czj", "finance_reviewer"): "jaq.reviewer"}


def actor_for(engine: Engine, task: Any) -> Principal:
    """A user who may complete `task` (a task row): its assignee, a candidate user, or a holder of a candidate group."""
    if task.assignee:
        return _principal(engine, task.assignee)
    users = _split(task.candidate_users)
    if users:
        return _principal(engine, users[0])
    groups = _split(task.candidate_groups)
    for group in groups:
        if group == "department_staff":
            return _principal(engine, f"{task.department_id}.staff")
        if group == "department_head":
            return _principal(engine, f"{task.department_id}.head")
        if group in BUREAU_ACTOR:
            district = _district(engine, task.department_id)
            return _principal(engine, DISTRICT_ACTOR.get((district, group), BUREAU_ACTOR[group]))
    raise LookupError(f"no demo actor for task {task.bpmn_id} (groups {groups})")


@lru_cache(maxsize=256)
def _district_cached(engine_id: int, department_id: str | None, engine: Any) -> str | None:
    with db.read(engine) as conn:
        return district_of(conn, department_id)


def _district(engine: Engine, department_id: str | None) -> str | None:
    """The district finance bureau whose level the department is of (None: the city's)."""
    return _district_cached(id(engine), department_id, engine)


def _split(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]


@lru_cache(maxsize=512)
def _cached(engine_id: int, username: str, engine: Any) -> Principal:
    with db.read(engine) as conn:
        p = principal_of(conn, username)
    if p is None:
        raise LookupError(f"no demo account {username!r}")
    return p


def _principal(engine: Engine, username: str) -> Principal:
    return _cached(id(engine), username, engine)
