"""The real application run in-process against the fake Bot API, for handler tests; no model is loaded."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from assistant.chat import ChatService, ConversationMemory
from bot.app import BotServices, QingfengApp, ServicesFactory, build_application
from common.clock import Clock
from knowledge.unanswered import UnansweredLog
from reminders.content import ArticleLookup, corpus_lookup
from tests.fakebotapi import Call, FakeBotAPI
from tests.fakes import HashingEmbedder, MemoryStore
from wiring.factory import build_engine, build_knowledge, build_reminders, build_reports
from wiring.settings import Settings


@functools.cache
def lookup() -> ArticleLookup:
    """The corpus articles the reminder templates quote (chunked once per test session)."""
    return corpus_lookup()


def fake_services(settings: Settings, clock: Clock | None = None, reports: bool = False) -> BotServices:
    """Real stores on the settings' SQLite, the instant fake knowledge service, reminders on ``clock``."""
    engine = build_engine(settings)
    knowledge = build_knowledge(settings, embedder=HashingEmbedder(), store=MemoryStore())
    executor = ThreadPoolExecutor(max_workers=1)
    chat = ChatService(knowledge, UnansweredLog(engine), executor, ConversationMemory(ttl=600))
    return BotServices(
        chat=chat,
        executor=executor,
        engine=engine,
        reminders=build_reminders(settings, engine, lookup=lookup(), clock=clock),
        reports=build_reports(settings, engine) if reports else None,
        # The injected clocks are not the wall clock APScheduler fires by.
        run_scheduled_jobs=False,
    )


@contextlib.asynccontextmanager
async def running_app(settings: Settings, services_factory: ServicesFactory) -> AsyncIterator[QingfengApp]:
    """What run_polling does, minus the signal handling: post_init and friends are called here."""
    app = build_application(settings, services_factory=services_factory)
    async with app:
        assert app.post_init and app.post_stop and app.post_shutdown
        await app.post_init(app)
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        await app.start()
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
            await app.post_stop(app)
    await app.post_shutdown(app)


@dataclass(frozen=True)
class Reply:
    """A successful call of the bot to the fake server, its text never None."""

    call: Call

    @property
    def text(self) -> str:
        return self.call.text or ""

    @property
    def params(self) -> dict[str, Any]:
        return self.call.params

    @property
    def index(self) -> int:
        return self.call.index

    @property
    def message_id(self) -> int:
        return int(self.call.result["message_id"])

    def buttons(self) -> list[tuple[str, str]]:
        markup = self.call.reply_markup or {}
        return [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]


@dataclass
class Driver:
    """Plays users against the running application through the fake server."""

    api: FakeBotAPI
    app: QingfengApp

    async def say(self, chat_id: int, text: str, **kwargs: Any) -> Reply:
        """Send a text as a user; the bot's next message to that chat."""
        mark = self.api.mark()
        self.api.send_text(chat_id, text, **kwargs)
        return await self.reply(chat_id, mark)

    async def reply(
        self, chat_id: int, after: int, predicate: Callable[[Reply], bool] | None = None
    ) -> Reply:
        """The bot's next message to ``chat_id`` after call index ``after`` (matching ``predicate``)."""
        call = await self.api.wait_for_async(
            "sendMessage",
            lambda c: c.chat_id == chat_id and (predicate is None or predicate(Reply(c))),
            after=after,
        )
        return Reply(call)

    async def press(
        self, chat_id: int, message_id: int, data: str, predicate: Callable[[Reply], bool] | None = None
    ) -> Reply:
        """Press a button; the bot's next message to the chat (matching ``predicate``)."""
        mark = self.api.mark()
        self.api.press(chat_id, message_id, data)
        return await self.reply(chat_id, mark, predicate)

    async def answered(self, chat_id: int, message_id: int, data: str) -> str:
        """Press a button; the text of the callback answer."""
        mark = self.api.mark()
        self.api.press(chat_id, message_id, data)
        call = await self.api.wait_for_async("answerCallbackQuery", after=mark)
        return str(call.params.get("text") or "")

    async def send(self, chat_id: int, push: Callable[[], object]) -> Reply:
        """Push any user message; the bot's next message to the chat."""
        mark = self.api.mark()
        push()
        return await self.reply(chat_id, mark)

    async def call(self, method: str, after: int) -> Reply:
        """The bot's next successful ``method`` call after call index ``after``."""
        return Reply(await self.api.wait_for_async(method, after=after))

    async def settled(self, timeout: float = 30.0) -> None:
        """Return once every update pushed so far has been fully processed: only then is an absence proven.

        The server holds an update until a later getUpdates confirms it, which PTB sends after putting the batch
        in its queue; the application marks each queued update done when its handlers have finished.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        while self.api.pending_updates():
            assert asyncio.get_running_loop().time() < deadline, "the bot did not fetch its updates"
            await asyncio.sleep(0.01)  # polling for the fetch, not waiting for something not to happen
        await asyncio.wait_for(self.app.update_queue.join(), timeout)
