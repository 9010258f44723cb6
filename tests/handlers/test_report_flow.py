"""匿名反映问题线索 in Telegram: /report and /status, the real application in-process against the fake Bot API.

The report service is the real one on SQLite in ``tmp_path``, sealing to a reviewer key pair made here; the
reviewer's side (``reports.review.Reviewer``) reads what was stored. The knowledge service is the instant
fake with an empty index, so any message that wrongly reached the Q&A would be answered with the
"index not ready" text — the tests check that none was.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import io
import logging
import re
import time
import zipfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from PIL import ExifTags, Image
from pydantic import ValidationError
from pypdf import PdfReader

from assistant.messages import describe
from assistant.notices import ReviewerNotices, notice_text
from handlers import texts
from handlers.report import Draft, summary_html
from knowledge.errors import IndexNotReady
from reports.errors import AttachmentRejected, InvalidReport, NoReviewerKeys, TooManyAttempts
from reports.keys import ReviewerKey
from reports.model import CATEGORIES, DETAILS_MAX, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS
from reports.review import Reviewer
from tests.fakebotapi import DEFAULT_FIRST_NAME, FakeBotAPI
from tests.handlers.harness import Driver, Reply, fake_services, running_app
from tests.reports import samples
from tests.reports.conftest import listing, new_reviewer_key
from wiring.factory import reviewers_dir
from wiring.logs import CHAT_CONTENT_LOGGERS, configure_logging
from wiring.settings import Settings, load_settings

DETAILS = "某局副局长在中秋节前收受下属单位送的购物卡两张，每张面值一千元。"
SUBJECT = "某市某局"
WHEN_WHERE = "2026年9月中旬，某局办公楼"
REVIEWERS = -1009001
NOT_READY = describe(IndexNotReady("x"))
CODE_RE = re.compile(r"<code>([0-9A-Z-]+)</code>")


@dataclass
class Bot(Driver):
    """The running application, the fake server, and the reviewer's key pair."""

    key: ReviewerKey
    settings: Settings

    def reviewer(self) -> Reviewer:
        reports = self.app.bot_data.running.reports
        assert reports is not None
        store = reports.store
        return Reviewer(store, self.key, listing(self.key))

    def leaked_to_qa(self, chat_id: int) -> bool:
        return any(NOT_READY in text for text in self.api.sent_texts(chat_id))


@contextlib.asynccontextmanager
async def running_bot(tmp_path: Path, **overrides: Any) -> AsyncIterator[Bot]:
    key = new_reviewer_key()
    folder = reviewers_dir(load_settings({"data_dir": tmp_path}))
    folder.mkdir(parents=True)
    lines = [base64.b64encode(k).decode() for k in (key.public_key, key.verify_key or b"")]
    (folder / f"{key.fingerprint}.pub").write_text("\n".join(lines) + "\n")
    with FakeBotAPI() as api:
        settings = load_settings(
            {
                "data_dir": tmp_path,
                "telegram_token": api.token,
                "telegram_base_url": api.base_url,
                **overrides,
            }
        )
        async with running_app(settings, functools.partial(fake_services, reports=True)) as app:
            yield Bot(api, app, key, settings)


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    async with running_bot(tmp_path) as running:
        yield running


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "QingfengPhone"
    exif[ExifTags.Base.Model] = "Model X"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (39.0, 54.0, 15.0),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (116.0, 24.0, 26.0),
        }
    )
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _plain_jpeg(shade: int = 80) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (shade, shade, shade)).save(out, "JPEG")
    return out.getvalue()


def _is(prefix: str) -> Callable[[Reply], bool]:
    return lambda r: r.text.startswith(prefix)


async def begin(bot: Bot, chat: int, command: str = "/report") -> Reply:
    intro = await bot.say(chat, command)
    assert "第1步" in intro.text, intro.text
    assert [data for _, data in intro.buttons()] == [f"rp:cat:{key}" for key in CATEGORIES]
    return intro


