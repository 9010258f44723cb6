"""1,000 subscribed chats through the bot's real limiter and HTTP stack, with injected 429s and 403s.

Throughput at Telegram's real 30 messages/s is measured by bench/broadcast.py; here the overall rate is
raised so the suite stays fast, and the checks are about correctness and about the shape of the pacing.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import ExtBot

from bot.ratelimit import PacedRateLimiter
from bot.sender import TelegramSender
from reminders.broadcast import Broadcaster
from reminders.store import ReminderStore
from tests.fakebotapi import FakeBotAPI
from wiring.factory import build_engine
from wiring.settings import load_settings

DAY = dt.date(2026, 9, 28)
REMINDER = "2026-national_day-main"
FIRST_CHAT = -1001000000000


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB warns on every RetryAfter unless opted in to timedeltas; TelegramSender reads both forms.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def server() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as fake:
        yield fake


@pytest.fixture
def store(tmp_path: Path) -> ReminderStore:
    # The bot's own engine (WAL, synchronous=NORMAL): with SQLite's defaults 2,000 commits wait for the disk.
    return ReminderStore(build_engine(load_settings({"data_dir": tmp_path})))


def paced_bot(server: FakeBotAPI, **limits: Any) -> ExtBot[Any]:
    # max_retries=3 as in bot/app.py: broadcasts must still get their 429s back instead of PTB retrying.
    return ExtBot(
        server.token,
        base_url=server.base_url,
        base_file_url=server.base_file_url,
        rate_limiter=PacedRateLimiter(max_retries=3, **limits),
    )


def subscribe(store: ReminderStore, count: int) -> list[int]:
    chats = [FIRST_CHAT - n for n in range(count)]
    for chat in chats:
        store.subscribe(chat, f"群{chat}", DAY)
    return chats


async def test_thousand_chats_each_get_the_reminder_exactly_once(
    server: FakeBotAPI, store: ReminderStore
) -> None:
    chats = subscribe(store, 1000)
    plan = server.fail_randomly("sendMessage", chats, rate_429=0.05, rate_403=0.02, seed=3, retry_after=1)
    kicked = {chat for chat, status in plan.items() if status == 403}
    throttled = {chat for chat, status in plan.items() if status == 429}
    assert (len(kicked), len(throttled)) == (20, 50)

    async with paced_bot(server, overall_max_rate=1000) as bot:
        broadcaster = Broadcaster(store, TelegramSender(bot))
        report = await broadcaster.broadcast(REMINDER, "<b>国庆节前廉洁提醒</b>")
        mark = server.mark()
        again = await broadcaster.broadcast(REMINDER, "<b>国庆节前廉洁提醒</b>")

    calls = server.calls("sendMessage")
    delivered = Counter(c.chat_id for c in calls if c.status == 200)
    # Exactly one 200 per chat that still has the bot, none where it was kicked: no duplicates, no losses.
    assert delivered == Counter({chat: 1 for chat in chats if chat not in kicked})
    attempts: dict[int, list[int]] = {}
    for call in calls:
        attempts.setdefault(call.chat_id, []).append(call.status)
    assert all(attempts[chat] == [429, 200] for chat in throttled)
    assert all(attempts[chat] == [403] for chat in kicked)
    # Each 429 came back to the broadcaster (which waits for that chat only), not retried inside PTB.
    assert report.retries == len(throttled)
    assert sorted(report.sent) == sorted(set(chats) - kicked)
    assert set(report.unsubscribed) == kicked and not report.failed

    gone = {s.chat_id: s.note for s in store.subscriptions(active_only=False) if not s.active}
    assert set(gone) == kicked
    assert all("bot was kicked from the group chat" in note for note in gone.values())
    rows = {d.chat_id: d for d in store.deliveries(REMINDER)}
    assert len(rows) == len(chats)
    assert {chat for chat, d in rows.items() if d.status == "dropped"} == kicked
    assert all("kicked" in rows[chat].detail for chat in kicked)
    assert {d.status for chat, d in rows.items() if chat not in kicked} == {"sent"}

    assert again.sent == [] and not again.unsubscribed
    assert server.mark() == mark  # the second run sent nothing at all


async def test_a_429_delays_only_its_own_chat(server: FakeBotAPI, store: ReminderStore) -> None:
    chats = subscribe(store, 10)
    throttled = min(chats)  # served first: pending chats come in id order
    server.fail_chats("sendMessage", {throttled: (429, 1, 2)})
    async with paced_bot(server) as bot:
        # Two at a time: while the throttled chat waits, the other slot works through the rest.
        report = await Broadcaster(store, TelegramSender(bot), concurrency=2).broadcast(REMINDER, "提醒")
    assert report.retries == 1 and len(report.sent) == 10
    calls = server.calls("sendMessage")
    first_try, retry = (c for c in calls if c.chat_id == throttled)
    others = [c for c in calls if c.chat_id != throttled]
    assert retry.t - first_try.t >= 2.0  # it waited as told
    # The others were not paused with it (PTB's own retry would hold every request for 2.1 s).
    assert max(c.t for c in others) - first_try.t < 1.5


async def test_default_limiter_paces_at_thirty_per_second(server: FakeBotAPI, store: ReminderStore) -> None:
    chats = subscribe(store, 90)
    async with paced_bot(server) as bot:  # the real limits: 30/s overall, 20/min per group
        broadcaster = Broadcaster(store, TelegramSender(bot))
        started = time.monotonic()
        report = await broadcaster.broadcast(REMINDER, "提醒")
        elapsed = time.monotonic() - started
    assert len(report.sent) == len(chats)
    # aiolimiter's leaky bucket holds 30 and drains 30/s, starting empty: 30 go at once, then one every
    # 1/30 s, so the 90th cannot leave before 2 s. A slow machine only makes it later.
    assert elapsed >= 1.95
    # The same bound for every request, on the server's arrival times (time.monotonic, like `started`; a
    # request arrives after it left the limiter): the k-th (from 0) never before (k - 29) / 30 s.
    # Not asserted: "≤ 30 in every 1-second window". A leaky bucket allows a burst of up to 30 more
    # whenever it has drained, e.g. after the event loop stalled on a loaded machine, so that would be
    # flaky without being a fault; bench/broadcast.py reports the window maximum.
    arrivals = sorted(c.t - started for c in server.calls("sendMessage"))
    assert len(arrivals) == len(chats)
    early = [(k, round(t, 3)) for k, t in enumerate(arrivals) if t < (k - 29) / 30 - 0.005]
    assert not early, f"faster than 30/s after the first 30: {early}"
