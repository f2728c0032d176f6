"""Departments and users: reads, administration (recorded on the global audit chain) and the seed files."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from service import clock, db
from service.bpm.event_log import append_global
from service.domain.roles import ADMINISTRATOR, Principal, unknown_roles
from service.errors import Conflict, InvalidInput, NotFound
from service.models import Department, User, UserRole
from service.people.passwords import hash_password, weak
from service.people.tokens import revoke_all

DEPARTMENTS = Department.__table__
USERS = User.__table__
USER_ROLES = UserRole.__table__
log = logging.getLogger(__name__)

_USER_COLUMNS = (USERS.c.id, USERS.c.username, USERS.c.display_name, USERS.c.email, USERS.c.department_id,
                 USERS.c.active, USERS.c.created_at)


# The user and their roles in one statement (a row per role; one row with no role for a user who holds none):
# every signed-in page reads it.
_PRINCIPAL = (select(USERS.c.department_id, USERS.c.active, USER_ROLES.c.role)
              .outerjoin(USER_ROLES, USER_ROLES.c.user_id == USERS.c.id)
              .where(USERS.c.username == bindparam("username")))


def principal_of(conn: Connection, username: str) -> Principal | None:
    """The active user `username` as the access rules see them (department and roles), or None."""
    rows = conn.execute(_PRINCIPAL, {"username": username}).all()
    if not rows or not rows[0].active:
        return None
    return Principal(username, rows[0].department_id, frozenset(r.role for r in rows if r.role is not None))


def _user_item(conn: Connection, row: Any) -> dict[str, Any]:
    item = dict(row._mapping)
    item["roles"] = sorted(conn.execute(select(USER_ROLES.c.role).where(USER_ROLES.c.user_id == row.id)).scalars())
    return item


def list_users(conn: Connection, page: int, per_page: int, department_id: str | None = None,
               role: str | None = None) -> dict[str, Any]:
    where = []
    if department_id:
        where.append(USERS.c.department_id == department_id)
    if role:
        where.append(USERS.c.id.in_(select(USER_ROLES.c.user_id).where(USER_ROLES.c.role == role)))
    total = conn.execute(select(func.count()).select_from(USERS).where(*where)).scalar_one()
    rows = conn.execute(select(*_USER_COLUMNS).where(*where).order_by(USERS.c.username)
                        .limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": [_user_item(conn, r) for r in rows], "total": total}


def get_user(conn: Connection, username: str) -> dict[str, Any]:
    row = conn.execute(select(*_USER_COLUMNS).where(USERS.c.username == username)).first()
    if row is None:
        raise NotFound(f"no user {username!r}")
    return _user_item(conn, row)


def _check_roles(roles: list[str]) -> None:
    bad = unknown_roles(roles)
    if bad:
        raise InvalidInput("unknown role(s)", [{"field": "roles", "message": f"unknown role {r!r}"} for r in bad])


def _check_department(conn: Connection, department_id: str | None, field: str = "department_id") -> None:
    # An empty string is no department either: a reference is a known id or null, never "" (nor a 500 from the
    # foreign key when the database refuses it).
    if department_id is not None and conn.execute(select(DEPARTMENTS.c.id).where(DEPARTMENTS.c.id
                                                                                 == department_id)).first() is None:
        message = "must be a department id or null, not empty" if department_id == "" else "no such department"
        raise InvalidInput(f"{field}: {message}", [{"field": field, "message": message}])


def create_user(conn: Connection, actor: str | None, *, username: str, display_name: str, password: str,
                roles: list[str], department_id: str | None = None, email: str | None = None,
                now: datetime | None = None, password_hash: str | None = None) -> dict[str, Any]:
    """Create a user with roles; the change is recorded on the global audit chain.

    `password_hash` (the hash of `password`, computed once) lets bulk seeding skip re-hashing the same password.
    """
    now = now or clock.now()
    _check_roles(roles)
    problem = weak(password)
    if problem:
        raise InvalidInput(problem, [{"field": "password", "message": problem}])
    pw_hash = password_hash or hash_password(password)
    _check_department(conn, department_id)
    if conn.execute(select(USERS.c.id).where(USERS.c.username == username)).first() is not None:
        raise Conflict(f"user {username!r} exists")
    uid = db.inserted_id(conn.execute(insert(USERS).values(
        username=username, display_name=display_name, email=email, password_hash=pw_hash,
        department_id=department_id, active=True, created_at=clock.to_db(now))))
    if roles:
        conn.execute(insert(USER_ROLES), [{"user_id": uid, "role": r} for r in sorted(set(roles))])
    append_global(conn, now, actor, "user_created", {"username": username, "department_id": department_id,
                                                     "roles": sorted(set(roles))})
    return get_user(conn, username)


def update_user(conn: Connection, actor: str | None, username: str, changes: dict[str, Any],
                now: datetime | None = None) -> dict[str, Any]:
    """Change roles, department, name, e-mail, active flag or password; each change is an audit event."""
    now = now or clock.now()
    if "roles" in changes:
        _check_roles(changes["roles"])
    if "password" in changes:
        problem = weak(changes["password"])
        if problem:
            raise InvalidInput(problem, [{"field": "password", "message": problem}])
    row = conn.execute(select(USERS.c.id, USERS.c.department_id, USERS.c.active).where(USERS.c.username
                                                                                       == username)).first()
    if row is None:
        raise NotFound(f"no user {username!r}")
    values: dict[str, Any] = {k: changes[k] for k in ("display_name", "email", "active", "department_id")
                              if k in changes}
    if "department_id" in values:
        _check_department(conn, values["department_id"])
    if "password" in changes:
        values["password_hash"] = hash_password(changes["password"])
    if values:
        conn.execute(update(USERS).where(USERS.c.id == row.id).values(**values))
    audit: dict[str, Any] = {"username": username,
                             **{k: v for k, v in values.items() if k != "password_hash"}}
    if "password" in changes:
        audit["password"] = "changed"
    if "roles" in changes:
        before = set(conn.execute(select(USER_ROLES.c.role).where(USER_ROLES.c.user_id == row.id)).scalars())
        after = set(changes["roles"])
        conn.execute(delete(USER_ROLES).where(USER_ROLES.c.user_id == row.id))
        if after:
            conn.execute(insert(USER_ROLES), [{"user_id": row.id, "role": r} for r in sorted(after)])
        audit["roles_added"], audit["roles_removed"] = sorted(after - before), sorted(before - after)
    if ("active" in changes and not changes["active"]) or "password" in changes:
        # A disabled user or a new password ends every session.
        revoke_all(conn, row.id, now)
    append_global(conn, now, actor, "user_changed", audit)
    return get_user(conn, username)


def list_departments(conn: Connection, level: str | None = None) -> list[dict[str, Any]]:
    query = select(DEPARTMENTS).order_by(DEPARTMENTS.c.level, DEPARTMENTS.c.kind, DEPARTMENTS.c.id)
    if level:
        query = query.where(DEPARTMENTS.c.level == level)
    return [dict(r._mapping) for r in conn.execute(query)]


def upsert_department(conn: Connection, dept: dict[str, Any]) -> bool:
    """Insert or update one department row; True if anything changed."""
    values = {"name": dept["name"], "name_en": dept.get("name_en"), "level": dept.get("level", "municipal"),
              "kind": dept.get("kind", "department"), "parent_id": dept.get("parent_id"),
              "district_id": dept.get("district_id"),
              "sector": dept.get("sector"), "active": dept.get("active", True)}
    current = conn.execute(select(DEPARTMENTS).where(DEPARTMENTS.c.id == dept["id"])).first()
    if current is None:
        conn.execute(insert(DEPARTMENTS).values(id=dept["id"], **values))
        return True
    if any(getattr(current, k) != v for k, v in values.items()):
        conn.execute(update(DEPARTMENTS).where(DEPARTMENTS.c.id == dept["id"]).values(**values))
        return True
    return False


def save_department(conn: Connection, actor: str | None, dept: dict[str, Any], now: datetime | None = None) -> None:
    now = now or clock.now()
    for link in ("parent_id", "district_id"):
        _check_department(conn, dept.get(link), field=link)
    if upsert_department(conn, dept):
        append_global(conn, now, actor, "department_saved", dept)


def load_seed(conn: Connection, path: Path, actor: str = "seed", now: datetime | None = None) -> dict[str, int]:
    """Load a versioned organisation file (departments, and users with roles); idempotent."""
    now = now or clock.now()
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"cannot read seed file {path}: {exc}") from exc
    counts = {"departments": 0, "users": 0}
    for dept in sorted(doc.get("departments", []), key=lambda d: bool(d.get("parent_id") or d.get("district_id"))):
        if upsert_department(conn, dept):
            counts["departments"] += 1
    if counts["departments"]:
        append_global(conn, now, actor, "seed_departments", {"file": path.name, "count": counts["departments"]})
    for user in doc.get("users", []):
        exists = conn.execute(select(USERS.c.id).where(USERS.c.username == user["username"])).first() is not None
        if not exists:
            create_user(conn, actor, username=user["username"],
                        display_name=user.get("display_name", user["username"]),
                        password=user["password"], roles=user.get("roles", []),
                        department_id=user.get("department_id"), email=user.get("email"), now=now)
            counts["users"] += 1
    return counts


def bootstrap_admin(conn: Connection, username: str, password: str | None, now: datetime | None = None) -> bool:
    """Create the named administrator (JIXIAO_ADMIN_USER) unless that user exists; True if created.

    An existing user is never changed from the environment (a restart must not reset a password someone has
    since changed); the log says so, so that an operator who cannot sign in learns why.
    """
    active = conn.execute(select(USERS.c.active).where(USERS.c.username == username)).scalar()
    existing = principal_of(conn, username)
    if active is None:
        if not password:
            log.warning("JIXIAO_ADMIN_USER %s does not exist and JIXIAO_ADMIN_PASSWORD is not set: not created",
                        username)
            return False
        try:
            create_user(conn, "bootstrap", username=username, display_name=username, password=password,
                        roles=[ADMINISTRATOR], now=now)
        except Conflict:  # another process starting at the same moment created it
            return False
        log.info("created administrator %s from JIXIAO_ADMIN_USER", username)
        return True
    if existing is not None and existing.has(ADMINISTRATOR):
        state = "already exists"
    else:
        state = "already exists and is disabled" if not active else "already exists and is not an administrator"
    log.warning("JIXIAO_ADMIN_USER %s %s: left unchanged (JIXIAO_ADMIN_PASSWORD is not applied to an existing "
                "user; an administrator changes it with PATCH /api/users/%s)", username, state, username)
    return False
