"""External service tasks become jobs: run by registered handlers, retried with backoff, incidents, leases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner

from service import clock
from service.bpm.incidents import list_jobs
from service.bpm.live_workflows import LiveWorkflows
from service.bpm.replay import replay
from service.cli import main
from service.errors import Conflict, StaleVersion
from service.queries import instances_queries
from service.runtime import Runtime
from tests.conftest import principal
from workers import handlers, job_queue
from workers.runner import run_once

CALLS: list[dict] = []


@pytest.fixture
def topic(monkeypatch):
    """A handler for "test-score" whose behaviour each test sets: a list of outcomes, one per call."""
    plan: list = []

    def score(_ctx, variables: dict) -> dict:
        CALLS.append(variables)
        outcome = plan.pop(0) if plan else {"score": 90}
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setitem(handlers.HANDLERS, "test-score", score)
    CALLS.clear()
    return plan


def _start(runtime, amount=1):
    return runtime.workflows.start("external", {"amount": amount}, actor=principal("staff_a"))["id"]


def test_handler_result_goes_back_into_the_instance(runtime, deploy_fixture, topic, frozen_clock):
    deploy_fixture("external.bpmn")
    iid = _start(runtime, 7)
    topic.append({"score": 88})
    result = run_once(runtime, "w1")
    assert len(result.jobs.done) == 1 and CALLS == [{"amount": 7}]
    with runtime.reading() as conn:
        inst = instances_queries.get(conn, iid)
    assert inst["data"]["score"] == 88
    assert run_once(runtime, "w1").jobs.done == []  # nothing runs twice
    assert replay(runtime.engine, runtime.specs, runtime.settings, iid).ok


def test_failing_handler_is_retried_with_backoff_then_succeeds(runtime, deploy_fixture, topic, frozen_clock):
    deploy_fixture("external.bpmn")
    iid = _start(runtime)
    topic.extend([RuntimeError("expert library unavailable"), RuntimeError("still down"), {"score": 75}])
    first = run_once(runtime, "w1")
    assert first.jobs.retried and not first.jobs.done
    assert run_once(runtime, "w1").jobs.retried == []  # not due before its backoff
    clock.advance(timedelta(seconds=runtime.settings.job_backoff_seconds + 1))
    assert run_once(runtime, "w1").jobs.retried  # second failure, backoff doubles
    clock.advance(timedelta(seconds=runtime.settings.job_backoff_seconds + 1))
    assert run_once(runtime, "w1").jobs.done == []
    clock.advance(timedelta(seconds=runtime.settings.job_backoff_seconds))
    assert len(run_once(runtime, "w1").jobs.done) == 1
    with runtime.reading() as conn:
        assert instances_queries.get(conn, iid)["data"]["score"] == 75 and len(CALLS) == 3


def test_exhausted_retries_raise_an_incident_an_admin_retries(runtime, deploy_fixture, topic, frozen_clock,
                                                               as_user, monkeypatch):
    deploy_fixture("external.bpmn")
    iid = _start(runtime)
    topic.extend([ValueError("bad data")] * (runtime.settings.job_retries + 1))
    for _ in range(runtime.settings.job_retries + 1):
        run_once(runtime, "w1")
        clock.advance(timedelta(hours=1))
    listed = as_user("admin").get("/api/incidents").get_json()
    [incident] = listed["items"]
    assert incident["instance_id"] == iid and "ValueError: bad data" in incident["last_error"]
    assert as_user("staff_a").get("/api/incidents").status_code == 403
    assert as_user("supervisor").post(f"/api/incidents/{incident['id']}/retry").status_code == 403
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    assert "1 incident(s)" in CliRunner().invoke(main, ["incidents", "list"]).output
    retried = as_user("admin").post(f"/api/incidents/{incident['id']}/retry")
    assert retried.status_code == 200 and retried.get_json()["status"] == "pending"
    assert len(run_once(runtime, "w1").jobs.done) == 1  # the handler works again
    with runtime.reading() as conn:
        assert instances_queries.get(conn, iid)["data"]["score"] == 90
    assert as_user("admin").post(f"/api/incidents/{incident['id']}/retry").status_code == 404


def test_a_handlers_refusal_is_retried_with_backoff_and_ends_as_an_incident(runtime, deploy_fixture, topic,
                                                                             frozen_clock):
    """A handler that refuses (a Conflict of its own, e.g. no eligible expert left in the library) is a failure
    like any other: never the instant, free retry of a lost race on the instance, which would spin for ever."""
    deploy_fixture("external.bpmn")
    _start(runtime)
    topic.extend([Conflict("no eligible expert: the library has none left this year")] * (runtime.settings.job_retries + 1))
    first = run_once(runtime, "w1")
    assert first.jobs.retried and not first.jobs.released
    assert run_once(runtime, "w1").jobs.retried == []  # not due again before its backoff
    for _ in range(runtime.settings.job_retries):
        clock.advance(timedelta(seconds=runtime.settings.job_backoff_seconds * 2 ** runtime.settings.job_retries))
        run_once(runtime, "w1")
    with runtime.reading() as conn:
        [incident] = list_jobs(conn, page=1, per_page=5, status="failed")["items"]
    assert "no eligible expert" in incident["last_error"] and len(CALLS) == runtime.settings.job_retries + 1


def test_a_lost_race_on_the_instance_is_retried_at_once_without_spending_a_retry(runtime, deploy_fixture, topic,
                                                                                 frozen_clock):
    deploy_fixture("external.bpmn")
    iid = _start(runtime)
    topic.extend([StaleVersion("the instance was changed by someone else meanwhile"), {"score": 61}])
    first = run_once(runtime, "w1")
    assert first.jobs.released and not first.jobs.retried
    assert len(run_once(runtime, "w1").jobs.done) == 1  # due at once, no backoff
    with runtime.reading() as conn:
        assert instances_queries.get(conn, iid)["data"]["score"] == 61


def test_a_dead_workers_lease_expires_and_another_worker_finishes(runtime, deploy_fixture, topic, frozen_clock):
    deploy_fixture("external.bpmn")
    iid = _start(runtime)
    lease = timedelta(seconds=runtime.settings.worker_lease_seconds)
    [claimed] = job_queue.acquire(runtime.workflows, "dead-worker", clock.now(), lease)  # …and then it dies
    assert job_queue.acquire(runtime.workflows, "w2", clock.now(), lease) == []
    clock.advance(lease + timedelta(seconds=1))
    assert len(run_once(runtime, "w2").jobs.done) == 1
    with runtime.reading() as conn:
        assert instances_queries.get(conn, iid)["data"]["score"] == 90 and claimed.lock_owner == "dead-worker"


def test_missing_handler_ends_as_an_incident_not_a_silent_drop(runtime, deploy_fixture, frozen_clock, monkeypatch):
    monkeypatch.delitem(handlers.HANDLERS, "test-score", raising=False)
    deploy_fixture("external.bpmn")
    _start(runtime)
    for _ in range(runtime.settings.job_retries + 1):
        run_once(runtime, "w1")
        clock.advance(timedelta(hours=1))

    with runtime.reading() as conn:
        [incident] = list_jobs(conn, page=1, per_page=5, status="failed")["items"]
    assert "no handler is registered" in incident["last_error"]


def test_a_job_is_marked_done_in_the_commit_of_its_completion(runtime, deploy_fixture, topic, frozen_clock,
                                                              monkeypatch):
    deploy_fixture("external.bpmn")
    iid = _start(runtime)
    marks: list = []
    monkeypatch.setattr(job_queue, "_finish", lambda *a, **k: marks.append(a))  # a separate write: none on success
    assert len(run_once(runtime, "w1").jobs.done) == 1 and marks == []
    with runtime.reading() as conn:
        [job] = list_jobs(conn, page=1, per_page=5, status="done")["items"]
        assert job["instance_id"] == iid and instances_queries.get(conn, iid)["data"]["score"] == 90


def test_with_live_workflows_a_job_runs_on_the_kept_workflow_and_another_processs_write_is_a_miss(
        runtime, deploy_fixture, topic, frozen_clock):
    """The demo's driving processes keep the workflows they wrote (service/bpm/live_workflows.py) and run jobs."""
    deploy_fixture("external.bpmn")
    kept = runtime.workflows.live_workflows = LiveWorkflows(2)
    other = Runtime.build(runtime.settings, engine=runtime.engine)  # another process, keeping nothing
    try:
        first = _start(runtime, 1)
        assert list(kept) == [(first, 1)]  # the start's version
        topic.append({"score": 41})
        assert len(run_once(other, "w2").jobs.done) == 1  # the other process runs its job: version 2, from the row
        second = _start(runtime, 2)
        topic.append({"score": 42})
        assert len(run_once(runtime, "w1").jobs.done) == 1
        assert list(kept) == [(first, 1), (second, 2)]  # the job ran on the kept workflow, kept what it committed
        _start(runtime, 3)
        assert list(kept)[0] == (second, 2) and len(kept) == 2  # the oldest dropped first
    finally:
        runtime.workflows.live_workflows = None
    with runtime.reading() as conn:
        assert [instances_queries.get(conn, i)["data"]["score"] for i in (first, second)] == [41, 42]
    for iid in (first, second):
        assert replay(runtime.engine, runtime.specs, runtime.settings, iid).ok