async def fill_report(
    bot: Bot,
    chat: int,
    *,
    category: str = "gifts",
    subject: str | None = None,
    details: str = DETAILS,
    when_where: str | None = None,
    files: tuple[tuple[bytes, str, str], ...] = (),
) -> Reply:
    """Walk the steps up to the summary; the message holding 确认提交 / 取消."""
    intro = await begin(bot, chat)
    ask_subject = await bot.press(chat, intro.message_id, f"rp:cat:{category}", _is("第2步"))
    assert ask_subject.buttons() == [(texts.REPORT_SKIP, "rp:skip")]
    if subject is None:
        ask_details = await bot.press(chat, ask_subject.message_id, "rp:skip", _is("第3步"))
    else:
        ask_details = await bot.say(chat, subject)
    assert ask_details.text.startswith("第3步"), ask_details.text
    ask_when = await bot.say(chat, details)
    assert ask_when.text.startswith("第4步"), ask_when.text
    if when_where is None:
        last = await bot.press(chat, ask_when.message_id, "rp:skip", _is("第5步"))
    else:
        last = await bot.say(chat, when_where)
    assert last.text.startswith("第5步"), last.text
    for data, name, mime in files:
        last = await bot.send(chat, functools.partial(bot.api.send_document, chat, data, name, mime))
        assert last.text.startswith("已收到第"), last.text
    return await bot.press(
        chat, last.message_id, "rp:done", lambda r: (texts.REPORT_CONFIRM, "rp:send") in r.buttons()
    )


async def submit(bot: Bot, chat: int, confirm: Reply) -> str:
    """确认提交; the receipt code (checking the receipt is protected)."""
    receipt = await bot.press(chat, confirm.message_id, "rp:send", lambda r: "回执码" in r.text)
    assert receipt.params.get("protect_content") in (True, "true", "True")
    assert receipt.params.get("parse_mode") == "HTML"
    found = CODE_RE.search(receipt.text)
    assert found, receipt.text
    return found.group(1)


async def report(bot: Bot, chat: int, **kwargs: Any) -> str:
    return await submit(bot, chat, await fill_report(bot, chat, **kwargs))


def _only_report(bot: Bot) -> str:
    listed = bot.reviewer().list()
    assert len(listed) == 1
    return listed[0].id


# The whole flow


