"""Anonymous reports in Telegram: ``/report`` (a step-by-step private conversation) and ``/status``.

Privacy rules this module keeps:

* The draft lives only in ``context.user_data`` (the application has no persistence) until it is submitted,
  cancelled, or discarded after the idle timeout. Nothing about the reporter goes into the ``ReportDraft``:
  no user, chat or message id, no name, no forward origin (forwarded text is refused), no time of day.
* Nothing here logs a user id, a name or any content; the conversation handler's own debug lines (which
  print the conversation key, i.e. chat and user ids) are silenced below.
* After submission the flow's messages are deleted from the chat (``reports_delete_messages``) and the
  receipt is sent with ``protect_content``. The message holding a receipt code typed for ``/status`` is
  deleted as soon as it has been read.
* The service calls run in a worker thread (scrypt and sealing take tens of milliseconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
import time
import warnings
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from assistant.messages import describe
from handlers import texts
from handlers.context import Context, HandlerConfig, ReportLimits
from handlers.lanes import PRIORITY
from handlers.render import pack
from reports.attachments import SUPPORTED_DESCRIPTION, sanitize
from reports.errors import (
    AttachmentRejected,
    BadReceipt,
    InvalidReport,
    NoReviewerKeys,
    ReportError,
    TooManyAttempts,
)
from reports.model import (
    ADDITION_MAX,
    CATEGORIES,
    DETAILS_MAX,
    DETAILS_MIN,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    SUBJECT_MAX,
    WHEN_WHERE_MAX,
    Attachment,
    ReportDraft,
    StatusView,
    check_text,
)
from reports.receipt import find_code

if TYPE_CHECKING:  # services are looked up at run time
    from assistant.notices import ReviewerNotices
    from reports.service import ReportService

log = logging.getLogger("qingfeng.reports")

# Conversation states: the report's steps, then the status look-up's.
CATEGORY, SUBJECT, DETAILS, WHEN_WHERE, EVIDENCE, CONFIRM = range(6)
STATUS_CODE, STATUS_SHOWN, STATUS_ADD = range(10, 13)
END = ConversationHandler.END

DRAFT_KEY = "report_draft"
LOOKUP_KEY = "report_lookup"
ENDED_KEY = "report_ended"  # monotonic time the person's last report or status flow ended (memory only)
EXPIRED_KEY = "report_expired"  # monotonic time their draft timed out
# For this long after a flow ends, their private texts are never written to the unanswered-questions log: a
# reporter who goes on typing after a timeout or a restart is still writing the report, not asking the Q&A.
AFTER_FLOW_SECONDS = 3600
DELETE_BATCH = 100  # deleteMessages takes at most 100 ids
SUMMARY_DETAILS_SHOWN = 3000  # the summary repeats the details up to this many characters
PHOTO_NAME = "photo.jpg"
DOCUMENT_NAME = "file"

NEW = filters.UpdateType.MESSAGE
PRIVATE = NEW & filters.ChatType.PRIVATE
GROUPS = NEW & filters.ChatType.GROUPS
TYPED = NEW & filters.TEXT & ~filters.COMMAND
NOT_COMMAND = NEW & ~filters.COMMAND


class _HasReceiptCode(filters.MessageFilter):
    """A message whose text or caption holds something shaped like a receipt code."""

    def filter(self, message: Message) -> bool:
        return find_code(message.text or message.caption or "") is not None


HAS_CODE = _HasReceiptCode(name="HAS_CODE")
_REPORT_PAYLOAD = filters.Regex(re.compile(r"^/start(?:@\w+)?\s+report\s*$", re.IGNORECASE))
_STATUS_PAYLOAD = filters.Regex(re.compile(r"^/start(?:@\w+)?\s+status\s*$", re.IGNORECASE))

Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]


@dataclass
class Draft:
    """A report being written. In memory only; never logged."""

    category: str = ""
    subject: str = ""
    details: str = ""
    when_where: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    downloading: int = 0  # attachments accepted for download but not yet added
    message_ids: list[int] = field(default_factory=list)  # this flow's messages, deleted after submission
    prompt_id: int | None = None  # the bot message whose buttons belong to the current step

    def __repr__(self) -> str:
        """Never show the content, e.g. in a traceback's locals."""
        return f"Draft(<{len(self.details)} chars, {len(self.attachments)} attachments>)"

    def track(self, message: object) -> None:
        """Remember a message of the flow (the user's or the bot's) for deletion after submission."""
        if isinstance(message, Message):
            self.message_ids.append(message.message_id)

    def report(self) -> ReportDraft:
        """What is submitted: the fields, nothing about who wrote them."""
        return ReportDraft(
            category=self.category,
            details=self.details,
            subject=self.subject,
            when_where=self.when_where,
            attachments=tuple(self.attachments),
        )


