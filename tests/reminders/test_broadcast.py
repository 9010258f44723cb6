"""Broadcasts through the real bot stack against the fake Bot API: faults, migration, exactly once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from telegram.ext import AIORateLimiter, ExtBot

from bot.sender import TelegramSender
from reminders.broadcast import Broadcaster
from reminders.store import ReminderStore
from tests.fakebotapi import FakeBotAPI
from tests.fakes import migrated

DAY = dt.date(2026, 9, 28)


@pytest.fixture
def server() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as fake:
        yield fake


@pytest.fixture
def store(tmp_path: Path) -> ReminderStore:
    return ReminderStore(migrated(f"sqlite:///{tmp_path / 'r.db'}"))


def bot_for(server: FakeBotAPI) -> ExtBot:  # type: ignore[type-arg]
    return ExtBot(
        server.token,
        base_url=server.base_url,
        base_file_url=server.base_file_url,
        rate_limiter=AIORateLimiter(max_retries=0),
    )


async def no_sleep(seconds: float) -> None:
    return None


def delivered(server: FakeBotAPI) -> dict[int, int]:
    counts: dict[int, int] = {}
    for call in server.sent_messages():
        counts[call.chat_id] = counts.get(call.chat_id, 0) + 1
    return counts


async def test_faults_are_handled_and_every_chat_gets_it_once(
    server: FakeBotAPI, store: ReminderStore
) -> None:
    chats = [-1000 - n for n in range(30)]
    for chat in chats:
        store.subscribe(chat, f"群{chat}", DAY)
    server.fail("sendMessage", 429, times=2, retry_after=1)
    server.fail("sendMessage", 500, times=2)
    async with bot_for(server) as bot:
        broadcaster = Broadcaster(store, TelegramSender(bot), sleep=no_sleep)
        report = await broadcaster.broadcast("2026-national_day-main", "<b>国庆节前廉洁提醒</b>")
    assert sorted(report.sent) == sorted(chats)
    assert delivered(server) == {chat: 1 for chat in chats}
    assert report.retries == 4
    assert {d.status for d in store.deliveries("2026-national_day-main")} == {"sent"}


async def test_blocked_chat_is_unsubscribed_and_migrated_group_keeps_its_subscription(
    server: FakeBotAPI, store: ReminderStore
) -> None:
    store.subscribe(-20, "旧群", DAY)  # chats are served in id order: this one first
    store.subscribe(-10, "拉黑的群", DAY)
    server.fail("sendMessage", 400, times=1, migrate_to_chat_id=-1009999)
    async with bot_for(server) as bot:
        broadcaster = Broadcaster(store, TelegramSender(bot), concurrency=1, sleep=no_sleep)
        report = await broadcaster.broadcast("r1", "提醒")
        assert report.migrated == {-20: -1009999}
        subscribed = {s.chat_id for s in store.subscriptions()}
        assert -1009999 in subscribed and -20 not in subscribed
        assert delivered(server) == {-1009999: 1, -10: 1}
        server.fail("sendMessage", 403, times=1)
        store.subscribe(-5, "新群", DAY)
        second = await broadcaster.broadcast("r2", "提醒")
    # In the second broadcast the first chat (in id order) got the 403 and was unsubscribed with the reason.
    assert len(second.unsubscribed) == 1
    gone = next(iter(second.unsubscribed))
    assert gone not in {s.chat_id for s in store.subscriptions()}
    assert "forbidden" in next(s.note for s in store.subscriptions(active_only=False) if s.chat_id == gone)


async def test_a_second_run_sends_nothing_again(server: FakeBotAPI, store: ReminderStore) -> None:
    for chat in range(1, 6):
        store.subscribe(chat, "", DAY)
    async with bot_for(server) as bot:
        broadcaster = Broadcaster(store, TelegramSender(bot), sleep=no_sleep)
        await broadcaster.broadcast("r", "提醒")
        again = await broadcaster.broadcast("r", "提醒")
    assert again.sent == []
    assert delivered(server) == {chat: 1 for chat in range(1, 6)}


async def test_persistent_errors_are_bounded_and_recorded(server: FakeBotAPI, store: ReminderStore) -> None:
    store.subscribe(77, "", DAY)
    server.fail("sendMessage", 500, times=10)
    async with bot_for(server) as bot:
        report = await Broadcaster(store, TelegramSender(bot), max_attempts=3, sleep=no_sleep).broadcast(
            "r", "x"
        )
    assert 77 in report.failed
    assert [d.status for d in store.deliveries("r")] == ["failed"]
    assert len([c for c in server.calls("sendMessage") if not c.ok]) == 3
