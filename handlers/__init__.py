"""Telegram handlers (thin: parse, call one service, render)."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers import other, qa, reminders, report
from handlers.context import HandlerConfig
from handlers.errors import on_error

# Only new messages: edits of earlier messages and channel posts are ignored.
NEW = filters.UpdateType.MESSAGE
MEDIA = (
    filters.Sticker.ALL
    | filters.PHOTO
    | filters.VIDEO
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO_NOTE
    | filters.ANIMATION
    | filters.Document.ALL
    | filters.LOCATION
    | filters.VENUE
    | filters.CONTACT
    | filters.POLL
    | filters.Dice.ALL
)


def register(application: Application[Any, Any, Any, Any, Any, Any], config: HandlerConfig) -> None:
    """Attach every handler and the error handler to ``application``."""
    # First: while someone writes a report or follows one up, none of their messages may reach the Q&A
    # (nor its log of unanswered questions); /start report and /start status enter it too.
    application.add_handler(report.conversation(config))
    for handler in report.outside_handlers():
        application.add_handler(handler)
    application.add_handler(CommandHandler("start", qa.start, filters=NEW))
    application.add_handler(CommandHandler("help", qa.help_command, filters=NEW))
    application.add_handler(CommandHandler("ask", qa.ask_command, filters=NEW))
    application.add_handler(CommandHandler("subscribe", reminders.subscribe, filters=NEW))
    application.add_handler(CommandHandler("unsubscribe", reminders.unsubscribe, filters=NEW))
    application.add_handler(CommandHandler("reminders", reminders.list_reminders, filters=NEW))
    application.add_handler(CommandHandler("preview", reminders.preview, filters=NEW))
    application.add_handler(CommandHandler("broadcast_now", reminders.broadcast_now, filters=NEW))
    application.add_handler(MessageHandler(NEW & filters.StatusUpdate.MIGRATE, reminders.migrated))
    application.add_handler(
        MessageHandler(NEW & filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, qa.private_text)
    )
    application.add_handler(
        MessageHandler(NEW & filters.ChatType.GROUPS & filters.TEXT & ~filters.COMMAND, qa.group_text)
    )
    application.add_handler(MessageHandler(NEW & filters.ChatType.PRIVATE & MEDIA, other.not_text))
    application.add_handler(CallbackQueryHandler(qa.button, pattern=r"^(full|fb|ask):"))
    application.add_handler(
        CallbackQueryHandler(reminders.broadcast_button, pattern=rf"^{reminders.CALLBACK_PREFIX}:")
    )
    application.add_error_handler(on_error)