def test_a_claim_takes_at_most_its_limit_due_first_and_the_next_claim_the_next_ones(runtime, deploy_fixture, topic,
                                                                                   frozen_clock):
    deploy_fixture("external.bpmn")
    started = []
    for n in range(5):  # five jobs, due a minute apart, created latest first
        clock.set_now(frozen_clock + timedelta(minutes=5 - n))
        started.append(_start(runtime, n))
    clock.set_now(frozen_clock + timedelta(hours=1))
    lease = timedelta(seconds=runtime.settings.worker_lease_seconds)
    first = job_queue.acquire(runtime.workflows, "w1", clock.now(), lease, limit=2)
    second = job_queue.acquire(runtime.workflows, "w2", clock.now(), lease, limit=2)
    third = job_queue.acquire(runtime.workflows, "w3", clock.now(), lease, limit=2)
    assert [job.instance_id for job in first + second + third] == started[::-1]  # due first, none twice
    assert [len(first), len(second), len(third)] == [2, 2, 1]
    assert {job.lock_owner for job in first} == {"w1"} and {job.status for job in third} == {"running"}
    assert job_queue.acquire(runtime.workflows, "w4", clock.now(), lease) == []


def _start_chain(runtime, amount=1):
    return runtime.workflows.start("external_chain", {"amount": amount}, actor=principal("staff_a"))["id"]


