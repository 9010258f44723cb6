"""Broadcast one reminder to every subscribed chat, exactly once per chat, within Telegram's limits.

The sender (the bot layer) enforces the rate limits (≤ 30 messages/s overall, ≤ 20/min per group) and
turns Telegram's answers into the plain exceptions below, so this module never sees Telegram types.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from reminders.store import ReminderStore

log = logging.getLogger("qingfeng.reminders")


class SendProblem(Exception):
    """Base class of what can go wrong sending one message."""


class RetryLater(SendProblem):
    """Flood control: wait ``seconds`` and try again."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds} s")
        self.seconds = seconds


class ChatGone(SendProblem):
    """The bot was blocked, removed, or the chat does not exist: stop sending there."""


class ChatMoved(SendProblem):
    """The group became a supergroup with a new id."""

    def __init__(self, new_chat_id: int) -> None:
        super().__init__(f"migrated to {new_chat_id}")
        self.new_chat_id = new_chat_id


class Sender(Protocol):
    """Sends one HTML message to one chat."""

    async def send(self, chat_id: int, html: str) -> None:
        """Deliver ``html`` or raise a ``SendProblem`` (or any other exception for transient failures)."""
        ...


@dataclass
class BroadcastReport:
    """What one broadcast did."""

    reminder_id: str
    sent: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    unsubscribed: dict[int, str] = field(default_factory=dict)
    migrated: dict[int, int] = field(default_factory=dict)
    retries: int = 0


class Broadcaster:
    """Sends a reminder to all pending chats concurrently; the sender paces the traffic."""

    def __init__(
        self,
        store: ReminderStore,
        sender: Sender,
        concurrency: int = 40,
        max_attempts: int = 4,
        backoff: float = 0.5,
        max_wait: float = 120.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.sender = sender
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_wait = max_wait
        self.sleep = sleep
        self.stopping = False

    def stop(self) -> None:
        """Claim no more chats: messages already on their way finish, the rest wait for the next run."""
        self.stopping = True

    async def broadcast(self, reminder_id: str, html: str) -> BroadcastReport:
        """Deliver ``html`` to every active subscriber that has not had this reminder yet."""
        report = BroadcastReport(reminder_id)
        chats = await asyncio.to_thread(self.store.pending_chats, reminder_id)
        gate = asyncio.Semaphore(self.concurrency)

        async def one(chat_id: int) -> None:
            async with gate:
                if self.stopping:
                    return
                await self._deliver(reminder_id, chat_id, html, report)

        await asyncio.gather(*(one(c) for c in chats))
        log.info(
            "reminder %s: %d sent, %d failed, %d unsubscribed, %d migrated",
            reminder_id,
            len(report.sent),
            len(report.failed),
            len(report.unsubscribed),
            len(report.migrated),
        )
        return report

    async def _deliver(self, reminder_id: str, chat_id: int, html: str, report: BroadcastReport) -> None:
        if not await asyncio.to_thread(self.store.claim, reminder_id, chat_id):
            return
        attempts = 0
        errors = 0
        while True:
            attempts += 1
            try:
                await self.sender.send(chat_id, html)
            except RetryLater as wait:
                # Flood control is not a failure: wait as told, without using up an attempt.
                report.retries += 1
                await self.sleep(min(wait.seconds, self.max_wait))
                if self.stopping:
                    return  # not delivered; the row stays "sending" and the next run sends it
                continue
            except ChatGone as gone:
                await asyncio.to_thread(self.store.unsubscribe, chat_id, str(gone))
                await asyncio.to_thread(
                    self.store.finish, reminder_id, chat_id, "dropped", attempts, str(gone)
                )
                report.unsubscribed[chat_id] = str(gone)
                return
            except ChatMoved as moved:
                new = moved.new_chat_id
                await asyncio.to_thread(self.store.migrate, chat_id, new)
                report.migrated[chat_id] = new
                if not await asyncio.to_thread(self.store.move_delivery, reminder_id, chat_id, new):
                    return  # the new chat already has this reminder
                chat_id = new
                continue
            except Exception as exc:  # transient: network, 5xx, unexpected answers
                errors += 1
                report.retries += 1
                if errors >= self.max_attempts:
                    detail = f"{type(exc).__name__}: {exc}"
                    await asyncio.to_thread(
                        self.store.finish, reminder_id, chat_id, "failed", attempts, detail
                    )
                    report.failed[chat_id] = detail
                    log.warning("reminder %s to chat %s failed: %s", reminder_id, chat_id, detail)
                    return
                await self.sleep(self.backoff * 2 ** (errors - 1))
                continue
            # Recorded on the loop, without a hop through the thread pool: between Telegram accepting the
            # message and this commit a crash would make the next run send it again, so keep it short.
            self.store.finish(reminder_id, chat_id, "sent", attempts)
            report.sent.append(chat_id)
            return
