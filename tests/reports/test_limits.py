"""Per-day report limits and lookup-failure limits that keep no user id and link no two days."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from common.clock import china_today
from reports.errors import TooManyAttempts
from reports.limits import DailyLimiter, FailureLimiter

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
        assert limiter.attempt(USER) == 0.0
        tick.now += 10
    with pytest.raises(TooManyAttempts) as caught:
        limiter.attempt(USER)
    assert caught.value.what == "lookups"
    assert caught.value.retry_after_seconds == 600 - 30  # until the first failure leaves the window
    limiter.attempt(OTHER)  # someone else is not affected
    _holds_no_id(limiter, USER, OTHER)
    tick.now += 570
    limiter.attempt(USER)


def test_a_right_code_does_not_wipe_earlier_failures() -> None:
    # Alternating with one's own valid code used to reset the count and so bypass the cap.
    limiter = FailureLimiter(max_failures=2, monotonic=Ticker(), clock=Day())
    limiter.attempt(USER)  # wrong
    limiter.attempt(USER)
    limiter.succeeded(USER)  # right: only this attempt is un-counted
    limiter.attempt(USER)  # wrong
    with pytest.raises(TooManyAttempts):
        limiter.attempt(USER)


def test_concurrent_lookups_cannot_slip_past_the_cap() -> None:
    limiter = FailureLimiter(max_failures=5, clock=Day())
    barrier = threading.Barrier(50)
    allowed: list[bool] = []

    def one() -> None:
        barrier.wait()
        try:
            limiter.attempt(USER)
            allowed.append(True)
        except TooManyAttempts:
            allowed.append(False)

    threads = [threading.Thread(target=one) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 5


def test_guessing_over_many_accounts_slows_lookups_but_never_refuses_a_right_code() -> None:
    tick = Ticker()
    limiter = FailureLimiter(
        max_failures=5, window_seconds=3600, global_max=10, max_delay=4.0, monotonic=tick, clock=Day()
    )
    for user_id in range(20):  # 20 throw-away accounts, 5 wrong codes each
        for _ in range(5):
            limiter.attempt(user_id)
    # The owner of a real code is slowed down, not locked out.
    delay = limiter.attempt(USER)
    assert delay == 4.0
    limiter.succeeded(USER)
    assert limiter.snapshot()["*"] == 100
    tick.now += 3600
    assert limiter.attempt(USER) == 0.0
    assert limiter.snapshot()["*"] == 1


def test_the_delay_grows_with_the_guessing() -> None:
    limiter = FailureLimiter(max_failures=1, global_max=10, max_delay=4.0, monotonic=Ticker(), clock=Day())
    delays = [limiter.attempt(user_id) for user_id in range(25)]
    assert delays[:10] == [0.0] * 10
    assert delays[10] == pytest.approx(0.4) and delays[14] == pytest.approx(2.0)
    assert delays[19:] == [4.0] * 6


def test_a_new_day_forgets_pseudonyms_but_not_the_global_count() -> None:
    tick, day = Ticker(), Day()
    limiter = FailureLimiter(max_failures=2, global_max=3, monotonic=tick, clock=day)
    limiter.attempt(USER)
    limiter.attempt(USER)
    before = limiter.snapshot()
    day.next()
    limiter.attempt(USER)  # yesterday's pseudonym cannot be linked to today's
    after = limiter.snapshot()
    assert after["*"] == 3 and set(after) - {"*"} and (set(after) - {"*"}).isdisjoint(before)
    assert limiter.attempt(OTHER) > 0  # past the global cap: slower, not refused
