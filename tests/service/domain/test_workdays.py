"""Working days over the holiday calendar (DESIGN.md, Time): deadlines such as "10 working days" (local practice)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.domain.workdays import Calendar, add_working_days, subtract_working_days, working_days_between


def days(first: str, last: str) -> set[date]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return {start + timedelta(days=i) for i in range((end - start).days + 1)}


# 2015 as the State Council set it (国办发明电〔2014〕28号, and the 2015 notice on the 70th anniversary of the
# victory in the War of Resistance): holidays, and weekend days adjusted to working days (调休).
HOLIDAYS_2015 = (days("2015-01-01", "2015-01-03") | days("2015-02-18", "2015-02-24") | days("2015-04-05", "2015-04-06")
                 | {date(2015, 5, 1)} | {date(2015, 6, 20), date(2015, 6, 22)} | days("2015-09-03", "2015-09-04")
                 | {date(2015, 9, 27)} | days("2015-10-01", "2015-10-07"))
WORKDAYS_2015 = {date(2015, 1, 4), date(2015, 2, 15), date(2015, 2, 28), date(2015, 9, 6), date(2015, 10, 10)}
Y2015 = Calendar(holidays=frozenset(HOLIDAYS_2015), workdays=frozenset(WORKDAYS_2015))
PLAIN = Calendar()


def d(text: str) -> date:
    return date.fromisoformat(text)


def test_the_plain_week_is_monday_to_friday():
    week = [d("2015-03-02") + timedelta(days=i) for i in range(7)]  # Monday … Sunday
    assert [PLAIN.is_working_day(day) for day in week] == [True] * 5 + [False] * 2
    assert add_working_days(PLAIN, d("2015-03-06"), 1) == d("2015-03-09")  # Friday + 1 → Monday
    assert subtract_working_days(PLAIN, d("2015-03-09"), 1) == d("2015-03-06")
    assert working_days_between(PLAIN, d("2015-03-06"), d("2015-03-09")) == 1


def test_adjusted_weekend_days_are_working_days_and_holidays_are_not():
    assert d("2015-02-15").weekday() == 6 and Y2015.is_working_day(d("2015-02-15"))  # Sunday before 春节
    assert d("2015-02-28").weekday() == 5 and Y2015.is_working_day(d("2015-02-28"))  # Saturday after it
    assert d("2015-10-10").weekday() == 5 and Y2015.is_working_day(d("2015-10-10"))  # Saturday after 国庆
    assert not Y2015.is_working_day(d("2015-02-18"))  # Wednesday, 除夕 eve of the Spring Festival
    assert not Y2015.is_working_day(d("2015-10-07"))  # Wednesday, last day of National Day week
    assert not Y2015.is_working_day(d("2015-10-11"))  # a plain Sunday


@pytest.mark.parametrize(("n", "due"), [
    # From Friday 13 Feb 2015: Sunday 15 (adjusted) is 1, Mon 16 is 2, Tue 17 is 3, 18–24 are the Spring
    # Festival, Wed 25 is 4, Thu 26 is 5, Fri 27 is 6, Saturday 28 (adjusted) is 7, Monday 2 March is 8.
    (1, "2015-02-15"), (3, "2015-02-17"), (4, "2015-02-25"), (7, "2015-02-28"), (8, "2015-03-02"),
])
def test_working_days_across_the_2015_spring_festival(n: int, due: str):
    assert add_working_days(Y2015, d("2015-02-13"), n) == d(due)
    assert working_days_between(Y2015, d("2015-02-13"), d(due)) == n


def test_ten_working_days_across_the_2015_national_day():
    # Corrective measures asked on Wednesday 30 September 2015 (local practice: 10 working days): Oct 1–7 are
    # off; Thu 8 (1), Fri 9 (2), Saturday 10 (3, adjusted), Mon 12–Fri 16 (4–8), Mon 19 (9), Tue 20 (10).
    due = add_working_days(Y2015, d("2015-09-30"), 10)
    assert due == d("2015-10-20")
    assert subtract_working_days(Y2015, due, 10) == d("2015-09-30")
    assert subtract_working_days(Y2015, d("2015-10-12"), 1) == d("2015-10-10")  # a reminder 1 working day ahead
    assert subtract_working_days(Y2015, d("2015-10-08"), 1) == d("2015-09-30")
    assert working_days_between(Y2015, d("2015-10-20"), d("2015-09-30")) == -10


def test_zero_days_is_the_day_itself_or_the_next_working_day():
    assert add_working_days(Y2015, d("2015-03-02"), 0) == d("2015-03-02")
    assert add_working_days(Y2015, d("2015-10-01"), 0) == d("2015-10-08")
    with pytest.raises(ValueError):
        add_working_days(Y2015, d("2015-03-02"), -1)
    with pytest.raises(ValueError):
        subtract_working_days(Y2015, d("2015-03-02"), -1)


def test_2015_had_249_working_days():
    # 365 days − 104 weekend days − 17 weekday holidays + 5 adjusted weekend days = 249
    assert working_days_between(Y2015, d("2014-12-31"), d("2015-12-31")) == 249


SPAN = st.dates(min_value=date(2014, 1, 1), max_value=date(2016, 12, 31))
CALENDARS = st.builds(lambda h, w: Calendar(holidays=frozenset(h - w), workdays=frozenset(w)),
                      st.sets(SPAN, max_size=60), st.sets(SPAN.filter(lambda x: x.weekday() >= 5), max_size=10))


@given(cal=st.one_of(st.just(Y2015), st.just(PLAIN), CALENDARS), start=SPAN, n=st.integers(1, 80))
def test_adding_then_subtracting_comes_back(cal: Calendar, start: date, n: int):
    due = add_working_days(cal, start, n)
    assert cal.is_working_day(due) and due > start
    assert working_days_between(cal, start, due) == n
    back = subtract_working_days(cal, due, n)
    if cal.is_working_day(start):
        assert back == start
    else:  # from a day off, the round trip lands on the last working day before it
        assert back < start and cal.is_working_day(back) and working_days_between(cal, back, start) == 0
    assert add_working_days(cal, subtract_working_days(cal, due, n), n) == due


@given(cal=st.one_of(st.just(Y2015), CALENDARS), a=SPAN, b=SPAN)
def test_working_days_between_is_antisymmetric_and_additive(cal: Calendar, a: date, b: date):
    assert working_days_between(cal, a, b) == -working_days_between(cal, b, a)
    middle = min(a, b) + (max(a, b) - min(a, b)) / 2
    assert working_days_between(cal, a, b) == working_days_between(cal, a, middle) + working_days_between(cal, middle, b)
