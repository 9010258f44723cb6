"""Telegram's rate limits for everything the bot sends, with a no-retry mode for broadcasts."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import AIORateLimiter


class _NoRetry(int):
    """Zero retries, but truthy: ExtBot silently drops a falsy ``rate_limit_args`` (``if not ...``)."""

    def __bool__(self) -> bool:
        """Always true, so ExtBot hands the value on to the limiter."""
        return True

    def __repr__(self) -> str:
        """Name it in PTB's debug log."""
        return "NO_RETRY"


# Passed as ``rate_limit_args``: pace the request but hand a RetryAfter straight back to the caller.
# A plain 0 would be dropped by ExtBot and reach the limiter as None, i.e. PTB's retry, which on every 429
# pauses all chats for retry_after and then lets the requests paced meanwhile out in one burst (found by
# bench/broadcast.py). A plain AIORateLimiter reads it as max_retries=0.
NO_RETRY: int = _NoRetry(0)


class PacedRateLimiter(AIORateLimiter):
    """PTB's limiter (≤ 30 messages/s overall, ≤ 20/min per group) shared by replies and broadcasts.

    Replies keep PTB's behaviour: on flood control every request waits and the reply is retried. A broadcast
    asks for ``NO_RETRY``: a 429 in one chat must only delay that chat (the broadcaster retries it later),
    not pause all traffic as PTB's retry does.
    """

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
        if not isinstance(rate_limit_args, _NoRetry):
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
