"""The OpenAPI document held to account: schemathesis generates requests for every documented operation
and sends them in-process (WSGI) to the app on the real test database (SQLite, or PostgreSQL when
JIXIAO_TEST_DATABASE_URL is set), as three users: the bureau's administrator, a process designer and a
department's staff (ROLES).

No response may be a 5xx, and every response must match the document: a documented status code (there
is no catch-all `default` response), the documented content type (application/json for success,
application/problem+json for errors), the documented body schema and headers; a body must be strict
JSON; and a request that violates the document must be refused with a 4xx.

The database holds objects of every kind a parameter names (openapi_data.seed: instances in several states
and departments, tasks, evidence, escalations with and without a supervisor task, an incident, library entries),
and the `flatmap_case` hook mixes their real ids and values into valid generated requests — mostly ids the caller
can see, by draws whose shape does not depend on the database (Hypothesis replays them) — so that the
success answers (200/201 with full bodies) and the 403s are exercised as well as the 404s and 422s of
made-up input. A stateful run follows the links schemathesis infers between operations (a listed
instance → suspend it → read it …). When the module ends, a table per role shows the statuses each
operation answered and how many calls with a real id reached their object; test_generated_calls_reached_
real_objects fails when an operation's calls with real ids never got past 404 (or 400/422) although the caller
sees such objects.
"""

from __future__ import annotations

import copy
import io
import json
import secrets
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service import create_app
from service.bpm.deploy import deploy
from service.config import Settings
from service.runtime import Runtime
from tests.conftest import FIXTURES, _wipe, fixture_files
from tests.database_state import Snapshot
from tests.service.api import openapi_data

# Generated per operation and role, besides schemathesis's deterministic coverage-phase cases (about as many
# again): 3 roles × 91 operations on a 2-core machine. With 100 for one role the file took about as long as it
# does now with 20 for three.
MAX_EXAMPLES = 20
HEALTH_CHECKS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much]
# The generated calls are made as each of these (tests/conftest.py, PEOPLE): the bureau's administrator, a process
# designer of the bureau, and a department's staff, who must meet 403/404 on the bureau's endpoints, never a 5xx;
# each role's generated tests are a module (generated_tests): this one, test_blueprint_openapi_designer.py, _staff.py.
ROLES = ("admin", "designer", "staff_a")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@schemathesis.check
def strict_json_body(ctx: schemathesis.CheckContext, response: schemathesis.Response,
                     case: schemathesis.Case) -> bool | None:
    """A JSON body parses as JSON proper: Python's reader (and so schemathesis's) also takes NaN/Infinity."""
    if response.status_code != 204 and "json" in (response.headers.get("content-type") or [""])[0]:
        try:
            json.loads(response.text, parse_constant=_refuse_constant)
        except ValueError as exc:
            raise AssertionError(f"{case.method} {case.formatted_path}: the body is not strict JSON: {exc}") from None
    return None


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, negative_data_rejection, strict_json_body]


def _document() -> dict[str, Any]:
    """The app's OpenAPI document (it does not depend on the database)."""
    app = create_app(Settings(database_url="sqlite:///:memory:", secret_key=secrets.token_hex(32)))
    try:
        return app.test_client().get("/api/openapi.json").get_json()  # type: ignore[no-any-return]
    finally:
        app.extensions["jixiao"].close()


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(copy.deepcopy(DOCUMENT))

# Real values from the seeded database by parameter name, refilled by openapi_data.seed (before each operation's
# run and each stateful scenario); TALLY counts what the generated calls answered.
KNOWN: dict[str, list[str]] = {}
VISIBLE: dict[str, list[str]] = {}  # of KNOWN's ids, those the caller sees (openapi_data.visible)
TALLY = openapi_data.Tally()

# JSON values with storable text, or with any text at all (NUL, unpaired surrogates), which must be refused.
_TEXT = st.text(st.characters(exclude_characters="\x00"), max_size=8)
_ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=8)


