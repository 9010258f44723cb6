"""The chat-facing Q&A service: follow-up context, answers kept for buttons, feedback — no Telegram types."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.errors import AnswerExpired
from knowledge.answer import full_text
from knowledge.followup import resolve
from knowledge.model import Answer, Citation
from knowledge.service import KnowledgeService
from knowledge.smalltalk import small_talk
from knowledge.unanswered import UnansweredLog
from reports.receipt import find_code

CHINA = ZoneInfo("Asia/Shanghai")
MAX_KEPT_ANSWERS = 5000  # answers whose buttons still work; older buttons say the answer expired


def china_today() -> dt.date:
    """Today's date in China (the day unanswered questions are filed under)."""
    return dt.datetime.now(CHINA).date()


@dataclass(frozen=True)
class ChatReply:
    """An answer for a chat, the id its buttons refer to, and the earlier question it built on."""

    answer: Answer
    answer_id: str
    previous: str | None = None


@dataclass
class _Kept:
    question: str
    answer: Answer
    rated: bool = False


class ConversationMemory:
    """Each chat's last question, in memory only, forgotten after ``ttl`` seconds."""

    def __init__(
        self, ttl: float, clock: Callable[[], float] = time.monotonic, max_chats: int = 100_000
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self.max_chats = max_chats
        self._last: OrderedDict[int, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def previous(self, chat: int) -> str | None:
        """The chat's last question if it is recent enough."""
        with self._lock:
            entry = self._last.get(chat)
            if entry is None:
                return None
            question, at = entry
            if self.clock() - at > self.ttl:
                del self._last[chat]
                return None
            return question

    def remember(self, chat: int, question: str) -> None:
        """Keep ``question`` as the chat's context."""
        with self._lock:
            self._last[chat] = (question, self.clock())
            self._last.move_to_end(chat)
            while len(self._last) > self.max_chats:
                self._last.popitem(last=False)

    def forget(self, chat: int) -> None:
        """Drop the chat's context (e.g. after /start)."""
        with self._lock:
            self._last.pop(chat, None)


class ChatService:
    """What the Telegram handlers call: ask, show an article in full, rate an answer."""

    def __init__(
        self,
        knowledge: KnowledgeService,
        unanswered: UnansweredLog,
        executor: Executor,
        memory: ConversationMemory,
        today: Callable[[], dt.date] = china_today,
    ) -> None:
        self.knowledge = knowledge
        self.unanswered = unanswered
        self.executor = executor
        self.memory = memory
        self.today = today
        self._answers: OrderedDict[str, _Kept] = OrderedDict()
        self._lock = threading.Lock()

    async def ask(self, chat: int, question: str, record: bool = True) -> ChatReply:
        """Answer ``question`` in the context of the chat's previous one; retrieval runs off the loop.

        A refusal is filed for curators only when ``record`` and the text holds nothing shaped like a receipt code.
        """
        if small_talk(question) is not None:
            # 你好 / 谢谢 / 你能做什么: answered as such, never read as a follow-up, never remembered or filed.
            greeting = self.knowledge.ask(question)
            return ChatReply(answer=greeting, answer_id=self._keep(question, greeting))
        resolved = resolve(question, self.memory.previous(chat))
        record = record and find_code(resolved.query) is None
        loop = asyncio.get_running_loop()
        answer = await loop.run_in_executor(self.executor, self._answer, resolved.query, record)
        # Keep the last two parts only, so a chain of follow-ups does not grow without end.
        self.memory.remember(chat, "；".join(resolved.query.split("；")[-2:]))
        return ChatReply(
            answer=answer, answer_id=self._keep(resolved.query, answer), previous=resolved.previous
        )

    def _answer(self, query: str, record: bool) -> Answer:
        answer = self.knowledge.ask(query)
        if answer.refused and record:
            self.unanswered.record(query, "refused", self.today())
        return answer

    def _keep(self, question: str, answer: Answer) -> str:
        answer_id = secrets.token_hex(4)
        with self._lock:
            self._answers[answer_id] = _Kept(question, answer)
            while len(self._answers) > MAX_KEPT_ANSWERS:
                self._answers.popitem(last=False)
        return answer_id

    def _kept(self, answer_id: str) -> _Kept:
        with self._lock:
            kept = self._answers.get(answer_id)
        if kept is None:
            raise AnswerExpired(answer_id)
        return kept

    def suggestion(self, answer_id: str, number: int) -> str:
        """The ``number``-th (1-based) question a missed answer suggested."""
        kept = self._kept(answer_id)
        if not 1 <= number <= len(kept.answer.suggestions):
            raise AnswerExpired(answer_id)
        return kept.answer.suggestions[number - 1]

    def article(self, answer_id: str, number: int) -> tuple[Citation, str]:
        """The ``number``-th (1-based) cited article of an answer, with its full text."""
        kept = self._kept(answer_id)
        if not 1 <= number <= len(kept.answer.citations):
            raise AnswerExpired(answer_id)
        citation = kept.answer.citations[number - 1]
        parts = self.knowledge.article(citation.source, citation.article)
        text = full_text(parts) or citation.text
        return citation, text

    async def rate(self, answer_id: str, helpful: bool) -> bool:
        """Record 👍/👎 once per answer; a 👎 files the question for the maintainers. False if already rated."""
        kept = self._kept(answer_id)
        with self._lock:
            if kept.rated:
                return False
            kept.rated = True
        if not helpful:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(
                self.executor, self.unanswered.record, kept.question, "downvoted", self.today()
            )
        return True

    def forget(self, chat: int) -> None:
        """Start the chat afresh."""
        self.memory.forget(chat)
