"""Drives the /report and /status flows of a bot process through the fake Bot API (blocking; for threads)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from tests.fakebotapi import Call, FakeBotAPI

CODE_RE = re.compile(r"<code>([0-9A-Z-]+)</code>")
TIMEOUT = 120.0


def buttons(call: Call) -> list[str]:
    """The callback data of a message's inline buttons."""
    markup = call.reply_markup or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


@dataclass
class Reporter:
    """One person, in their private chat with the bot."""

    server: FakeBotAPI
    chat: int

    def _next(self, after: int, predicate: Callable[[Call], bool]) -> Call:
        try:
            return self.server.wait_for(
                "sendMessage", lambda c: c.chat_id == self.chat and c.ok and predicate(c), TIMEOUT, after
            )
        except TimeoutError as exc:
            # The shared server's last calls are mostly other people's: say what this chat got, and whether
            # the bot ever fetched the update.
            mine = [c.summary() for c in self.server.calls()[after:] if c.chat_id == self.chat]
            pending = [u["update_id"] for u in self.server.pending_updates()]
            raise TimeoutError(
                f"chat {self.chat}: no expected sendMessage within {TIMEOUT:.0f} s (after #{after}); "
                f"its calls since: {mine or 'none'}; updates not yet fetched: {pending or 'none'}"
            ) from exc

    def say(self, text: str, predicate: Callable[[Call], bool]) -> Call:
        """Send text; the bot's next message matching ``predicate``."""
        mark = self.server.mark()
        self.server.send_text(self.chat, text)
        return self._next(mark, predicate)

    def press(self, message: Call, data: str, predicate: Callable[[Call], bool]) -> Call:
        """Press a button of ``message``; the bot's next message matching ``predicate``."""
        mark = self.server.mark()
        self.server.press(self.chat, int(message.result["message_id"]), data)
        return self._next(mark, predicate)

    def send_file(self, data: bytes, name: str, mime: str, predicate: Callable[[Call], bool]) -> Call:
        """Send a document; the bot's next message matching ``predicate``."""
        mark = self.server.mark()
        self.server.send_document(self.chat, data, name, mime)
        return self._next(mark, predicate)

    def fill(
        self,
        details: str,
        subject: str | None = None,
        category: str = "gifts",
        files: tuple[tuple[bytes, str, str], ...] = (),
    ) -> Call:
        """Walk the steps up to the summary, sending ``files`` (data, name, type) as evidence; 确认提交's message."""
        intro = self.say("/report", lambda c: f"rp:cat:{category}" in buttons(c))
        ask_subject = self.press(intro, f"rp:cat:{category}", lambda c: (c.text or "").startswith("第2步"))
        step3 = lambda c: (c.text or "").startswith("第3步")  # noqa: E731
        if subject:
            self.say(subject, step3)
        else:
            self.press(ask_subject, "rp:skip", step3)
        ask_when = self.say(details, lambda c: (c.text or "").startswith("第4步"))
        last = self.press(ask_when, "rp:skip", lambda c: (c.text or "").startswith("第5步"))
        for data, name, mime in files:
            last = self.send_file(data, name, mime, lambda c: (c.text or "").startswith("已收到第"))
        return self.press(last, "rp:done", lambda c: "rp:send" in buttons(c))

    def confirm(self, summary: Call) -> tuple[str, Call]:
        """Press 确认提交; the receipt code and the receipt message."""
        receipt = self.press(summary, "rp:send", lambda c: "回执码" in (c.text or ""))
        found = CODE_RE.search(receipt.text or "")
        assert found, receipt.text
        return found.group(1), receipt

    def report(
        self, details: str, subject: str | None = None, files: tuple[tuple[bytes, str, str], ...] = ()
    ) -> str:
        """A whole report; its receipt code."""
        return self.confirm(self.fill(details, subject, files=files))[0]