def _json(text: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | text
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
                        max_leaves=8)


_EXTRA = st.just({}) | st.dictionaries(_TEXT, _json(_TEXT), max_size=2) | st.dictionaries(_ANY_TEXT, _json(_ANY_TEXT),
                                                                                        min_size=1, max_size=2)
# `amount * 2` overflows to infinity from 9e307 on: see test_a_number_the_process_overflows_is_refused.
_AMOUNT = st.integers() | st.floats(-1e300, 1e300) | _TEXT
_START = st.fixed_dictionaries(
    {"process_id": st.just("simple"),
     "data": st.builds(lambda amount, extra: {**extra, "amount": amount}, _AMOUNT, _EXTRA)},
    optional={"business_key": st.none() | st.text(max_size=255),
              "department_id": st.sampled_from(["dept-a", "dept-b", "bureau"])})
_FORM = st.fixed_dictionaries({"answer": st.text(st.characters(exclude_characters="\x00"), min_size=1)},
                              optional={"score": st.integers(0, 100) | st.floats(0, 100)})
_USER = st.builds(lambda user: {"user": user}, st.sampled_from(["staff_a", "staff_a2", "staff_b", "head_a"]))
# A reason or opinion with storable text; the first decisions are those an escalation without a supervisor task
# allows (service/domain/escalation_kinds.py), the seed's first escalation being one.
_REASON = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), min_size=1, max_size=40)
_DECISION = st.fixed_dictionaries({"decision": st.sampled_from(["resume", "suspend", "dismiss", "extend_deadline",
                                                                 "order_rectification", "open_accountability"]),
                                   "comment": _REASON})
# Bodies that reach success (valid forms, real users, allowed decisions), by operation. A real file cannot be one:
# schemathesis counts bytes put into a multipart body as schema-violating (see test_an_evidence_upload_conforms).
_BODIES = {
    ("POST", "/api/instances"): _START,
    ("POST", "/api/escalations/{escalation_id}/dismiss"): st.fixed_dictionaries({"reason": _REASON}),
    ("POST", "/api/escalations/{escalation_id}/resolve"): _DECISION,
    ("POST", "/api/tasks/{task_id}/complete"): st.fixed_dictionaries({"data": _FORM}),
    ("POST", "/api/tasks/{task_id}/delegate"): _USER,
    ("POST", "/api/tasks/{task_id}/reassign"): _USER,
    ("PUT", "/api/fiscal-figures/{year}/{level}"): st.fixed_dictionaries({
        "public_spending": st.integers(1_000_000, 10**11), "livelihood_spending": st.just(500_000),
        "source": st.sampled_from(["2015年市级财政决算", "市财政局预算处"])}),
}


# The hook's draws have the same shape whatever the database holds: an index, resolved against the current seed's
# values (KNOWN, VISIBLE) only when the case is built. Hypothesis replays a choice sequence and must meet the same
# draws again; a pool whose size followed the database (a revoked token leaves VISIBLE empty) made it report the
# strategies as flaky. The simplest draw (all zeros, which Hypothesis tries first) is the caller's first visible id
# and the first curated body, so that every operation sends at least that call to an object it can reach.
_INDEX = st.integers(0, 255)


def _pick(pool: list[Any], index: int) -> Any:
    return pool[index % len(pool)] if pool else None


def _known(names: Any) -> st.SearchStrategy[list[tuple[str, str]]]:
    """The path parameters `names` set to values that exist in the database, three times in four ones the caller
    sees (most seeded objects are other departments', which answer 404); else no change or any seeded value. A
    path of two parameters (a year and a level) gets a real value for each."""

    def resolve(draw: tuple[int, int]) -> list[tuple[str, str]]:
        anything, index = draw
        out = []
        for name in names:
            known = [(name, value) for value in KNOWN.get(name, [])]
            seen = [(name, value) for value in VISIBLE.get(name, [])]
            picked = _pick([*known, None] if anything else seen or known, index)
            if picked is not None:
                out.append(picked)
        return out

    return st.tuples(st.integers(0, 3).map(lambda i: i == 3), _INDEX).map(resolve)


