"""A GET request reads in one transaction: the sign-in check, the view and its helpers share it; a write retires it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select

from service.models import Department
from service.people import directory
from tests.conftest import password_of
from tests.service.web.conftest import WebClient


@contextmanager
def checkouts(engine) -> Iterator[list[int]]:
    """Count the connections taken from the engine's pool while the block runs."""
    counted = [0]

    def on_checkout(*_args) -> None:
        counted[0] += 1

    event.listen(engine, "checkout", on_checkout)
    try:
        yield counted
    finally:
        event.remove(engine, "checkout", on_checkout)


def test_an_api_get_takes_one_connection_for_the_token_and_the_view(as_user, runtime):
    client = as_user("staff_a")
    client.get("/api/tasks")  # warm: the first request may build caches
    with checkouts(runtime.engine) as counted:
        response = client.get("/api/tasks")
    assert response.status_code == 200
    assert counted[0] == 1  # before: one for the token lookup, one for the view
    assert runtime.engine.pool.checkedout() == 0  # closed when the request ended


def test_a_page_takes_one_connection_for_the_session_and_the_view(app, runtime):
    browser = WebClient(app)
    assert browser.login("staff_a", password_of("staff_a")).status_code == 302
    browser.get("/inbox")
    with checkouts(runtime.engine) as counted:
        page = browser.get("/inbox")
    assert page.status_code == 200
    assert counted[0] == 1
    assert runtime.engine.pool.checkedout() == 0


def test_reads_after_a_write_in_a_get_request_see_the_write(app, runtime):
    with app.test_request_context("/anything", method="GET"):
        with runtime.reading() as first:
            assert first.execute(select(Department.id).where(Department.id == "later")).first() is None
        with runtime.reading() as again:
            assert again is first  # the request's shared read
        with runtime.unit_of_work() as conn:
            directory.upsert_department(conn, {"id": "later", "name": "后来的部门"})
        with runtime.reading() as after:
            assert after is not first
            assert after.execute(select(Department.id).where(Department.id == "later")).first() is not None


def test_other_methods_read_in_transactions_of_their_own(app, runtime):
    with app.test_request_context("/anything", method="POST"), runtime.reading() as one, runtime.reading() as two:
        assert one is not two
    assert runtime.engine.pool.checkedout() == 0


def test_the_shared_read_ends_with_the_request_also_after_an_error(app, runtime):
    try:
        with app.test_request_context("/anything", method="GET"):
            with runtime.reading() as conn:
                conn.execute(select(Department.id)).all()
            raise RuntimeError("the view failed")
    except RuntimeError:
        pass
    assert runtime.engine.pool.checkedout() == 0
