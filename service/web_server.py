"""`jixiao serve`: gunicorn run in-process with the settings of service/gunicorn_conf.py."""

from __future__ import annotations

import importlib
from typing import Any

from gunicorn.app.base import BaseApplication


class WebServer(BaseApplication):
    """gunicorn's master with service.gunicorn_conf's settings, then `overrides` (bind, workers, threads)."""

    def __init__(self, overrides: dict[str, Any] | None = None) -> None:
        self.overrides = overrides or {}
        super().__init__(prog="jixiao serve")

    def load_config(self) -> None:
        """Apply every gunicorn setting the config module defines (hooks included), then the overrides."""
        conf = importlib.import_module("service.gunicorn_conf")
        for name, value in {**vars(conf), **self.overrides}.items():
            if name in self.cfg.settings:
                self.cfg.set(name, value)

    def load(self) -> Any:
        """The WSGI app, imported by each worker after the fork (the master never builds it)."""
        return importlib.import_module("service.wsgi").app
