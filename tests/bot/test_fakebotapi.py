"""The fake Bot API server, driven by python-telegram-bot's real HTTP stack over loopback."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import io
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Iterator

import pytest
from PIL import Image
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.fakebotapi import DEFAULT_TOKEN, FakeBotAPI, as_chat_id, utf16_len

CHAT = 42


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    """A running fake server, stopped after the test."""
    with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    """A real PTB Bot talking to the fake server."""
    async with Bot(DEFAULT_TOKEN, base_url=api.base_url, base_file_url=api.base_file_url) as client:
        yield client


def _push_later(delay: float, fn, *args) -> threading.Timer:  # type: ignore[no-untyped-def]
    timer = threading.Timer(delay, fn, args)
    timer.start()
    return timer


def test_token_and_urls_look_real(api: FakeBotAPI) -> None:
    """The default token has a real token's shape and the URLs are what PTB expects."""
    bot_id, _, secret = DEFAULT_TOKEN.partition(":")
    assert bot_id.isdigit() and len(secret) == 35
    assert all(c.isalnum() or c in "_-" for c in secret)
    assert api.base_url == f"http://127.0.0.1:{api.port}/bot"
    assert api.base_file_url == f"http://127.0.0.1:{api.port}/file/bot"


async def test_get_me(api: FakeBotAPI, bot: Bot) -> None:
    """getMe answers with the test bot's identity."""
    me = await bot.get_me()
    assert me.username == "qingfeng_test_bot"
    assert me.id == 7000001 and me.is_bot and me.first_name == "清风"
    assert me.can_join_groups and not me.can_read_all_group_messages and not me.supports_inline_queries
    assert all(c.ok for c in api.calls("getMe"))


async def test_send_message_records_decoded_markup(api: FakeBotAPI, bot: Bot) -> None:
    """sendMessage is recorded with reply_markup decoded and echoed in the returned Message."""
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("是", callback_data="yes")]])
    sent = await bot.send_message(CHAT, "你好 [1]", reply_markup=markup)
    call = api.sent_messages(CHAT)[-1]
    assert call.chat_id == CHAT and call.params["chat_id"] == "42"
    assert call.params["text"] == "你好 [1]"
    assert call.params["reply_markup"] == {"inline_keyboard": [[{"text": "是", "callback_data": "yes"}]]}
    assert sent.text == "你好 [1]" and sent.chat.id == CHAT and sent.from_user.id == 7000001
    assert sent.reply_markup == markup
    again = await bot.send_message(CHAT, "第二条")
    assert again.message_id > sent.message_id
    assert api.sent_texts(CHAT) == ["你好 [1]", "第二条"]


async def test_long_poll_wakes_on_push_and_respects_offset(api: FakeBotAPI, bot: Bot) -> None:
    """A waiting getUpdates returns as soon as another thread pushes; offset confirms updates."""
    timer = _push_later(0.2, api.send_text, CHAT, "在吗")
    start = time.monotonic()
    updates = await bot.get_updates(timeout=5)
    elapsed = time.monotonic() - start
    timer.join()
    assert 0.15 < elapsed < 2.0
    assert [u.message.text for u in updates] == ["在吗"]
    first = updates[0].update_id
    assert first in api.update_times

    second = api.send_text(CHAT, "第二条")
    third = api.send_text(CHAT, "第三条")
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [first, second, third]  # unconfirmed updates come back
    assert [u.update_id for u in await bot.get_updates(offset=second + 1, timeout=0)] == [third]
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [third]  # older ones gone for good
    assert [u.update_id for u in await bot.get_updates(offset=third, limit=1, timeout=0)] == [third]
    start = time.monotonic()
    assert await bot.get_updates(offset=third + 1, timeout=0.3) == ()
    assert 0.25 < time.monotonic() - start < 2.0


async def test_retry_after(api: FakeBotAPI, bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    """429 with retry_after raises RetryAfter carrying that value; the next call succeeds."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    api.fail("sendMessage", 429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "hi")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)
    failed = api.calls("sendMessage")[-1]
    assert (failed.ok, failed.status, failed.description) == (False, 429, "Too Many Requests: retry after 7")
    await bot.send_message(CHAT, "hi")
    assert len(api.sent_messages(CHAT)) == 1


async def test_forbidden(api: FakeBotAPI, bot: Bot) -> None:
    """403 raises Forbidden with Telegram's description."""
    api.fail("sendMessage", 403)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "hi")


async def test_chat_migrated(api: FakeBotAPI, bot: Bot) -> None:
    """400 with migrate_to_chat_id raises ChatMigrated with the new chat id."""
    api.fail("sendMessage", 400, migrate_to_chat_id=-1001234567890)
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(-123, "hi")
    assert caught.value.new_chat_id == -1001234567890


