"""A model's answer streamed into one Telegram message: typing, edits paced per chat, then the final text."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable

from telegram import InlineKeyboardMarkup, Message
from telegram.constants import ChatAction, ParseMode
from telegram.error import TelegramError
from telegram.ext import ExtBot

STREAMING = " …"  # after the text while the answer is still coming
TYPING_AFTER = 0.8  # no "typing" when the first sentence comes sooner: every request takes rate-limit room
TYPING_EVERY = 4.5  # Telegram shows "typing" for about 5 seconds


class EditPacer:
    """At most one message or edit per chat every ``private`` (groups: ``group``) seconds, for all answers there,
    and at most ``optional_per_second`` in-between edits over all chats.

    Telegram allows about one message a second in a chat, twenty a minute in a group and thirty a second in
    all; every edit also passes through the bot's rate limiter. Only the first message and the final text of
    an answer are needed: edits in between are skipped when the budget is spent, so replies, broadcasts and
    receipts keep their room however many answers stream at once.
    """

    def __init__(
        self,
        private: float = 1.5,
        group: float = 3.0,
        optional_per_second: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.private = private
        self.group = group
        self.optional_per_second = optional_per_second
        self.clock = clock
        self._last: dict[int, float] = {}
        self._optional: deque[float] = deque()

    def may_update(self, chat_id: int) -> bool:
        """Whether an in-between edit may go out now (and if so, it is counted)."""
        if self.wait_time(chat_id) > 0:
            return False
        now = self.clock()
        while self._optional and self._optional[0] <= now - 1.0:
            self._optional.popleft()
        if len(self._optional) >= self.optional_per_second:
            return False
        self._optional.append(now)
        return True

    def interval(self, chat_id: int) -> float:
        """The pace for this chat (negative ids are groups and channels)."""
        return self.group if chat_id < 0 else self.private

    def wait_time(self, chat_id: int) -> float:
        """Seconds until this chat may be edited again (0 when it may now)."""
        last = self._last.get(chat_id)
        if last is None:
            return 0.0
        return max(0.0, last + self.interval(chat_id) - self.clock())

    def mark(self, chat_id: int) -> None:
        """Note that this chat was just sent to."""
        now = self.clock()
        self._last[chat_id] = now
        if len(self._last) > 10_000:
            # Forget chats whose pause is over: they may be sent to at once anyway.
            for chat, at in list(self._last.items()):
                if at + self.interval(chat) <= now:
                    del self._last[chat]


async def keep_typing(bot: ExtBot[int], chat_id: int) -> None:
    """Show "typing" in the chat, from a moment after the question until cancelled."""
    await asyncio.sleep(TYPING_AFTER)
    while True:
        with contextlib.suppress(TelegramError):
            await bot.send_chat_action(chat_id, ChatAction.TYPING)
        await asyncio.sleep(TYPING_EVERY)


class StreamedReply:
    """One reply message that grows as the answer streams, then becomes the final answer with its buttons."""

    def __init__(self, question: Message, pacer: EditPacer, in_group: bool) -> None:
        self.question = question
        self.pacer = pacer
        self.in_group = in_group
        self.chat_id = question.chat_id
        self.sent: Message | None = None
        self._shown = ""

    async def show(self, text: str) -> None:
        """Show the verified part so far; skipped when the chat was edited too recently (the next one catches up)."""
        shown = text + STREAMING
        if self.sent is None:
            self.sent = await self.question.reply_text(shown, do_quote=self.in_group)
        elif shown == self._shown or not self.pacer.may_update(self.chat_id):
            return
        else:
            await self._edit(shown)
        self._shown = shown
        self.pacer.mark(self.chat_id)

    async def finish(self, pages: list[str], keyboard: InlineKeyboardMarkup | None) -> list[Message]:
        """The final answer: the streamed message edited into the first page, further pages sent after it."""
        if self.sent is None:
            first = await self.question.reply_html(
                pages[0], reply_markup=keyboard if len(pages) == 1 else None, do_quote=self.in_group
            )
        else:
            pause = self.pacer.wait_time(self.chat_id)
            if pause:
                await asyncio.sleep(pause)  # the chat's pace, not a test's wait
            await self._edit(pages[0], ParseMode.HTML, keyboard if len(pages) == 1 else None)
            first = self.sent
        self.pacer.mark(self.chat_id)
        messages = [first]
        for number, page in enumerate(pages[1:], start=2):
            last = number == len(pages)
            messages.append(
                await self.question.reply_html(page, reply_markup=keyboard if last else None, do_quote=False)
            )
        return messages

    async def _edit(
        self, text: str, parse_mode: str | None = None, keyboard: InlineKeyboardMarkup | None = None
    ) -> None:
        # Never the same text twice (Telegram refuses an edit that changes nothing): partial texts end in " …".
        assert self.sent is not None
        await self.sent.edit_text(text, parse_mode=parse_mode, reply_markup=keyboard)
