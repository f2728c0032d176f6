"""Only the test accounts (tests/conftest.py PEOPLE) receive mail in the notification tests.

People live for the whole test session, and other tests add accounts (the demo seed, user administration):
those are made inactive for the duration of a test — recipients are active users only — and restored after.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, select, update

from service import db
from service.models import User
from tests.conftest import PEOPLE

USERS = User.__table__


@contextmanager
def only_test_people(engine: Engine) -> Iterator[None]:
    with db.write(engine) as conn:
        others = list(conn.execute(select(USERS.c.id).where(USERS.c.active.is_(True),
                                                             USERS.c.username.not_in(list(PEOPLE)))).scalars())
        if others:
            conn.execute(update(USERS).where(USERS.c.id.in_(others)).values(active=False))
    try:
        yield
    finally:
        if others:
            with db.write(engine) as conn:
                conn.execute(update(USERS).where(USERS.c.id.in_(others)).values(active=True))