@dataclass
class Lookup:
    """A /status session: the receipt code, kept in memory until the session ends."""

    code: str = ""

    def __repr__(self) -> str:
        """Never show the code."""
        return "Lookup(<code>)"


# Access to what post_init created


def report_service(context: Context) -> ReportService | None:
    """The report service, or None when reports are not configured."""
    return context.bot_data.running.reports


def report_limits(context: Context) -> ReportLimits:
    """The limiters created in ``post_init``."""
    return context.bot_data.running.report_limits


def reviewer_notices(context: Context) -> ReviewerNotices | None:
    """The reviewer-chat notifier, or None when no reviewer chat is configured."""
    return context.bot_data.running.notices


def _delete_after_submit(context: Context) -> bool:
    return context.bot_data.config.delete_messages


def _minutes_text(context: Context) -> str:
    return f"{context.bot_data.config.draft_minutes:g}"


def _user_data(context: Context) -> dict[Any, Any]:
    data = context.user_data
    if data is None:  # only for updates without a user, which never reach this conversation
        raise RuntimeError("no user data")
    return data


def _draft(context: Context) -> Draft | None:
    found = _user_data(context).get(DRAFT_KEY)
    return found if isinstance(found, Draft) else None


def _lookup(context: Context) -> Lookup | None:
    found = _user_data(context).get(LOOKUP_KEY)
    return found if isinstance(found, Lookup) else None


def _forget(context: Context) -> bool:
    """Drop the draft and the receipt code of this user's session; whether there was a draft."""
    if context.user_data is None:
        return False
    had_session = LOOKUP_KEY in context.user_data or DRAFT_KEY in context.user_data
    context.user_data.pop(LOOKUP_KEY, None)
    had_draft = isinstance(context.user_data.pop(DRAFT_KEY, None), Draft)
    if had_session:
        context.user_data[ENDED_KEY] = time.monotonic()
    return had_draft


async def _discard(context: Context, chat_id: int | None) -> bool:
    """End the session like ``_forget`` and delete the draft's messages from the chat (as after a submit)."""
    draft = _draft(context)
    had_draft = _forget(context)
    if draft is not None and chat_id is not None and _delete_after_submit(context):
        await _delete(context, chat_id, draft.message_ids)
    return had_draft


def recently_in_flow(user_data: dict[Any, Any] | None) -> bool:
    """Whether this person's report or status flow ended (or timed out) within ``AFTER_FLOW_SECONDS``."""
    ended = (user_data or {}).get(ENDED_KEY)
    return isinstance(ended, float) and time.monotonic() - ended < AFTER_FLOW_SECONDS


def take_expired_notice(user_data: dict[Any, Any] | None) -> bool:
    """True once after a draft timed out (recently): the next text gets "草稿已过期" instead of an answer."""
    if user_data is None:
        return False
    expired = user_data.pop(EXPIRED_KEY, None)
    return isinstance(expired, float) and time.monotonic() - expired < AFTER_FLOW_SECONDS


# Rendering (pure)


def deep_link(username: str | None, payload: str) -> str:
    """``https://t.me/<bot>?start=<payload>``: opens the private chat and starts the flow there."""
    return f"https://t.me/{username or ''}?start={payload}"


def day_text(day: dt.date) -> str:
    """2026年5月3日."""
    return f"{day.year}年{day.month}月{day.day}日"


def category_keyboard() -> InlineKeyboardMarkup:
    """The eight categories, two a row."""
    buttons = [
        InlineKeyboardButton(label, callback_data=f"rp:cat:{key}") for key, label in CATEGORIES.items()
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def _one_button(label: str, data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]])


def summary_html(draft: Draft) -> list[str]:
    """The summary shown before confirming, in as many messages as it needs."""
    details = draft.details
    if len(details) > SUMMARY_DETAILS_SHOWN:
        details = details[:SUMMARY_DETAILS_SHOWN] + texts.REPORT_SUMMARY_CUT.format(length=len(draft.details))
    text = texts.REPORT_SUMMARY.format(
        category=escape(CATEGORIES.get(draft.category, draft.category)),
        subject=escape(draft.subject) or texts.REPORT_NOT_GIVEN,
        details=escape(details),
        when_where=escape(draft.when_where) or texts.REPORT_NOT_GIVEN,
        attachments=len(draft.attachments),
    )
    return pack([text])


