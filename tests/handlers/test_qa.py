"""Q&A handlers in process (fake knowledge service): what the bot does not say is checked once it has finished."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from handlers.lanes import PRIORITY
from tests.fakebotapi import FakeBotAPI
from tests.handlers.harness import Driver, fake_services, running_app
from wiring.settings import load_settings

GROUP = -100200


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Driver]:
    with FakeBotAPI() as api:
        settings = load_settings(
            {"data_dir": tmp_path, "telegram_token": api.token, "telegram_base_url": api.base_url}
        )
        async with running_app(settings, functools.partial(fake_services)) as app:
            yield Driver(api, app)


async def test_group_chatter_gets_nothing_and_only_ask_is_answered(bot: Driver) -> None:
    mark = bot.api.mark()
    bot.api.send_text(GROUP, "今天中午食堂吃什么", chat_type="supergroup", chat_title="办公室")
    bot.api.send_text(GROUP, "公车能私用吗", chat_type="supergroup", chat_title="办公室")
    await bot.settled()  # both handled
    assert not [c for c in bot.api.calls()[mark:] if c.chat_id == GROUP]
    answer = await bot.say(GROUP, "/ask 公车能私用吗", chat_type="supergroup", chat_title="办公室")
    assert answer.text  # (the fake knowledge service's gate refuses; the real answer is tests/bot's e2e)
    await bot.settled()
    assert len(bot.api.sent_messages(GROUP)) == 1


async def test_start_and_help_take_the_priority_lane_and_answers_do_not(bot: Driver) -> None:
    # Under load the limiter's queue is full of answers and edits: /start and /help go ahead of them.
    limiter = bot.app.bot.rate_limiter
    assert limiter is not None
    lanes: list[tuple[str, object]] = []
    process = limiter.process_request

    async def recording(callback, args, kwargs, endpoint, data, rate_limit_args):  # type: ignore[no-untyped-def]
        if endpoint == "sendMessage":
            lanes.append((str(data.get("text", ""))[:4], rate_limit_args))
        return await process(callback, args, kwargs, endpoint, data, rate_limit_args)

    limiter.process_request = recording  # type: ignore[method-assign]
    start = await bot.say(7001, "/start")
    assert (
        "清风" in start.text
        and start.params.get("parse_mode") == "HTML"
        and "reply_parameters" not in start.params
    )
    await bot.say(7001, "/help")
    await bot.say(7001, "公车能私用吗")
    in_group = await bot.say(GROUP, "/start", chat_type="supergroup", chat_title="办公室")
    assert "reply_parameters" in in_group.params  # quoted in a group, as reply_html does
    await bot.settled()
    assert [lane for _, lane in lanes] == [PRIORITY, PRIORITY, None, PRIORITY], lanes
