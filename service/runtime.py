"""What one process holds: settings, the database engine, the spec cache and the workflow service.

Every process that runs the engine (the app, the worker, the CLI, the benches, the tests) builds its Runtime
here, so building one is where SpiffWorkflow's timers are routed through the service clock
(service/bpm/engine_clock.py); importing the engine changes nothing."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from service import db, request_reads
from service.bpm import engine_clock, task_queries
from service.bpm.service import WorkflowService
from service.bpm.versions import SpecCache
from service.config import Settings
from service.db import make_engine


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    specs: SpecCache
    workflows: WorkflowService

    @classmethod
    def build(cls, settings: Settings, engine: Engine | None = None) -> Runtime:
        """Connect to the database (or use `engine`, open on it: the tests share one) and route the engine's
        timers through the service clock and its task queries through the task tables."""
        engine_clock.install()
        task_queries.install()
        engine = engine or make_engine(settings.database_url)
        specs = SpecCache(engine)
        return cls(settings, engine, specs, WorkflowService(engine, settings, specs))

    def unit_of_work(self) -> AbstractContextManager[Connection]:
        """An entry point's one write transaction (an API view, a page, a CLI command): everything below it takes
        this connection; it commits when the block ends, or rolls back on any exception."""
        return db.write(self.engine)

    def reading(self) -> AbstractContextManager[Connection]:
        """An entry point's one read-only transaction (a GET view, a page that only shows). In a GET request it is
        the request's own, shared by the sign-in check, the view and its helpers (service/request_reads.py)."""
        conn = request_reads.shared(self.engine)
        return nullcontext(conn) if conn is not None else db.read(self.engine)

    def close(self) -> None:
        self.engine.dispose()
