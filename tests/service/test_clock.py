"""The process clock: `restoring` gives back the clock it found (a frozen test clock stays frozen)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service import clock


def test_restoring_gives_back_a_frozen_clock_and_real_time_alike():
    frozen = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    clock.set_now(frozen)
    try:
        with clock.restoring():
            clock.set_now(datetime(2025, 9, 1, tzinfo=UTC))
            clock.reset()  # whatever the block does with it
        assert clock.now() == frozen
    finally:
        clock.reset()
    with clock.restoring():
        clock.advance(timedelta(days=30))
        clock.set_now(frozen)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
