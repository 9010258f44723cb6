"""Pre-holiday reminder handlers: /subscribe, /unsubscribe, /reminders, /preview, /broadcast_now, migration."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from html import escape
from typing import TYPE_CHECKING

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, TelegramError

from assistant.messages import describe
from handlers import texts
from handlers.context import Context
from reminders.errors import ReminderError

if TYPE_CHECKING:  # services are looked up at run time; handlers stay free of SQL and scheduler imports
    from telegram import Bot

    from reminders.broadcast import Broadcaster, BroadcastReport
    from reminders.planner import PlannedReminder
    from reminders.service import ReminderService

log = logging.getLogger("qingfeng.handlers")

UPCOMING_SHOWN = 5
CALLBACK_PREFIX = "bc"
_ADMIN_STATUSES = frozenset({ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER})
_WEEKDAYS = "一二三四五六日"


def reminder_service(context: Context) -> ReminderService:
    """The reminder service created in ``post_init``."""
    return context.bot_data.running.reminders


def is_bot_admin(context: Context, user_id: int | None) -> bool:
    """Whether the user is one of the bot's operators (``QINGFENG_TELEGRAM_ADMINS``)."""
    return user_id is not None and user_id in context.bot_data.config.admins


async def may_manage(update: Update, context: Context) -> bool:
    """Whether the sender may (un)subscribe this chat: anyone in private, admins in groups."""
    chat, message, user = update.effective_chat, update.effective_message, update.effective_user
    if chat is None:
        return False
    if chat.type == ChatType.PRIVATE:
        return True
    if message is not None and message.sender_chat is not None:
        # Anonymous group admins post as the group itself; a message sent as a channel is nobody's say.
        return message.sender_chat.id == chat.id
    if user is None:
        return False
    if is_bot_admin(context, user.id):
        return True
    member = await context.bot.get_chat_member(chat.id, user.id)
    return member.status in _ADMIN_STATUSES


# Rendering (pure: no Telegram objects, easy to test)


def when_text(moment: dt.datetime) -> str:
    """A send time as 2026年9月22日（周二）09:00."""
    return f"{moment.year}年{moment.month}月{moment.day}日（周{_WEEKDAYS[moment.weekday()]}）{moment:%H:%M}"


def dates_text(start: dt.date, end: dt.date) -> str:
    """A holiday's days off as 2026年10月1日至7日, 2026年9月29日至10月6日 or 2027年2月5日."""
    prefix = f"{start.year}年"
    if start == end:
        return f"{prefix}{start.month}月{start.day}日"
    if start.year != end.year:
        return f"{prefix}{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"
    if start.month != end.month:
        return f"{prefix}{start.month}月{start.day}日至{end.month}月{end.day}日"
    return f"{prefix}{start.month}月{start.day}日至{end.day}日"


def next_reminder_text(upcoming: list[PlannedReminder]) -> str:
    """One line naming the next reminder, or saying there is none."""
    if not upcoming:
        return texts.NO_UPCOMING
    return texts.NEXT_REMINDER.format(when=when_text(upcoming[0].send_at), title=upcoming[0].title)


def upcoming_html(upcoming: list[PlannedReminder], subscribed: bool) -> str:
    """The /reminders reply: the next reminders with their holidays, and this chat's subscription."""
    lines = [texts.REMINDERS_HEADER]
    for number, planned in enumerate(upcoming, start=1):
        lines.append(f"{number}. {when_text(planned.send_at)}　{escape(planned.title)}")
        if planned.holiday_start is not None and planned.holiday_end is not None:
            dates = texts.HOLIDAY_DATES.format(dates=dates_text(planned.holiday_start, planned.holiday_end))
            estimated = texts.ESTIMATED if planned.source == "estimated" else ""
            lines.append(f"　　{dates}{estimated}")
    if not upcoming:
        lines.append(texts.NO_UPCOMING)
    if any(p.source == "estimated" for p in upcoming):
        lines.append(texts.ESTIMATED_NOTE)
    lines.append("")
    lines.append(texts.CHAT_SUBSCRIBED if subscribed else texts.CHAT_NOT_SUBSCRIBED)
    return "\n".join(lines)


