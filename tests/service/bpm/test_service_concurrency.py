"""Two completions of the same task race: exactly one wins, the other gets 409, the data stays intact — whether the
optimistic check decides (PostgreSQL) or the write lock a request's unit of work holds on SQLite."""

from __future__ import annotations

import threading
import time

from service import clock
from service.bpm import running
from service.queries import instances_queries, tasks_queries
from tests.conftest import principal


def test_concurrent_completions_one_wins_one_conflicts(as_user, runtime, deploy_fixture, monkeypatch):
    deploy_fixture("simple.bpmn")
    iid = runtime.workflows.start("simple", {"amount": 1}, actor=principal("staff_a"))["id"]
    with runtime.reading() as conn:
        [task] = tasks_queries.list_tasks(conn, page=1, per_page=5, now=clock.now(), instance_id=iid)["items"]

    original = running._derive
    if runtime.engine.dialect.name == "postgresql":
        # Both requests must have read the instance before either writes: meet at a barrier after the engine ran.
        barrier = threading.Barrier(2, timeout=10)

        def derive_then_wait(*args, **kwargs):
            outcome = original(*args, **kwargs)
            barrier.wait()
            return outcome
    else:
        # SQLite: a request's unit of work holds the write lock from its BEGIN IMMEDIATE, so no two can both have
        # read before either writes; the other request waits for the winner's commit (linger so that it does),
        # then reads the completed task.
        def derive_then_wait(*args, **kwargs):
            outcome = original(*args, **kwargs)
            time.sleep(0.3)
            return outcome

    monkeypatch.setattr(running, "_derive", derive_then_wait)
    results: dict[str, tuple[int, dict]] = {}

    def complete(name: str, answer: str) -> None:
        client = as_user(name)  # two candidates of dept-a; each request has its own database connection
        resp = client.post(f"/api/tasks/{task['id']}/complete", json={"data": {"answer": answer}})
        results[name] = (resp.status_code, resp.get_json())

    threads = [threading.Thread(target=complete, args=(n, n)) for n in ("staff_a", "staff_a2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)

    statuses = sorted(code for code, _ in results.values())
    assert statuses == [200, 409], results
    winner = next(name for name, (code, _) in results.items() if code == 200)
    loser_body = next(body for code, body in results.values() if code == 409)
    assert loser_body["type"].endswith("/conflict")

    with runtime.reading() as conn:
        inst = instances_queries.get(conn, iid)
    assert inst["status"] == "completed" and inst["data"]["answer"] == winner
    assert inst["lock_version"] == 2
    from tests.conftest import count_rows
    assert count_rows(runtime, "events") == 1 + 2  # deployment, start, one completion
