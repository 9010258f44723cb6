"""In-memory rate limits that cannot link a reporter across days.

A person is counted under ``HMAC-SHA256(day_key, str(user_id))``. The day key is random, lives only in this
process, and is replaced (with every count) when the Asia/Shanghai date changes, so yesterday's entries
cannot be matched with today's, and no raw id is ever held. Nothing is written to disk; a restart forgets
all counts, which is the price of keeping nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from common.clock import DayClock, china_today
from reports.errors import TooManyAttempts


class _DailyPseudonyms:
    """Turns user ids into per-day pseudonyms; the key is made on first use and replaced each new day."""

    def __init__(self, clock: DayClock) -> None:
        self._clock = clock
        self._day: dt.date | None = None
        self._key = b""

    def roll(self) -> bool:
        """Start a new day key if the date changed; True when it did (the caller drops its counts)."""
        today = self._clock()
        if today == self._day:
            return False
        self._day, self._key = today, secrets.token_bytes(32)
        return True

    def of(self, user_id: int) -> bytes:
        """The pseudonym of ``user_id`` for the current day (call ``roll`` first)."""
        return hmac.new(self._key, str(user_id).encode("ascii"), hashlib.sha256).digest()


class DailyLimiter:
    """At most ``per_day`` uses per person per day, e.g. reports submitted."""

    def __init__(self, per_day: int, clock: DayClock = china_today) -> None:
        if per_day < 0:
            raise ValueError("per_day must not be negative")
        self.per_day = per_day
        self._names = _DailyPseudonyms(clock)
        self._counts: dict[bytes, int] = {}
        self._lock = threading.Lock()  # the bot may call from worker threads as well as the event loop

    def take(self, user_id: int) -> bool:
        """Count one use for this person today; False (nothing counted) if the limit is already reached."""
        with self._lock:
            name = self._current(user_id)
            used = self._counts.get(name, 0)
            if used >= self.per_day:
                return False
            self._counts[name] = used + 1
            return True

    def peek(self, user_id: int) -> int:
        """How many uses this person has left today."""
        with self._lock:
            return max(0, self.per_day - self._counts.get(self._current(user_id), 0))

    def snapshot(self) -> dict[str, int]:
        """Today's counts by pseudonym (hex), for tests and diagnostics; holds no user id."""
        with self._lock:
            if self._names.roll():
                self._counts.clear()
            return {name.hex(): count for name, count in self._counts.items()}

    def _current(self, user_id: int) -> bytes:
        if self._names.roll():
            self._counts.clear()
        return self._names.of(user_id)


class FailureLimiter:
    """Slows guessing of receipt codes without ever locking a code's owner out through others' failures.

    Every lookup is counted as a failure *before* the slow hash, atomically (``attempt``), and un-counted only
    when its own code turns out right (``succeeded``): concurrent lookups cannot slip past the cap, and a
    person's earlier failures never reset. Per person: at most ``max_failures`` in the window, then refused.
    Everyone together: past ``global_max`` failures in the window each lookup is delayed — longer the more
    guessing there is, up to ``max_delay`` seconds — but never refused, so a correct code always gets through.
    """

    def __init__(
        self,
        max_failures: int = 5,
        window_seconds: float = 3600,
        global_max: int = 100,
        max_delay: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
        clock: DayClock = china_today,
    ) -> None:
        if max_failures < 1 or global_max < 1 or window_seconds <= 0 or max_delay < 0:
            raise ValueError("limits must be positive")
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.global_max = global_max
        self.max_delay = max_delay
        self._monotonic = monotonic
        self._names = _DailyPseudonyms(clock)
        self._failures: dict[bytes, deque[float]] = {}
        # Times only, no pseudonyms, so it may outlive the day key; it measures guessing over many accounts.
        self._all: deque[float] = deque()
        self._lock = threading.Lock()

    def attempt(self, user_id: int) -> float:
        """Count one lookup as a failure now; the seconds to wait before checking the code.

        Raises ``TooManyAttempts("lookups", seconds)`` (nothing counted) when this person failed too often.
        """
        with self._lock:
            now = self._monotonic()
            name = self._current(user_id, now)
            mine = self._failures.setdefault(name, deque())
            if len(mine) >= self.max_failures:
                raise TooManyAttempts("lookups", self._wait(mine, self.max_failures, now))
            mine.append(now)
            self._all.append(now)
            return self._delay()

    def succeeded(self, user_id: int) -> None:
        """The code of this person's latest attempt was right: that attempt is not a failure after all."""
        with self._lock:
            now = self._monotonic()
            mine = self._failures.get(self._current(user_id, now))
            if mine:
                stamp = mine.pop()
                with contextlib.suppress(ValueError):
                    self._all.remove(stamp)

    def _delay(self) -> float:
        # Grows linearly from 0 at the global cap to max_delay at twice the cap, and stays there.
        excess = len(self._all) - self.global_max
        if excess <= 0:
            return 0.0
        return min(self.max_delay, self.max_delay * excess / self.global_max)

    def snapshot(self) -> dict[str, int]:
        """Failures in the window by pseudonym (hex), plus ``"*"`` for everyone; holds no user id."""
        with self._lock:
            now = self._monotonic()
            if self._names.roll():
                self._failures.clear()
            self._prune(now)
            counts = {name.hex(): len(times) for name, times in self._failures.items()}
            counts["*"] = len(self._all)
            return counts

    def _current(self, user_id: int, now: float) -> bytes:
        if self._names.roll():
            self._failures.clear()
        self._prune(now)
        return self._names.of(user_id)

    def _prune(self, now: float) -> None:
        # Drop failures older than the window; memory stays bounded by what the global cap lets through.
        horizon = now - self.window_seconds
        for name in list(self._failures):
            times = self._failures[name]
            while times and times[0] <= horizon:
                times.popleft()
            if not times:
                del self._failures[name]
        while self._all and self._all[0] <= horizon:
            self._all.popleft()

    def _wait(self, times: deque[float], limit: int, now: float) -> int:
        # Enough of the oldest failures must leave the window to fall back under the limit.
        release = times[len(times) - limit] + self.window_seconds
        return max(1, math.ceil(release - now))
