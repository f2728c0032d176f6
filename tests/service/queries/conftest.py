"""The query tests drive the real workflows (tests/workflows/conftest.py)."""

from tests.workflows.conftest import cycle  # noqa: F401  (the real workflows/ deployed, rules and libraries seeded)
