"""A database made at any earlier migration, with data in it, upgrades to head one revision at a time: every
row survives each step, and at head the service reads it (lists, inbox) and `audit verify` accepts its histories.

The revisions come from migrations/versions, so a new one is covered without editing this file; the rows come
from tests/service/migration_seeds.py, which must give rows to every table a new revision adds.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, Table, select

from service import clock, create_app
from service.attachments.storage import LocalStorage
from service.bpm.verify import verify
from service.config import Settings
from service.db import make_engine
from service.migrate import alembic_config, upgrade
from service.people import directory
from service.people import tokens as token_service
from service.runtime import Runtime
from tests.conftest import FIXTURES
from tests.service.migration_seeds import INSTANCE_SINCE, build_template, seed
from tests.service.models.test_project_facts import PROJECTS, derived, kept
from tests.service.scratch_databases import scratch_database

REVISIONS = [r.revision for r in reversed(list(ScriptDirectory.from_config(alembic_config("sqlite://"))
                                               .walk_revisions()))]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return build_template(tmp_path_factory.mktemp("template"))


# The tables at each revision, reflected once per dialect: a revision's schema does not depend on the database
# it was reached from (reflecting every table after every step was two thirds of this file's time).
_SCHEMAS: dict[tuple[str, str], MetaData] = {}


def _snapshot(engine: Engine, revision: str) -> dict[str, dict[tuple, dict[str, Any]]]:
    """Every row of every table at `revision`, by primary key."""
    with engine.connect() as conn:
        meta = _SCHEMAS.get((engine.dialect.name, revision))
        if meta is None:
            meta = _SCHEMAS[(engine.dialect.name, revision)] = MetaData()
            meta.reflect(bind=conn)
        return {name: _rows(conn, t) for name, t in meta.tables.items() if name != "alembic_version"}


def _rows(conn: Connection, table: Table) -> dict[tuple, dict[str, Any]]:
    """The table's rows by primary key, each as the driver returns it (stricter than SQLAlchemy's conversions, and
    no statement to compile on each new engine)."""
    result = conn.exec_driver_sql(f'SELECT * FROM "{table.name}"')
    names = [d[0] for d in result.cursor.description]
    key = [names.index(c.name) for c in table.primary_key.columns]
    return {tuple(row[i] for i in key): dict(zip(names, row, strict=True)) for row in result}


def _assert_survived(before: dict, after: dict, revision: str) -> None:
    for name, rows in before.items():
        assert name in after or not rows, f"revision {revision} dropped table {name} and its {len(rows)} row(s)"
        for key, row in rows.items():
            now = after[name].get(key)
            assert now is not None, f"revision {revision} lost row {key} of {name}"
            changed = {c: (v, now.get(c, "<column dropped>")) for c, v in row.items() if now.get(c, object()) != v}
            assert not changed, f"revision {revision} changed row {key} of {name}: {changed}"


def test_revisions_are_discovered_in_order():
    assert REVISIONS[0] == "0001" and len(REVISIONS) >= 12 and len(set(REVISIONS)) == len(REVISIONS)


@pytest.mark.parametrize("start", REVISIONS)
def test_database_made_at_an_earlier_revision_upgrades_with_its_data(start, template, tmp_path):
    with scratch_database(tmp_path, f"at{start}") as url:
        engine = make_engine(url)
        try:
            upgrade(url, engine, revision=start)
            with engine.begin() as conn:
                seed(conn, template, start)
            before = _snapshot(engine, start)
            if start == REVISIONS[-1]:
                empty = sorted(name for name, rows in before.items() if not rows)
                assert not empty, (f"no rows for table(s) {empty}: the revision that added them needs rows in "
                                   "tests/service/migration_seeds.py (TABLE_SINCE and HANDWRITTEN, or the template)")
            for revision in REVISIONS[REVISIONS.index(start) + 1:]:
                upgrade(url, engine, revision=revision)
                after = _snapshot(engine, revision)
                _assert_survived(before, after, revision)
                before = after
            with engine.connect() as conn:  # revision 0029 filled them from the rows there
                projects = list(conn.execute(select(PROJECTS.c.id)).scalars())
                assert [kept(conn, p) for p in projects] == [derived(conn, p) for p in projects]
        finally:
            engine.dispose()
        _assert_the_service_reads_it(url, template, start, tmp_path)


def _assert_the_service_reads_it(url: str, template: Any, start: str, tmp_path: Any) -> None:
    settings = Settings(database_url=url, forms_dir=FIXTURES, workflows_dir=FIXTURES, engine_time_limit_s=3.0,
                        attachments_dir=tmp_path / "attachments")
    for content in template.files.values():
        LocalStorage(settings.attachments_dir).put(content)
    rt = Runtime.build(settings)
    try:
        report = verify(rt.engine, rt.specs, settings)
        seeded = {iid for label, iid in template.instance_ids.items() if INSTANCE_SINCE[label] <= start}
        assert report.ok and report.checked == len(seeded), [str(f) for f in report.findings]
        app = create_app(runtime=rt)
        with rt.unit_of_work() as conn:
            auditor = directory.create_user(conn, "test", username="upgrade_auditor", display_name="审计",
                                            password="pw-upgrade-auditor-2015", roles=["auditor"])
        listed = _client(app, rt, auditor["id"]).get("/api/instances?per_page=100").get_json()
        assert {i["id"] for i in listed["items"]} == seeded
        completed = template.instance_ids["completed"]
        assert _client(app, rt, auditor["id"]).get(f"/api/instances/{completed}").get_json()["status"] == "completed"
        if start >= "0002":  # people exist: the department's staff find the open task in their inbox
            with rt.reading() as conn:
                staff = next(u for u in directory.list_users(conn, 1, 100)["items"] if u["username"] == "staff_a")
            inbox = _client(app, rt, staff["id"]).get("/api/tasks?per_page=100").get_json()["items"]
            assert template.instance_ids["open_task"] in {t["instance_id"] for t in inbox}
    finally:
        rt.close()


def _client(app: Any, rt: Runtime, user_id: int) -> Any:
    with rt.unit_of_work() as conn:
        token, _ = token_service.issue(conn, user_id, clock.now(), timedelta(hours=1))
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def test_the_migrations_build_the_schema_the_models_declare(database_url):
    """At head the database has the tables, columns, indexes and keys of service/models and nothing else (Alembic's
    autogenerate finds no difference). Column types are compared on PostgreSQL only: SQLite stores any length in any
    VARCHAR, and its migrations keep some declared lengths of earlier revisions."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from service.models import Base

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": engine.dialect.name == "postgresql"})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []
