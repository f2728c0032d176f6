"""On PostgreSQL, the database goes away under a running worker, and the worker recovers by itself.

1. The server is really restarted (stopped — every connection gone, the port closed — and started again) while
   a worker process (the real `jixiao worker` loop, workers.runner.serve) is in the middle of a job and more
   jobs are due. The worker's passes fail while the server is down; once it is back, the same process finishes
   every job, each exactly once. The server restarted is one this test starts for itself (initdb into a
   temporary directory, a free port on loopback): the machine's shared cluster serves other test runs at the
   same moment, and stopping it would break them.
2. The shared server drops every connection of the test database; the worker's next pass works.
Both are skipped on SQLite, which has no server.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from service import clock
from service.bpm.deploy import deploy
from service.config import Settings
from service.db import make_engine
from service.migrate import upgrade
from service.queries import instances_queries
from service.runtime import Runtime
from tests.conftest import FIXTURES, fixture_files
from workers.runner import run_once

ROOT = Path(__file__).resolve().parents[2]
JOBS = 20  # due while the server is down, besides the one in progress


def _on_postgresql(url: str) -> None:
    if not url.startswith(("postgresql", "postgres")):
        pytest.skip("PostgreSQL only: SQLite has no server to restart or connections to lose")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bindir(url: str) -> Path:
    """The server programs of the same major version as the test database's server."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            major = int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    finally:
        engine.dispose()
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin")]
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        candidates.append(Path(out))
    for path in candidates:
        if (path / "initdb").exists() and (path / "pg_ctl").exists():
            return path
    pytest.fail(f"on PostgreSQL {major} but no initdb/pg_ctl of that version here ({candidates}): this test needs "
                "the server programs to run a PostgreSQL server of its own")


class PrivateServer:
    """A PostgreSQL server of this test's own: restarting it stops nobody else's work."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = _free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="jixiao-pg-"))
        self.data = self.folder / "data"
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        # initdb refuses to run as root; the data directory belongs to the postgres account then
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*prefix, str(self.bindir / program), *args], capture_output=True, text=True,
                              timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{program} {' '.join(args)} failed: {done.stdout}{done.stderr}")

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C",
                  "--no-sync")

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.folder} "
                   "-c fsync=off -c full_page_writes=off")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-o", options, "-w",
                  "-t", "60", "start")  # -w: returns once the server accepts connections

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def accepts(self) -> bool:
        import psycopg

        try:
            psycopg.connect(self.url, connect_timeout=2).close()
            return True
        except psycopg.OperationalError:
            return False

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def private_server(database_url: str) -> Iterator[PrivateServer]:
    _on_postgresql(database_url)
    server = PrivateServer(_bindir(database_url))
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()


def _wait(what: str, condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout:g} s"
        time.sleep(0.05)


def _failed_passes(log: Path) -> int:
    return log.read_text(errors="replace").count("worker pass failed") if log.exists() else 0


def test_a_running_worker_finishes_its_work_after_postgresql_restarts(private_server, tmp_path):
    server = private_server
    upgrade(server.url)
    settings = Settings(database_url=server.url, forms_dir=FIXTURES, workflows_dir=FIXTURES)
    rt = Runtime.build(settings)
    worker = None
    try:
        with rt.unit_of_work() as conn:
            deploy(conn, rt.specs, fixture_files("external.bpmn"), settings, actor="test")
        first = rt.workflows.start("external", {"amount": 1})["id"]
        log = tmp_path / "worker.log"
        env = {**os.environ, "DATABASE_URL": server.url, "PYTHONUNBUFFERED": "1", "WORKER_POLL_SECONDS": "0.2",
               "WORKER_LEASE_SECONDS": "2", "JIXIAO_JOB_BACKOFF_SECONDS": "0.2", "JIXIAO_CRON_DAILY": "off",
               "JIXIAO_CRON_LAUNCH": "off", "JIXIAO_CRON_CHECKPOINTS": "off"}
        with log.open("wb") as err:
            worker = subprocess.Popen([sys.executable, "-m", "tests.workers.pgworker", str(tmp_path)], cwd=ROOT,
                                      env=env, stdout=subprocess.DEVNULL, stderr=err)
        _wait("the worker takes the first job", lambda: (tmp_path / "holding").exists() or worker.poll() is not None)
        assert worker.poll() is None, log.read_text()
        later = [rt.workflows.start("external", {"amount": n})["id"] for n in range(2, JOBS + 2)]
        rt.close()  # our own connections go too

        server.stop("fast")  # every backend ends, the port closes
        assert not server.accepts()
        (tmp_path / "release").touch()  # the handler returns while the database is away
        _wait("the worker's passes fail while the server is down", lambda: _failed_passes(log) >= 2, 30)
        server.start()
        assert server.accepts()

        def finished() -> bool:
            with rt.engine.connect() as conn:
                return conn.execute(text("SELECT COUNT(*) FROM jobs WHERE status = 'done'")).scalar_one() == JOBS + 1

        _wait("the worker finishes every job after the restart", finished, 90)
        assert worker.poll() is None  # the same process: it recovered by itself
        for n, iid in enumerate([first, *later], start=1):
            with rt.reading() as conn:
                assert instances_queries.get(conn, iid)["data"]["score"] == n * 10
        with rt.engine.connect() as conn:
            jobs = conn.execute(text("SELECT status, attempts, lock_owner FROM jobs")).all()
            completions = dict(conn.execute(text(
                "SELECT instance_id, COUNT(*) FROM events WHERE command = 'complete_external_task' "
                "GROUP BY instance_id")).all())
        assert {(j.status, j.attempts, j.lock_owner) for j in jobs} == {("done", 0, None)}
        assert completions == {iid: 1 for iid in [first, *later]}  # each job's effect exactly once
        assert "ran" in log.read_text(errors="replace").rsplit("worker pass failed", 1)[1]
    finally:
        if worker is not None and worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        rt.close()


def test_a_worker_recovers_by_itself_when_postgresql_drops_its_connections(runtime, deploy_fixture, frozen_clock):
    _on_postgresql(runtime.settings.database_url)
    deploy_fixture("timer_once.bpmn")
    first = runtime.workflows.start("timer_once")["id"]
    clock.advance(timedelta(hours=2))
    assert run_once(runtime, "w1").timers.fired == [first]  # the pool now holds live connections
    second = runtime.workflows.start("timer_once")["id"]
    clock.advance(timedelta(hours=2))

    admin = make_engine(runtime.settings.database_url)  # its own engine, so that the worker's pool loses all
    try:
        with admin.connect() as conn:
            killed = conn.execute(text(
                "SELECT COUNT(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar_one()
    finally:
        admin.dispose()
    assert killed >= 1  # at least the worker's pooled connection was dropped

    assert run_once(runtime, "w1").timers.fired == [second]  # the very next pass works (pool_pre_ping)
    with runtime.reading() as conn:
        assert instances_queries.get(conn, second)["status"] == "completed"
