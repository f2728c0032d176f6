"""Alembic environment: the database comes from the settings (DATABASE_URL)."""

from __future__ import annotations

from alembic import context

from service.config import Settings
from service.db import make_engine, normalize_url
from service.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.attributes.get("database_url") or Settings.from_env().database_url


def run_migrations_offline() -> None:
    context.configure(url=normalize_url(_url()), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or make_engine(_url())
    with engine.connect() as connection:
        # SQLite alters a table by rebuilding it (batch mode): with foreign keys enforced, dropping the old copy
        # of a parent table (instances) cascades to its children's rows (tasks). Off while migrating (it can only
        # change outside a transaction), every reference checked before committing, on again afterwards.
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if dangling:
                        raise RuntimeError(f"the migration left rows referring to missing rows: {dangling[:5]}")
            connection.commit()
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
