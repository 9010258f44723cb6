"""节前提醒 in Telegram: the real application, in-process, against the fake Bot API server.

The reminder service runs on a fixed clock (2026-09-20 10:00 China time): the next reminders are 中秋
(9月22日) and 国庆 (9月24日, 9月28日). The knowledge service is the instant fake; nothing loads a model.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assistant import scheduler as reminder_scheduler
from assistant.messages import GENERIC, describe
from common.clock import CHINA
from handlers import texts
from handlers.reminders import dates_text, summary_text, upcoming_html, when_text
from reminders.broadcast import BroadcastReport
from reminders.errors import CalendarError, ReminderError, TemplateError
from reminders.planner import PlannedReminder
from reminders.service import ReminderService
from tests.fakebotapi import FakeBotAPI
from tests.handlers.harness import Driver, fake_services, running_app
from wiring.settings import load_settings

NOW = dt.datetime(2026, 9, 20, 10, 0, tzinfo=CHINA)
ADMIN = 4242  # a bot admin (QINGFENG_TELEGRAM_ADMINS)
ANONYMOUS_ADMIN_BOT = 1087968824  # Telegram's GroupAnonymousBot
MID_AUTUMN = "2026-mid_autumn-main"
_message_ids = itertools.count(900_001)  # far from the fake server's own message ids


@dataclass
class Clock:
    """The reminder service's clock, moved by hand."""

    now: dt.datetime = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Bot(Driver):
    """The running application and the fake server it talks to."""

    clock: Clock

    @property
    def service(self) -> ReminderService:
        return self.app.bot_data.running.reminders

    async def subscribed(self, chat_id: int) -> bool:
        return await asyncio.to_thread(self.service.is_subscribed, chat_id)


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    with FakeBotAPI() as api:
        settings = load_settings(
            {
                "data_dir": tmp_path,
                "telegram_token": api.token,
                "telegram_base_url": api.base_url,
                "telegram_admins": (ADMIN,),
            }
        )
        clock = Clock()
        async with running_app(settings, functools.partial(fake_services, clock=clock)) as app:
            yield Bot(api, app, clock)


def _anonymous_admin_message(
    chat_id: int, title: str, text: str, sender_chat_id: int | None = None
) -> dict[str, Any]:
    """A command from an anonymous group admin: sent by GroupAnonymousBot on behalf of the group."""
    chat = {"id": chat_id, "type": "supergroup", "title": title}
    sender_chat = (
        chat if sender_chat_id is None else {"id": sender_chat_id, "type": "channel", "title": "频道"}
    )
    return {
        "message_id": next(_message_ids),
        "from": {
            "id": ANONYMOUS_ADMIN_BOT,
            "is_bot": True,
            "first_name": "Group",
            "username": "GroupAnonymousBot",
        },
        "sender_chat": sender_chat,
        "chat": chat,
        "date": int(time.time()),
        "text": text,
        "entities": [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}],
    }


def _reminders_received(api: FakeBotAPI, chat_id: int, title: str = "2026年中秋节节前廉洁提醒") -> int:
    return sum(title in (c.text or "") for c in api.sent_messages(chat_id))


# Subscriptions


async def test_private_chat_subscribes_and_unsubscribes(bot: Bot) -> None:
    reply = await bot.say(501, "/subscribe")
    assert reply.text.startswith(texts.SUBSCRIBED)
    assert "下一次提醒：2026年9月22日（周二）09:00，中秋节节前廉洁提醒。" in reply.text
    assert await bot.subscribed(501)
    assert (await bot.say(501, "/subscribe")).text.startswith(texts.ALREADY_SUBSCRIBED)
    assert (await bot.say(501, "/unsubscribe")).text == texts.UNSUBSCRIBED
    assert not await bot.subscribed(501)
    assert (await bot.say(501, "/unsubscribe")).text == texts.NOT_SUBSCRIBED
    # A private subscriber is listed without the person's name.
    assert (await bot.say(501, "/subscribe")).text.startswith(texts.SUBSCRIBED)
    titles = {s.chat_id: s.title for s in bot.service.subscriptions()}
    assert titles[501] == texts.PRIVATE_CHAT_TITLE