def status_html(view: StatusView) -> list[str]:
    """The /status answer: status, day submitted, the reviewers' replies."""
    head = texts.STATUS_VIEW.format(status=escape(view.status_label), day=day_text(view.submitted))
    if view.additions:
        head += "\n" + texts.STATUS_ADDITIONS.format(count=view.additions)
    if view.unverified:
        head += "\n" + texts.STATUS_UNVERIFIED.format(count=view.unverified)
    pieces = [head]
    replies = [m for m in view.replies if m.kind == "reply"]
    if replies:
        pieces.append(texts.STATUS_REPLIES_HEADER)
        pieces.extend(texts.STATUS_REPLY.format(day=day_text(m.day), text=escape(m.text)) for m in replies)
    else:
        pieces.append(texts.STATUS_NO_REPLIES)
    return pack(pieces)


def receipt_html(code: str) -> str:
    """The receipt message: the code in <code>, shown once."""
    return texts.REPORT_RECEIPT.format(code=escape(code))


# Small Telegram helpers


async def _reply(update: Update, context: Context, text: str, **kwargs: Any) -> Message | None:
    """Send ``text`` to the chat of the update; track it as part of the draft if there is one."""
    chat = update.effective_chat
    if chat is None:
        return None
    sent = await context.bot.send_message(chat.id, text, **kwargs)
    draft = _draft(context)
    if draft is not None:
        draft.track(sent)
    return sent


