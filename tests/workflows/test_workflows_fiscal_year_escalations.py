"""A fiscal year on the moved clock in which every catalogued deadline slips once and every kind of target misses
once (tests/workflows/fiscal_year.py builds the scenarios from the deadline catalogue): each slip is reminded
once per lead time to the right people (by SMTP, on loopback), opens exactly one escalation of its kind, climbs
to the bureau's leadership when the supervisors leave it alone, and each decision drives the model to its
documented next step; `jixiao audit verify --all` then finds nothing. On PostgreSQL the same year runs with two
workers passing and sweeping at the same moments: still no mail twice and no escalation twice."""

from __future__ import annotations

import time as timer
from collections import Counter
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, update

from service import db
from service.bpm.verify import verify
from service.domain.reminders_rules import leads_of
from service.models import User
from service.runtime import Runtime
from tests.workers.conftest import smtp_server  # noqa: F401  (a real SMTP server on loopback)
from tests.workers.people import only_test_people
from tests.workflows import fiscal_year as fy
from workers.reminder_sweep import LEAD_RULE

ON_POSTGRESQL = pytest.mark.skipif(
    not __import__("os").environ.get("JIXIAO_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="two workers against one database: PostgreSQL only (JIXIAO_TEST_DATABASE_URL)")


def _run_year(cycle: Any, smtp: Any, tmp_path: Any, workers: int) -> None:
    entries = fy.catalogue_entries()
    scenarios, unreachable, dormant = fy.plan(entries)
    print(f"\ntarget kinds the models raise nothing for yet: {dormant}")
    assert unreachable == [], "catalogued escalations the driver cannot reach:\n" + "\n".join(unreachable)
    assert fy.ladder_groups_ok(entries) == []
    users = User.__table__
    mail = replace(cycle.rt.settings, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_from="jixiao@czj.example.cn",
                   mail_sink_dir=tmp_path / "never")
    with db.write(cycle.rt.engine) as conn:
        conn.execute(update(users).values(email=users.c.username + "@czj.example.cn"))
    runtimes = [Runtime(mail, cycle.rt.engine, cycle.rt.specs, cycle.rt.workflows)]
    runtimes += [Runtime.build(mail) for _ in range(workers - 1)]  # each further worker with its own connections
    began = timer.monotonic()
    try:
        with only_test_people(cycle.rt.engine):
            year = fy.Year(runtimes, cycle.as_user, scenarios)
            last = year.run()
    finally:
        for rt in runtimes[1:]:
            rt.close()
        with db.write(cycle.rt.engine) as conn:
            conn.execute(update(users).values(email=None))
    print(f"\n{len(scenarios)} scenarios, {workers} worker(s), the year ran to {last} in "
          f"{timer.monotonic() - began:.1f} s")

    problems = [p for s in scenarios for p in s.problems]
    assert problems == [], "\n".join(problems)
    assert year.incidents == []
    # Every catalogued escalation fired (and each supervisor's silence climbed) in some scenario.
    missed = sorted(fy.catalogued_escalations(entries) - year.covered)
    assert missed == [], f"catalogued escalations that never fired: {missed}"
    # Exactly one escalation per slip, decided once, by whom the ladder says.
    for s in scenarios:
        rows = year.escalations(s.iid)
        if s.after:  # the earlier escalation that brought the slipping task up: decided once, as AFTER says
            earlier = [(r.code, r.state, r.decision) for r in rows if r.code == s.after[0]]
            assert earlier == [(s.after[0], "resolved", s.after[1])], s.name
            rows = [r for r in rows if r.code != s.after[0]]
        assert [(r.element_id, r.state, r.decision, r.resolved_by) for r in rows] == \
            [(s.element_id, "resolved", s.escalation["decided"], s.escalation["by"])], s.name
        assert rows[0].level == ("leadership" if s.climbs or s.decider == "leader" else "supervisor"), s.name

    # Reminders: each one owed (task, lead time, person) exactly once, none else; each delivered once by SMTP.
    with db.read(cycle.rt.engine) as conn:
        keys = list(conn.execute(select(fy.NOTIFICATIONS.c.idempotency_key, fy.NOTIFICATIONS.c.status)
                                 .where(fy.NOTIFICATIONS.c.kind == "reminder")))
    sent = Counter(k for k, _ in keys)
    assert [k for k, n in sent.items() if n > 1] == []
    owed = year.expected_reminders()
    assert sorted(set(sent) - owed) == [], "reminders nobody owed"
    assert sorted(owed - set(sent)) == [], "reminders owed and not sent"
    assert {status for _, status in keys} == {"sent"}
    delivered = fy.delivered_keys(smtp.inbox.messages())
    assert {k: n for k, n in delivered.items() if n != 1} == {}, "mails delivered more than once"
    assert set(sent) <= set(delivered)
    # Every slipped task was reminded at every lead time before it slipped (5 and 1 working days ahead), and so
    # was the supervisors' task of each escalation that climbed.
    leads = set(leads_of(fy._rule(cycle.rt, date(2015, 1, 1), LEAD_RULE)))
    assert leads == {5, 1}  # the seeded rule row
    for s in scenarios:
        reminded = [k.split(":") for k in sent]
        if s.held_task is not None:
            assert {int(lead) for _, t, lead, _ in reminded if t == s.held_task.id} == leads, s.name
        if s.climbs:
            assert {int(lead) for _, t, lead, _ in reminded if t == s.escalation["task_id"]} == leads, s.name

    report = verify(cycle.rt.engine, cycle.rt.specs, cycle.rt.settings)  # what `jixiao audit verify --all` runs
    assert report.ok and report.checked >= len(scenarios) and report.findings == [], \
        [str(f) for f in report.findings]


def test_a_year_of_slips_is_reminded_escalated_climbed_and_decided_once_each(cycle, smtp_server, tmp_path):  # noqa: F811
    _run_year(cycle, smtp_server, tmp_path, workers=1)


@ON_POSTGRESQL
def test_the_same_year_with_two_workers_on_postgresql(cycle, smtp_server, tmp_path):  # noqa: F811
    _run_year(cycle, smtp_server, tmp_path, workers=2)
