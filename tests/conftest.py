"""Fixtures: settings, runtime (real database), app, client, clock, and model deployment helpers.

The suite runs on SQLite by default and on PostgreSQL when JIXIAO_TEST_DATABASE_URL is set
(.ci/run does both). The schema is built by the Alembic migrations, once per session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from service import clock, create_app
from service.config import Settings
from service.db import make_engine
from service.engine.deploy import deploy
from service.migrate import upgrade
from service.models import Base
from service.runtime import Runtime

FIXTURES = Path(__file__).parent / "fixtures"
START = datetime(2015, 3, 2, 1, 0, tzinfo=clock.UTC)  # a Monday, 09:00 in Wuhan


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("JIXIAO_TEST_DATABASE_URL")
    if url:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'jixiao.sqlite3'}"
    upgrade(url)
    return url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, forms_dir=FIXTURES, workflows_dir=FIXTURES,
                    engine_time_limit_s=3.0)


def _wipe(rt: Runtime) -> None:
    with rt.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime.build(settings)
    _wipe(rt)
    yield rt
    rt.close()


@pytest.fixture
def app(runtime: Runtime) -> Any:
    return create_app(runtime=runtime)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


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
        return deploy(runtime.engine, runtime.specs, files or fixture_files(*names), runtime.settings, actor="test")

    return _deploy


def count_rows(rt: Runtime, table: str) -> int:
    with rt.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())
