"""Content-free notices to the reviewers' chat that reports arrived, sent after a random delay.

The notice says only how many reports arrived ("收到1条新的问题线索…"): no category, no text, no sender. It
is sent a random number of seconds after the first pending report, so its timing does not single out the
person who was talking to the bot at that moment; reports arriving meanwhile are counted into the same
notice. Pending notices live in one asyncio task in memory: a restart (or ``stop``) drops them, and the
reviewers see those reports the next time they open the review tool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable

log = logging.getLogger("qingfeng.reports")

NOTICE = "收到{count}条新的问题线索，请使用审阅工具查看"

Send = Callable[[str], Awaitable[object]]
Delay = Callable[[float, float], float]
_RANDOM = random.SystemRandom()  # the delay must not be predictable from the process's seeded PRNG


def notice_text(count: int) -> str:
    """The notice for ``count`` new reports; nothing else."""
    return NOTICE.format(count=count)


class ReviewerNotices:
    """Collects report arrivals and sends one notice per batch after a random delay (seconds)."""

    def __init__(
        self,
        send: Send,
        min_delay: float,
        max_delay: float,
        delay: Delay = _RANDOM.uniform,
    ) -> None:
        if min_delay < 0 or max_delay < min_delay:
            raise ValueError("delays must satisfy 0 <= min_delay <= max_delay")
        self._send = send
        self._min = min_delay
        self._max = max_delay
        self._delay = delay
        self._pending = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        """Reports not yet announced."""
        return self._pending

    def arrived(self) -> None:
        """Count one new report; start the timer unless one is already running (call from the loop)."""
        self._pending += 1
        if self._task is None or self._task.done():
            wait = self._delay(self._min, self._max)
            self._task = asyncio.get_running_loop().create_task(self._later(wait), name="reviewer-notice")

    async def _later(self, wait: float) -> None:
        await asyncio.sleep(wait)
        count, self._pending = self._pending, 0
        self._task = None
        if not count:
            return
        try:
            await self._send(notice_text(count))
        except Exception as error:  # a background task: log it, but never with anything about a report
            log.warning("reviewer notice not delivered: %s", type(error).__name__)

    async def stop(self) -> None:
        """Cancel the pending notice, if any (its reports stay in the store, unannounced)."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._pending:
            log.info("%d reviewer notice(s) dropped at shutdown", self._pending)
            self._pending = 0
