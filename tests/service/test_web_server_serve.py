"""`jixiao serve`: the real gunicorn (several gthread workers on one database) answers pages and commands at once
and stops cleanly on SIGTERM; Werkzeug only with `--debug`."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from service import gunicorn_conf
from service.config import ROOT
from tests.conftest import FIXTURES, password_of

HOST = "127.0.0.1"
JIXIAO = str(Path(sys.executable).parent / "jixiao")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def request(port: int, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(method, path, body=payload, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def children(pid: int) -> list[int]:
    """Live child processes of `pid`, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(stat[1]) == pid and stat[0] != "Z":
                found.append(int(entry))
    return found


@contextmanager
def serving(database_url: str, tmp_path: Path, *args: str, **extra_env: str
            ) -> Iterator[tuple[subprocess.Popen[bytes], int, Path]]:
    """`jixiao serve ARGS` on a free port (own process group, killed if the test fails); yields (proc, port, log)."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "JIXIAO_FORMS_DIR": str(FIXTURES),
           "JIXIAO_WORKFLOWS_DIR": str(FIXTURES), "JIXIAO_ATTACHMENTS_DIR": str(tmp_path / "attachments"),
           "PYTHONUNBUFFERED": "1", **extra_env}
    log = tmp_path / f"serve-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([JIXIAO, "serve", "--host", HOST, "--port", str(port), *args], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, f"the server exited with {proc.returncode}:\n{log.read_text()}"
            try:
                if request(port, "GET", "/api/health")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"no answer on /api/health:\n{log.read_text()}"
            time.sleep(0.2)
        yield proc, port, log
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.mark.usefixtures("tokens")
def test_gunicorn_workers_serve_pages_and_commands_at_once_and_stop_on_sigterm(runtime, deploy_fixture, tmp_path):
    deploy_fixture("simple.bpmn")
    with serving(runtime.settings.database_url, tmp_path, "--workers", "2", "--threads", "2") as (proc, port, log):
        workers = children(proc.pid)
        assert len(workers) == 2, f"expected a master and 2 workers, got children {workers}:\n{log.read_text()}"

        def login_page() -> bool:
            status, body = request(port, "GET", "/login")
            return status == 200 and b"<form" in body

        def cycle(_: int) -> str:
            status, body = request(port, "POST", "/api/auth/token",
                                   {"username": "staff_a", "password": password_of("staff_a")})
            assert status == 200, body
            token = json.loads(body)["token"]
            status, body = request(port, "POST", "/api/instances", {"process_id": "simple", "data": {"amount": 3}}, token)
            assert status == 201, body
            instance_id = json.loads(body)["id"]
            status, body = request(port, "GET", f"/api/tasks?instance_id={instance_id}", token=token)
            [task] = json.loads(body)["items"]
            status, body = request(port, "POST", f"/api/tasks/{task['id']}/complete", {"data": {"answer": "ok"}},
                                   token)
            assert status == 200, body
            return str(json.loads(body)["instance_status"])

        with ThreadPoolExecutor(max_workers=6) as pool:
            pages = [pool.submit(login_page) for _ in range(4)]
            statuses = list(pool.map(cycle, range(6)))
        assert all(page.result() for page in pages)
        assert statuses == ["completed"] * 6

        # A browser's sign-in spans several connections, which the kernel spreads over the workers: the session
        # and CSRF token one worker signs must be accepted by the other.
        for _ in range(4):
            assert web_sign_in(port, "staff_a") == 200

        # Workers listen with SO_REUSEPORT: a second server on the same port must refuse, not share it.
        second = subprocess.run([JIXIAO, "serve", "--host", HOST, "--port", str(port)], cwd=ROOT, timeout=60,
                                env={**os.environ, "DATABASE_URL": runtime.settings.database_url},
                                capture_output=True, text=True)
        assert second.returncode != 0 and f"cannot listen on {HOST}:{port}" in second.stderr + second.stdout

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text()
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()
                and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]
    output = log.read_text()
    assert "Booting worker" in output and "gthread" in output
    assert "spiff.task" not in output  # the engine's per-task lines stay off the console


def test_several_workers_on_a_fresh_database_create_the_first_administrator_once(tmp_path):
    from service.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    upgrade(url)
    with serving(url, tmp_path, "--workers", "2", JIXIAO_ADMIN_USER="first.admin",
                 JIXIAO_ADMIN_PASSWORD="Str0ng-first-admin") as (proc, port, log):
        status, body = request(port, "POST", "/api/auth/token",
                               {"username": "first.admin", "password": "Str0ng-first-admin"})
        assert status == 200, body
        token = json.loads(body)["token"]
        status, body = request(port, "GET", "/api/users?per_page=100", token=token)
        assert status == 200, body
        assert [u["username"] for u in json.loads(body)["items"]] == ["first.admin"]
        assert len(children(proc.pid)) == 2, log.read_text()


def web_sign_in(port: int, username: str) -> int:
    """Sign in through the login page, each request on a new connection; the status of the inbox afterwards."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    conn.request("GET", "/login")
    page = conn.getresponse()
    html = page.read().decode()
    cookie = page.getheader("Set-Cookie", "").split(";", 1)[0]
    conn.close()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert csrf and cookie.startswith("session="), html[:300]
    form = urllib.parse.urlencode({"csrf_token": csrf.group(1), "username": username,
                                   "password": password_of(username)})
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    conn.request("POST", "/login", body=form, headers={"Cookie": cookie,
                                                       "Content-Type": "application/x-www-form-urlencoded"})
    signed = conn.getresponse()
    signed.read()
    conn.close()
    assert signed.status == 302, signed.status
    cookie = signed.getheader("Set-Cookie", "").split(";", 1)[0]
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    conn.request("GET", "/inbox", headers={"Cookie": cookie})
    inbox = conn.getresponse()
    inbox.read()
    conn.close()
    return inbox.status


def test_debug_flag_serves_with_the_development_server_and_says_so(runtime, tmp_path):
    with serving(runtime.settings.database_url, tmp_path, "--debug") as (proc, port, log):
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        conn.request("GET", "/api/health")
        resp = conn.getresponse()
        resp.read()
        conn.close()
        assert resp.status == 200
        assert not children(proc.pid)  # one process: Werkzeug, not a gunicorn master with workers
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    output = log.read_text()
    assert "development server" in output and f"Running on http://{HOST}:{port}" in output
    assert "gunicorn" not in output


def test_default_workers_follow_the_cores_with_threads_each():
    assert gunicorn_conf.workers == (int(os.environ["WEB_CONCURRENCY"]) if os.environ.get("WEB_CONCURRENCY")
                                     else len(os.sched_getaffinity(0)))
    assert gunicorn_conf.worker_class == "gthread" and gunicorn_conf.threads >= 2
    assert gunicorn_conf.wsgi_app == "service.wsgi:app"


def test_each_worker_freezes_what_loading_the_app_made():
    import gc

    before = gc.get_freeze_count()
    try:
        gunicorn_conf.post_worker_init(None)
        assert gc.get_freeze_count() > before  # the loaded objects are no longer walked by full collections
    finally:
        gc.unfreeze()
