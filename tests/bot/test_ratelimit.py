"""The bot's rate limiter: Telegram's pace for everyone, and a priority lane for receipts."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.ratelimit import PRIORITY, PacedRateLimiter
from handlers.lanes import NoRetryLane, PriorityLane

QUEUED = 40


async def release_order(priority: bool) -> tuple[list[int], int]:
    """Queue 40 ordinary requests at 20/s, then one more; the order the limiter released them in.

    Returns the order and how many had been released when the last one arrived. The limiter is driven
    directly (its callback records the release), so the order is the limiter's, not the network's.
    """
    limiter = PacedRateLimiter(overall_max_rate=20, overall_time_period=1)
    released: list[int] = []
    burst = asyncio.Event()

    async def send(chat_id: int) -> dict[str, Any]:
        released.append(chat_id)
        if len(released) == 20:
            burst.set()
        return {"ok": True}

    def request(chat_id: int, lane: PriorityLane | NoRetryLane | None) -> Any:
        data = {"chat_id": chat_id}
        return limiter.process_request(send, (chat_id,), {}, "sendMessage", data, lane)  # type: ignore[arg-type]

    await limiter.initialize()
    queued = [asyncio.create_task(request(1000 + n, None)) for n in range(QUEUED)]
    await burst.wait()  # the burst has gone out; the other 20 wait in the limiter
    before = len(released)
    await request(999, PRIORITY if priority else None)
    await asyncio.gather(*queued)
    await limiter.shutdown()
    return released, before


async def test_a_priority_request_is_the_next_one_released() -> None:
    order, before = await release_order(priority=True)
    # Released next, or one later when a waiter had already been woken as it arrived.
    assert before <= order.index(999) <= before + 1, (order.index(999), before)
    assert order.index(999) < QUEUED


async def test_without_priority_a_request_waits_its_turn() -> None:
    order, _ = await release_order(priority=False)
    assert order.index(999) == QUEUED  # after every one queued before it, first come first served
    assert order[:QUEUED] == [1000 + n for n in range(QUEUED)]


def test_the_private_parts_the_limiter_extends_are_those_of_the_pinned_versions() -> None:
    # bot/ratelimit.py subclasses aiolimiter's AsyncLimiter and PTB's AIORateLimiter beyond their public API;
    # pyproject.toml pins both. An upgrade that moves these parts fails here, not in production.
    import inspect
    from importlib.metadata import version

    from aiolimiter import AsyncLimiter
    from telegram.ext import AIORateLimiter

    assert version("aiolimiter") == "1.2.1" and version("python-telegram-bot") == "22.8"
    for name in ("_waiters", "_level", "_next_count", "max_rate", "_loop", "_wake_next", "has_capacity"):
        assert hasattr(AsyncLimiter, name), name  # slots, properties and methods of the class
    assert "_run_request" in dict(inspect.getmembers(AIORateLimiter))
    parameters = inspect.signature(AIORateLimiter._run_request).parameters
    assert list(parameters)[1:] == ["chat", "group", "allow_paid_broadcast", "callback", "args", "kwargs"]
    assert hasattr(PacedRateLimiter(max_retries=3), "_base_limiter")
