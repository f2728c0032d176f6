"""gunicorn's settings for Jixiao (gunicorn reads ./gunicorn.conf.py, or the file given with -c).

Command-line options still apply on top. At start the production settings are checked once, so that a
missing SECRET_KEY stops the server with one clear line instead of a traceback from every worker.
"""

import sys

from service.config import ConfigError, Settings
from service.secret_key import session_key
from service.server_banner import quiet_gunicorn

quiet_gunicorn()


def on_starting(server):  # noqa: ANN001, ANN201  (gunicorn's hook signature)
    """Refuse to start with settings the app would refuse (e.g. production without SECRET_KEY)."""
    try:
        session_key(Settings.from_env())
    except ConfigError as exc:
        server.log.error("jixiao cannot start: %s", exc)
        sys.exit(1)
