"""What one process holds: settings, the database engine, the spec cache and the workflow service."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from service.config import Settings
from service.db import make_engine
from service.engine.service import WorkflowService
from service.engine.versions import SpecCache


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    specs: SpecCache
    workflows: WorkflowService

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        engine = make_engine(settings.database_url)
        specs = SpecCache(engine)
        return cls(settings, engine, specs, WorkflowService(engine, settings, specs))

    def close(self) -> None:
        self.engine.dispose()
