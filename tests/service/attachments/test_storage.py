"""The local content-addressed storage: one file per content, sharded, written atomically, keys never paths."""

from __future__ import annotations

import hashlib
import os

import pytest

from service.attachments.storage import LocalStorage, digest
from tests.service.attachments import samples


def test_content_is_stored_once_under_its_sha256_in_sharded_directories(tmp_path):
    store = LocalStorage(tmp_path / "files")
    key = store.put(samples.PDF)
    assert key == hashlib.sha256(samples.PDF).hexdigest()
    assert store.path(key) == tmp_path / "files" / key[:2] / key[2:4] / key
    assert store.put(samples.PDF) == key and store.exists(key)
    with store.open(key) as stream:
        assert stream.read() == samples.PDF
    assert digest(store, key) == key
    files = [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
    assert files == [store.path(key)]  # no temp file left behind


def test_a_damaged_copy_is_replaced_when_the_same_content_arrives_again(tmp_path):
    store = LocalStorage(tmp_path)
    key = store.put(samples.PDF)
    store.path(key).write_bytes(b"tampered")
    assert digest(store, key) != key
    store.put(samples.PDF)
    assert digest(store, key) == key


def test_a_failed_write_leaves_no_file(tmp_path, monkeypatch):
    store = LocalStorage(tmp_path)

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        store.put(samples.PDF)
    assert not store.exists(hashlib.sha256(samples.PDF).hexdigest())
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize("key", ["../../etc/passwd", "ab", "A" * 64, "/" + "a" * 63, ""])
def test_keys_that_are_not_sha256_never_reach_the_file_system(tmp_path, key):
    store = LocalStorage(tmp_path)
    assert not store.exists(key) and digest(store, key) is None
    with pytest.raises(ValueError):
        store.open(key)