def test_a_job_and_the_job_it_leads_to_run_in_one_batch_with_one_state_write(runtime, deploy_fixture, topic,
                                                                            frozen_clock, monkeypatch):
    deploy_fixture("external_chain.bpmn")
    recorded: list = []
    monkeypatch.setitem(handlers.HANDLERS, "test-record", lambda _ctx, variables: recorded.append(variables) or
                        {"recorded": True})
    iid = _start_chain(runtime)
    states: list = []
    serialize = runtime.workflows.serializer.serialize_json
    monkeypatch.setattr(runtime.workflows.serializer, "serialize_json", lambda wf: states.append(1) or serialize(wf))
    assert len(run_once(runtime, "w1").jobs.done) == 2  # the second job, due once the first completed, follows it
    assert states == [1] and recorded[0]["score"] == 90  # one write of the state; the second saw the first's result
    with runtime.reading() as conn:
        assert [j["status"] for j in list_jobs(conn, page=1, per_page=5)["items"]] == ["done", "done"]
        assert instances_queries.get(conn, iid)["data"]["recorded"] is True
    assert replay(runtime.engine, runtime.specs, runtime.settings, iid).ok


def test_when_a_following_job_fails_the_first_commits_alone_and_the_failure_is_retried_as_ever(
        runtime, deploy_fixture, topic, frozen_clock, monkeypatch):
    deploy_fixture("external_chain.bpmn")
    attempts: list = []

    def record(_ctx, _variables):
        attempts.append(1)
        raise RuntimeError("the register is closed")

    monkeypatch.setitem(handlers.HANDLERS, "test-record", record)
    iid = _start_chain(runtime)
    first = run_once(runtime, "w1").jobs
    assert (len(first.done), first.retried) == (1, [])  # the first job alone; its follower rolled back with the batch
    assert CALLS == [{"amount": 1}, {"amount": 1}] and len(attempts) == 1  # the first ran twice (batch, then alone)
    second = run_once(runtime, "w1").jobs  # the follower, claimed in its turn: fails, retried with backoff
    assert len(second.retried) == 1 and len(attempts) == 2
    with runtime.reading() as conn:
        jobs = {j["topic"]: j for j in list_jobs(conn, page=1, per_page=5)["items"]}
        assert jobs["test-score"]["status"] == "done" and jobs["test-record"]["status"] == "pending"
        assert "the register is closed" in jobs["test-record"]["last_error"]
        assert instances_queries.get(conn, iid)["data"]["score"] == 90
    assert replay(runtime.engine, runtime.specs, runtime.settings, iid).ok


def test_when_the_batchs_state_cannot_be_written_after_a_follower_the_first_job_commits_alone(
        runtime, deploy_fixture, topic, frozen_clock, monkeypatch):
    """A follower's result the stored state cannot hold (a complex number: the instance data writes it as null, the
    state refuses it) fails the batch only at its end: the first job commits alone, the follower fails on its own."""
    deploy_fixture("external_chain.bpmn")
    monkeypatch.setitem(handlers.HANDLERS, "test-record", lambda _ctx, _variables: {"odd": complex(1, 2)})
    iid = _start_chain(runtime)
    first = run_once(runtime, "w1").jobs
    assert len(first.done) == 1 and len(CALLS) == 2  # the first job: in the batch, then alone
    second = run_once(runtime, "w1").jobs
    assert len(second.retried) == 1
    with runtime.reading() as conn:
        jobs = {j["topic"]: j for j in list_jobs(conn, page=1, per_page=5)["items"]}
        assert jobs["test-score"]["status"] == "done" and jobs["test-record"]["status"] == "pending"
    assert replay(runtime.engine, runtime.specs, runtime.settings, iid).ok
