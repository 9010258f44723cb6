"""Telegram's rate limits for everything the bot sends: a no-retry mode for broadcasts, a priority lane."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Coroutine
from functools import partial
from heapq import heappush
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.ext import AIORateLimiter

from handlers.lanes import NO_RETRY, PRIORITY, NoRetryLane, PriorityLane

__all__ = ["NO_RETRY", "PRIORITY", "PacedRateLimiter", "PriorityLimiter"]

# Set while a PRIORITY request waits for the overall limiter (a context variable follows the task).
_PRIORITY_REQUEST: contextvars.ContextVar[bool] = contextvars.ContextVar("qingfeng_priority", default=False)
_AHEAD = 1 << 62  # priority waiters sort before every ordinary one in the limiter's heap


class PriorityLimiter(AsyncLimiter):
    """aiolimiter's leaky bucket made first-come-first-served, with a lane for ``PRIORITY`` requests.

    aiolimiter lets a newcomer take capacity that leaked while queued requests wait for their timer, so
    under load the order is a lottery. Here an ordinary request joins the back of the queue whenever
    someone is waiting; a priority request takes free capacity at once or waits at the head of the queue.
    """

    async def acquire(self, amount: float = 1) -> None:
        """Wait for capacity like ``AsyncLimiter.acquire``, in arrival order, priority requests first."""
        if amount > self.max_rate:
            raise ValueError("Can't acquire more than the maximum capacity")
        loop = self._loop
        ahead = _PRIORITY_REQUEST.get()
        queue_first = not ahead and any(not waiter[-1].done() for waiter in self._waiters)
        while queue_first or not self.has_capacity(amount):
            queue_first = False
            fut = loop.create_future()
            fut.add_done_callback(partial(loop.call_soon, self._wake_next))
            # The heap orders by (amount, order): a smaller order wakes first, FIFO within each lane.
            order = self._next_count() - (_AHEAD if ahead else 0)
            heappush(self._waiters, (amount, order, fut))
            self._wake_next()
            await fut
        self._level += amount
        self._wake_next()


class PacedRateLimiter(AIORateLimiter):
    """PTB's limiter (≤ 30 messages/s overall, ≤ 20/min per group) shared by replies and broadcasts.

    Replies keep PTB's behaviour: on flood control every request waits and the reply is retried. A broadcast
    asks for ``NO_RETRY``: a 429 in one chat must only delay that chat (the broadcaster retries it later),
    not pause all traffic as PTB's retry does. ``PRIORITY`` requests wait at the head of the overall queue.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        base = self._base_limiter
        if base is not None:
            self._base_limiter = PriorityLimiter(base.max_rate, base.time_period)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        """Pace the request; retry on flood control unless the caller asked for ``NO_RETRY``."""
        if isinstance(rate_limit_args, PriorityLane):
            token = _PRIORITY_REQUEST.set(True)
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            finally:
                _PRIORITY_REQUEST.reset(token)
        if not isinstance(rate_limit_args, NoRetryLane):
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        chat_id = data.get("chat_id")
        with contextlib.suppress(ValueError, TypeError):
            chat_id = int(chat_id)  # type: ignore[arg-type]
        # Same grouping rule as PTB: negative ids (and @names) are groups, channels or supergroups.
        group: int | str | bool = (
            chat_id if (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str) else False
        )
        return await self._run_request(
            chat=chat_id is not None,
            group=group,
            allow_paid_broadcast=bool(data.get("allow_paid_broadcast", False)),
            callback=callback,
            args=args,
            kwargs=kwargs,
        )
