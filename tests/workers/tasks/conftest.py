"""Fixtures of the libraries' tests, for their handlers' tests here."""

from tests.service.libraries.conftest import libraries, project  # noqa: F401
