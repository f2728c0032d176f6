"""What one process holds: settings, the database engine, the spec cache and the workflow service.

Every process that runs the engine (the app, the worker, the CLI, the benches, the tests) builds its Runtime
here, so building one is where SpiffWorkflow's timers are routed through the service clock
(service/engine/engine_clock.py); importing the engine changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from service.config import Settings
from service.db import make_engine
from service.engine import engine_clock
from service.engine.service import WorkflowService
from service.engine.versions import SpecCache


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    specs: SpecCache
    workflows: WorkflowService

    @classmethod
    def build(cls, settings: Settings, engine: Engine | None = None) -> Runtime:
        """Connect to the database (or use `engine`, open on it: the tests share one) and route the engine's
        timers through the service clock."""
        engine_clock.install()
        engine = engine or make_engine(settings.database_url)
        specs = SpecCache(engine)
        return cls(settings, engine, specs, WorkflowService(engine, settings, specs))

    def close(self) -> None:
        self.engine.dispose()
