"""Errors raised while configuring or running the bot; ``bot.messages`` turns them into text."""

from __future__ import annotations


class BotError(Exception):
    """Base class for errors of the bot layer."""


class MissingToken(BotError):
    """No Telegram bot token is configured."""


class MalformedToken(BotError):
    """The configured token does not look like a Telegram bot token."""


class TokenRejected(BotError):
    """Telegram (or the configured Bot API server) refused the token."""


class AnswerExpired(BotError):
    """A button refers to an answer that is no longer kept in memory."""


class TelegramUnreachable(BotError):
    """The Bot API server could not be reached when the bot started."""