def _query_values(operation: Any) -> list[tuple[str, str]]:
    """Real values for the operation's query parameters, those its enum admits (a task's `state` is no attachment's)."""
    out = []
    for parameter in operation.query:
        enum = parameter.definition.get("schema", {}).get("enum")
        out += [(parameter.name, v) for v in KNOWN.get(parameter.name, []) if enum is None or v in enum]
    return out


@schema.hook
def flatmap_case(context: schemathesis.HookContext, case: Any) -> st.SearchStrategy[Any]:
    """Mix real ids and values into valid (positive) cases; invalid ones are left as generated."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return st.just(case)
    body = _BODIES.get((case.method.upper(), case.path))
    query = _INDEX.map(lambda i: _pick([None, *_query_values(case.operation)], i))
    edits = st.tuples(_known(list(case.path_parameters or {})), query,
                      st.none() if body is None else body | st.none())

    def apply(edit: tuple[Any, Any, Any]) -> Any:
        path, query, body = edit
        if path:
            case.path_parameters = {**case.path_parameters, **dict(path)}
        if query is not None:
            case.query = {**(case.query or {}), query[0]: query[1]}
        if body is not None:
            case.body = body
        return case

    return edits.map(apply)


def _seed(app: Any, runtime: Any, deploy_fixture: Any, tokens: dict[str, str]) -> None:
    KNOWN.clear()
    KNOWN.update(openapi_data.seed(app, runtime, deploy_fixture, tokens))
    VISIBLE.clear()
    VISIBLE.update(openapi_data.visible(app, KNOWN))


def _keep(runtime: Any, kept: dict[str, Any]) -> None:
    """Keep the seed just made (its rows and the ids KNOWN holds of it) in `kept`, to be put back by `_put_back`."""
    kept.update(rows=Snapshot(runtime.engine), known=copy.deepcopy(KNOWN))


def _put_back(runtime: Any, kept: dict[str, Any]) -> None:
    """The kept seed's rows put back (a snapshot restore: 5 ms where seeding takes 170) and KNOWN with them; VISIBLE
    is left to the caller, who knows whose token the app sends. The seed's evidence files must still be where
    `runtime` keeps them."""
    kept["rows"].restore(runtime.engine)
    KNOWN.clear()
    KNOWN.update(copy.deepcopy(kept["known"]))


def _tally(role: str, case: Any, status: int, linked: bool = False) -> None:
    TALLY.record(role, case, status, KNOWN, linked)
    if any(p.name in VISIBLE and not VISIBLE[p.name] for p in case.operation.path_parameters):
        TALLY.hidden(role, case.operation.label)


class _AsUser:
    """WSGI middleware: requests without credentials are sent as one user (the generated cases carry none)."""

    def __init__(self, wsgi_app: Any, token: str) -> None:
        self.wsgi_app, self.token = wsgi_app, token

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        environ.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.token}")
        return self.wsgi_app(environ, start_response)


@pytest.fixture
def app(runtime: Any) -> Any:
    """An app of this module's own: _serve_as wraps it to send token-less requests as a user, which the shared app of
    tests/conftest.py must not do."""
    return create_app(runtime=runtime)


def _serve_as(app: Any, runtime: Any, username: str) -> Any:
    """Send the app's token-less requests as `username`, with a token of this test's own.

    Generated calls of POST /api/auth/revoke revoke that token, not the session's.
    """
    from sqlalchemy import text

    from service import clock
    from service.people import tokens as token_service

    with runtime.engine.connect() as conn:
        user_id = conn.execute(text("SELECT id FROM users WHERE username = :u"), {"u": username}).scalar_one()
    with runtime.unit_of_work() as conn:
        token, _ = token_service.issue(conn, user_id, clock.now(), timedelta(days=1))
    base = app.config.setdefault("JIXIAO_TEST_BASE_WSGI", app.wsgi_app)  # never wrap a wrapper
    app.wsgi_app = _AsUser(base, token)
    return app


# Whether the module's database still holds the seed untouched: generated calls of reading operations change
# nothing, so the next operation (or role) reuses it; after anything else the first seed ("kept": _keep) is put
# back (_put_back).
_FRESH: dict[str, Any] = {"seed": False}


@pytest.fixture
def seeded(runtime: Any, deploy_fixture: Any, tokens: dict[str, str]) -> Any:
    """The app on a freshly seeded database (openapi_data.seed), called as the "power" user of dept-a (an app of its
    own: it sends token-less requests as that user, which the shared app of tests/conftest.py must not)."""
    app = create_app(runtime=runtime)
    _FRESH["seed"] = False
    _seed(_serve_as(app, runtime, "power"), runtime, deploy_fixture, tokens)
    return app


@pytest.fixture(scope="module")
def world(database_url: str, tokens: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A runtime and app of this module's own, so that the seed outlives one test (see as_role)."""
    settings = Settings(database_url=database_url, forms_dir=FIXTURES, workflows_dir=FIXTURES,
                        engine_time_limit_s=3.0, attachments_dir=tmp_path_factory.mktemp("attachments"))
    rt = Runtime.build(settings)

    def deploy_files(*names: str) -> Any:
        with rt.unit_of_work() as conn:
            return deploy(conn, rt.specs, fixture_files(*names), rt.settings, actor="test")

    people = openapi_data.people_snapshot(rt)
    yield rt, create_app(runtime=rt), deploy_files
    _FRESH["seed"] = False
    _FRESH.pop("kept", None)  # its evidence files were stored in this world's folder
    _wipe(rt)
    openapi_data.restore_people(rt, people)  # the later modules' users, roles and tokens as this one found them
    rt.close()


