"""deadline.compute: working days over the official holiday calendar, calendar days, end-of-day due times."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from service import clock, db
from service.config import ROOT
from service.errors import InvalidInput
from service.rules import store
from service.runtime import Runtime
from workers.handlers import TaskContext, lookup


@pytest.fixture
def seeded(runtime: Runtime) -> Runtime:
    with db.write(runtime.engine) as conn:
        store.seed_rules(conn, ROOT / "seeds" / "rules.json", "test", clock.now())
        store.seed_calendar(conn, 2014, 2016)
    return runtime


def _compute(rt: Runtime, now: datetime, **variables: Any) -> dict[str, Any]:
    ctx = TaskContext(rt.engine, rt.settings, now, None, None, "deadline.compute")
    return lookup("deadline.compute")(ctx, {"fiscal_year": 2015, "level": "municipal", **variables})


def test_ten_working_days_over_national_day_2015(seeded):
    # 30 Sep 2015 (Wed) + 10 working days: 1–7 Oct are holidays, Sat 10 Oct is an adjusted working day (调休),
    # so the days are 8, 9, 10, 12, 13, 14, 15, 16, 19, 20 October.
    out = _compute(seeded, datetime(2015, 9, 30, 2, tzinfo=clock.UTC), deadline_name="corrective",
                   deadline_rule="monitoring.corrective_working_days", deadline_unit="working")
    assert out == {"corrective_due_on": "2015-10-20", "corrective_due_at": "2015-10-20T23:59:59+08:00"}


def test_the_local_date_counts_not_the_utc_one(seeded):
    # 30 Sep 2015 17:00 UTC is already 1 Oct 01:00 in Wuhan: counting starts on the holiday, same due date.
    late = _compute(seeded, datetime(2015, 9, 30, 17, tzinfo=clock.UTC), deadline_name="corrective",
                    deadline_rule="monitoring.corrective_working_days", deadline_unit="working")
    assert late["corrective_due_on"] == "2015-10-20"
    # A Friday start: the weekend does not count.
    friday = _compute(seeded, datetime(2015, 3, 6, 2, tzinfo=clock.UTC), deadline_name="review",
                      deadline_rule="goal.review_working_days", deadline_unit="working")
    assert friday["review_due_on"] == "2015-03-20"


def test_explicit_start_and_calendar_days(seeded):
    out = _compute(seeded, datetime(2015, 3, 2, 1, tzinfo=clock.UTC), deadline_name="feedback",
                   deadline_rule="feedback.days", deadline_unit="calendar", deadline_from="2015-09-25")
    assert out == {"feedback_due_on": "2015-10-15", "feedback_due_at": "2015-10-15T23:59:59+08:00"}


def test_a_changed_rule_changes_the_deadline(seeded):
    with db.write(seeded.engine) as conn:
        store.set_rule(conn, 2015, "municipal", "monitoring.corrective_working_days", 3, "test: shorter", "admin",
                       clock.now())
    out = _compute(seeded, datetime(2015, 9, 30, 2, tzinfo=clock.UTC), deadline_name="corrective",
                   deadline_rule="monitoring.corrective_working_days", deadline_unit="working")
    assert out["corrective_due_on"] == "2015-10-10"  # the adjusted Saturday is the third working day


def test_bad_inputs_are_refused(seeded):
    with pytest.raises(InvalidInput) as err:
        _compute(seeded, clock.now(), deadline_name="Bad Name", deadline_rule="", deadline_unit="weeks")
    assert {e["field"] for e in err.value.errors} == {"deadline_name", "deadline_rule", "deadline_unit"}
