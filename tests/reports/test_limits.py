"""Per-day report limits and lookup-failure limits that keep no user id and link no two days."""

from __future__ import annotations

import datetime as dt

import pytest

from reports.errors import TooManyAttempts
from reports.limits import DailyLimiter, FailureLimiter, china_today

USER = 987654321
OTHER = 123456789


class Day:
    """A settable date clock."""

    def __init__(self) -> None:
        self.today = dt.date(2026, 3, 1)

    def __call__(self) -> dt.date:
        return self.today

    def next(self) -> None:
        self.today += dt.timedelta(days=1)


class Ticker:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _holds_no_id(limiter: object, *user_ids: int) -> None:
    dumped = repr(vars(limiter)) + repr(vars(vars(limiter)["_names"])) + repr(limiter.snapshot())  # type: ignore[attr-defined]
    for user_id in user_ids:
        assert str(user_id) not in dumped and f"{user_id:x}" not in dumped


def test_default_clock_is_a_date() -> None:
    assert isinstance(china_today(), dt.date)


def test_three_a_day_then_refused_and_a_new_day_resets() -> None:
    day = Day()
    limiter = DailyLimiter(3, clock=day)
    assert limiter.peek(USER) == 3
    assert [limiter.take(USER) for _ in range(4)] == [True, True, True, False]
    assert limiter.peek(USER) == 0
    assert limiter.take(OTHER) and limiter.peek(OTHER) == 2
    day.next()
    assert limiter.peek(USER) == 3 and limiter.take(USER)


def test_daily_pseudonyms_change_with_the_day_and_no_id_is_kept() -> None:
    day = Day()
    limiter = DailyLimiter(3, clock=day)
    limiter.take(USER)
    first = limiter.snapshot()
    assert len(first) == 1 and list(first.values()) == [1]
    _holds_no_id(limiter, USER)
    day.next()
    assert limiter.snapshot() == {}  # yesterday's counts are gone with yesterday's key
    limiter.take(USER)
    second = limiter.snapshot()
    assert len(second) == 1 and set(second).isdisjoint(first)
    _holds_no_id(limiter, USER)


def test_two_limiters_never_agree_on_a_pseudonym() -> None:
    a, b = DailyLimiter(3, clock=Day()), DailyLimiter(3, clock=Day())
    a.take(USER)
    b.take(USER)
    assert set(a.snapshot()).isdisjoint(b.snapshot())


def test_zero_per_day_refuses_everything() -> None:
    assert DailyLimiter(0, clock=Day()).take(USER) is False
    with pytest.raises(ValueError):
        DailyLimiter(-1)


def test_failures_per_person_block_until_the_window_passes() -> None:
    tick = Ticker()
    limiter = FailureLimiter(max_failures=3, window_seconds=600, global_max=100, monotonic=tick, clock=Day())
    for _ in range(3):
        limiter.check(USER)
        limiter.failed(USER)
        tick.now += 10
    with pytest.raises(TooManyAttempts) as caught:
        limiter.check(USER)
    assert caught.value.what == "lookups"
    assert caught.value.retry_after_seconds == 600 - 30  # until the first failure leaves the window
    limiter.check(OTHER)  # someone else is not affected
    _holds_no_id(limiter, USER, OTHER)
    tick.now += 570
    limiter.check(USER)


def test_success_clears_the_persons_failures() -> None:
    tick = Ticker()
    limiter = FailureLimiter(max_failures=2, monotonic=tick, clock=Day())
    limiter.failed(USER)
    limiter.succeeded(USER)
    limiter.failed(USER)
    limiter.check(USER)
    limiter.failed(USER)
    with pytest.raises(TooManyAttempts):
        limiter.check(USER)


def test_global_cap_slows_guessing_spread_over_many_accounts() -> None:
    tick = Ticker()
    limiter = FailureLimiter(max_failures=5, window_seconds=3600, global_max=10, monotonic=tick, clock=Day())
    for user_id in range(10):
        limiter.check(user_id)
        limiter.failed(user_id)
        tick.now += 1
    with pytest.raises(TooManyAttempts) as caught:
        limiter.check(10_000)
    assert caught.value.retry_after_seconds == 3600 - 10
    assert limiter.snapshot()["*"] == 10
    tick.now += 3600
    limiter.check(10_000)
    assert limiter.snapshot() == {"*": 0}


def test_a_new_day_forgets_pseudonyms_but_not_the_global_count() -> None:
    tick, day = Ticker(), Day()
    limiter = FailureLimiter(max_failures=2, global_max=3, monotonic=tick, clock=day)
    limiter.failed(USER)
    limiter.failed(USER)
    before = limiter.snapshot()
    day.next()
    limiter.check(USER)  # yesterday's pseudonym cannot be linked to today's
    limiter.failed(USER)
    after = limiter.snapshot()
    assert after["*"] == 3 and set(after) - {"*"} and (set(after) - {"*"}).isdisjoint(before)
    with pytest.raises(TooManyAttempts):
        limiter.check(OTHER)
