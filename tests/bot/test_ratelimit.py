"""The bot's rate limiter: Telegram's pace for everyone, and a priority lane for receipts."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from telegram.ext import ExtBot

from bot.ratelimit import PRIORITY, PacedRateLimiter
from tests.fakebotapi import FakeBotAPI


@pytest.fixture
def server() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as fake:
        yield fake


async def arrival_of_last_request(server: FakeBotAPI, priority: bool) -> int:
    """Queue 40 ordinary messages at 20/s, then one more; where the last one reaches the server."""
    bot = ExtBot(
        server.token,
        base_url=server.base_url,
        base_file_url=server.base_file_url,
        rate_limiter=PacedRateLimiter(overall_max_rate=20, overall_time_period=1),
    )
    async with bot:
        queued = [asyncio.create_task(bot.send_message(1000 + n, f"提示{n}")) for n in range(40)]
        await asyncio.sleep(0.1)  # the burst has gone out; the rest wait in the limiter
        extra = {"rate_limit_args": PRIORITY} if priority else {}
        await bot.send_message(999, "回执", **extra)
        await asyncio.gather(*queued)
    order = [call.chat_id for call in server.sent_messages()]
    return order.index(999)


async def test_a_priority_message_overtakes_the_queue(server: FakeBotAPI) -> None:
    position = await arrival_of_last_request(server, priority=True)
    # 20 went out in the initial burst; the receipt is among the next few (requests released in order can
    # still reach the server a place or two apart).
    assert position <= 24, position


async def test_without_priority_a_message_waits_its_turn(server: FakeBotAPI) -> None:
    # Released after all 40 queued ones (arrival order may differ by a place or two, as above).
    assert await arrival_of_last_request(server, priority=False) >= 36


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
