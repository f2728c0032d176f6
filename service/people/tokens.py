"""Logins and bearer tokens: issue, check, revoke; failed logins are counted and rate-limited."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, func, insert, select, update

from service import clock
from service.bpm.event_log import EVENTS, append_global
from service.domain.roles import Principal
from service.errors import TooManyRequests
from service.models import ApiToken, User, UserRole
from service.people.passwords import verify

API_TOKENS = ApiToken.__table__
USERS = User.__table__
USER_ROLES = UserRole.__table__

# A failed login is slowed down after this many failures for one user name within the window (DESIGN.md).
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)

_PRINCIPAL = (
    select(USERS.c.username, USERS.c.department_id, USER_ROLES.c.role)
    .select_from(API_TOKENS.join(USERS, USERS.c.id == API_TOKENS.c.user_id).outerjoin(USER_ROLES, USER_ROLES.c.user_id
                                                                                      == USERS.c.id))
    .where(API_TOKENS.c.token_hash == bindparam("h"), API_TOKENS.c.revoked_at.is_(None), API_TOKENS.c.expires_at
           > bindparam("now"),
           USERS.c.active.is_(True))
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def principal_for_token(conn: Connection, token: str, now: datetime) -> Principal | None:
    """The user a live token belongs to, or None (unknown, expired, revoked or a disabled user)."""
    rows = conn.execute(_PRINCIPAL, {"h": token_hash(token), "now": clock.to_db(now)}).all()
    if not rows:
        return None
    return Principal(rows[0].username, rows[0].department_id, frozenset(r.role for r in rows if r.role))


def recent_failures(conn: Connection, username: str, now: datetime) -> int:
    return int(conn.execute(
        select(func.count()).select_from(EVENTS).where(
            EVENTS.c.command == "login_failed", EVENTS.c.actor == username,
            EVENTS.c.at > clock.to_db(now - FAILURE_WINDOW))).scalar_one())


def authenticate(conn: Connection, username: str, password: str, now: datetime, via: str) -> int | None:
    """Check a user name and password (rate-limited) and record the attempt: the user's id, or None for a wrong name
    or password. A failure is not raised here: its record must commit with the caller's unit of work (the rate
    limit counts it), and the caller refuses after the commit."""
    if recent_failures(conn, username, now) >= MAX_FAILURES:
        raise TooManyRequests("too many failed logins for this user; try again in 15 minutes")
    row = conn.execute(select(USERS.c.id, USERS.c.password_hash, USERS.c.active).where(USERS.c.username
                                                                                       == username)).first()
    ok = verify(row.password_hash if row is not None else None, password) and row is not None and row.active
    append_global(conn, now, username, "login" if ok else "login_failed", {"via": via})
    return int(row.id) if ok and row is not None else None


def record_logout(conn: Connection, username: str, now: datetime, via: str) -> None:
    """A web session ended by its user: recorded like the login."""
    append_global(conn, now, username, "logout", {"via": via})


def issue(conn: Connection, user_id: int, now: datetime, ttl: timedelta) -> tuple[str, datetime]:
    """A new bearer token (shown once; only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    expires = now + ttl
    conn.execute(insert(API_TOKENS).values(token_hash=token_hash(token), user_id=user_id, created_at=clock.to_db(now),
                                  expires_at=clock.to_db(expires), revoked_at=None))
    return token, expires


def revoke(conn: Connection, token: str, actor: str, now: datetime) -> None:
    conn.execute(
        update(API_TOKENS)
        .where(API_TOKENS.c.token_hash == token_hash(token), API_TOKENS.c.revoked_at.is_(None))
        .values(revoked_at=clock.to_db(now))
    )
    append_global(conn, now, actor, "token_revoked", {"token": token_hash(token)[:12]})


def revoke_all(conn: Connection, user_id: int, now: datetime) -> None:
    """Inside the caller's transaction: end every live token of a user."""
    conn.execute(
        update(API_TOKENS)
        .where(API_TOKENS.c.user_id == user_id, API_TOKENS.c.revoked_at.is_(None))
        .values(revoked_at=clock.to_db(now))
    )
