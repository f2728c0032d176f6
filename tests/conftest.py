"""Fixtures: settings, runtime (real database), app, client, clock, and model deployment helpers.

The suite runs on SQLite by default and on PostgreSQL when JIXIAO_TEST_DATABASE_URL is set
(.ci/run does both). The schema is built by the Alembic migrations, once per session.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, text

from service import clock, create_app
from service.bpm.deploy import deploy
from service.config import Settings
from service.db import make_engine, normalize_url
from service.migrate import upgrade
from service.models import Base
from service.runtime import Runtime
from service.secret_key import session_key
from tests.database_state import bypassed_audit_guard, wipe, worker_database

FIXTURES = Path(__file__).parent / "fixtures"

# Speed is measured by the benchmarks, never by a test: Hypothesis must not fail an example, or its input generation,
# for taking long on a loaded machine.
hypothesis_settings.register_profile("jixiao", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("jixiao")

_SUITE_STARTED = time.monotonic()


BROWSER_TESTS_SKIPPED = "the browser tests (tests/service/web) are SKIPPED"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """`make test` prints the suite's wall time (the README keeps the figure of a full run on this machine), and says
    where nobody can miss it that skipped browser tests (tests/service/web/browser_fixtures.py, `browser`) are not a pass."""
    skipped = [str(r.longrepr) for r in terminalreporter.stats.get("skipped", [])
               if BROWSER_TESTS_SKIPPED in str(r.longrepr)]
    if skipped:
        terminalreporter.section("BROWSER TESTS SKIPPED", sep="!", red=True, bold=True)
        terminalreporter.line(f"{len(skipped)} browser tests: {skipped[0]}", red=True, bold=True)
    database = "PostgreSQL" if os.environ.get("JIXIAO_TEST_DATABASE_URL") else "SQLite"
    terminalreporter.write_line(f"jixiao: the suite ran {time.monotonic() - _SUITE_STARTED:.0f} s wall time "
                                f"on {database} (exit status {exitstatus})")
# The modules holding the suite's longest tests (10-25 s each: a whole year of escalations, the simulated province
# and the demo built as their fixtures, the stateful OpenAPI sequences) run first. `make test` hands whole modules to
# the pytest-xdist workers in the collected order (--dist loadfile), one more each time a worker is free: a long
# module handed out last keeps one worker busy while the others have nothing left.
FIRST = ("tests/workflows/test_workflows_fiscal_year_escalations.py", "tests/service/simulate/test_simulate.py",
         "tests/service/demo/test_build.py", "tests/service/api/test_blueprint_openapi.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """FIRST's modules first (in FIRST's order), the rest as collected; the same order in every worker."""
    rank = {path: n for n, path in enumerate(FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(FIRST)))


START = datetime(2015, 3, 2, 1, 0, tzinfo=clock.UTC)  # a Monday, 09:00 in Wuhan


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The session's database, migrated. Under pytest-xdist (`make test` runs `-n 2`) each worker has its own: a
    SQLite file in the worker's temporary folder, or on PostgreSQL a database named after JIXIAO_TEST_DATABASE_URL's
    with the worker's name, created here and dropped at the end."""
    base = os.environ.get("JIXIAO_TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not base:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'jixiao.sqlite3'}"
        upgrade(url)
        yield url
    elif worker:
        with worker_database(base, worker) as url:
            upgrade(url)
            yield url
    else:
        engine = make_engine(base)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        upgrade(base)
        yield base


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, forms_dir=FIXTURES, workflows_dir=FIXTURES,
                    engine_time_limit_s=3.0, attachments_dir=tmp_path / "attachments",
                    secret_key_file=tmp_path / "instance" / "secret_key")


# People live for the whole session (hashing passwords is slow on purpose); process tables are wiped per test
# (tests/database_state.py).
DEPARTMENTS = [
    {"id": "bureau", "name": "市财政局", "kind": "bureau"},
    {"id": "dept-a", "name": "市教育局", "sector": "education"},
    {"id": "dept-b", "name": "市卫生健康委员会", "sector": "health"},
    {"id": "dept-a-unit", "name": "市教育局直属学校", "kind": "unit", "parent_id": "dept-a"},
    {"id": "district-1", "name": "江岸区财政局", "level": "district", "kind": "bureau"},
]
# username → (department, roles)
PEOPLE: dict[str, tuple[str | None, list[str]]] = {
    "staff_a": ("dept-a", ["department_staff"]),
    "staff_a2": ("dept-a", ["department_staff"]),
    "head_a": ("dept-a", ["department_head"]),
    "staff_b": ("dept-b", ["department_staff"]),
    "head_b": ("dept-b", ["department_head"]),
    "reviewer": ("bureau", ["finance_reviewer"]),
    "supervisor": ("bureau", ["supervisor"]),
    "leader": ("bureau", ["bureau_leader"]),
    "auditor": ("bureau", ["auditor"]),
    "designer": ("bureau", ["process_designer"]),
    "admin": ("bureau", ["administrator"]),
    "expert": (None, ["expert"]),
    "agency": (None, ["agency_evaluator"]),
    # One person holding every working role in dept-a, for tests about processes rather than permissions.
    "power": ("dept-a", ["process_designer", "department_staff", "department_head", "finance_reviewer",
                         "supervisor"]),
}


