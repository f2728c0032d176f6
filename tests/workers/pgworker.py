"""The worker process of tests/workers/test_runner_pg_restart.py: `python -m tests.workers.pgworker DIR`.

It runs the real worker process (workers.runner.serve: the APScheduler clock, a pass every WORKER_POLL_SECONDS)
on DATABASE_URL, with a handler for topic "test-score" that returns {"score": amount × 10}. The first call
writes DIR/holding and waits for DIR/release, so that the test can restart PostgreSQL while the worker is in
the middle of a job. The worker logs to stderr; the test reads the log to see the failed passes.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any

from service.config import Settings
from service.runtime import Runtime
from workers import handlers
from workers.runner import serve


def main(folder: str) -> int:
    here = Path(folder)
    held = threading.Event()

    def score(_ctx: Any, variables: dict[str, Any]) -> dict[str, Any]:
        if not held.is_set():
            held.set()
            (here / "holding").write_text("holding")
            deadline = time.monotonic() + 120
            while not (here / "release").exists():
                if time.monotonic() > deadline:
                    raise TimeoutError("the test never released the job")
                time.sleep(0.02)
        return {"score": variables["amount"] * 10}

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    handlers.HANDLERS["test-score"] = score
    serve(Runtime.build(Settings.from_env()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