@pytest.fixture(scope="module", autouse=True)
def _summary(request: Any) -> Iterator[None]:
    """Print what the generated calls answered, per role and operation, when the module is done."""
    began = time.monotonic()
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None or not TALLY.statuses:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_sep("-", f"generated API calls per role, operation and status "
                                f"({time.monotonic() - began:.0f} s)")
        for line in TALLY.lines():
            reporter.write_line(line)


def generated_tests(role: str) -> dict[str, Any]:
    """The generated tests of one role, for the module that holds them (`globals().update(...)`): the calls per
    operation, the stateful sequences and the check that the calls reached real objects. Each role's are a module of
    their own (this one: admin; test_blueprint_openapi_designer.py, _staff.py) because `make test` gives a module to
    one worker: the three roles in one module were the suite's longest stretch on one worker."""

    # A parameter of one value: schemathesis names an unparametrized test's items without their operation (every
    # item the same node id, which pytest-xdist cannot tell apart); parametrized, `…[GET /api/tasks][staff_a]`.
    @pytest.fixture(params=(role,))
    def as_role(world: Any, tokens: dict[str, str]) -> Iterator[tuple[str, Any]]:
        """(role, the app on the seeded database called as that role's user); people restored after an
        administrator."""
        rt, app, deploy_files = world
        _serve_as(app, rt, role)
        if not (_FRESH["seed"] and openapi_data.intact(rt, KNOWN)):
            people = openapi_data.people_snapshot(rt)
            kept = _FRESH.setdefault("kept", {})
            if kept:  # the module's first seed, put back
                _put_back(rt, kept)
                VISIBLE.clear()
                VISIBLE.update(openapi_data.visible(app, KNOWN))
            else:
                _seed(app, rt, deploy_files, tokens)
                _keep(rt, kept)
            _FRESH.update(seed=True, people=people)
        else:
            VISIBLE.clear()
            VISIBLE.update(openapi_data.visible(app, KNOWN))
        yield role, app
        if not _FRESH["seed"] and role == "admin":
            _wipe(rt)
            openapi_data.restore_people(rt, _FRESH["people"])

    @schema.parametrize()
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=HEALTH_CHECKS)
    def test_every_operation_conforms_to_the_document(case: Any, as_role: tuple[str, Any]) -> None:
        role, app = as_role
        if case.operation.method.upper() != "GET":
            _FRESH["seed"] = False
        # call_and_validate raises on any failed check (CHECKS); the status is tallied and asserted here as well.
        response = case.call(app=app)
        _tally(role, case, response.status_code)
        case.validate_response(response, checks=CHECKS)
        assert response.status_code < 500

    def test_stateful_sequences_conform_to_the_document(app: Any, runtime: Any, deploy_fixture: Any,
                                                        tokens: dict[str, str]) -> None:
        """Chains of calls along the links schemathesis infers, each scenario on a freshly seeded database.

        Each scenario starts from the same state — the seed, the people tables as they were, and a new token (an
        earlier scenario may have revoked the last one, or an administrator's calls changed users and roles) — so
        that the responses, and so the links Hypothesis can follow, are the same when it replays a scenario
        (otherwise it reports the strategies as flaky).
        """
        _FRESH["seed"] = False
        people = openapi_data.people_snapshot(runtime)
        validated: list[int] = []
        kept: dict[str, Any] = {}

        class Machine(schema.as_state_machine()):  # type: ignore[misc]
            def setup(self) -> None:
                _begin_scenario(app, runtime, role, people, deploy_fixture, tokens, kept)

            def get_call_kwargs(self, case: Any) -> dict[str, Any]:
                return {"app": app}

            def validate_response(self, response: Any, case: Any, additional_checks: Any = None,
                                  **kwargs: Any) -> None:
                validated.append(response.status_code)
                _tally(f"{role} (stateful)", case, response.status_code, linked=True)
                case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

        try:
            Machine.run(settings=settings(max_examples=20, stateful_step_count=10, deadline=None,
                                          suppress_health_check=HEALTH_CHECKS))
        finally:
            _wipe(runtime)
            openapi_data.restore_people(runtime, people)
        assert validated and all(status < 500 for status in validated)  # sequences ran and were all checked

    def test_generated_calls_reached_real_objects() -> None:
        """Every operation about one object (a path id) answered a real id with something other than 400, 404 or
        422 (that is, found it), unless the role sees no such object.

        Runs after the generated tests above (module order); when only some of them ran (-k), there is nothing to
        judge.
        """
        labels = sorted(op.label for op in (r.ok() for r in schema.get_all_operations()))
        if TALLY.operations(role) != labels:
            pytest.skip("the generated tests did not run for every operation")
        judged = [label for label in labels if label not in _NOT_SEEDED]
        assert TALLY.unreached(role, judged) == []

    return {"as_role": as_role,
            "test_every_operation_conforms_to_the_document": test_every_operation_conforms_to_the_document,
            "test_stateful_sequences_conform_to_the_document": test_stateful_sequences_conform_to_the_document,
            "test_generated_calls_reached_real_objects": test_generated_calls_reached_real_objects}


