"""The web server's settings, shared by `make run` (`jixiao serve`) and production
(`gunicorn -c python:service.gunicorn_conf`); gunicorn's command-line options override them.

gthread workers: one process per core, because requests spend their time in Python (the engine, SQLAlchemy,
Jinja) and the GIL lets one process use one core; a few threads per process cover the waits — SQLite's write
lock (`BEGIN IMMEDIATE` with a busy timeout; WAL lets readers go on meanwhile), PostgreSQL round trips,
uploads. gthread keeps keep-alive connections open, where sync workers and Werkzeug close each one.
"""

from __future__ import annotations

import gc
import logging
import os
import socket
import sys
from typing import Any

from service import logging_setup
from service.config import ConfigError, Settings
from service.secret_key import session_key
from service.server_banner import quiet_gunicorn


def cores() -> int:
    """CPUs this process may run on (its affinity mask, e.g. a container's share), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


_settings = Settings.from_env()

wsgi_app = "service.wsgi:app"
bind = [f"{_settings.host}:{_settings.port}"]
worker_class = "gthread"
# WEB_CONCURRENCY is gunicorn's (and most platforms') name for the process count.
workers = int(os.environ.get("WEB_CONCURRENCY") or cores())
threads = int(os.environ.get("JIXIAO_WEB_THREADS") or 4)
# A gthread worker keeps the keep-alive connections it accepted; with one shared listening socket a few busy
# clients all land on whichever worker accepted first and the other cores idle (measured with the peer bench: one
# worker at 6.2 s of CPU, the other at 0). With SO_REUSEPORT each worker listens on its own socket and the kernel
# spreads new connections over them; on_starting turns it off for Unix sockets and refuses an address in use.
reuse_port = True
worker_connections = 64
keepalive = 5
# A command is bounded by JIXIAO_ENGINE_TIME_LIMIT (5 s); uploads are capped at 16 MiB: 60 s is ample.
timeout = 60
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
loglevel = "info"
# gunicorn 27's control socket defaults to one path per user ($HOME/.gunicorn): several servers would share it.
control_socket_disable = True


def _tcp_only(cfg: Any) -> bool:
    """Every address is a host and port that gunicorn binds itself (no Unix socket, no inherited descriptor)."""
    return not os.environ.get("LISTEN_FDS") and all(isinstance(a, tuple) for a in cfg.address)


def _check_reuse_port(cfg: Any) -> None:
    """Keep SO_REUSEPORT for TCP addresses that nobody listens on yet; off for anything else.

    Each worker binds its own socket then: a Unix socket path would be replaced by every worker in turn, and
    a second server on a port already served with SO_REUSEPORT would silently share its connections.
    """
    if not cfg.reuse_port:
        return
    if not _tcp_only(cfg):
        cfg.set("reuse_port", False)
        return
    for host, port in cfg.address:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as exc:
                raise RuntimeError(f"cannot listen on {host}:{port}: {exc.strerror} (another server?)") from None


def on_starting(server: Any) -> None:
    """In the master, before any worker: refuse settings the app would refuse (production without SECRET_KEY),
    check the address, hide gunicorn's version, quiet engine logs, create the first administrator once."""
    try:
        settings = Settings.from_env()
        session_key(settings)
    except ConfigError as exc:
        server.log.error("jixiao cannot start: %s", exc)
        sys.exit(1)
    quiet_gunicorn()
    _check_reuse_port(server.cfg)
    if server.cfg.reuse_port:  # the master holds no socket then, and gunicorn's own line shows no address
        server.log.info("each worker listens on %s (SO_REUSEPORT)",
                        ", ".join(f"http://{host}:{port}" for host, port in server.cfg.address))
    logging_setup.console(logging.INFO)
    if settings.admin_user and settings.admin_password:
        # Each worker's create_app() would otherwise race to create the same user on a fresh database.
        from service import db
        from service.people.directory import bootstrap_admin

        engine = db.make_engine(settings.database_url)
        try:
            with db.write(engine) as conn:
                created = bootstrap_admin(conn, settings.admin_user, settings.admin_password)
            if created:
                server.log.info("administrator %s created", settings.admin_user)
        finally:
            engine.dispose()  # no connection crosses the fork into the workers


def on_reload(server: Any) -> None:
    """After a HUP re-read this module: keep SO_REUSEPORT off where on_starting turned it off."""
    if not _tcp_only(server.cfg):
        server.cfg.set("reuse_port", False)


def post_worker_init(worker: Any) -> None:
    """In each worker, once the app is loaded: move what loading made (the app, the cached specs, the modules) out
    of the garbage collector's view. A request that allocates much (the coverage report: tens of thousands of
    objects at 5,000 projects) sets off full collections, each walking every object the process holds; frozen objects
    are no longer walked (measured in process on a 5,000-project year: the report's median 172–178 ms, 110–118
    frozen)."""
    gc.collect()
    gc.freeze()
