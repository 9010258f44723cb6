"""Q&A handlers in process (fake knowledge service): what the bot does not say is checked once it has finished."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

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
