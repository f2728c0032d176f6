"""How far the demo municipality is built: a bar on the console and a small file the web pages read.

`make run` serves first and builds the demo beside it, so a newcomer's first page answers while
the demo is still being driven; the pages show how far it is from `instance/demo_progress.json`, written atomically
by the builder (one process) and read by the web workers (another). A file whose builder is gone counts as not
building, so a killed build never leaves a banner behind.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from service import clock
from service.config import ROOT

PROGRESS_FILE = ROOT / "instance" / "demo_progress.json"
_BAR = 30


class Progress:
    """A fraction from 0 to 1 with a phase label, shown on `stream` (a bar redrawn in place on a terminal, a line
    every tenth otherwise) and written to `path` for the pages."""

    def __init__(self, path: Path | None = PROGRESS_FILE, stream: IO[str] | None = None,
                 monotonic: Callable[[], float] = clock.monotonic) -> None:
        self.path, self.stream, self.monotonic = path, stream, monotonic
        self.started = monotonic()
        self.fraction, self.phase = 0.0, ""
        self._shown, self._written, self._tenth = "", -1.0, -1
        self.tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())

    def update(self, fraction: float, phase: str | None = None) -> None:
        self.fraction = max(self.fraction, min(1.0, fraction))
        if phase is not None:
            self.phase = phase
        self._show()
        if self.path is not None and (self.fraction - self._written >= 0.005 or phase is not None):
            self._write(finished=False)

    def finish(self, summary: str) -> None:
        self.fraction, self.phase = 1.0, summary
        self._show(force=True)
        if self.stream is not None and self.tty:
            self.stream.write("\n")
            self.stream.flush()
        if self.path is not None:
            self._write(finished=True)

    def _show(self, force: bool = False) -> None:
        if self.stream is None:
            return
        seconds = self.monotonic() - self.started
        filled = round(self.fraction * _BAR)
        line = f"demo [{'#' * filled}{'.' * (_BAR - filled)}] {self.fraction:4.0%} {seconds:5.0f} s  {self.phase}"
        if self.tty:
            if line != self._shown or force:
                self.stream.write("\r" + line.ljust(len(self._shown)))
                self.stream.flush()
                self._shown = line
            return
        tenth = int(self.fraction * 10)
        if tenth > self._tenth or force:
            self._tenth = tenth
            self.stream.write(line + "\n")
            self.stream.flush()

    def _write(self, finished: bool) -> None:
        assert self.path is not None
        self._written = self.fraction
        body = {"fraction": round(self.fraction, 3), "phase": self.phase, "finished": finished, "pid": os.getpid(),
                "seconds": round(self.monotonic() - self.started, 1)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)


def console() -> IO[str]:
    return sys.stdout


def building(path: Path | None = None) -> dict[str, Any] | None:
    """The demo build in progress ({fraction, phase, seconds}), or None when none runs (done, never started, or its
    builder is gone). `path`: PROGRESS_FILE by default."""
    try:
        body = json.loads((path or PROGRESS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(body, dict) or body.get("finished") or not _alive(body.get("pid")):
        return None
    return body


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True
