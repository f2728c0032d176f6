"""Attachment tests store files in a temporary directory, never under the repository's instance/."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.config import Settings
from tests.conftest import FIXTURES


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, forms_dir=FIXTURES, workflows_dir=FIXTURES, engine_time_limit_s=3.0,
                    attachments_dir=tmp_path / "attachments", max_upload_bytes=64 * 1024,
                    secret_key_file=tmp_path / "instance" / "secret_key")