async def _prompt(update: Update, context: Context, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    """Ask for the next step; its buttons (if any) become the current ones."""
    draft = _draft(context)
    sent = await _reply(update, context, text, reply_markup=keyboard, parse_mode=ParseMode.HTML)
    if draft is not None and sent is not None:
        draft.prompt_id = sent.message_id if keyboard is not None else None


async def _close_prompt(update: Update, context: Context, draft: Draft) -> None:
    """Remove the buttons of the step just finished, so an old 跳过 cannot be pressed later."""
    chat = update.effective_chat
    prompt, draft.prompt_id = draft.prompt_id, None
    if prompt is None or chat is None:
        return
    with contextlib.suppress(BadRequest):  # already without buttons, or gone
        await context.bot.edit_message_reply_markup(chat.id, prompt, reply_markup=None)


def _claim(update: Update, draft: Draft) -> bool:
    """Whether a button press belongs to the current step; claims it, so a double tap acts once.

    Updates are processed concurrently, so the check and the claim happen before any ``await``.
    """
    query = update.callback_query
    message = query.message if query is not None else None
    if message is None or draft.prompt_id is None or message.message_id != draft.prompt_id:
        return False
    draft.prompt_id = None
    return True


async def _remove_buttons(query: CallbackQuery | None) -> None:
    if query is not None:
        with contextlib.suppress(BadRequest):  # already without buttons, or gone
            await query.edit_message_reply_markup(reply_markup=None)


async def _delete(context: Context, chat_id: int, message_ids: list[int]) -> None:
    """Delete messages where Telegram allows it; failures are expected (too old, already gone)."""
    ids = sorted(set(message_ids))
    for start in range(0, len(ids), DELETE_BATCH):
        try:
            await context.bot.delete_messages(chat_id, ids[start : start + DELETE_BATCH])
        except TelegramError as error:
            log.info("flow messages not deleted: %s", type(error).__name__)


async def _delete_one(context: Context, message: Message) -> None:
    try:
        await message.delete()
    except TelegramError as error:
        log.info("message not deleted: %s", type(error).__name__)


async def _answer(query: CallbackQuery | None, text: str | None = None) -> None:
    if query is not None:
        with contextlib.suppress(BadRequest):  # a query too old to answer
            await query.answer(text)


def _user_id(update: Update) -> int:
    user = update.effective_user
    if user is None:  # the conversation only runs in private chats, where there always is one
        raise RuntimeError("no user")
    return user.id


def hint(text: str) -> Callback:
    """A handler that replies ``text`` and leaves the conversation where it is."""

    async def reply_hint(update: Update, context: Context) -> None:
        draft = _draft(context)
        if draft is not None:
            draft.track(update.effective_message)
        await _reply(update, context, text)

    return reply_hint


# Entry, cancel, timeout


async def start_report(update: Update, context: Context) -> int:
    """/report (or /start report) in a private chat: a fresh draft, first step the category."""
    message = update.effective_message
    if message is None:
        return END
    # A /report in the middle of a flow starts over.
    notes = [texts.REPORT_DRAFT_DISCARDED] if _forget(context) else []
    service = report_service(context)
    try:
        if service is None:
            raise NoReviewerKeys()
        # Checked first, so nobody writes a whole report that cannot be sealed to anyone.
        await asyncio.to_thread(service.reviewer_keys)
    except ReportError as error:
        await message.reply_text(describe(error))
        return END
    if report_limits(context).daily.peek(_user_id(update)) <= 0:
        await message.reply_text(describe(TooManyAttempts("reports")))
        return END
    draft = Draft()
    draft.track(message)
    _user_data(context)[DRAFT_KEY] = draft
    intro = texts.REPORT_INTRO.format(minutes=_minutes_text(context))
    await _prompt(update, context, "\n\n".join([*notes, intro]), category_keyboard())
    return CATEGORY


async def cancel(update: Update, context: Context) -> int:
    """/cancel at any step (or the 取消 button): discard everything of this session."""
    query = update.callback_query
    await _answer(query)
    chat = update.effective_chat
    text = (
        texts.REPORT_CANCELLED
        if await _discard(context, chat.id if chat else None)
        else texts.STATUS_CANCELLED
    )
    if query is not None and query.message is not None and not _delete_after_submit(context):
        with contextlib.suppress(BadRequest):
            await query.edit_message_text(text)
            return END
    if chat is not None:  # the flow's messages, the pressed one included, are gone: say it in a new one
        await context.bot.send_message(chat.id, text)
    return END


async def timed_out(update: Update, context: Context) -> None:
    """The idle timeout: the draft (or receipt code) is dropped, its messages deleted, and the user told so."""
    chat = update.effective_chat
    had_draft = await _discard(context, chat.id if chat else None)
    if had_draft and context.user_data is not None:
        context.user_data[EXPIRED_KEY] = time.monotonic()
    if chat is None:
        return
    text = texts.REPORT_TIMEOUT if had_draft else texts.STATUS_TIMEOUT
    try:
        await context.bot.send_message(chat.id, text.format(minutes=_minutes_text(context)))
    except TelegramError as error:
        log.info("timeout notice not sent: %s", type(error).__name__)


async def busy(update: Update, context: Context) -> None:
    """Another command in the middle of a flow: finish or /cancel first (keeps the flow's messages private)."""
    draft = _draft(context)
    if draft is not None:
        draft.track(update.effective_message)
    await _reply(update, context, texts.REPORT_BUSY if draft is not None else texts.STATUS_BUSY)


async def stale_button(update: Update, context: Context) -> None:
    """A button of a finished step or an expired flow."""
    await _answer(update.callback_query, texts.REPORT_STALE_BUTTON)


async def nothing_to_cancel(update: Update, context: Context) -> None:
    """/cancel outside any flow."""
    if update.effective_message:
        await update.effective_message.reply_text(texts.NOTHING_TO_CANCEL)


async def in_group(update: Update, context: Context) -> None:
    """/report or /status in a group: accept nothing here, point to the private chat."""
    message = update.effective_message
    if message is None or not message.text:
        return
    if find_code(message.text) is not None or (context.args and message.text.lower().startswith("/status")):
        await code_in_group(update, context)
        return
    command = message.text.split()[0].split("@")[0].lstrip("/").lower()
    payload = "status" if command == "status" else "report"
    template = texts.STATUS_IN_GROUP if payload == "status" else texts.REPORT_IN_GROUP
    await message.reply_text(template.format(link=deep_link(context.bot.username, payload)))


async def code_in_group(update: Update, context: Context) -> None:
    """A receipt code in a group: delete it at once and say, without quoting it, to ask in private."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    await _delete_one(context, message)
    await context.bot.send_message(chat.id, texts.CODE_IN_GROUP)


async def status_from_text(update: Update, context: Context) -> int:
    """A private text holding a receipt code, outside any flow: delete it and treat it as /status CODE."""
    message = update.effective_message
    if message is None or report_service(context) is None:
        return END
    code = find_code(message.text or "") or ""
    await _delete_one(context, message)
    return await _look_up(update, context, code)


async def _missing_draft(update: Update, context: Context) -> int:
    await _answer(update.callback_query)
    _forget(context)
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(chat.id, texts.REPORT_DRAFT_GONE)
    return END


# The report's steps


async def choose_category(update: Update, context: Context) -> int | None:
    """Step 1: a category button."""
    query = update.callback_query
    draft = _draft(context)
    if query is None or draft is None:
        return await _missing_draft(update, context)
    key = (query.data or "").removeprefix("rp:cat:")
    if key not in CATEGORIES or not _claim(update, draft):
        await _answer(query, texts.REPORT_STALE_BUTTON)
        return None
    draft.category = key
    await _answer(query)
    with contextlib.suppress(BadRequest):
        await query.edit_message_text(texts.REPORT_CATEGORY_CHOSEN.format(category=CATEGORIES[key]))
    await _prompt(
        update,
        context,
        texts.REPORT_ASK_SUBJECT.format(limit=SUBJECT_MAX),
        _one_button(texts.REPORT_SKIP, "rp:skip"),
    )
    return SUBJECT


async def _typed(
    update: Update,
    context: Context,
    draft: Draft,
    field_name: str,
    maximum: int,
    minimum: int = 0,
) -> str | None:
    """The text of this step if acceptable; otherwise say why and return None (the step stays)."""
    message = update.effective_message
    if message is None:
        return None
    draft.track(message)
    if message.forward_origin is not None:  # never kept: who it came from is none of the store's business
        await _reply(update, context, texts.REPORT_FORWARDED)
        return None
    text = (message.text or "").strip()
    try:
        check_text(field_name, text, maximum, minimum)
    except InvalidReport as error:
        await _reply(update, context, describe(error))
        return None
    return text


async def subject_text(update: Update, context: Context) -> int | None:
    """Step 2: the unit or person concerned (optional)."""
    return await _optional_text(update, context, "subject", SUBJECT_MAX, _ask_details)


async def skip_subject(update: Update, context: Context) -> int | None:
    """Step 2 skipped."""
    return await _skip(update, context, "subject", _ask_details)


NextStep = Callable[[Update, Context], Awaitable[int]]


async def _optional_text(
    update: Update, context: Context, field_name: str, maximum: int, ask_next: NextStep
) -> int | None:
    """An optional step answered in text: keep it in the draft and go on."""
    draft = _draft(context)
    if draft is None:
        return await _missing_draft(update, context)
    text = await _typed(update, context, draft, field_name, maximum)
    if text is None:
        return None
    setattr(draft, field_name, text)
    await _close_prompt(update, context, draft)
    return await ask_next(update, context)


async def _skip(update: Update, context: Context, field_name: str, ask_next: NextStep) -> int | None:
    """An optional step skipped with its button (once, even on a double tap)."""
    draft = _draft(context)
    if draft is None:
        return await _missing_draft(update, context)
    if not _claim(update, draft):
        await _answer(update.callback_query, texts.REPORT_STALE_BUTTON)
        return None
    await _answer(update.callback_query)
    setattr(draft, field_name, "")
    await _remove_buttons(update.callback_query)
    return await ask_next(update, context)


async def _ask_details(update: Update, context: Context) -> int:
    await _prompt(
        update, context, texts.REPORT_ASK_DETAILS.format(minimum=DETAILS_MIN, maximum=DETAILS_MAX), None
    )
    return DETAILS


async def details_text(update: Update, context: Context) -> int | None:
    """Step 3: what happened (required, 10–4,000 characters)."""
    draft = _draft(context)
    if draft is None:
        return await _missing_draft(update, context)
    text = await _typed(update, context, draft, "details", DETAILS_MAX, DETAILS_MIN)
    if text is None:
        return None
    draft.details = text
    await _prompt(
        update,
        context,
        texts.REPORT_ASK_WHEN_WHERE.format(limit=WHEN_WHERE_MAX),
        _one_button(texts.REPORT_SKIP, "rp:skip"),
    )
    return WHEN_WHERE


async def when_where_text(update: Update, context: Context) -> int | None:
    """Step 4: when and where (optional)."""
    return await _optional_text(update, context, "when_where", WHEN_WHERE_MAX, _ask_evidence)


async def skip_when_where(update: Update, context: Context) -> int | None:
    """Step 4 skipped."""
    return await _skip(update, context, "when_where", _ask_evidence)


async def _ask_evidence(update: Update, context: Context) -> int:
    text = texts.REPORT_ASK_EVIDENCE.format(
        count=MAX_ATTACHMENTS, mb=MAX_ATTACHMENT_BYTES // (1024 * 1024), supported=SUPPORTED_DESCRIPTION
    )
    await _prompt(update, context, text, _one_button(texts.REPORT_SKIP, "rp:done"))
    return EVIDENCE


def _file_of(message: Message) -> tuple[str, str, str | None, int | None] | None:
    """(file_id, file name, declared type, size Telegram reports) of a photo or document message."""
    if message.photo:
        photo = message.photo[-1]  # the largest size
        return photo.file_id, PHOTO_NAME, "image/jpeg", photo.file_size
    if message.document is not None:
        document = message.document
        return (
            document.file_id,
            document.file_name or DOCUMENT_NAME,
            document.mime_type,
            document.file_size,
        )
    return None


async def evidence_file(update: Update, context: Context) -> None:
    """Step 5: a photo or a document: size check, download, metadata removed; the rest of the report stays."""
    message = update.effective_message
    draft = _draft(context)
    if message is None or draft is None:
        await _missing_draft(update, context)
        return
    draft.track(message)
    found = _file_of(message)
    if found is None:
        await _reply(
            update, context, texts.REPORT_EVIDENCE_UNSUPPORTED.format(supported=SUPPORTED_DESCRIPTION)
        )
        return
    file_id, name, declared, size = found
    if len(draft.attachments) + draft.downloading >= MAX_ATTACHMENTS:
        await _reply(update, context, texts.REPORT_TOO_MANY_ATTACHMENTS.format(count=MAX_ATTACHMENTS))
        return
    draft.downloading += 1
    try:
        attachment = await _download(context, file_id, name, declared, size)
    except AttachmentRejected as error:
        await _reply(update, context, texts.REPORT_ATTACHMENT_REJECTED.format(reason=describe(error)))
        return
    finally:
        draft.downloading -= 1
    if _draft(context) is not draft:  # cancelled or restarted while downloading
        return
    draft.attachments.append(attachment)
    lines = [texts.REPORT_ATTACHMENT_ADDED.format(number=len(draft.attachments), count=MAX_ATTACHMENTS)]
    if attachment.warning:
        lines.append(texts.REPORT_ATTACHMENT_WARNING)
    if message.caption:
        lines.append(texts.REPORT_CAPTION_IGNORED)
    await _close_prompt(update, context, draft)
    await _prompt(update, context, "\n".join(lines), _one_button(texts.REPORT_DONE, "rp:done"))


async def _download(
    context: Context, file_id: str, name: str, declared: str | None, size: int | None
) -> Attachment:
    """Fetch a file (refusing one Telegram says is too large before downloading it) and clean it."""
    if size is not None and size > MAX_ATTACHMENT_BYTES:
        raise AttachmentRejected(name, "too_large", MAX_ATTACHMENT_BYTES)
    try:
        telegram_file = await context.bot.get_file(file_id)
    except BadRequest as error:
        if "too big" in error.message.lower():
            raise AttachmentRejected(name, "too_large", MAX_ATTACHMENT_BYTES) from None
        raise AttachmentRejected(name, "unreadable") from None
    if telegram_file.file_size is not None and telegram_file.file_size > MAX_ATTACHMENT_BYTES:
        raise AttachmentRejected(name, "too_large", MAX_ATTACHMENT_BYTES)
    data = bytes(await telegram_file.download_as_bytearray())
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise AttachmentRejected(name, "too_large", MAX_ATTACHMENT_BYTES)
    return await asyncio.to_thread(sanitize, name, data, declared)


async def evidence_done(update: Update, context: Context) -> int | None:
    """Step 5 finished (完成 / 跳过): the summary, the privacy notice, 确认提交 / 取消."""
    query = update.callback_query
    draft = _draft(context)
    if draft is None:
        return await _missing_draft(update, context)
    if draft.downloading:
        await _answer(query, texts.REPORT_STILL_DOWNLOADING)
        return None
    if not _claim(update, draft):
        await _answer(query, texts.REPORT_STALE_BUTTON)
        return None
    await _answer(query)
    await _remove_buttons(query)
    for page in summary_html(draft):
        await _reply(update, context, page, parse_mode=ParseMode.HTML)
    per_day = context.bot_data.config.reports_per_day
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.REPORT_CONFIRM, callback_data="rp:send"),
                InlineKeyboardButton(texts.REPORT_CANCEL, callback_data="rp:cancel"),
            ]
        ]
    )
    await _prompt(update, context, texts.REPORT_PRIVACY.format(per_day=per_day), keyboard)
    return CONFIRM


async def submit(update: Update, context: Context) -> int | None:
    """确认提交: seal and store the report, delete the flow's messages, send the receipt once."""
    query = update.callback_query
    chat = update.effective_chat
    draft = _draft(context)
    service = report_service(context)
    if draft is None or chat is None:
        return await _missing_draft(update, context)
    if not _claim(update, draft):  # e.g. a second tap while the first is being sealed
        await _answer(query)
        return None
    # A toast, not an edit: callback answers are not rate-limited, so under load nothing delays the submit.
    await _answer(query, texts.REPORT_SUBMITTING)
    try:
        if service is None:
            raise NoReviewerKeys()
        if not report_limits(context).daily.take(_user_id(update)):
            raise TooManyAttempts("reports")
        receipt = await asyncio.to_thread(service.submit, draft.report())
    except ReportError as error:
        await _discard(context, chat.id)
        await context.bot.send_message(chat.id, texts.REPORT_NOT_SUBMITTED.format(reason=describe(error)))
        return END
    except BaseException:
        await _discard(context, chat.id)  # the error handler apologises; nothing is kept half-submitted
        raise
    _forget(context)
    # The receipt first, ahead of every queued message: the reporter is waiting for it, and it is the
    # only proof the report arrived. The flow's messages are deleted right after.
    await context.bot.send_message(
        chat.id,
        receipt_html(receipt.code),
        parse_mode=ParseMode.HTML,
        protect_content=True,
        rate_limit_args=PRIORITY,
    )
    if _delete_after_submit(context):
        await _delete(context, chat.id, draft.message_ids)
    notices = reviewer_notices(context)
    if notices is not None:
        notices.arrived()
    return END


# /status


async def start_status(update: Update, context: Context) -> int:
    """/status [code] (or /start status): ask for the receipt code, or look it up at once."""
    message = update.effective_message
    if message is None:
        return END
    if _forget(context):  # /status in the middle of a report: the draft cannot be kept aside
        await message.reply_text(texts.REPORT_DRAFT_DISCARDED)
    if report_service(context) is None:
        await message.reply_text(describe(NoReviewerKeys()))
        return END
    args = context.args or []
    if args and args != ["status"]:  # "/status CODE": the code was typed with the command
        await _delete_one(context, message)
        return await _look_up(update, context, " ".join(args))
    _user_data(context)[LOOKUP_KEY] = Lookup()
    await message.reply_text(texts.STATUS_ASK_CODE)
    return STATUS_CODE


async def status_code(update: Update, context: Context) -> int:
    """The receipt code typed: delete the message holding it, then look it up."""
    message = update.effective_message
    if message is None:
        return END
    code = message.text or ""
    await _delete_one(context, message)
    return await _look_up(update, context, code)


async def _look_up(update: Update, context: Context, code: str) -> int:
    chat = update.effective_chat
    service = report_service(context)
    if chat is None or service is None:
        return END
    limits = report_limits(context).lookups
    user_id = _user_id(update)
    try:
        # Counted before the slow hash, so concurrent lookups cannot slip past the limit.
        delay = limits.attempt(user_id)
        if delay:
            await asyncio.sleep(delay)  # much guessing overall: slower for everyone, refused for no one
        view = await asyncio.to_thread(service.status, code.strip())
    except BadReceipt as error:
        # Leave status mode: the next ordinary question must not be taken (and deleted) as a code; a text
        # shaped like a code is still looked up, by the conversation's entry point.
        _forget(context)
        await context.bot.send_message(chat.id, texts.STATUS_WRONG_CODE.format(reason=describe(error)))
        return END
    except ReportError as error:
        _forget(context)
        await context.bot.send_message(chat.id, describe(error))
        return END
    limits.succeeded(user_id)
    _user_data(context)[LOOKUP_KEY] = Lookup(code=code.strip())
    pages = status_html(view)
    buttons = [InlineKeyboardButton(texts.STATUS_DONE, callback_data="st:end")]
    if view.status != "closed":  # a closed report takes no more additions
        buttons.insert(0, InlineKeyboardButton(texts.STATUS_ADD, callback_data="st:add"))
    keyboard = InlineKeyboardMarkup([buttons])
    for number, page in enumerate(pages):
        last = number == len(pages) - 1
        await context.bot.send_message(
            chat.id,
            page,
            parse_mode=ParseMode.HTML,
            protect_content=True,
            reply_markup=keyboard if last else None,
        )
    return STATUS_SHOWN


async def status_add(update: Update, context: Context) -> int:
    """补充情况: ask for the text."""
    query = update.callback_query
    await _answer(query)
    lookup = _lookup(context)
    chat = update.effective_chat
    if lookup is None or not lookup.code or chat is None:
        return await _missing_draft(update, context)
    if query is not None:
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(reply_markup=None)
    await context.bot.send_message(chat.id, texts.STATUS_ASK_ADDITION.format(limit=ADDITION_MAX))
    return STATUS_ADD


async def status_end(update: Update, context: Context) -> int:
    """结束: forget the code."""
    query = update.callback_query
    await _answer(query)
    _forget(context)
    if query is not None:
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(reply_markup=None)
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(chat.id, texts.STATUS_ENDED)
    return END


async def status_addition(update: Update, context: Context) -> int | None:
    """The addition's text: encrypted to the reviewers like the report; the message is then deleted."""
    message = update.effective_message
    chat = update.effective_chat
    lookup = _lookup(context)
    service = report_service(context)
    if message is None or chat is None or lookup is None or not lookup.code or service is None:
        return await _missing_draft(update, context)
    if message.forward_origin is not None:
        await message.reply_text(texts.REPORT_FORWARDED)
        return None
    text = (message.text or "").strip()
    try:
        check_text("text", text, ADDITION_MAX, 1)
    except InvalidReport as error:
        await message.reply_text(describe(error))
        return None
    try:
        await asyncio.to_thread(service.add_information, lookup.code, text)
    except ReportError as error:
        _forget(context)
        await context.bot.send_message(chat.id, describe(error))
        return END
    _forget(context)
    if _delete_after_submit(context):
        await _delete_one(context, message)
    await context.bot.send_message(chat.id, texts.STATUS_ADDED)
    return END


# Assembly


def conversation(config: HandlerConfig) -> ConversationHandler[Any]:
    """The one private conversation holding both flows (so a user is in at most one of them)."""
    text_expected = hint(texts.REPORT_TEXT_EXPECTED)
    states: dict[object, list[BaseHandler[Update, Any, Any]]] = {
        CATEGORY: [
            CallbackQueryHandler(choose_category, pattern=r"^rp:cat:"),
            MessageHandler(NOT_COMMAND, hint(texts.REPORT_CHOOSE_CATEGORY)),
        ],
        SUBJECT: [
            MessageHandler(TYPED, subject_text),
            CallbackQueryHandler(skip_subject, pattern=r"^rp:skip$"),
            MessageHandler(NOT_COMMAND, text_expected),
        ],
        DETAILS: [MessageHandler(TYPED, details_text), MessageHandler(NOT_COMMAND, text_expected)],
        WHEN_WHERE: [
            MessageHandler(TYPED, when_where_text),
            CallbackQueryHandler(skip_when_where, pattern=r"^rp:skip$"),
            MessageHandler(NOT_COMMAND, text_expected),
        ],
        EVIDENCE: [
            MessageHandler(NEW & (filters.PHOTO | filters.Document.ALL), evidence_file),
            CallbackQueryHandler(evidence_done, pattern=r"^rp:done$"),
            MessageHandler(TYPED, hint(texts.REPORT_EVIDENCE_TEXT)),
            MessageHandler(
                NOT_COMMAND, hint(texts.REPORT_EVIDENCE_UNSUPPORTED.format(supported=SUPPORTED_DESCRIPTION))
            ),
        ],
        CONFIRM: [
            CallbackQueryHandler(submit, pattern=r"^rp:send$"),
            CallbackQueryHandler(cancel, pattern=r"^rp:cancel$"),
            MessageHandler(NOT_COMMAND, hint(texts.REPORT_CONFIRM_EXPECTED)),
        ],
        STATUS_CODE: [
            MessageHandler(TYPED, status_code),
            MessageHandler(NOT_COMMAND, hint(texts.STATUS_CODE_EXPECTED)),
        ],
        STATUS_SHOWN: [
            CallbackQueryHandler(status_add, pattern=r"^st:add$"),
            CallbackQueryHandler(status_end, pattern=r"^st:end$"),
            MessageHandler(NOT_COMMAND, hint(texts.STATUS_BUTTONS_EXPECTED)),
        ],
        STATUS_ADD: [MessageHandler(TYPED, status_addition), MessageHandler(NOT_COMMAND, text_expected)],
        ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
    }
    with warnings.catch_warnings():
        # Buttons are tracked per chat and user, not per message: intended (one flow per user at a time).
        warnings.filterwarnings("ignore", message=r"If 'per_message=False'", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[
                CommandHandler("report", start_report, filters=PRIVATE),
                CommandHandler("start", start_report, filters=PRIVATE & _REPORT_PAYLOAD),
                CommandHandler("status", start_status, filters=PRIVATE),
                CommandHandler("start", start_status, filters=PRIVATE & _STATUS_PAYLOAD),
                MessageHandler(PRIVATE & TYPED & HAS_CODE, status_from_text),
            ],
            states=states,
            fallbacks=[
                CommandHandler("cancel", cancel, filters=PRIVATE),
                MessageHandler(PRIVATE & filters.COMMAND, busy),
                # An edit changes nothing already taken (and must not reach the Q&A either).
                MessageHandler(filters.UpdateType.EDITED_MESSAGE, hint(texts.REPORT_EDIT_IGNORED)),
                CallbackQueryHandler(stale_button, pattern=r"^(rp|st):"),
            ],
            allow_reentry=True,
            per_chat=True,
            per_user=True,
            per_message=False,
            conversation_timeout=config.draft_minutes * 60,
            name=None,
            persistent=False,
        )


def outside_handlers() -> list[BaseHandler[Update, Any, Any]]:
    """Handlers for the reports outside the conversation: groups, stale buttons, a stray /cancel."""
    return [
        CommandHandler("report", in_group, filters=GROUPS),
        CommandHandler("status", in_group, filters=GROUPS),
        MessageHandler(GROUPS & (filters.TEXT | filters.CAPTION) & HAS_CODE, code_in_group),
        CommandHandler("cancel", nothing_to_cancel, filters=NEW),
        CallbackQueryHandler(stale_button, pattern=r"^(rp|st):"),
    ]
