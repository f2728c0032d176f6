"""The key that signs web sessions: SECRET_KEY, or one generated once into the instance folder and reused.

Anyone who knows the key can forge a session cookie for any user, so no fixed value ships with the code.
Several processes (gunicorn workers, `jixiao serve`, tests) may start at once: the first writes the key to a
private temporary file and hard-links it into place, which either succeeds whole or finds another process's
key already there; everyone then reads the one file.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from service.config import ConfigError, Settings

log = logging.getLogger(__name__)

# The value earlier versions used when SECRET_KEY was unset: published, so it signs nothing.
RETIRED_KEYS = frozenset({"dev-only-change-me"})
# A production key carries at least 256 bits when written as hex (Flask's docs: secrets.token_hex()).
MIN_PRODUCTION_LENGTH = 32
_GENERATED_BYTES = 32


def session_key(settings: Settings) -> str:
    """The session signing key for these settings; ConfigError when none may be used."""
    if settings.secret_key:
        key = settings.secret_key
        if key in RETIRED_KEYS:
            raise ConfigError("SECRET_KEY is the published development value: set a random one, e.g. "
                              "python3 -c 'import secrets; print(secrets.token_hex(32))'")
        if settings.production and len(key) < MIN_PRODUCTION_LENGTH:
            raise ConfigError(f"JIXIAO_ENV=production needs a SECRET_KEY of at least {MIN_PRODUCTION_LENGTH} "
                              "characters, e.g. python3 -c 'import secrets; print(secrets.token_hex(32))'")
        return key
    if settings.production:
        raise ConfigError("JIXIAO_ENV=production refuses to start without SECRET_KEY: set it to a random value "
                          "shared by every web process, e.g. python3 -c 'import secrets; print(secrets.token_hex(32))'")
    return load_or_create(settings.secret_key_file)


def load_or_create(path: Path) -> str:
    """The key stored in `path`, generating it (mode 0600) if the file does not exist yet."""
    if not path.exists():
        _create(path)
    return _read(path)


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask: only the service's user may read it
        os.write(fd, (secrets.token_hex(_GENERATED_BYTES) + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temporary, path)  # atomic and exclusive: a complete file appears, or another process won
        log.warning("SECRET_KEY is not set: generated a session key into %s (kept for later starts)", path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)


def _read(path: Path) -> str:
    try:
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the session key {path}: {exc}; set SECRET_KEY or remove the file") from exc
    if len(key) < MIN_PRODUCTION_LENGTH or key in RETIRED_KEYS:
        raise ConfigError(f"the session key in {path} is damaged (too short): remove the file to generate "
                          "a new one, or set SECRET_KEY")
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        log.warning("the session key %s can be read by other users: chmod 600 it", path)
    return key
