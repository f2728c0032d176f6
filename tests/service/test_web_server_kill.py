"""A web worker killed in the middle of a request loses nothing and leaves nothing half-done.

Real gunicorn (gthread, two workers) on a loopback port serves the session's test database (SQLite, or
PostgreSQL when JIXIAO_TEST_DATABASE_URL is set). Its configuration file tests/service/gunicorn_pause.py can
hold one write of the mutation path at a chosen point: with everything written but not yet committed, or
committed but not yet answered. The worker holding a task's completion there is killed with SIGKILL; the
client gets no answer and sends the same request again, as a person would press the button again. Either
way the task ends completed exactly once, with one completion event, its instance's chain and state verify,
and the next requests go through (no lock or half-written rows were left behind).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from service.cli import main
from tests.conftest import FIXTURES

HOST = "127.0.0.1"
GUNICORN = Path(sys.executable).parent / "gunicorn"
PAUSE_CONFIG = Path(__file__).parent / "gunicorn_pause.py"
FORM = {"answer": "已核实", "score": 80}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Server:
    """gunicorn on a loopback port with the pause configuration; requests as one bearer token."""

    def __init__(self, port: int, pause_dir: Path, proc: subprocess.Popen[bytes]) -> None:
        self.port, self.pause_dir, self.proc = port, pause_dir, proc

    def call(self, method: str, path: str, token: str, body: Any = None, timeout: float = 20) -> tuple[int, Any]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
        finally:
            conn.close()


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    pause_dir = tmp_path_factory.mktemp("pause")
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "JIXIAO_PAUSE_DIR": str(pause_dir), "SECRET_KEY": "k" * 64,
           "JIXIAO_FORMS_DIR": str(FIXTURES), "JIXIAO_WORKFLOWS_DIR": str(FIXTURES),
           "JIXIAO_ATTACHMENTS_DIR": str(pause_dir / "attachments"), "PYTHONUNBUFFERED": "1"}
    log = (pause_dir / "gunicorn.log").open("wb")
    proc = subprocess.Popen([str(GUNICORN), "-c", str(PAUSE_CONFIG), "service:create_app()", "-k", "gthread",
                             "--threads", "2", "-w", "2", "-b", f"{HOST}:{port}", "--graceful-timeout", "2"],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    served = Server(port, pause_dir, proc)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if served.call("GET", "/api/health", "", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, (pause_dir / "gunicorn.log").read_text()
            time.sleep(0.1)
        yield served
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _start_and_find_task(server: Server, token: str) -> tuple[str, str]:
    status, inst = server.call("POST", "/api/instances", token, {"process_id": "simple", "data": {"amount": 3}})
    assert status == 201, inst
    status, tasks = server.call("GET", f"/api/tasks?instance_id={inst['id']}", token)
    assert status == 200 and tasks["total"] == 1, tasks
    return inst["id"], tasks["items"][0]["id"]


def _paused_worker(pause_dir: Path, stage: str, deadline_s: float = 20) -> int:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        found = list(pause_dir.glob(f"paused-{stage}-*"))
        if found:
            found[0].unlink()
            return int(found[0].name.rsplit("-", 1)[1])
        time.sleep(0.02)
    raise AssertionError(f"no worker paused {stage} within {deadline_s} s")


@pytest.mark.parametrize(("stage", "retry_status"), [("before-commit", 200), ("after-commit", 409)])
def test_a_worker_killed_mid_completion_loses_nothing(server: Server, runtime: Any, deploy_fixture: Any,
                                                      tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                                      stage: str, retry_status: int) -> None:
    deploy_fixture("simple.bpmn")
    token = tokens["staff_a"]
    instance_id, task_id = _start_and_find_task(server, token)

    (server.pause_dir / f"pause-{stage}").touch()
    first: dict[str, Any] = {}

    def complete() -> None:
        try:
            first["answer"] = server.call("POST", f"/api/tasks/{task_id}/complete", token, {"data": FORM})
        except (OSError, http.client.HTTPException) as exc:  # the worker died: no answer at all
            first["error"] = exc

    pending = threading.Thread(target=complete)
    pending.start()
    worker = _paused_worker(server.pause_dir, stage)
    os.kill(worker, signal.SIGKILL)
    pending.join(timeout=20)
    assert "error" in first, first  # the person saw no answer: they try again

    status, body = server.call("POST", f"/api/tasks/{task_id}/complete", token, {"data": FORM}, timeout=15)
    assert status == retry_status, body  # done by the retry, or already done by the killed request
    status, task = server.call("GET", f"/api/tasks/{task_id}", token)
    assert (status, task["state"], task["instance_status"], task["completed_by"]) == \
        (200, "completed", "completed", "staff_a")
    with runtime.engine.connect() as conn:
        commands = conn.execute(text("SELECT command FROM events WHERE instance_id = :i ORDER BY seq"),
                                {"i": instance_id}).scalars().all()
    assert commands.count("complete_task") == 1, commands

    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    verified = CliRunner().invoke(main, ["audit", "verify", instance_id])
    assert verified.exit_code == 0 and "all histories and their derived rows reproduce" in verified.output, verified.output

    # Nothing was left locked or half-written: the next requests go through promptly.
    began = time.monotonic()
    for _ in range(3):
        _, next_task = _start_and_find_task(server, token)
        status, done = server.call("POST", f"/api/tasks/{next_task}/complete", token, {"data": FORM}, timeout=10)
        assert status == 200 and done["instance_status"] == "completed", done
    assert time.monotonic() - began < 10