def _begin_scenario(app: Any, runtime: Any, role: str, people: dict[str, list[dict[str, Any]]], deploy_fixture: Any,
                    tokens: dict[str, str], kept: dict[str, Any] | None = None) -> None:
    """The state every stateful scenario starts from: the people tables as `people`, a new token for `role`, the seed.

    With `kept` (a dict of the test's own, where its runtime stores the seed's evidence files), the first scenario's
    seed is kept as rows and the next scenarios get them back (a snapshot restore) instead of seeding again."""
    if kept:  # the process rows first: the people's restore drops added departments
        _put_back(runtime, kept)
        openapi_data.restore_people(runtime, people)
        _serve_as(app, runtime, role)
        VISIBLE.clear()
        VISIBLE.update(openapi_data.visible(app, KNOWN))
        return
    _wipe(runtime)
    openapi_data.restore_people(runtime, people)
    _seed(_serve_as(app, runtime, role), runtime, deploy_fixture, tokens)
    if kept is not None:
        _keep(runtime, kept)


def test_a_scenario_starts_from_the_same_state_whatever_the_last_one_did(app: Any, runtime: Any, deploy_fixture: Any,
                                                                      tokens: dict[str, str]) -> None:
    """An administrator's scenario that revoked its token and deactivated a user left the next one's caller
    unauthenticated, seeing nothing: a replayed scenario then drew differently (Hypothesis: flaky strategies)."""
    _FRESH["seed"] = False
    people = openapi_data.people_snapshot(runtime)
    try:
        _begin_scenario(app, runtime, "admin", people, deploy_fixture, tokens)
        first = {name: len(ids) for name, ids in VISIBLE.items()}
        client = app.test_client()
        assert client.patch("/api/users/staff_b", json={"active": False}).status_code == 200
        assert client.post("/api/auth/revoke").status_code == 204
        assert client.get("/api/auth/me").status_code == 401
        _begin_scenario(app, runtime, "admin", people, deploy_fixture, tokens)
        assert client.get("/api/auth/me").get_json()["username"] == "admin"
        assert client.get("/api/users/staff_b").get_json()["active"] is True
        assert {name: len(ids) for name, ids in VISIBLE.items()} == first and all(first.values())
    finally:
        _wipe(runtime)
        openapi_data.restore_people(runtime, people)