async def test_in_a_group_only_admins_may_subscribe_or_unsubscribe(bot: Bot) -> None:
    group = -1001502
    bot.api.set_admins(group, [77], creator=78)
    in_group = {"chat_type": "supergroup", "chat_title": "第一纪检组"}

    refused = await bot.say(group, "/subscribe", user_id=76, **in_group)
    assert refused.text == texts.GROUP_ADMINS_ONLY and not await bot.subscribed(group)

    accepted = await bot.say(group, "/subscribe@qingfeng_test_bot", user_id=77, **in_group)
    assert accepted.text.startswith(texts.SUBSCRIBED)
    assert {s.chat_id: s.title for s in bot.service.subscriptions()}[group] == "第一纪检组"

    assert (await bot.say(group, "/unsubscribe", user_id=76, **in_group)).text == texts.GROUP_ADMINS_ONLY
    assert await bot.subscribed(group)
    assert (await bot.say(group, "/unsubscribe", user_id=78, **in_group)).text == texts.UNSUBSCRIBED
    assert not await bot.subscribed(group)


async def test_a_bot_admin_may_subscribe_any_group(bot: Bot) -> None:
    group = -1001503
    bot.api.set_admins(group, [77])
    reply = await bot.say(group, "/subscribe", user_id=ADMIN, chat_type="group", chat_title="驻在部门")
    assert reply.text.startswith(texts.SUBSCRIBED) and await bot.subscribed(group)


async def test_anonymous_group_admins_may_subscribe_but_channels_may_not(bot: Bot) -> None:
    group = -1001504
    mark = bot.api.mark()
    bot.api.push({"message": _anonymous_admin_message(group, "匿名管理员群", "/subscribe")})
    assert (await bot.reply(group, mark)).text.startswith(texts.SUBSCRIBED)
    assert await bot.subscribed(group)

    other = -1001505
    mark = bot.api.mark()
    bot.api.push(
        {"message": _anonymous_admin_message(other, "讨论群", "/subscribe", sender_chat_id=-1009999)}
    )
    assert (await bot.reply(other, mark)).text == texts.GROUP_ADMINS_ONLY
    assert not await bot.subscribed(other)


async def test_group_upgraded_to_supergroup_keeps_its_subscription(bot: Bot) -> None:
    old, new = -506, -1001506
    bot.api.set_admins(old, [77])
    await bot.say(old, "/subscribe", user_id=77, chat_type="group", chat_title="老群")
    assert await bot.subscribed(old)
    bot.api.push(
        {
            "message": {
                "message_id": next(_message_ids),
                "from": {"id": 77, "is_bot": False, "first_name": "管理员"},
                "chat": {"id": old, "type": "group", "title": "老群"},
                "date": int(time.time()),
                "migrate_to_chat_id": new,
            }
        }
    )
    deadline = time.monotonic() + 10
    while not await bot.subscribed(new) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert await bot.subscribed(new) and not await bot.subscribed(old)
    reply = await bot.say(new, "/reminders", user_id=77, chat_type="supergroup", chat_title="老群")
    assert texts.CHAT_SUBSCRIBED in reply.text


# What is planned


async def test_reminders_lists_the_next_five_with_holiday_dates(bot: Bot) -> None:
    reply = await bot.say(507, "/reminders")
    assert reply.params["parse_mode"] == "HTML"
    lines = reply.text.split("\n")
    assert lines[0] == texts.REMINDERS_HEADER
    assert lines[1] == "1. 2026年9月22日（周二）09:00　中秋节节前廉洁提醒"
    assert lines[2] == "　　假期：2026年9月25日至27日"
    assert lines[3] == "2. 2026年9月24日（周四）09:00　国庆节节前廉洁提醒"
    assert lines[4] == "　　假期：2026年10月1日至7日"
    assert lines[5].startswith("3. 2026年9月28日（周一）09:00　国庆节")
    assert lines[7].startswith("4. 2026年12月29日") and "元旦" in lines[7]
    assert lines[8] == "　　假期：2027年1月1日至3日（估算日期）"
    assert lines[9].startswith("5. 2027年") and "春节" in lines[9]
    assert "6. " not in reply.text and texts.ESTIMATED_NOTE in reply.text
    assert lines[-1] == texts.CHAT_NOT_SUBSCRIBED
    await bot.say(507, "/subscribe")
    assert (await bot.say(507, "/reminders")).text.endswith(texts.CHAT_SUBSCRIBED)