async def test_server_error_is_network_error(api: FakeBotAPI, bot: Bot) -> None:
    """500 raises NetworkError; `times` faults apply to that many calls only."""
    api.fail("sendChatAction", 500, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError) as caught:
            await bot.send_chat_action(CHAT, "typing")
        assert not isinstance(caught.value, BadRequest)
    assert await bot.send_chat_action(CHAT, "typing") is True
    assert [c.status for c in api.calls("sendChatAction")] == [500, 500, 200]


async def test_per_chat_faults(api: FakeBotAPI, bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    """fail_chats fails chosen chats only, whatever the order; a 403 with times=None fails every time."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    api.fail_chats("sendMessage", {-1: (429, 1, 3), -2: (403, None, None)})
    await bot.send_message(-3, "hi")  # another chat is unaffected, and does not use up the faults
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await bot.send_message(-2, "hi")
    with pytest.raises(RetryAfter):
        await bot.send_message(-1, "hi")
    await bot.send_message(-1, "hi")
    with pytest.raises(Forbidden):
        await bot.send_message(-2, "hi")
    assert [(c.chat_id, c.status) for c in api.calls("sendMessage")] == [
        (-3, 200),
        (-2, 403),
        (-1, 429),
        (-1, 200),
        (-2, 403),
    ]
    assert api.calls("sendMessage")[2].description == "Too Many Requests: retry after 3"
    assert [c.chat_id for c in api.sent_messages()] == [-3, -1]  # failed attempts deliver nothing


def test_random_faults_are_seeded_and_exact(api: FakeBotAPI) -> None:
    """fail_randomly picks exactly round(rate × chats) disjoint chats, the same ones for the same seed."""
    chats = [-n for n in range(1, 201)]
    plan = api.fail_randomly("sendMessage", chats, rate_429=0.05, rate_403=0.02, seed=7)
    assert sorted(plan.values()).count(429) == 10 and sorted(plan.values()).count(403) == 4
    assert set(plan) <= set(chats)
    assert FakeBotAPI().fail_randomly("sendMessage", reversed(chats), 0.05, 0.02, seed=7) == plan
    assert FakeBotAPI().fail_randomly("sendMessage", chats, 0.05, 0.02, seed=8) != plan


async def test_wrong_token_and_unknown_method(api: FakeBotAPI) -> None:
    """A wrong token answers 401 → InvalidToken; an unknown method answers 404 → EndPointNotFound."""
    wrong = Bot("123456:" + "x" * 35, base_url=api.base_url, base_file_url=api.base_file_url)
    with pytest.raises(InvalidToken):
        await wrong.initialize()
    assert api.calls("getMe")[-1].status == 401
    async with Bot(DEFAULT_TOKEN, base_url=api.base_url) as good:
        with pytest.raises(EndPointNotFound):
            await good.do_api_request("sendTeapot", api_kwargs={"chat_id": CHAT})
    assert api.calls("sendTeapot")[-1].status == 404


async def test_photo_download(api: FakeBotAPI, bot: Bot) -> None:
    """A photo pushed with send_photo can be fetched via get_file and downloaded."""
    buf = io.BytesIO()
    Image.new("RGB", (3, 2), "red").save(buf, format="PNG")
    png = buf.getvalue()
    api.send_photo(CHAT, png, caption="证据")
    (update,) = await bot.get_updates(timeout=0)
    photo = update.message.photo[-1]
    assert (photo.width, photo.height) == (3, 2) and update.message.caption == "证据"
    file = await photo.get_file()
    assert bytes(await file.download_as_bytearray()) == png
    assert api.downloads == [file.file_path.split(f"/file/bot{DEFAULT_TOKEN}/", 1)[1]]


async def test_document_upload_is_downloadable(api: FakeBotAPI, bot: Bot) -> None:
    """A document the bot uploads (multipart) is recorded with its bytes and served back."""
    sent = await bot.send_document(CHAT, b"report body", filename="report.txt", caption="附件")
    upload = api.calls("sendDocument")[-1].params["document"]
    assert (upload.filename, upload.data) == ("report.txt", b"report body")
    assert sent.document.file_name == "report.txt" and sent.caption == "附件"
    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"report body"


async def test_command_entities(api: FakeBotAPI, bot: Bot) -> None:
    """A leading /command (also /cmd@bot in groups) becomes a bot_command entity PTB parses."""
    api.send_text(CHAT, "/ask 公车")
    api.send_text(-100, "/ask@qingfeng_test_bot 公车", user_id=5, chat_type="supergroup", chat_title="纪检组")
    first, second = (Update.de_json(u, bot) for u in api.pending_updates())
    assert first.message.text == "/ask 公车"
    (entity,) = first.message.entities
    assert (entity.type, entity.offset, entity.length) == (MessageEntity.BOT_COMMAND, 0, 4)
    assert first.message.chat.type == "private" and first.message.from_user.id == CHAT
    assert first.message.from_user.language_code == "zh-hans"
    (entity,) = second.message.entities
    assert (entity.type, entity.length) == (MessageEntity.BOT_COMMAND, len("/ask@qingfeng_test_bot"))
    assert second.message.chat.type == "supergroup" and second.message.chat.title == "纪检组"
    assert second.message.from_user.id == 5


async def test_mention_offsets_are_utf16(api: FakeBotAPI, bot: Bot) -> None:
    """Entity offsets count UTF-16 code units, so an emoji before a mention counts twice."""
    text = "😀 请 @qingfeng_test_bot 看看 @alice_w"
    api.send_text(-200, text, user_id=7, chat_type="group", chat_title="群")
    (update,) = (Update.de_json(u, bot) for u in api.pending_updates())
    entities = update.message.entities
    assert [(e.type, e.offset, e.length) for e in entities] == [
        ("mention", 5, 18),
        ("mention", 27, 8),
    ]
    assert list(update.message.parse_entities().values()) == ["@qingfeng_test_bot", "@alice_w"]
    assert utf16_len("😀") == 2


async def test_press_edit_and_answer(api: FakeBotAPI, bot: Bot) -> None:
    """A button press carries the bot message; edits update it; an identical edit is 'not modified'."""
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("确认", callback_data="ok")]])
    sent = await bot.send_message(CHAT, "确认提交？", reply_markup=markup)
    api.press(CHAT, sent.message_id, "ok")
    (update,) = await bot.get_updates(timeout=0)
    query = update.callback_query
    assert query.data == "ok" and query.message.message_id == sent.message_id
    assert query.message.reply_markup == markup and query.from_user.id == CHAT
    assert await query.answer("已提交") is True
    edited = await query.edit_message_text("已提交")
    assert edited.text == "已提交" and edited.reply_markup is None
    assert api.message(CHAT, sent.message_id)["text"] == "已提交"
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("已提交", chat_id=CHAT, message_id=sent.message_id)
    assert await bot.delete_message(CHAT, sent.message_id) is True
    assert api.deleted(CHAT) == [(CHAT, sent.message_id)]
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(CHAT, sent.message_id)


async def test_html_parse_mode(api: FakeBotAPI, bot: Bot) -> None:
    """parse_mode=HTML is turned into text + entities like Telegram; bad markup is a BadRequest."""
    sent = await bot.send_message(
        CHAT, "<b>第一条</b> 见 <a href='https://x.cn'>原文</a> &lt;1&gt;", parse_mode="HTML"
    )
    assert sent.text == "第一条 见 原文 <1>"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 3), ("text_link", 6, 2)]
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(CHAT, "a<br>b", parse_mode="HTML")


async def test_admins_and_commands(api: FakeBotAPI, bot: Bot) -> None:
    """Configured admins show up in getChatMember/getChatAdministrators; commands round-trip."""
    api.send_text(-300, "hi", user_id=11, chat_type="group", chat_title="组")
    api.set_admins(-300, [11, 12], creator=12)
    assert (await bot.get_chat_member(-300, 11)).status == "administrator"
    assert (await bot.get_chat_member(-300, 12)).status == "creator"
    assert (await bot.get_chat_member(-300, 13)).status == "member"
    assert [m.user.id for m in await bot.get_chat_administrators(-300)] == [12, 11]
    assert (await bot.get_chat(-300)).title == "组"
    await bot.set_my_commands([("ask", "提问"), ("help", "帮助")])
    assert [c.command for c in await bot.get_my_commands()] == ["ask", "help"]
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()


async def test_slow_and_wait_for(api: FakeBotAPI, bot: Bot) -> None:
    """slow() delays a response; wait_for_async sees calls made after mark(); misses time out with a listing."""
    api.slow("sendMessage", 0.3)
    mark = api.mark()
    start = time.monotonic()
    task = asyncio.create_task(bot.send_message(CHAT, "慢"))
    call = await api.wait_for_async("sendMessage", lambda c: c.chat_id == CHAT, timeout=5, after=mark)
    assert call.text == "慢" and time.monotonic() - start >= 0.25
    await task
    with pytest.raises(TimeoutError, match=r"sendMessage .*-> ok"):
        api.wait_for("sendMessage", lambda c: c.chat_id == 999, timeout=0.1)


def test_sync_client_form_and_json(api: FakeBotAPI) -> None:
    """Plain sync HTTP works too: urlencoded and JSON bodies, and query strings, are all parsed."""
    url = f"{api.base_url}{DEFAULT_TOKEN}"
    form = urllib.parse.urlencode({"chat_id": "9", "text": "[不是JSON", "entities": "[]"}).encode()
    with urllib.request.urlopen(urllib.request.Request(f"{url}/sendMessage", data=form)) as resp:
        assert json.load(resp)["result"]["chat"]["id"] == 9
    body = json.dumps({"chat_id": 9, "text": "json"}).encode()
    req = urllib.request.Request(
        f"{url}/sendMessage", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req) as resp:
        assert json.load(resp)["result"]["text"] == "json"
    with urllib.request.urlopen(f"{url}/getMe?x=1") as resp:
        assert json.load(resp)["ok"] is True
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{api.base_url}0:bad/getMe")
    assert json.load(caught.value) == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    first, second = api.sent_messages(9)
    assert first.params["text"] == "[不是JSON" and first.params["entities"] == []
    assert second.chat_id == 9 and as_chat_id("-100") == -100 and as_chat_id("@chan") == "@chan"


async def test_application_round_trip(api: FakeBotAPI) -> None:
    """A PTB Application polling the fake answers a command and a button press end to end."""

    async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Echo the question with a button."""
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("好", callback_data="thanks")]])
        await update.effective_message.reply_text(f"问：{' '.join(context.args)}", reply_markup=markup)

    async def thanks(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer the press and edit the message."""
        await update.callback_query.answer()
        await update.callback_query.edit_message_text("不客气")

    app = (
        ApplicationBuilder()
        .token(DEFAULT_TOKEN)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("ask", ask))
    app.add_handler(CallbackQueryHandler(thanks))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        mark = api.mark()
        uid = api.send_text(CHAT, "/ask 公车")
        reply = await api.wait_for_async("sendMessage", after=mark, timeout=5)
        assert reply.text == "问：公车" and reply.chat_id == CHAT
        assert reply.t >= api.update_times[uid]
        api.press(CHAT, reply.result["message_id"], "thanks")
        edit = await api.wait_for_async("editMessageText", after=mark, timeout=5)
        assert edit.result["text"] == "不客气"
        await app.updater.stop()
        await app.stop()
    assert api.calls("answerCallbackQuery")[-1].ok


async def test_stop_does_not_hang_on_long_poll() -> None:
    """Stopping the server releases a pending long poll promptly."""
    server = FakeBotAPI().start()
    async with Bot(DEFAULT_TOKEN, base_url=server.base_url) as client:
        poll = asyncio.create_task(client.get_updates(timeout=30))
        await asyncio.sleep(0.2)
        start = time.monotonic()
        await asyncio.to_thread(server.stop)
        assert time.monotonic() - start < 3
        with contextlib.suppress(NetworkError):  # the connection may be closed before the answer
            assert await asyncio.wait_for(poll, 3) == ()


def test_a_flood_bucket_holds_its_capacity_plus_slack_and_drains_at_its_rate() -> None:
    from tests.fakebotapi import _Bucket

    bucket = _Bucket()
    assert [bucket.wait(3, 3.0, 0.0, slack=2) for _ in range(5)] == [0.0] * 5
    assert bucket.wait(3, 3.0, 0.0, slack=2) == pytest.approx(1.0)  # the sixth must wait a second
    assert bucket.wait(3, 3.0, 1.0, slack=2) == 0.0  # and then fits


async def test_flood_limits_refuse_a_burst_and_a_paced_bot_never_meets_them() -> None:
    from telegram.ext import AIORateLimiter, ExtBot

    from tests.fakebotapi import FloodLimits

    with FakeBotAPI(limits=FloodLimits()) as server:
        async with Bot(server.token, base_url=server.base_url) as bot:
            # Twenty at once to one chat: far more than a chat's burst of 3 (+2) in any plausible spread.
            sent = await asyncio.gather(
                *(bot.send_message(CHAT, f"第{n}条") for n in range(20)), return_exceptions=True
            )
        refused = [r for r in sent if isinstance(r, RetryAfter)]
        assert refused and len(server.flooded) == len(refused)
        assert all(r.retry_after for r in refused)
    with FakeBotAPI(limits=FloodLimits()) as server:
        # PTB's limiter at half the overall limit, to 45 chats at once: nothing is refused, even when the
        # machine is loaded and requests bunch up on the way (the server allows 32 at once).
        paced = ExtBot(
            server.token,
            base_url=server.base_url,
            rate_limiter=AIORateLimiter(overall_max_rate=15, max_retries=0),
        )
        async with paced:
            await asyncio.gather(*(paced.send_message(1000 + n, "提醒") for n in range(45)))
        assert server.flooded == []
