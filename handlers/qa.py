"""Q&A handlers: /start, /help, /ask, questions in private chats, mentions and replies in groups, buttons."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType, ParseMode

from assistant.errors import AssistantError
from assistant.messages import describe
from assistant.outcome import Partial
from handlers import texts
from handlers.context import Context
from handlers.lanes import PRIORITY
from handlers.render import answer_html, article_html
from handlers.report import recently_in_flow, take_expired_notice
from handlers.stream import StreamedReply, keep_typing
from knowledge.errors import KnowledgeError

if TYPE_CHECKING:  # the service is only looked up at run time; handlers stay free of heavy imports
    from assistant.chat import ChatService

_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f\u0400-\u04ff]")  # a question in another language


def chat_service(context: Context) -> ChatService:
    """The Q&A service created in ``post_init``."""
    return context.bot_data.running.chat


def suggestion_keyboard(answer_id: str, suggestions: tuple[str, ...]) -> InlineKeyboardMarkup | None:
    """One button per suggested question; pressing it asks that question."""
    if not suggestions:
        return None
    rows = [
        [InlineKeyboardButton(_button_text(q), callback_data=f"ask:{answer_id}:{n}")]
        for n, q in enumerate(suggestions, start=1)
    ]
    return InlineKeyboardMarkup(rows)


def _button_text(question: str, limit: int = 30) -> str:
    return question if len(question) <= limit else question[: limit - 1] + "…"


def answer_keyboard(answer_id: str, citations: int, rated: bool = False) -> InlineKeyboardMarkup:
    """📄 全文 per cited article, then 👍 / 👎 unless already rated."""
    rows = []
    full = [
        InlineKeyboardButton(
            f"📄 全文【{n}】" if citations > 1 else "📄 全文", callback_data=f"full:{answer_id}:{n}"
        )
        for n in range(1, citations + 1)
    ]
    if full:
        rows.append(full)
    if not rated:
        rows.append(
            [
                InlineKeyboardButton("👍", callback_data=f"fb:{answer_id}:1"),
                InlineKeyboardButton("👎", callback_data=f"fb:{answer_id}:0"),
            ]
        )
    return InlineKeyboardMarkup(rows)


async def start(update: Update, context: Context) -> None:
    """What the bot does, and the privacy note."""
    if update.effective_chat:
        person = update.effective_user.id if update.effective_user else None
        chat_service(context).forget(update.effective_chat.id, person)
    if update.effective_message:
        await _reply_first(update.effective_message, context, texts.START)


async def help_command(update: Update, context: Context) -> None:
    """How to ask."""
    if update.effective_message:
        await _reply_first(update.effective_message, context, texts.HELP)


async def _reply_first(message: Message, context: Context, html: str) -> None:
    # The priority lane: under load the limiter's queue is full of answers and their edits, and a person who
    # types /start is waiting on this one short message (bench/llm.py: up to 0.6 s in the queue without it).
    # Message.reply_html cannot pass rate_limit_args; it is sent as reply_html would (quoted in groups).
    in_group = message.chat.type != ChatType.PRIVATE
    await context.bot.send_message(
        message.chat_id,
        html,
        parse_mode=ParseMode.HTML,
        reply_parameters=ReplyParameters(message.message_id) if in_group else None,
        message_thread_id=message.message_thread_id if message.is_topic_message else None,
        rate_limit_args=PRIORITY,
    )


async def ask_command(update: Update, context: Context) -> None:
    """/ask 问题 — everywhere."""
    message = update.effective_message
    if message is None or not message.text:
        return
    command = message.parse_entities([MessageEntity.BOT_COMMAND])
    first = min(command, key=lambda e: e.offset) if command else None
    question = message.text[first.offset + first.length :] if first is not None and first.offset == 0 else ""
    if not question.strip():
        await message.reply_text(texts.ASK_USAGE)
        return
    await answer(update, context, question.strip())


async def private_text(update: Update, context: Context) -> None:
    """In a private chat any text is a question, unless its writer was just writing a report."""
    message = update.effective_message
    if not (message and message.text):
        return
    if take_expired_notice(context.user_data):
        # Most likely the rest of a report whose draft timed out: never answer it as a question (nor log it).
        await message.reply_text(texts.DRAFT_EXPIRED)
        return
    await answer(update, context, message.text, record=not recently_in_flow(context.user_data))


async def group_text(update: Update, context: Context) -> None:
    """In a group: answer a mention of the bot or a reply to one of its messages; ignore other chatter."""
    message = update.effective_message
    if message is None or not message.text:
        return
    question = addressed_question(message, context.bot.id, context.bot.username)
    if question is not None:
        await answer(update, context, question)


def addressed_question(message: Message, bot_id: int, username: str | None) -> str | None:
    """The question if the message speaks to the bot (mention or reply), else None."""
    text = message.text or ""
    mentioned = False
    for entity, value in message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items():
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id:
            mentioned = True
            text = text.replace(value, " ")
        elif username and value.lower() == f"@{username.lower()}":
            mentioned = True
            text = re.sub(re.escape(value), " ", text, flags=re.IGNORECASE)
    replied = message.reply_to_message
    to_bot = replied is not None and _from_bot(replied, bot_id)
    if not (mentioned or to_bot):
        return None
    return text.strip()


async def answer(update: Update, context: Context, question: str, record: bool = True) -> None:
    """Ask the service and send the cited answer (split at articles when long), with its buttons.

    ``record=False`` keeps a refused question out of the unanswered-questions log.
    """
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    if not question:
        await message.reply_text(texts.ASK_USAGE)
        return
    if not _CJK.search(question) and _LATIN.search(question):
        await message.reply_text(texts.NOT_CHINESE)
        return
    service = chat_service(context)
    replied = message.reply_to_message
    in_group = chat.type != ChatType.PRIVATE
    stream = StreamedReply(message, context.bot_data.running.pacer, in_group)
    # A model's answer takes seconds: "typing" until its first verified sentence shows.
    typing = asyncio.create_task(keep_typing(context.bot, chat.id)) if service.streams else None
    reply = None
    try:
        async for event in service.ask_stream(
            chat.id,
            question,
            record=record,
            person=update.effective_user.id if update.effective_user else None,
            # A reply to one of our answers continues that answer's question, whoever asked it.
            replying_to=replied.message_id if replied and _from_bot(replied, context.bot.id) else None,
        ):
            if isinstance(event, Partial):
                if typing is not None:
                    typing.cancel()
                await stream.show(event.text)
            else:
                reply = event
    except KnowledgeError as error:
        await message.reply_text(describe(error))
        return
    finally:
        if typing is not None:
            typing.cancel()
    assert reply is not None
    pages = answer_html(reply.answer, reply.previous)
    if reply.answer.refused:
        keyboard = suggestion_keyboard(reply.answer_id, reply.answer.suggestions)
    elif reply.answer.kind == "small_talk":
        keyboard = None
    else:
        keyboard = answer_keyboard(reply.answer_id, len(reply.answer.citations))
    for sent in await stream.finish(pages, keyboard):
        service.posted(chat.id, sent.message_id, reply.answer_id)


def _from_bot(message: Message, bot_id: int) -> bool:
    return bool(message.from_user and message.from_user.id == bot_id)


async def button(update: Update, context: Context) -> None:
    """📄 全文 shows a cited article in full; 👍 / 👎 rate the answer once."""
    query = update.callback_query
    if query is None or not query.data:
        return
    kind, _, rest = query.data.partition(":")
    answer_id, _, value = rest.partition(":")
    service = chat_service(context)
    try:
        if kind == "full":
            citation, text = service.article(answer_id, int(value))
            await query.answer()
            if update.effective_chat:
                for page in article_html(citation, text):
                    await context.bot.send_message(update.effective_chat.id, page, parse_mode="HTML")
        elif kind == "ask":
            question = service.suggestion(answer_id, int(value))
            await query.answer()
            await answer(update, context, question)
        elif kind == "fb":
            first = await service.rate(answer_id, helpful=value == "1")
            await query.answer(texts.THANKS if first else texts.ALREADY_RATED)
            if first and isinstance(query.message, Message) and query.message.reply_markup:
                await query.edit_message_reply_markup(_without_rating(query.message.reply_markup))
        else:
            await query.answer()
    except (AssistantError, ValueError) as error:
        await query.answer(describe(error), show_alert=True)


def _without_rating(markup: InlineKeyboardMarkup) -> InlineKeyboardMarkup:
    rows = [
        row
        for row in markup.inline_keyboard
        if not any(str(b.callback_data or "").startswith("fb:") for b in row)
    ]
    return InlineKeyboardMarkup(rows)
