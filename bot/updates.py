"""Concurrent update processing that keeps each person's updates in one chat in the order they were sent."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

# An album of 10 photos arrives as 10 updates at once; anything far beyond that from one person is a flood.
MAX_QUEUED_PER_SENDER = 32


@dataclass
class _Queue:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0


def sender_key(update: object) -> tuple[int | None, int] | None:
    """The (chat, user) an update comes from, as a ConversationHandler keys it (per_chat and per_user)."""
    if not isinstance(update, Update) or update.effective_user is None:
        return None
    chat = update.effective_chat
    return (chat.id if chat is not None else None, update.effective_user.id)


class SenderOrderedProcessor(BaseUpdateProcessor):
    """Different people's updates run concurrently; one person's updates in one chat run one at a time, in order.

    With PTB's SimpleUpdateProcessor a ConversationHandler sees the next update of a person while the handler of
    the previous one is still running (it records the new state only when the handler returns): a reply typed
    right after the bot's prompt, or a loaded server, then lands in the old step. A person who queues more than
    ``max_queued`` updates (a flood) gets the rest processed unordered, as before, so they cannot hold every slot.
    """

    __slots__ = ("_max_queued", "_queues")

    def __init__(self, max_concurrent_updates: int, max_queued: int = MAX_QUEUED_PER_SENDER) -> None:
        super().__init__(max_concurrent_updates)
        if max_queued < 1:
            raise ValueError("max_queued must be at least 1")
        self._max_queued = max_queued
        self._queues: dict[tuple[int | None, int], _Queue] = {}

    @property
    def senders(self) -> int:
        """How many people have an update in progress or waiting (for tests and metrics)."""
        return len(self._queues)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Await the coroutine after the same sender's earlier updates have finished."""
        key = sender_key(update)
        if key is None:
            await coroutine
            return
        queue = self._queues.setdefault(key, _Queue())
        if queue.waiting >= self._max_queued:
            log.warning("one sender has %d updates queued; processing this one out of order", queue.waiting)
            await coroutine
            return
        queue.waiting += 1
        try:
            async with queue.lock:  # asyncio.Lock wakes its waiters first come, first served
                await coroutine
        finally:
            queue.waiting -= 1
            if queue.waiting == 0:
                del self._queues[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release: updates still queued finish through the application's own shutdown."""