globals().update(generated_tests("admin"))  # designer and staff_a: test_blueprint_openapi_designer.py, _staff.py


# Operations whose object the seed does not hold, and why.
_NOT_SEEDED = {
    "GET /api/reports/scorecard/{department_id}": "a department's scorecard needs the year's rule rows, projects and "
                                                  "evaluation records (tests/service/scorecard covers it)",
    "GET /api/projects/{project_id}/history": "a project needs the year's rule rows (its major threshold); "
                                             "tests/service/api/test_projects_api_history.py covers it",
    "GET /api/projects/{project_id}/budget-adjustments": "a project needs the year's rule rows (its major "
                                                        "threshold); tests/service/api/test_projects_api_history.py "
                                                        "covers it",
    "GET /api/inspections/{inspection_id}": "an inspection is written by the handlers of a supervision_inspection "
                                            "instance, which needs the supervision library and the rule rows; "
                                            "tests/workflows/test_supervision_inspection_reads.py covers it",
    "GET /api/reports/projects/{project_id}/disclosures": "the seed holds no project (a project's disclosures are "
                                                          "covered by tests/service/libraries/test_libraries_publicity.py)",
}


_NESTED = json.loads("[" * 65 + "]" * 65)


@pytest.mark.parametrize(("method", "path", "params", "body", "status"), [
    # Text the databases cannot store or compare: NUL (PostgreSQL) and unpaired surrogates.
    ("POST", "/api/instances", None, {"process_id": "simple", "business_key": "a\x00b"}, 422),
    ("POST", "/api/instances", None, {"process_id": "sim\x00ple"}, 422),
    ("POST", "/api/instances", None, {"process_id": "simple", "data": {"amount": "\udc00"}}, 422),
    ("POST", "/api/instances", None, {"process_id": "simple", "data": {"amount": 1, "k\x00": 1}}, 422),
    ("POST", "/api/instances/{instance_id}/suspend", None, {"reason": "\ud800"}, 422),
    ("POST", "/api/tasks/{task_id}/complete", None, {"data": {"answer": "\udfff"}}, 422),
    ("GET", "/api/instances", {"process_id": "a\x00b"}, None, 422),
    ("GET", "/api/instances", {"business_key": "\x00"}, None, 422),
    ("GET", "/api/tasks", {"candidate_group": "a\x00b"}, None, 422),
    ("GET", "/api/tasks", {"instance_id": "\x00"}, None, 422),
    ("GET", "/api/instances/{instance_id}", {"instance_id": "a\x00b"}, None, 404),
    ("GET", "/api/tasks/{task_id}", {"task_id": "\x00"}, None, 404),
    ("GET", "/api/process-models/{process_id}", {"process_id": "\x00"}, None, 404),
    ("POST", "/api/instances/{instance_id}/terminate", {"instance_id": "\x00"}, {}, 404),
    # Nesting that would overflow the stack (see also test_bodies_that_are_not_json_proper_are_400).
    ("POST", "/api/instances", None, {"process_id": "simple", "data": {"x": _NESTED, "amount": 1}}, 400),
    # Dates whose UTC time is outside what datetime holds.
    ("GET", "/api/tasks", {"due_before": "0001-01-01T00:00:00+14:00"}, None, 422),
    ("GET", "/api/tasks", {"due_before": "9999-12-31T23:59:59-14:00"}, None, 422),
])
def test_hostile_input_is_refused_as_documented(seeded: Any, method: str, path: str, params: Any, body: Any,
                                                status: int) -> None:
    """Explicit examples of input the generated cases rarely or never produce (each once led to a 500).

    `params` holds path and query values; a path id not given is a real one.
    """
    operation = schema[path][method]
    params = dict(params or {})
    path_parameters = {p.name: params.pop(p.name, KNOWN[p.name][0]) for p in operation.path_parameters}
    kwargs: dict[str, Any] = {"media_type": "application/json", "body": body} if body is not None else {}
    case = operation.Case(path_parameters=path_parameters, query=params or None, **kwargs)
    response = case.call_and_validate(app=seeded, checks=CHECKS)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == ["application/problem+json"]


