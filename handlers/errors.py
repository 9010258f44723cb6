"""The one error handler: log the exception, tell the user briefly, never show a stack trace."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError, TelegramError

from assistant.messages import GENERIC
from handlers.context import Context

log = logging.getLogger("qingfeng.handlers")


async def on_error(update: object, context: Context) -> None:
    """Log what failed; apologise in the chat unless the chat cannot be reached."""
    error = context.error
    if isinstance(error, Forbidden):
        # The user blocked the bot or it was removed from the group: nothing to tell anyone.
        log.info("chat unreachable: %s", error)
        return
    if not isinstance(update, Update):
        # Errors outside an update (e.g. polling hiccups) are retried by the library.
        level = logging.WARNING if isinstance(error, NetworkError) else logging.ERROR
        log.log(level, "error outside an update: %s", error, exc_info=level >= logging.ERROR)
        return
    log.error("update %s failed", update.update_id, exc_info=error)
    chat = update.effective_chat
    if chat is None:
        return
    try:
        await context.bot.send_message(chat.id, GENERIC.rstrip("。"))
    except TelegramError as send_error:
        log.warning("could not tell chat about the error: %s", send_error)
