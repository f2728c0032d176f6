"""The simulation's processes, as the README's production section runs them: one gunicorn (service/gunicorn_conf.py,
W workers) and K `jixiao worker`s, all reading the shared moved clock (JIXIAO_CLOCK_FILE), each in its own process
group so that stopping them never touches anything else."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from service.clock import SHARED_ENV
from service.config import ROOT


def _bin(name: str) -> str:
    own = Path(sys.executable).parent / name
    return str(own) if own.exists() else name


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    """Direct children of `pid` (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return sorted(found)


def peak_rss_mib(pid: int) -> float | None:
    """The process's peak resident memory so far (VmHWM), MiB; None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@dataclass
class Fleet:
    database_url: str
    clock_file: Path
    work_dir: Path
    web_processes: int
    worker_processes: int
    host: str = "127.0.0.1"
    port: int = field(default_factory=free_port)
    procs: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({"DATABASE_URL": self.database_url, SHARED_ENV: str(self.clock_file),
                    "MAIL_SINK_DIR": str(self.work_dir / "mail"), "SMTP_HOST": "",
                    "WORKER_POLL_SECONDS": "0.2", "WORKER_LEASE_SECONDS": "600",
                    "SECRET_KEY_FILE": str(self.work_dir / "secret_key"), "JIXIAO_ENV": "development"})
        # The driver runs the calendar jobs on its dates; the bench verifies the year once it is over.
        for cron in ("DAILY", "LAUNCH", "CHECKPOINTS", "COVERAGE", "REPORTS", "VERIFY"):
            env[f"JIXIAO_CRON_{cron}"] = "off"
        env.pop("JIXIAO_ADMIN_USER", None)
        return env

    def start(self, timeout: float = 60.0) -> None:
        env = self.env()
        web = [_bin("gunicorn"), "-c", "python:service.gunicorn_conf", "-w", str(self.web_processes),
               "-b", f"{self.host}:{self.port}", "--log-level", "warning", "--access-logfile", "/dev/null"]
        self._spawn("web", web, env)
        for k in range(self.worker_processes):
            self._spawn(f"worker-{k + 1}", [_bin("jixiao"), "worker"], env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"simulate: {name} exited with {proc.returncode} (see {self.log(name)})")
            try:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=2)
                conn.request("GET", "/api/health")
                ok = conn.getresponse().status == 200
                conn.close()
                if ok:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"simulate: gunicorn did not answer within {timeout:.0f} s (see {self.log('web')})")

    def log(self, name: str) -> Path:
        return self.work_dir / f"{name}.log"

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        with self.log(name).open("ab") as log:
            proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        self.procs.append((name, proc))

    def peaks(self) -> dict[str, float]:
        """Peak memory of every process of the fleet (gunicorn's workers one by one), MiB."""
        out: dict[str, float] = {}
        for name, proc in self.procs:
            pids = [(name, proc.pid)]
            if name == "web":
                pids = [("web master", proc.pid)] + [(f"web worker {i + 1}", pid)
                                                     for i, pid in enumerate(children(proc.pid))]
            for label, pid in pids:
                peak = peak_rss_mib(pid)
                if peak is not None:
                    out[label] = peak
        return out

    def stop(self) -> None:
        for _, proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for _, proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # its own group: the process and its children only
                proc.wait(timeout=5)
        self.procs.clear()