async def test_preview_shows_the_full_text_in_this_chat_only(bot: Bot) -> None:
    await bot.say(508, "/subscribe")
    group = -1001508
    mark = bot.api.mark()
    header = await bot.say(group, "/preview 国庆", user_id=76, chat_type="supergroup", chat_title="预览群")
    assert "国庆节节前廉洁提醒" in header.text and "2026年9月24日（周四）09:00" in header.text
    body = await bot.reply(group, header.index + 1)
    assert body.params["parse_mode"] == "HTML"
    assert body.text.startswith("<b>2026年国庆节节前廉洁提醒</b>") and "10月1日至7日" in body.text
    assert "《中国共产党纪律处分条例》" in body.text
    expected = bot.service.next_one(holiday="国庆")
    assert expected is not None and expected.reminder.html == body.text
    # Nobody else got anything: a preview is never a broadcast.
    assert {c.chat_id for c in bot.api.calls()[mark:] if c.method == "sendMessage"} == {group}
    assert not bot.service.store.deliveries()

    plain = await bot.say(508, "/preview")
    assert "中秋节节前廉洁提醒" in plain.text
    await bot.reply(508, plain.index + 1)  # its full text
    assert (await bot.say(508, "/preview 植树节")).text == texts.PREVIEW_NOT_FOUND.format(holiday="植树节")


# Broadcasting now


async def test_broadcast_now_is_for_bot_admins_only(bot: Bot) -> None:
    await bot.say(509, "/subscribe")
    assert (await bot.say(509, "/broadcast_now")).text == texts.BOT_ADMINS_ONLY
    group = -1001509
    bot.api.set_admins(group, [77])
    refused = await bot.say(group, "/broadcast_now", user_id=77, chat_type="supergroup")
    assert refused.text == texts.BOT_ADMINS_ONLY
    assert _reminders_received(bot.api, 509) == 0


async def test_broadcast_now_sends_every_subscriber_the_reminder_exactly_once(bot: Bot) -> None:
    group = -1001510
    bot.api.set_admins(group, [77])
    await bot.say(510, "/subscribe")
    await bot.say(511, "/subscribe")
    await bot.say(group, "/subscribe", user_id=77, chat_type="supergroup", chat_title="驻在部门群")
    subscribers = (510, 511, group)

    question = await bot.say(ADMIN, "/broadcast_now")
    assert "<b>中秋节节前廉洁提醒</b>" in question.text and "订阅的聊天：3 个" in question.text
    assert question.buttons() == [("确认发送", f"bc:yes:{MID_AUTUMN}"), ("取消", "bc:no")]
    message_id = question.message_id

    # Someone else pressing the button (had they got hold of it) is refused.
    mark = bot.api.mark()
    bot.api.press(ADMIN, message_id, f"bc:yes:{MID_AUTUMN}", user_id=510)
    refusal = await bot.call("answerCallbackQuery", mark)
    assert refusal.params["text"] == texts.BOT_ADMINS_ONLY

    mark = bot.api.mark()
    bot.api.press(ADMIN, message_id, f"bc:yes:{MID_AUTUMN}", user_id=ADMIN)
    edited = await bot.call("editMessageText", mark)
    assert edited.text == texts.BROADCAST_STARTED.format(title="中秋节节前廉洁提醒")
    summary = await bot.reply(ADMIN, mark, lambda r: "群发完成" in r.text)
    assert summary.text == texts.BROADCAST_DONE.format(
        title="中秋节节前廉洁提醒", sent=3, failed=0, unsubscribed=0
    )
    assert {chat: _reminders_received(bot.api, chat) for chat in subscribers} == dict.fromkeys(subscribers, 1)
    assert _reminders_received(bot.api, ADMIN) == 0

    # A second tap on the same confirmation starts nothing.
    mark = bot.api.mark()
    bot.api.press(ADMIN, message_id, f"bc:yes:{MID_AUTUMN}", user_id=ADMIN)
    await bot.call("answerCallbackQuery", mark)
    # A fresh confirmation goes through, but every chat already has the reminder.
    question = await bot.say(ADMIN, "/broadcast_now")
    mark = bot.api.mark()
    bot.api.press(ADMIN, question.message_id, f"bc:yes:{MID_AUTUMN}", user_id=ADMIN)
    again = await bot.reply(ADMIN, mark, lambda r: "群发完成" in r.text)
    assert again.text == texts.BROADCAST_NOTHING_NEW.format(title="中秋节节前廉洁提醒")
    # The scheduled run at 09:00 on 9月22日 (same reminder id, same delivery log) sends only to a newcomer.
    await bot.say(513, "/subscribe")
    bot.clock.now = dt.datetime(2026, 9, 22, 9, 0, tzinfo=CHINA)
    await reminder_scheduler.run_reminder(MID_AUTUMN)

    everyone = (*subscribers, 513)
    assert {chat: _reminders_received(bot.api, chat) for chat in everyone} == dict.fromkeys(everyone, 1)
    log = bot.service.store.deliveries(MID_AUTUMN)
    assert sorted(d.chat_id for d in log) == sorted(everyone) and {d.status for d in log} == {"sent"}


