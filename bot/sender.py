"""Sends reminder messages through python-telegram-bot, translating Telegram's errors for the core."""

from __future__ import annotations

import warnings

from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter
from telegram.ext import ExtBot

from handlers.lanes import NO_RETRY
from reminders.broadcast import ChatGone, ChatMoved, RetryLater

_GONE = ("chat not found", "bot was kicked", "not enough rights", "have no rights", "user is deactivated")


class TelegramSender:
    """The ``reminders.broadcast.Sender`` of the real bot (its ``PacedRateLimiter`` paces the traffic)."""

    def __init__(self, bot: ExtBot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, html: str) -> None:
        """Send one HTML message; Telegram's refusals become ``SendProblem`` exceptions."""
        try:
            await self.bot.send_message(chat_id, html, parse_mode=ParseMode.HTML, rate_limit_args=NO_RETRY)
        except RetryAfter as exc:
            with warnings.catch_warnings():  # PTB warns that retry_after will become a timedelta; both work
                warnings.simplefilter("ignore")
                seconds = _seconds(exc.retry_after)
            raise RetryLater(seconds) from exc
        except ChatMigrated as exc:
            raise ChatMoved(int(exc.new_chat_id)) from exc
        except Forbidden as exc:
            raise ChatGone(f"forbidden: {exc.message}") from exc
        except BadRequest as exc:
            if any(marker in exc.message.lower() for marker in _GONE):
                raise ChatGone(f"bad request: {exc.message}") from exc
            raise


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]
