"""Fresh, empty databases beside the test database: a SQLite file, or on PostgreSQL (JIXIAO_TEST_DATABASE_URL)
a database named after the test database with a unique suffix, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from service.db import normalize_url


def on_postgresql() -> bool:
    return bool(os.environ.get("JIXIAO_TEST_DATABASE_URL"))


@contextmanager
def scratch_database(directory: Path, label: str) -> Iterator[str]:
    """The URL of a new empty database; removed when the block ends."""
    base = os.environ.get("JIXIAO_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{directory / f'{label}-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    url = make_url(normalize_url(base))
    name = f"{url.database}_{label}_{uuid.uuid4().hex[:8]}".lower()
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