async def test_cancelled_broadcast_sends_nothing(bot: Bot) -> None:
    await bot.say(512, "/subscribe")
    question = await bot.say(ADMIN, "/broadcast_now")
    mark = bot.api.mark()
    bot.api.press(ADMIN, question.message_id, "bc:no", user_id=ADMIN)
    edited = await bot.call("editMessageText", mark)
    assert edited.text == texts.CANCELLED
    # A second tap on 取消 is answered quietly (no "出错了" for a message that already says 已取消).
    mark = bot.api.mark()
    bot.api.press(ADMIN, question.message_id, "bc:no", user_id=ADMIN)
    await bot.call("answerCallbackQuery", mark)
    while not [c for c in bot.api.calls("editMessageText")[1:] if not c.ok]:  # refused: "not modified"
        await asyncio.sleep(0.01)
    await bot.settled()  # the second tap fully handled, error handler included
    assert GENERIC.rstrip("。") not in [c.text for c in bot.api.sent_messages(ADMIN)]
    assert _reminders_received(bot.api, 512) == 0 and not bot.service.store.deliveries()


async def test_broadcast_now_without_subscribers_asks_nothing(bot: Bot) -> None:
    reply = await bot.say(ADMIN, "/broadcast_now")
    assert reply.text == texts.NO_SUBSCRIBERS and not reply.buttons()


# Rendering and errors (no Telegram needed)


def _planned(**kwargs: Any) -> PlannedReminder:
    values: dict[str, Any] = {
        "id": "2027-spring_festival-main",
        "send_at": dt.datetime(2027, 2, 2, 9, 0, tzinfo=CHINA),
        "kind": "holiday",
        "title": "春节节前廉洁提醒",
        "holiday_key": "spring_festival",
        "holiday_name": "春节",
        "holiday_start": dt.date(2027, 2, 5),
        "holiday_end": dt.date(2027, 2, 10),
        "source": "estimated",
    }
    return PlannedReminder(**{**values, **kwargs})


def test_dates_and_times_read_naturally() -> None:
    assert when_text(dt.datetime(2027, 2, 2, 9, 0, tzinfo=CHINA)) == "2027年2月2日（周二）09:00"
    assert dates_text(dt.date(2026, 10, 1), dt.date(2026, 10, 7)) == "2026年10月1日至7日"
    assert dates_text(dt.date(2025, 9, 29), dt.date(2025, 10, 6)) == "2025年9月29日至10月6日"
    assert dates_text(dt.date(2026, 12, 31), dt.date(2027, 1, 2)) == "2026年12月31日至2027年1月2日"
    assert dates_text(dt.date(2027, 6, 9), dt.date(2027, 6, 9)) == "2027年6月9日"


def test_operator_titles_are_escaped_and_custom_reminders_have_no_dates() -> None:
    custom = _planned(id="custom-x", kind="custom", title="升学宴<提醒>", holiday_start=None, source="")
    html = upcoming_html([custom], subscribed=True)
    assert "升学宴&lt;提醒&gt;" in html and "假期" not in html and texts.ESTIMATED_NOTE not in html
    assert upcoming_html([], subscribed=False).split("\n")[1] == texts.NO_UPCOMING


def test_broadcast_summaries() -> None:
    planned = _planned()
    assert summary_text(planned, None) == texts.BROADCAST_SKIPPED.format(title="春节节前廉洁提醒")
    report = BroadcastReport(planned.id, sent=[1, 2], failed={3: "x"}, unsubscribed={4: "blocked"})
    report.migrated = {-5: -1005}
    text = summary_text(planned, report)
    assert "成功 2 个，失败 1 个，退订 1 个" in text and "1 个群已升级为超级群" in text


def test_reminder_errors_are_described_in_chinese() -> None:
    assert describe(CalendarError("holidays.toml 第3行")).startswith("节假日日历有误")
    assert describe(TemplateError("national_day.toml 缺少 title")).startswith("提醒模板有误")
    assert describe(ReminderError("x")) == "节前提醒出错：x"
