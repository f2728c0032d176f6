"""Where attachment bytes live: a small interface, and the default content-addressed local directory.

A production deployment may implement `Storage` over object storage; the metadata (and the SHA-256 on the
audit chain) stays in the database either way.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from service.config import Settings

_KEY = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1024 * 1024


class Storage(Protocol):
    """Content storage: the key of a content never changes, and storing it twice stores it once."""

    def put(self, data: bytes) -> str:
        """Store `data`; returns its key."""
        ...

    def open(self, key: str) -> BinaryIO:
        """The stored bytes (FileNotFoundError when missing); the caller closes the stream."""
        ...

    def exists(self, key: str) -> bool:
        """Is there content under `key`?"""
        ...


class LocalStorage:
    """Files named by their SHA-256 in a sharded directory tree: root/ab/cd/abcd…; written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """The file of `key`; ValueError for anything that is not a SHA-256 (a key never names a path)."""
        if not _KEY.match(key):
            raise ValueError("not a storage key")
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> str:
        """Store `data` under its SHA-256 (temp file + fsync + rename: readers never see half a file)."""
        key = hashlib.sha256(data).hexdigest()
        target = self.path(key)
        if target.is_file() and _file_digest(target) == key:
            return key  # the same content is stored once; a damaged copy is replaced below
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def open(self, key: str) -> BinaryIO:
        """The stored file, opened for reading."""
        return self.path(key).open("rb")

    def exists(self, key: str) -> bool:
        """Is a file stored under `key`?"""
        try:
            return self.path(key).is_file()
        except ValueError:
            return False


def storage_for(settings: Settings) -> Storage:
    """The storage the settings configure (JIXIAO_ATTACHMENTS_DIR)."""
    return LocalStorage(settings.attachments_dir)


def digest(storage: Storage, key: str) -> str | None:
    """The SHA-256 of what is stored under `key` now, or None when nothing is."""
    try:
        with storage.open(key) as stream:
            return _stream_digest(stream)
    except (FileNotFoundError, ValueError):
        return None


def _file_digest(path: Path) -> str:
    with path.open("rb") as stream:
        return _stream_digest(stream)


def _stream_digest(stream: BinaryIO) -> str:
    h = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        h.update(chunk)
    return h.hexdigest()