@pytest.mark.parametrize("raw", [
    b'{"process_id": "simple", "data": {"amount": NaN}}',
    b'{"process_id": "simple", "data": {"amount": -Infinity}}',
    b'{"process_id": "simple", "data": {"amount": 1e400}}',
    b'{"process_id": "simple", "data": {"amount": 1' + b"0" * 5000 + b"}}",
    b'{"process_id": "simple", "data": {"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
    b'{"process_id": "\xff"}',
])
def test_bodies_that_are_not_json_proper_are_400(seeded: Any, raw: bytes) -> None:
    """Python's json module reads these (NaN, Infinity, 1e400 as infinity) or fails with a non-JSON error."""
    case = schema["/api/instances"]["POST"].Case(media_type="application/json", body={})
    response = case.call(app=seeded, data=raw)
    case.validate_response(response, checks=CHECKS)
    assert response.status_code == 400, response.text


def test_a_number_the_process_overflows_is_refused(seeded: Any) -> None:
    case = schema["/api/instances"]["POST"].Case(media_type="application/json",
                                                 body={"process_id": "simple", "data": {"amount": 1e308}})
    response = case.call_and_validate(app=seeded, checks=CHECKS)
    assert response.status_code == 422 and "infinity" in response.json()["detail"]


def test_due_before_honours_the_offset_and_groups_match_literally(seeded: Any) -> None:
    client = seeded.test_client()
    [task] = client.get("/api/tasks", query_string={"instance_id": KNOWN["instance_id"][0]}).get_json()["items"]
    due = datetime.fromisoformat(task["due_at"])
    an_hour_earlier_in_beijing = (due - timedelta(hours=1)).astimezone(timezone(timedelta(hours=8))).isoformat()
    for due_before, total in ((due.isoformat(), 1), (an_hour_earlier_in_beijing, 0)):
        query = {"instance_id": task["instance_id"], "due_before": due_before}
        assert client.get("/api/tasks", query_string=query).get_json()["total"] == total
    for pattern, total in (("department_staff", 1), ("department%", 0), ("department_staf_", 0), ("%", 0)):
        query = {"instance_id": task["instance_id"], "candidate_group": pattern}
        assert client.get("/api/tasks", query_string=query).get_json()["total"] == total