def password_of(username: str) -> str:
    return f"pw-{username}-2015"


# The session's people are stored with Argon2id hashes of the least cost (what a hash costs to check is written in
# it): signing in as them checks the password as the service does, in a millisecond instead of a second on a busy
# machine. Accounts that tests create, and their sign-ins, cost what they cost in production.
_QUICK = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="session")
def tokens(database_url: str) -> dict[str, str]:
    """A live bearer token for each person in PEOPLE (created once per session)."""
    from datetime import timedelta

    from service.people import directory
    from service.people import tokens as token_service

    rt = Runtime.build(Settings(database_url=database_url))
    with rt.engine.begin() as conn, bypassed_audit_guard(conn):
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    with rt.engine.begin() as conn:
        for dept in sorted(DEPARTMENTS, key=lambda d: d.get("parent_id") is not None):
            directory.upsert_department(conn, dept)
    issued = {}
    for name, (dept, roles) in PEOPLE.items():
        with rt.unit_of_work() as conn:
            user = directory.create_user(conn, "test", username=name, display_name=name, password=password_of(name),
                                         roles=roles, department_id=dept, password_hash=_QUICK.hash(password_of(name)))
        with rt.unit_of_work() as conn:
            issued[name], _ = token_service.issue(conn, user["id"], clock.now(), timedelta(days=3650))
    rt.close()
    return issued


def _wipe(rt: Runtime) -> None:
    wipe(rt.engine)


@pytest.fixture(scope="session")
def database(database_url: str) -> Iterator[Engine]:
    """The session's engine. SQLAlchemy keeps the SQL it compiled per engine: a new engine for every test compiled
    every statement again for every test."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def runtime(settings: Settings, tokens: dict[str, str], database: Engine) -> Iterator[Runtime]:
    """The test's runtime (on the session's engine when its settings name the session's database), emptied."""
    shared = normalize_url(settings.database_url) == database.url.render_as_string(hide_password=False)
    rt = Runtime.build(settings, engine=database if shared else None)
    _wipe(rt)
    yield rt
    if not shared:
        rt.close()


# Building the app (its routes and the OpenAPI document of its views) takes about half a second, the same work for
# every test: one app is built for each kind of settings, and each test's app is that one serving the test's runtime.
_APPS: dict[Settings, Flask] = {}


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    """The app serving this test's runtime (its settings, database and workflow service)."""
    settings = runtime.settings
    if settings.admin_user:  # the factory creates that user: build it afresh
        return create_app(runtime=runtime)
    # Only the runtime, the session key and the attachments folder differ from test to test (all read through
    # the runtime or set here); every other setting is part of what an app is built from.
    kind = replace(settings, database_url="", attachments_dir=Path(), secret_key_file=Path())
    built = _APPS.get(kind)
    if built is None:
        built = _APPS[kind] = create_app(runtime=runtime)
        return built
    built.extensions["jixiao"] = runtime
    built.config["SECRET_KEY"] = session_key(settings)
    return built


@pytest.fixture
def as_user(app: Any, tokens: dict[str, str]) -> Any:
    """as_user("staff_a") → a test client that sends that user's bearer token."""

    def _client(username: str) -> Any:
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {tokens[username]}"
        return client

    return _client


@pytest.fixture
def client(as_user: Any) -> Any:
    """A client for the "power" user of dept-a (designer, staff, head, reviewer, supervisor)."""
    return as_user("power")


def principal(username: str) -> Any:
    from service.domain.roles import Principal

    dept, roles = PEOPLE[username]
    return Principal(username, dept, frozenset(roles))


@pytest.fixture
def frozen_clock() -> Iterator[datetime]:
    """The process clock frozen at START; tests move it with clock.advance()."""
    clock.set_now(START)
    yield START
    clock.reset()


def fixture_files(*names: str) -> dict[str, bytes]:
    return {name: (FIXTURES / name).read_bytes() for name in names}


@pytest.fixture
def deploy_fixture(runtime: Runtime) -> Any:
    """Deploy fixture files (forms come from tests/fixtures as the library forms folder)."""

    def _deploy(*names: str, files: dict[str, bytes] | None = None) -> Any:
        with runtime.unit_of_work() as conn:
            return deploy(conn, runtime.specs, files or fixture_files(*names), runtime.settings, actor="test")

    return _deploy


def count_rows(rt: Runtime, table: str) -> int:
    with rt.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())