async def test_full_text_flow_receipt_deletion_and_status(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    chat = 86_010_601  # distinctive: no port number or token can contain it
    confirm = await fill_report(bot, chat, subject=SUBJECT, when_where=WHEN_WHERE)
    summary = bot.api.sent_messages(chat)[-2]
    assert "请核对" in (summary.text or "") and DETAILS in (summary.text or "")
    assert "Telegram 本身知道这个账号与本机器人有过对话" in confirm.text
    assert confirm.buttons() == [(texts.REPORT_CONFIRM, "rp:send"), (texts.REPORT_CANCEL, "rp:cancel")]
    flow_messages = {m["message_id"] for m in bot.api.user_messages(chat)}
    mark = bot.api.mark()
    code = await submit(bot, chat, confirm)

    # Right after the receipt, every message of the user's in the flow goes, the bot's prompts and summary too.
    await bot.api.wait_for_async("deleteMessages", lambda c: c.chat_id == chat, after=mark)
    deleted = {message_id for _, message_id in bot.api.deleted(chat)}
    assert flow_messages <= deleted
    assert summary.result["message_id"] in deleted and confirm.message_id in deleted

    # What the reviewers read; nothing identifying is in the store.
    report_id = _only_report(bot)
    detail = bot.reviewer().show(report_id)
    assert (detail.category, detail.subject, detail.details, detail.when_where) == (
        "gifts",
        SUBJECT,
        DETAILS,
        WHEN_WHERE,
    )
    assert detail.status == "new" and not detail.attachments

    # /status: asks for the code, deletes the message holding it, shows 已受理.
    ask = await bot.say(chat, "/status")
    assert ask.text == texts.STATUS_ASK_CODE
    view = await bot.say(chat, code)
    assert "已受理" in view.text and texts.STATUS_NO_REPLIES in view.text
    assert view.params.get("protect_content") in (True, "true", "True")
    code_message = next(m for m in bot.api.user_messages(chat) if m.get("text") == code)
    assert (chat, code_message["message_id"]) in bot.api.deleted(chat)
    ended = await bot.press(chat, view.message_id, "st:end")
    assert ended.text == texts.STATUS_ENDED

    # A reviewer replies and moves the status on: the reporter sees both.
    reviewer = bot.reviewer()
    reviewer.reply(report_id, "已转交核查，感谢反映。")
    reviewer.set_status(report_id, "in_progress")
    view = await bot.say(chat, f"/status {code}")  # the code may come with the command
    assert "核查中" in view.text and "已转交核查，感谢反映。" in view.text
    command_message = next(m for m in bot.api.user_messages(chat) if m.get("text") == f"/status {code}")
    assert (chat, command_message["message_id"]) in bot.api.deleted(chat)

    assert not bot.leaked_to_qa(chat)
    # Nothing logged names the user or repeats the report.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (str(chat), DETAILS, SUBJECT, WHEN_WHERE, code):
        assert secret not in logged


async def test_add_information_with_the_code(bot: Bot) -> None:
    chat = 602
    code = await report(bot, chat)
    view = await bot.say(chat, "/status")
    view = await bot.say(chat, code)
    assert view.buttons() == [(texts.STATUS_ADD, "st:add"), (texts.STATUS_DONE, "st:end")]
    ask = await bot.press(chat, view.message_id, "st:add")
    assert ask.text.startswith("请直接输入要补充的情况")
    addition = "补充：购物卡是在办公室当面交的，另有一名同事在场。"
    done = await bot.say(chat, addition)
    assert done.text == texts.STATUS_ADDED
    sent = next(m for m in bot.api.user_messages(chat) if m.get("text") == addition)
    assert (chat, sent["message_id"]) in bot.api.deleted(chat)
    thread = bot.reviewer().show(_only_report(bot)).thread
    assert [(m.kind, m.text) for m in thread] == [("addition", addition)]
    await bot.say(chat, "/status")
    again = await bot.say(chat, code)
    assert texts.STATUS_ADDITIONS.format(count=1) in again.text
    assert not bot.leaked_to_qa(chat)


async def test_photo_with_gps_sent_as_document_is_stored_without_exif(bot: Bot) -> None:
    chat = 603
    original = _jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    await report(bot, chat, files=((original, "IMG_0001.jpg", "image/jpeg"),))
    detail = bot.reviewer().show(_only_report(bot))
    assert len(detail.attachments) == 1
    stored = detail.attachments[0]
    with Image.open(io.BytesIO(stored.data)) as image:
        exif = image.getexif()
        assert image.size == (64, 48)
        assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
        assert ExifTags.Base.Make not in exif and ExifTags.Base.Model not in exif
    assert b"QingfengPhone" not in stored.data


async def test_pdf_and_docx_with_author_fields_are_stored_without_them(bot: Bot) -> None:
    chat = 605
    files = (
        (samples.pdf_with_metadata(), "张三的举报材料.pdf", "application/pdf"),
        (samples.docx_with_metadata(), "情况说明.docx", "application/octet-stream"),
    )
    assert samples.AUTHOR.encode() in files[0][0]
    assert Document(io.BytesIO(files[1][0])).core_properties.author
    await report(bot, chat, files=files)
    detail = bot.reviewer().show(_only_report(bot))
    pdf, docx = detail.attachments
    assert (pdf.filename, pdf.media_type) == ("document.pdf", "application/pdf")
    reader = PdfReader(io.BytesIO(pdf.data))
    assert len(reader.pages) == 2 and not (reader.metadata or {}).get("/Author")
    assert samples.AUTHOR.encode() not in pdf.data and samples.PDF_PRODUCER.encode() not in pdf.data
    assert docx.filename == "document.docx"
    properties = Document(io.BytesIO(docx.data)).core_properties
    assert not properties.author and not properties.last_modified_by
    with zipfile.ZipFile(io.BytesIO(docx.data)) as archive:
        unpacked = b"".join(archive.read(name) for name in archive.namelist())
    assert samples.COMPANY.encode() not in unpacked and samples.AUTHOR_ZH.encode() not in unpacked


async def test_a_photo_is_accepted_as_evidence(bot: Bot) -> None:
    chat = 604
    intro = await begin(bot, chat)
    ask = await bot.press(chat, intro.message_id, "rp:cat:official_cars", _is("第2步"))
    ask = await bot.press(chat, ask.message_id, "rp:skip", _is("第3步"))
    ask = await bot.say(chat, DETAILS)
    ask = await bot.press(chat, ask.message_id, "rp:skip", _is("第5步"))
    added = await bot.send(chat, lambda: bot.api.send_photo(chat, _plain_jpeg(), caption="车牌"))
    assert added.text.startswith("已收到第1个附件") and texts.REPORT_CAPTION_IGNORED in added.text
    confirm = await bot.press(chat, added.message_id, "rp:done", lambda r: bool(r.buttons()))
    await submit(bot, chat, confirm)
    assert len(bot.reviewer().show(_only_report(bot)).attachments) == 1


# Leaving the flow


async def test_cancel_at_several_steps_stores_nothing(bot: Bot) -> None:
    chat = 605
    # At the category.
    await begin(bot, chat)
    assert (await bot.say(chat, "/cancel")).text == texts.REPORT_CANCELLED
    # At the details.
    intro = await begin(bot, chat)
    await bot.press(chat, intro.message_id, "rp:cat:banquets", _is("第2步"))
    await bot.say(chat, SUBJECT)
    assert (await bot.say(chat, "/cancel")).text == texts.REPORT_CANCELLED
    # With evidence attached.
    intro = await begin(bot, chat)
    ask = await bot.press(chat, intro.message_id, "rp:cat:banquets", _is("第2步"))
    await bot.press(chat, ask.message_id, "rp:skip", _is("第3步"))
    ask = await bot.say(chat, DETAILS)
    await bot.press(chat, ask.message_id, "rp:skip", _is("第5步"))
    await bot.send(chat, lambda: bot.api.send_document(chat, _plain_jpeg(), "a.jpg", "image/jpeg"))
    assert (await bot.say(chat, "/cancel")).text == texts.REPORT_CANCELLED
    # At the confirmation, with its 取消 button.
    confirm = await fill_report(bot, chat)
    cancelled = await bot.press(chat, confirm.message_id, "rp:cancel")
    assert cancelled.text == texts.REPORT_CANCELLED
    # Every cancelled flow's messages are gone from the chat, as after a submit; /cancel finds nothing now.
    deleted = {message_id for _, message_id in bot.api.deleted(chat)}
    assert {intro.message_id, ask.message_id, confirm.message_id} <= deleted
    typed = {m["message_id"] for m in bot.api.user_messages(chat) if m.get("text") in {SUBJECT, DETAILS}}
    assert typed <= deleted
    assert (await bot.say(chat, "/cancel")).text == texts.NOTHING_TO_CANCEL
    assert bot.reviewer().list() == []
    assert not bot.leaked_to_qa(chat)


async def test_an_idle_draft_is_discarded(tmp_path: Path) -> None:
    async with running_bot(tmp_path, reports_draft_minutes=0.02) as bot:  # 1.2 s
        chat = 606
        intro = await begin(bot, chat)
        ask = await bot.press(chat, intro.message_id, "rp:cat:weddings_funerals", _is("第2步"))
        started = time.monotonic()
        mark = bot.api.mark()
        notice = await bot.reply(chat, mark)
        assert time.monotonic() - started < 8
        assert notice.text == texts.REPORT_TIMEOUT.format(minutes="0.02")
        # The expired flow's messages are deleted, as after a submit.
        assert {intro.message_id, ask.message_id} <= {message_id for _, message_id in bot.api.deleted(chat)}
        # The next text is an ordinary message again, not the draft's details.
        assert (await bot.say(chat, "/cancel")).text == texts.NOTHING_TO_CANCEL
        assert bot.reviewer().list() == []


async def test_report_in_a_group_points_to_the_private_chat(bot: Bot) -> None:
    group = -1001607
    in_group = {"chat_type": "supergroup", "chat_title": "纪检干部群", "user_id": 607}
    reply = await bot.say(group, "/report", **in_group)
    assert "https://t.me/qingfeng_test_bot?start=report" in reply.text
    status = await bot.say(group, "/status@qingfeng_test_bot", **in_group)
    assert "https://t.me/qingfeng_test_bot?start=status" in status.text
    # Nothing was started in the group: no step is waiting for this text, /cancel finds nothing.
    mark = bot.api.mark()
    bot.api.send_text(group, DETAILS, **in_group)
    assert (await bot.say(group, "/cancel", **in_group)).text == texts.NOTHING_TO_CANCEL
    assert not [c for c in bot.api.sent_messages(group)[-2:] if c.index >= mark and "第" in (c.text or "")]
    # The deep link starts the flow in the private chat.
    intro = await begin(bot, 607, "/start report")
    assert intro.call.chat_id == 607


# What each step refuses, leaving the step as it was


async def test_text_limits_forwarded_and_stickers(bot: Bot) -> None:
    chat = 608
    intro = await begin(bot, chat)
    # A voice message or a location where a button is expected.
    hint = await bot.send(chat, lambda: bot.api.send_voice(chat))
    assert hint.text == texts.REPORT_CHOOSE_CATEGORY
    hint = await bot.send(chat, lambda: bot.api.send_location(chat))
    assert hint.text == texts.REPORT_CHOOSE_CATEGORY
    await bot.press(chat, intro.message_id, "rp:cat:public_interest", _is("第2步"))
    assert (await bot.say(chat, "甲" * 201)).text == describe(InvalidReport("subject", "too_long", 200, 201))
    assert (await bot.say(chat, SUBJECT)).text.startswith("第3步")

    too_long = await bot.say(chat, "问" * (DETAILS_MAX + 1))
    assert too_long.text == describe(InvalidReport("details", "too_long", DETAILS_MAX, DETAILS_MAX + 1))
    assert "4000" in too_long.text
    assert (await bot.say(chat, "收了礼")).text == describe(InvalidReport("details", "too_short", 10, 3))
    assert (await bot.say(chat, "   ")).text == describe(InvalidReport("details", "empty", 10, 0))
    forwarded = await bot.send(
        chat, lambda: bot.api.send_forwarded(chat, "转发来的一大段文字，说某人收了钱。")
    )
    assert forwarded.text == texts.REPORT_FORWARDED
    sticker = await bot.send(chat, lambda: bot.api.send_sticker(chat))
    assert sticker.text == texts.REPORT_TEXT_EXPECTED
    # Still at the details step.
    ask_when = await bot.say(chat, DETAILS)
    assert ask_when.text.startswith("第4步")
    typed = next(m for m in bot.api.user_messages(chat) if m.get("text") == DETAILS)
    edited = await bot.send(
        chat, lambda: bot.api.edit_text(chat, typed["message_id"], "改过的问题情况，不算数的。")
    )
    assert edited.text == texts.REPORT_EDIT_IGNORED
    forwarded = await bot.send(chat, lambda: bot.api.send_forwarded(chat, "转发的时间地点"))
    assert forwarded.text == texts.REPORT_FORWARDED
    ask_evidence = await bot.say(chat, WHEN_WHERE)
    assert ask_evidence.text.startswith("第5步")
    sticker = await bot.send(chat, lambda: bot.api.send_sticker(chat))
    assert sticker.text.startswith("这类消息不能作为证据材料")
    confirm = await bot.press(chat, ask_evidence.message_id, "rp:done", lambda r: bool(r.buttons()))
    assert (await bot.say(chat, "好的")).text == texts.REPORT_CONFIRM_EXPECTED
    # Other commands wait for the flow to finish.
    assert (await bot.say(chat, "/help")).text == texts.REPORT_BUSY
    await submit(bot, chat, confirm)
    detail = bot.reviewer().show(_only_report(bot))
    assert (detail.subject, detail.details, detail.when_where) == (SUBJECT, DETAILS, WHEN_WHERE)
    assert not bot.leaked_to_qa(chat)


async def test_attachment_limits_keep_the_rest_of_the_report(bot: Bot) -> None:
    chat = 609
    intro = await begin(bot, chat)
    ask = await bot.press(chat, intro.message_id, "rp:cat:eight_rules", _is("第2步"))
    await bot.press(chat, ask.message_id, "rp:skip", _is("第3步"))
    ask = await bot.say(chat, DETAILS)
    await bot.press(chat, ask.message_id, "rp:skip", _is("第5步"))

    # 50 MB as Telegram reports it: refused without being downloaded.
    big = bot.api.add_file(b"not really fifty megabytes")
    mark = bot.api.mark()
    refused = await bot.send(
        chat,
        lambda: bot.api.send_with(
            chat,
            {
                "document": {
                    "file_id": big,
                    "file_unique_id": "big-1",
                    "file_name": "录像.mp4",
                    "mime_type": "video/mp4",
                    "file_size": 50 * 1024 * 1024,
                }
            },
        ),
    )
    too_large = describe(AttachmentRejected("录像.mp4", "too_large", MAX_ATTACHMENT_BYTES))
    assert refused.text.startswith(too_large) and "已填写的内容仍然保留" in refused.text
    assert not [c for c in bot.api.calls("getFile") if c.index >= mark] and not bot.api.downloads

    # An executable is refused.
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
    refused = await bot.send(
        chat, lambda: bot.api.send_document(chat, exe, "工具.exe", "application/x-msdownload")
    )
    assert refused.text.startswith(describe(AttachmentRejected("工具.exe", "executable")))

    # Five are taken, the sixth is not.
    last = refused
    for number in range(1, MAX_ATTACHMENTS + 1):
        data = _plain_jpeg(10 * number)
        last = await bot.send(
            chat, lambda d=data, n=number: bot.api.send_document(chat, d, f"{n}.jpg", "image/jpeg")
        )
        assert last.text.startswith(f"已收到第{number}个附件"), last.text
    sixth = await bot.send(chat, lambda: bot.api.send_document(chat, _plain_jpeg(99), "6.jpg", "image/jpeg"))
    assert sixth.text == texts.REPORT_TOO_MANY_ATTACHMENTS.format(count=MAX_ATTACHMENTS)

    confirm = await bot.press(chat, last.message_id, "rp:done", lambda r: bool(r.buttons()))
    summary = bot.api.sent_messages(chat)[-2]
    assert f"证据材料：{MAX_ATTACHMENTS}个" in (summary.text or "")
    await submit(bot, chat, confirm)
    detail = bot.reviewer().show(_only_report(bot))
    assert detail.details == DETAILS and len(detail.attachments) == MAX_ATTACHMENTS


# Limits on people


async def test_the_fourth_report_of_the_day_is_refused(bot: Bot) -> None:
    chat = 610
    for _ in range(3):
        await report(bot, chat)
    refused = await bot.say(chat, "/report")
    assert refused.text == describe(TooManyAttempts("reports"))
    assert len(bot.reviewer().list()) == 3
    # Someone else may still report.
    await report(bot, 611)
    assert len(bot.reviewer().list()) == 4


async def test_wrong_receipt_codes_are_refused_then_rate_limited(bot: Bot) -> None:
    chat = 612
    code = await report(bot, chat)
    await bot.say(chat, "/status")
    wrong = ["ABC", "0000-0000-0000-0000-0000", "1111-1111-1111-1111-1111", "2222-2222-2222-2222-2222"]
    wrong.append("3333-3333-3333-3333-3333")
    for attempt in wrong:
        reply = await bot.say(chat, attempt)
        assert reply.text.startswith("回执码不正确"), reply.text
    # The sixth try is refused whatever it is, the right code included.
    limited = await bot.say(chat, code)
    assert limited.text.startswith("回执码输错次数过多")
    await bot.say(chat, "/status")
    assert (await bot.say(chat, code)).text.startswith("回执码输错次数过多")
    # Every code typed was deleted after reading.
    typed = {m["message_id"] for m in bot.api.user_messages(chat) if m.get("text") in {*wrong, code}}
    assert typed <= {message_id for _, message_id in bot.api.deleted(chat)}
    assert not bot.leaked_to_qa(chat)


# The reviewers' chat


async def test_reviewer_chat_gets_a_content_free_notice(tmp_path: Path) -> None:
    delays = {"reports_notice_min_delay": 0, "reports_notice_max_delay": 1 / 60}  # 0–1 s
    async with running_bot(tmp_path, reports_reviewer_chat=REVIEWERS, **delays) as bot:
        chat = 613
        mark = bot.api.mark()
        await report(bot, chat, subject=SUBJECT, when_where=WHEN_WHERE)
        notice = await bot.reply(REVIEWERS, mark)
        assert notice.text == "收到1条新的问题线索，请使用审阅工具查看"
        for content in (DETAILS, SUBJECT, WHEN_WHERE, CATEGORIES["gifts"], str(chat)):
            assert content not in notice.text
        assert "protect_content" not in notice.params or notice.params["protect_content"] != "true"


async def test_pending_notices_are_batched_and_dropped_at_stop() -> None:
    sent: list[str] = []

    async def send(text: str) -> None:
        sent.append(text)

    notices = ReviewerNotices(send, 0.05, 0.05)
    for _ in range(3):
        notices.arrived()
    assert notices.pending == 3
    for _ in range(500):  # the batch goes out after its delay
        if sent:
            break
        await asyncio.sleep(0.01)
    assert sent == [notice_text(3)]
    notices.arrived()
    await notices.stop()  # a restart drops what is pending: stop() returns once nothing more can be sent
    assert sent == [notice_text(3)] and notices.pending == 0


# Without reviewer keys, and small pieces


async def test_without_reviewer_keys_the_function_is_not_enabled(bot: Bot) -> None:
    for path in reviewers_dir(bot.settings).glob("*.pub"):
        path.unlink()
    assert (await bot.say(614, "/report")).text == describe(NoReviewerKeys())


def test_notice_delays_must_be_in_order(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        load_settings({"data_dir": tmp_path, "reports_notice_min_delay": 10, "reports_notice_max_delay": 5})


def test_long_details_are_shortened_in_the_summary_only() -> None:
    draft = Draft(category="other", details="情" * DETAILS_MAX)
    pages = summary_html(draft)
    assert len(pages) == 1 and "共4000字" in pages[0] and len(pages[0]) < 4096
    assert draft.report().details == "情" * DETAILS_MAX
    assert "情" not in repr(draft)


async def test_a_double_tap_acts_once(bot: Bot) -> None:
    chat = 615
    intro = await begin(bot, chat)
    mark = bot.api.mark()
    bot.api.press(chat, intro.message_id, "rp:cat:gifts")
    bot.api.press(chat, intro.message_id, "rp:cat:formalism")
    ask = await bot.reply(chat, mark, _is("第2步"))
    await bot.api.wait_for_async(
        "answerCallbackQuery", lambda c: len(bot.api.calls("answerCallbackQuery")) >= 2, after=mark
    )
    mark = bot.api.mark()
    bot.api.press(chat, ask.message_id, "rp:skip")
    bot.api.press(chat, ask.message_id, "rp:skip")
    await bot.reply(chat, mark, _is("第3步"))
    await bot.api.wait_for_async(
        "answerCallbackQuery", lambda c: len(bot.api.calls("answerCallbackQuery")) >= 4, after=mark
    )
    await bot.settled()  # both taps of both steps handled: a second prompt would have been sent by now
    sent = bot.api.sent_texts(chat)
    assert sum(t.startswith("第2步") for t in sent) == 1 and sum(t.startswith("第3步") for t in sent) == 1


async def test_messages_sent_at_once_are_taken_in_order(bot: Bot) -> None:
    # One getUpdates answer holding a person's next three messages, as when typing fast or on a busy server:
    # each must be taken in the step the one before it led to, not all in the step the flow was in.
    chat = 618
    intro = await begin(bot, chat)
    await bot.press(chat, intro.message_id, "rp:cat:gifts", _is("第2步"))
    mark = bot.api.mark()
    with bot.api.together():
        bot.api.send_text(chat, SUBJECT)
        bot.api.send_text(chat, DETAILS)
        bot.api.send_text(chat, WHEN_WHERE)
    await bot.reply(chat, mark, _is("第5步"))
    # A photo album: its photos arrive as separate updates in one answer, each counted once, in order.
    mark = bot.api.mark()
    with bot.api.together():
        for shade in (40, 90, 140):
            bot.api.send_photo(chat, _plain_jpeg(shade))
    last = await bot.reply(chat, mark, _is("已收到第3个附件"))
    await bot.settled()
    steps = [m.group(0) for t in bot.api.sent_texts(chat) if (m := re.search(r"第\d步", t))]
    assert steps == ["第1步", "第2步", "第3步", "第4步", "第5步"]
    added = [t for t in bot.api.sent_texts(chat) if t.startswith("已收到第")]
    assert [t[:8] for t in added] == ["已收到第1个附件", "已收到第2个附件", "已收到第3个附件"]
    confirm = await bot.press(chat, last.message_id, "rp:done", lambda r: bool(r.buttons()))
    await submit(bot, chat, confirm)
    detail = bot.reviewer().show(_only_report(bot))
    assert (detail.subject, detail.details, detail.when_where) == (SUBJECT, DETAILS, WHEN_WHERE)
    assert len(detail.attachments) == 3


async def test_starting_again_discards_the_draft_and_says_so(bot: Bot) -> None:
    chat = 616
    intro = await begin(bot, chat)
    await bot.press(chat, intro.message_id, "rp:cat:gifts", _is("第2步"))
    again = await begin(bot, chat, "/report")
    assert again.text.startswith(texts.REPORT_DRAFT_DISCARDED)
    # The first draft's buttons are dead; the new one's work.
    assert await bot.answered(chat, intro.message_id, "rp:cat:other") == texts.REPORT_STALE_BUTTON
    await bot.press(chat, again.message_id, "rp:cat:other", _is("第2步"))
    # /status in the middle of a report: the draft goes, the look-up starts.
    mark = bot.api.mark()
    bot.api.send_text(chat, "/status")
    await bot.reply(chat, mark, lambda r: r.text == texts.REPORT_DRAFT_DISCARDED)
    await bot.reply(chat, mark, lambda r: r.text == texts.STATUS_ASK_CODE)
    assert (await bot.say(chat, "/cancel")).text == texts.STATUS_CANCELLED
    assert bot.reviewer().list() == [] and not bot.leaked_to_qa(chat)


async def test_the_store_holds_nothing_that_names_the_reporter(bot: Bot, tmp_path: Path) -> None:
    chat = 7_654_321
    bot.api.set_user(chat, first_name="张三丰", last_name="武当", username="zhangsanfeng_1234")
    origin = {
        "type": "user",
        "sender_user": {"id": 5_550_123, "is_bot": False, "first_name": "转发人"},
        "date": 1,
    }
    intro = await begin(bot, chat)
    await bot.press(chat, intro.message_id, "rp:cat:formalism", _is("第2步"))
    await bot.send(chat, lambda: bot.api.send_forwarded(chat, "转发来的原话内容", origin=origin))
    confirm = await fill_report(bot, chat, subject=SUBJECT)
    await submit(bot, chat, confirm)
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("qingfeng.db*"))
    assert stored
    for needle in (
        "7654321",
        "5550123",
        "张三丰",
        "武当",
        "zhangsanfeng_1234",
        "转发人",
        "转发来的原话内容",
        DETAILS,
    ):
        assert needle.encode() not in stored, needle


async def test_messages_stay_when_deleting_is_switched_off(tmp_path: Path) -> None:
    async with running_bot(tmp_path, reports_delete_messages=False) as bot:
        chat = 617
        await report(bot, chat)
        assert bot.api.deleted(chat) == []


# Leaks found in the adversarial review (issue 11)


async def test_text_after_a_timed_out_draft_is_not_taken_as_a_question(tmp_path: Path) -> None:
    async with running_bot(tmp_path, reports_draft_minutes=0.02) as bot:  # 1.2 s
        chat = 631
        intro = await begin(bot, chat)
        await bot.press(chat, intro.message_id, "rp:cat:gifts", _is("第2步"))
        notice = await bot.reply(chat, bot.api.mark())
        assert notice.text == texts.REPORT_TIMEOUT.format(minutes="0.02")
        # The reporter goes on typing the report: it is neither answered nor reaches the Q&A or its log.
        expired = await bot.say(chat, "张三是我们科室的，他经常迟到早退，还在外面开公司。")
        assert expired.text == texts.DRAFT_EXPIRED
        assert not bot.leaked_to_qa(chat)
        # Only once: the next text is a question again (answered, but kept out of the unanswered log).
        later = await bot.say(chat, "公车能私用吗")
        assert later.text != texts.DRAFT_EXPIRED


async def test_a_receipt_code_inside_a_sentence_is_deleted_and_looked_up(bot: Bot) -> None:
    chat = 632
    code = await report(bot, chat)
    view = await bot.say(chat, f"我的回执码是 {code.lower()}，查询进度")
    assert "办理进度" in view.text, view.text
    assert view.buttons() == [(texts.STATUS_ADD, "st:add"), (texts.STATUS_DONE, "st:end")]
    typed = {m["message_id"] for m in bot.api.user_messages(chat) if code.lower() in (m.get("text") or "")}
    assert typed and typed <= {message_id for _, message_id in bot.api.deleted(chat)}
    assert not bot.leaked_to_qa(chat)


async def test_a_receipt_code_in_a_group_is_deleted_and_never_quoted(bot: Bot) -> None:
    code = await report(bot, 633)
    group = -1001633
    member = {"chat_type": "supergroup", "chat_title": "纪检干部群", "user_id": 634}
    for text in (f"查一下进度 {code}", f"/status {code}", f"/status@qingfeng_test_bot {code}"):
        reply = await bot.say(group, text, **member)
        assert reply.text == texts.CODE_IN_GROUP
        assert code not in reply.text
        assert "reply_to_message_id" not in reply.params and "reply_parameters" not in reply.params
    typed = {m["message_id"] for m in bot.api.user_messages(group) if code in (m.get("text") or "")}
    assert len(typed) == 3 and typed <= {message_id for _, message_id in bot.api.deleted(group)}


async def test_after_a_wrong_code_an_ordinary_question_is_not_taken_as_a_code(bot: Bot) -> None:
    chat = 635
    code = await report(bot, chat)
    await bot.say(chat, "/status")
    wrong = await bot.say(chat, "0000-0000-0000-0000-0000")
    assert wrong.text.startswith("回执码不正确"), wrong.text
    question = await bot.say(chat, "公车能私用吗")
    assert not question.text.startswith("回执码"), question.text
    asked = [m for m in bot.api.user_messages(chat) if m.get("text") == "公车能私用吗"]
    assert asked and asked[0]["message_id"] not in {message_id for _, message_id in bot.api.deleted(chat)}
    # A code typed now is still looked up.
    assert "办理进度" in (await bot.say(chat, code)).text


async def test_a_debug_log_never_ties_the_sender_to_the_report(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, {n: logging.getLogger(n).level for n in CHAT_CONTENT_LOGGERS})
    configure_logging("DEBUG")
    try:
        async with running_bot(tmp_path) as bot:
            chat = 7_340_012_345
            code = await report(bot, chat, subject=SUBJECT, when_where=WHEN_WHERE)
            await bot.say(chat, "/status")
            assert "办理进度" in (await bot.say(chat, code)).text
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)
    logged = capfd.readouterr().err
    assert "DEBUG" in logged  # the level really was DEBUG
    for secret in (str(chat), DEFAULT_FIRST_NAME, DETAILS, SUBJECT, WHEN_WHERE, code, code.replace("-", "")):
        assert secret not in logged, secret


def test_the_privacy_notice_claims_no_more_than_the_design_gives() -> None:
    # The server process sees a report before sealing it: "the operator cannot see it" overstated that.
    assert "运营者也看不到" not in texts.REPORT_PRIVACY
    assert "加密前" in texts.REPORT_PRIVACY and "数据库文件" in texts.REPORT_PRIVACY