@pytest.mark.parametrize("path", ["/api/process-models", "/api/process-models/validate"])
def test_uploads_of_valid_models_conform(client: Any, path: str) -> None:
    """Schemathesis cannot invent a valid BPMN file, so the success answers of the uploads are checked here."""
    operation = schema[path]["POST"]
    simple = (FIXTURES / "simple.bpmn").read_bytes()
    statuses = []
    for _ in range(2):  # a deployment answers 201, the identical one again 200
        resp = client.post(path, data={"files": [(io.BytesIO(simple), "simple.bpmn")]},
                           content_type="multipart/form-data")
        operation.Case(media_type="multipart/form-data").validate_response(resp, checks=CHECKS)
        statuses.append(resp.status_code)
    assert statuses == ([201, 200] if path == "/api/process-models" else [200, 200])


def test_an_evidence_upload_conforms(seeded: Any) -> None:
    """The success answer of an upload (schemathesis cannot invent a PDF), then its download and withdrawal."""
    task_id = KNOWN["task_id"][0]
    upload = seeded.test_client().post(f"/api/tasks/{task_id}/attachments", content_type="multipart/form-data",
                                       data={"file": (io.BytesIO(openapi_data.PDF), "证明.pdf")})
    case = schema["/api/tasks/{task_id}/attachments"]["POST"].Case(media_type="multipart/form-data",
                                                                     path_parameters={"task_id": task_id})
    case.validate_response(upload, checks=CHECKS)
    assert upload.status_code == 201 and upload.get_json()["content_type"] == "application/pdf"
    attachment = {"attachment_id": upload.get_json()["id"]}
    for path, method, status in (("/api/attachments/{attachment_id}", "GET", 200),
                                 ("/api/attachments/{attachment_id}/meta", "GET", 200),
                                 ("/api/attachments/{attachment_id}", "DELETE", 200)):
        response = schema[path][method].Case(path_parameters=attachment).call_and_validate(app=seeded, checks=CHECKS)
        assert response.status_code == status


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    # An empty link was checked as "no link" but stored as "": the foreign key refused it (500). A link is a
    # known department id or null: "" is refused, naming the field.
    ("POST", "/api/departments", {"id": "dept-x", "name": "x", "parent_id": "", "district_id": ""}, 422),
    # marshmallow's Boolean takes 0 and 1 (and "yes", "on"…); the document says boolean.
    ("POST", "/api/departments", {"id": "dept-x", "name": "x", "active": 0}, 422),
    ("POST", "/api/libraries/experts", {"name": "王", "employer": "武汉大学", "available": 0}, 422),
    ("PATCH", "/api/libraries/experts/{expert_id}", {"available": "yes"}, 422),
    ("PATCH", "/api/users/{username}", {"active": 1}, 422),
])
def test_administrators_input_is_answered_as_documented(as_user: Any, runtime: Any, deploy_fixture: Any,
                                                       tokens: dict[str, str], method: str, path: str, body: Any,
                                                       status: int) -> None:
    """Generated calls made as an administrator found these (each a 500 or an accepted violation of the document)."""
    admin = as_user("admin")
    people = openapi_data.people_snapshot(runtime)
    try:
        _seed(admin.application, runtime, deploy_fixture, tokens)
        operation = schema[path][method]
        path_parameters = {p.name: KNOWN[p.name][0] for p in operation.path_parameters}
        case = operation.Case(path_parameters=path_parameters, media_type="application/json", body=body)
        response = admin.open(case.formatted_path, method=method, json=body)
        case.validate_response(response, checks=CHECKS)
        assert response.status_code == status, response.get_json()
        if path == "/api/departments" and status == 200:
            saved = next(d for d in admin.get("/api/departments").get_json()["items"] if d["id"] == "dept-x")
            assert (saved["parent_id"], saved["district_id"]) == (None, None)
    finally:
        _wipe(runtime)
        openapi_data.restore_people(runtime, people)


def test_the_document_is_the_one_served(client: Any) -> None:
    assert client.get("/api/openapi.json").get_json() == DOCUMENT

