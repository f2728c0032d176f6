"""Uploads to one task at the same moment all succeed (they commute: the service retries the optimistic
check on PostgreSQL; on SQLite the request's write lock orders them), while a claim race still has exactly one
winner. Real threads, the real database."""

from __future__ import annotations

import io
import threading
import time

import pytest
from sqlalchemy import text

from service import clock
from service.attachments import detect
from service.bpm.commands import Claim
from service.queries import tasks_queries
from tests.conftest import principal
from tests.service.attachments import samples


@pytest.fixture
def task_id(runtime, deploy_fixture):
    deploy_fixture("evidence.bpmn")
    iid = runtime.workflows.start("evidence", {}, actor=principal("staff_a"))["id"]
    with runtime.reading() as conn:
        items = tasks_queries.list_tasks(conn, page=1, per_page=50, now=clock.now(), instance_id=iid)["items"]
    return next(t["id"] for t in items if t["bpmn_id"] == "submit")


def _meet_after_read(monkeypatch, parties: int, runtime) -> None:
    """Every upload's first attempt reads the instance before any of them writes (the race that lost 9 of 10).

    On SQLite a request's unit of work holds the write lock from its BEGIN IMMEDIATE, so no two uploads can both have
    read before either writes: there each lingers instead, and the others wait for its commit, then read."""
    postgresql = runtime.engine.dialect.name == "postgresql"
    barrier = threading.Barrier(parties, timeout=20)
    first = threading.local()
    original = detect.inspect

    def inspect_then_wait(*args, **kwargs):
        found = original(*args, **kwargs)
        if not getattr(first, "done", False):
            first.done = True
            barrier.wait() if postgresql else time.sleep(0.05)
        return found

    monkeypatch.setattr(detect, "inspect", inspect_then_wait)


def _in_threads(work, names):
    results: dict[str, tuple[int, dict]] = {}

    def run(name):
        results[name] = work(name)

    threads = [threading.Thread(target=run, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.parametrize("uploads", [2, 8])
def test_simultaneous_uploads_to_one_task_all_succeed_each_listed_once(runtime, as_user, task_id, monkeypatch,
                                                                       uploads):
    _meet_after_read(monkeypatch, uploads, runtime)
    client = {name: as_user(name) for name in ("staff_a", "staff_a2")}

    def upload(name):
        who = "staff_a" if int(name) % 2 else "staff_a2"  # two candidates of the task, each a few files at once
        resp = client[who].post(f"/api/tasks/{task_id}/attachments", content_type="multipart/form-data",
                                data={"file": (io.BytesIO(samples.png(int(name))), f"现场{name}.png")})
        return resp.status_code, resp.get_json()

    results = _in_threads(upload, [str(n) for n in range(uploads)])

    assert sorted(code for code, _ in results.values()) == [201] * uploads, results
    listed = as_user("staff_a").get(f"/api/tasks/{task_id}/attachments").get_json()["items"]
    assert sorted(a["file_name"] for a in listed) == sorted(f"现场{n}.png" for n in range(uploads))
    assert len({a["id"] for a in listed}) == uploads
    with runtime.engine.connect() as conn:
        iid = conn.execute(text("SELECT instance_id FROM tasks WHERE id = :t"), {"t": task_id}).scalar_one()
        events = conn.execute(text("SELECT seq, command, input FROM events WHERE instance_id = :i ORDER BY seq"),
                              {"i": iid}).all()
        rows = conn.execute(text("SELECT id, event_seq, storage_key FROM attachments WHERE task_id = :t"),
                            {"t": task_id}).all()
        instance = conn.execute(text("SELECT event_seq, lock_version FROM instances WHERE id = :i"),
                                {"i": iid}).one()
    assert [e.seq for e in events] == list(range(1, uploads + 2))  # the chain in sequence, no gap, no repeat
    assert [e.command for e in events] == ["start"] + ["attach_file"] * uploads
    assert sorted(r.event_seq for r in rows) == list(range(2, uploads + 2))  # each upload names its own event
    assert tuple(instance) == (uploads + 1, uploads + 1)
    stored = [p for p in runtime.settings.attachments_dir.rglob("*") if p.is_file()]
    assert sorted(p.name for p in stored) == sorted(r.storage_key for r in rows)  # one file each, no temp left
    from service.bpm.verify import verify

    assert verify(runtime.engine, runtime.specs, runtime.settings, [iid]).ok


def test_same_file_uploaded_twice_at_once_is_two_attachments_over_one_stored_file(runtime, as_user, task_id,
                                                                                   monkeypatch):
    _meet_after_read(monkeypatch, 2, runtime)

    def upload(name):
        resp = as_user(name).post(f"/api/tasks/{task_id}/attachments", content_type="multipart/form-data",
                                  data={"file": (io.BytesIO(samples.PDF), "自评报告.pdf")})
        return resp.status_code, resp.get_json()

    results = _in_threads(upload, ["staff_a", "staff_a2"])

    assert sorted(code for code, _ in results.values()) == [201, 201], results
    assert len({body["id"] for _, body in results.values()}) == 2
    assert len([p for p in runtime.settings.attachments_dir.rglob("*") if p.is_file()]) == 1


def test_claim_race_still_has_one_winner(runtime, task_id, monkeypatch):
    from service.bpm import service as service_module

    barrier = threading.Barrier(3, timeout=20)
    original = service_module.WorkflowService._assign

    def read_then_wait(self, *args, **kwargs):
        barrier.wait()  # all three claims have read the unclaimed task
        return original(self, *args, **kwargs)

    monkeypatch.setattr(service_module.WorkflowService, "_assign", read_then_wait)

    def claim(name):
        try:
            runtime.workflows.apply_to_task(task_id, Claim(task_id), actor=principal(name))
            return 200, {}
        except Exception as exc:  # noqa: BLE001 - the kind of refusal is what the test asserts
            return 409 if type(exc).__name__ in {"Conflict", "StaleVersion"} else 500, {"error": repr(exc)}

    results = _in_threads(claim, ["staff_a", "staff_a2", "power"])

    assert sorted(code for code, _ in results.values()) == [200, 409, 409], results
    winner = next(n for n, (code, _) in results.items() if code == 200)
    with runtime.engine.connect() as conn:
        assert conn.execute(text("SELECT assignee FROM tasks WHERE id = :t"), {"t": task_id}).scalar_one() == winner
        assert conn.execute(text("SELECT COUNT(*) FROM events WHERE command = 'claim'")).scalar_one() == 1
