"""Messages that are not questions: media in private chats get a hint; the rest is ignored."""

from __future__ import annotations

from telegram import Update

from handlers import texts
from handlers.context import Context


async def not_text(update: Update, context: Context) -> None:
    """Stickers, photos, voice, locations… in a private chat: say that only text questions are answered."""
    if update.effective_message:
        await update.effective_message.reply_text(texts.TEXT_ONLY)