def summary_text(planned: PlannedReminder, report: BroadcastReport | None) -> str:
    """What a /broadcast_now run did, for the admin who confirmed it."""
    if report is None:
        return texts.BROADCAST_SKIPPED.format(title=planned.title)
    if not (report.sent or report.failed or report.unsubscribed or report.migrated):
        return texts.BROADCAST_NOTHING_NEW.format(title=planned.title)
    text = texts.BROADCAST_DONE.format(
        title=planned.title,
        sent=len(report.sent),
        failed=len(report.failed),
        unsubscribed=len(report.unsubscribed),
    )
    if report.migrated:
        text += "\n" + texts.BROADCAST_MIGRATED.format(migrated=len(report.migrated))
    return text


def confirm_keyboard(reminder_id: str) -> InlineKeyboardMarkup:
    """确认发送 / 取消 under the /broadcast_now question."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.CONFIRM_SEND, callback_data=f"{CALLBACK_PREFIX}:yes:{reminder_id}"
                ),
                InlineKeyboardButton(texts.CANCEL, callback_data=f"{CALLBACK_PREFIX}:no"),
            ]
        ]
    )


# Handlers


async def subscribe(update: Update, context: Context) -> None:
    """/subscribe — this chat receives the reminders (in groups: group admins or bot admins only)."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    if not await may_manage(update, context):
        await message.reply_text(texts.GROUP_ADMINS_ONLY)
        return
    service = reminder_service(context)
    # A private chat is labelled as such: the operator's list needs no personal names.
    title = texts.PRIVATE_CHAT_TITLE if chat.type == ChatType.PRIVATE else chat.title or ""
    new = await asyncio.to_thread(service.subscribe, chat.id, title)
    lines = [texts.SUBSCRIBED if new else texts.ALREADY_SUBSCRIBED]
    try:
        lines.append(next_reminder_text(await asyncio.to_thread(service.upcoming, 1)))
    except ReminderError as error:
        lines.append(describe(error))
    await message.reply_text("\n".join(lines))


async def unsubscribe(update: Update, context: Context) -> None:
    """/unsubscribe — stop sending reminders to this chat (same permissions as /subscribe)."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    if not await may_manage(update, context):
        await message.reply_text(texts.GROUP_ADMINS_ONLY)
        return
    removed = await asyncio.to_thread(reminder_service(context).unsubscribe, chat.id)
    await message.reply_text(texts.UNSUBSCRIBED if removed else texts.NOT_SUBSCRIBED)


async def migrated(update: Update, context: Context) -> None:
    """A group became a supergroup: its subscription moves to the new chat id."""
    message, chat = update.effective_message, update.effective_chat
    # Only the old group's notice: handling the new one's too would move the subscription twice.
    if message is None or chat is None or not message.migrate_to_chat_id:
        return
    await asyncio.to_thread(reminder_service(context).migrate, chat.id, message.migrate_to_chat_id)
    log.info("chat %s migrated to %s", chat.id, message.migrate_to_chat_id)


async def list_reminders(update: Update, context: Context) -> None:
    """/reminders — the next reminders and whether this chat is subscribed."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    service = reminder_service(context)
    try:
        upcoming = await asyncio.to_thread(service.upcoming, UPCOMING_SHOWN)
    except ReminderError as error:
        await message.reply_text(describe(error))
        return
    subscribed = await asyncio.to_thread(service.is_subscribed, chat.id)
    await message.reply_html(upcoming_html(upcoming, subscribed))


