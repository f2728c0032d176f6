"""Fixtures of the libraries' tests, for the libraries' API tests here."""

from tests.service.libraries.conftest import libraries, project  # noqa: F401
