"""The OpenAPI document held to account as staff_a (tests/conftest.py, PEOPLE): the generated calls per operation,
the stateful sequences and the check that the calls reached real objects, as test_blueprint_openapi.py makes them
for the administrator (its docstring says what they check). A module of their own: `make test` gives each module to
one worker, so the three roles' calls run side by side."""

from tests.service.api.test_blueprint_openapi import _summary, app, generated_tests, world  # noqa: F401 (fixtures)

globals().update(generated_tests("staff_a"))