async def preview(update: Update, context: Context) -> None:
    """/preview [节日] — the full text of the next reminder, shown in this chat only."""
    message = update.effective_message
    if message is None:
        return
    holiday = " ".join(context.args or []).strip() or None
    try:
        found = await asyncio.to_thread(reminder_service(context).next_one, holiday=holiday)
    except ReminderError as error:
        await message.reply_text(describe(error))
        return
    if found is None:
        await message.reply_text(
            texts.PREVIEW_NOT_FOUND.format(holiday=holiday) if holiday else texts.NO_UPCOMING
        )
        return
    planned = found.planned
    await message.reply_text(
        texts.PREVIEW_HEADER.format(title=planned.title, when=when_text(planned.send_at))
    )
    # Sent on its own, exactly as the subscribed chats will see it.
    await message.reply_html(found.reminder.html, do_quote=False)


async def broadcast_now(update: Update, context: Context) -> None:
    """/broadcast_now — bot admins only: offer to send the next reminder to every subscriber now."""
    message, user = update.effective_message, update.effective_user
    if message is None:
        return
    if not is_bot_admin(context, user.id if user else None):
        await message.reply_text(texts.BOT_ADMINS_ONLY)
        return
    service = reminder_service(context)
    try:
        upcoming = await asyncio.to_thread(service.upcoming, 1)
    except ReminderError as error:
        await message.reply_text(describe(error))
        return
    if not upcoming:
        await message.reply_text(texts.NO_UPCOMING)
        return
    subscribers = await asyncio.to_thread(service.subscriptions)
    if not subscribers:
        await message.reply_text(texts.NO_SUBSCRIBERS)
        return
    planned = upcoming[0]
    question = texts.BROADCAST_CONFIRM.format(
        title=escape(planned.title), when=when_text(planned.send_at), count=len(subscribers)
    )
    await message.reply_html(question, reply_markup=confirm_keyboard(planned.id))


async def broadcast_button(update: Update, context: Context) -> None:
    """确认发送 starts the broadcast in the background and reports when done; 取消 drops it."""
    query = update.callback_query
    if query is None or not query.data:
        return
    # Checked again here: anyone in the chat can press the buttons.
    if not is_bot_admin(context, query.from_user.id):
        await query.answer(texts.BOT_ADMINS_ONLY, show_alert=True)
        return
    _, _, rest = query.data.partition(":")
    action, _, reminder_id = rest.partition(":")
    if action != "yes" or not reminder_id:
        await query.answer()
        await _edit(query, texts.CANCELLED)
        return
    scheduler = context.bot_data.running.scheduler
    service = reminder_service(context)
    try:
        planned = await asyncio.to_thread(service.find, reminder_id)
    except ReminderError as error:
        await query.answer(describe(error), show_alert=True)
        return
    await query.answer()
    if planned is None:
        await _edit(query, texts.BROADCAST_GONE)
        return
    if not await _edit(query, texts.BROADCAST_STARTED.format(title=planned.title)):
        return  # a second tap on the same confirmation: its broadcast is already under way
    report_to = query.message.chat.id if query.message else query.from_user.id
    # The scheduler's broadcaster shares the delivery log, so the scheduled run later sends nothing twice.
    scheduler.spawn(_broadcast(context.bot, service, scheduler.broadcaster, planned, report_to))


async def _edit(query: CallbackQuery, text: str) -> bool:
    """Replace the confirmation (and its buttons) by ``text``; False if it already says so."""
    try:
        await query.edit_message_text(text)
    except BadRequest as error:
        if "not modified" in error.message.lower():
            return False
        raise
    return True


async def _broadcast(
    bot: Bot, service: ReminderService, broadcaster: Broadcaster, planned: PlannedReminder, report_to: int
) -> None:
    try:
        report = await service.broadcast(planned, broadcaster)
    except ReminderError as error:
        text = texts.BROADCAST_FAILED.format(reason=describe(error))
    except Exception as error:  # a background task: an unreported failure would go unnoticed
        log.exception("broadcast of reminder %s failed", planned.id)
        text = texts.BROADCAST_FAILED.format(reason=describe(error))
    else:
        text = summary_text(planned, report)
    try:
        await bot.send_message(report_to, text)
    except TelegramError as error:
        log.warning("could not report broadcast of reminder %s: %s", planned.id, error)
