"""Console logging of the processes (CLI, web server, worker): our own messages, and the engine's only when asked.

SpiffWorkflow logs every task state change at INFO on `spiff.task` / `spiff.workflow` (and `spiff.data`,
`spiff.dmn`); with a console handler at INFO that is dozens of lines per command. They stay at WARNING unless
JIXIAO_ENGINE_LOG names a lower level (debug or info) for troubleshooting a model.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

ENGINE_LOGGER = "spiff"  # parent of spiff.task, spiff.workflow, spiff.data, spiff.dmn
ENGINE_LOG_VARIABLE = "JIXIAO_ENGINE_LOG"
CONSOLE_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def engine_log_level(env: Mapping[str, str] | None = None) -> int:
    """The engine loggers' level from JIXIAO_ENGINE_LOG (debug, info, warning, error); WARNING when unset."""
    value = (os.environ if env is None else env).get(ENGINE_LOG_VARIABLE, "").strip().lower()
    if not value:
        return logging.WARNING
    if value not in _LEVELS:
        raise ValueError(f"{ENGINE_LOG_VARIABLE}={value!r} is not one of {', '.join(_LEVELS)}")
    return _LEVELS[value]


def quiet_engine(env: Mapping[str, str] | None = None) -> None:
    """Set the engine loggers to JIXIAO_ENGINE_LOG's level (WARNING by default)."""
    logging.getLogger(ENGINE_LOGGER).setLevel(engine_log_level(env))


def console(level: int = logging.INFO, env: Mapping[str, str] | None = None) -> None:
    """Log our messages at `level` to stderr (once per process), the engine's at JIXIAO_ENGINE_LOG's level."""
    logging.basicConfig(level=level, format=CONSOLE_FORMAT)
    quiet_engine(env)
