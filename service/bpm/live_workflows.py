"""The workflows a process acted on last, kept in memory for its next command on the same instance.

`WorkflowService.live_workflows` takes one: a command on an instance whose stored version (its lock_version) is
the one kept here runs on the kept workflow instead of loading the stored state (about 4 ms for a cycle instance's
100 KB). A version another process wrote since is a miss, and the state is loaded as before; a command that did not
commit leaves nothing behind (service/bpm/service.py). Oldest dropped first; safe to share between threads.

The demo's driving processes use it (each acts on its own instances again and again). The worker and the web server
do not: in a simulated year the worker's cache of 256 grew its processes from 109 MiB to 1.1 GiB (a cycle instance
late in the year is about 4 MiB in memory), while most jobs follow a person's answer written by the web server, a miss.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any


class LiveWorkflows(OrderedDict[tuple[str, int], Any]):
    """Kept workflows by (instance id, lock_version), at most `size`: about 0.3 MB of memory each in the demo's
    cohorts, up to 4 MiB for a cycle instance late in its year."""

    def __init__(self, size: int = 512) -> None:
        super().__init__()
        self.size = size
        self._lock = threading.Lock()

    def __setitem__(self, key: tuple[str, int], value: Any) -> None:
        with self._lock:
            super().__setitem__(key, value)
            while len(self) > self.size:
                self.popitem(last=False)

    def pop(self, key: tuple[str, int], default: Any = None) -> Any:
        with self._lock:
            return super().pop(key, default)
