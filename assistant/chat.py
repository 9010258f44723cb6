"""The chat-facing Q&A service: follow-up context, answers kept for buttons, feedback — no Telegram types."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.errors import AnswerExpired
from assistant.outcome import LLMAnswer, LLMOutcome, Partial
from common.clock import china_today
from knowledge.answer import full_text
from knowledge.followup import is_followup
from knowledge.model import Answer, Citation
from knowledge.service import Explanation, KnowledgeService
from knowledge.smalltalk import small_talk
from knowledge.unanswered import UnansweredLog
from reports.receipt import find_code

if TYPE_CHECKING:  # imported by the factory only when a model server is configured
    from assistant.llm import LLMAnswerer

GATED = "gated"  # the "fallback" when the model was not asked: small talk, or a question the gate refused
MAX_KEPT_ANSWERS = 5000  # answers whose buttons still work; older buttons say the answer expired


@dataclass(frozen=True)
class ChatReply:
    """An answer for a chat, the id its buttons refer to, and the earlier question it built on."""

    answer: Answer
    answer_id: str
    previous: str | None = None
    llm: LLMOutcome | None = None  # set when a model was configured: whether its answer was used, and why not


@dataclass(frozen=True)
class Topic:
    """What a conversation is about: the standalone question, and the card and articles its answers used."""

    question: str
    articles: frozenset[tuple[str, str]] = frozenset()
    card: str | None = None

    def joined(self, answer: Answer) -> Topic:
        """The same topic after a follow-up was answered: still one question, the follow-up's articles added."""
        return Topic(self.question, self.articles | _articles(answer), self.card or answer.card)


@dataclass
class _Kept:
    question: str
    answer: Answer
    topic: Topic
    rated: bool = False


# Whose context a question is read in: (chat, person). In a group every member has their own.
Speaker = tuple[int, int]


class ConversationMemory:
    """Each person's current topic per chat, in memory only, forgotten after ``ttl`` seconds."""

    def __init__(
        self, ttl: float, clock: Callable[[], float] = time.monotonic, max_chats: int = 100_000
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self.max_chats = max_chats
        self._last: OrderedDict[Speaker, tuple[Topic, float]] = OrderedDict()
        self._lock = threading.Lock()

    def previous(self, speaker: Speaker) -> Topic | None:
        """The person's topic if it is recent enough."""
        with self._lock:
            entry = self._last.get(speaker)
            if entry is None:
                return None
            topic, at = entry
            if self.clock() - at > self.ttl:
                del self._last[speaker]
                return None
            return topic

    def remember(self, speaker: Speaker, topic: Topic) -> None:
        """Keep ``topic`` as the person's context in that chat."""
        with self._lock:
            self._last[speaker] = (topic, self.clock())
            self._last.move_to_end(speaker)
            while len(self._last) > self.max_chats:
                self._last.popitem(last=False)

    def forget(self, speaker: Speaker) -> None:
        """Drop the person's context (e.g. after /start)."""
        with self._lock:
            self._last.pop(speaker, None)


class ChatService:
    """What the chat handlers call: ask, show an article in full, rate an answer."""

    def __init__(
        self,
        knowledge: KnowledgeService,
        unanswered: UnansweredLog,
        executor: Executor,
        memory: ConversationMemory,
        today: Callable[[], dt.date] = china_today,
        llm: LLMAnswerer | None = None,
    ) -> None:
        self.knowledge = knowledge
        self.llm = llm
        self.unanswered = unanswered
        self.executor = executor
        self.memory = memory
        self.today = today
        self._answers: OrderedDict[str, _Kept] = OrderedDict()
        self._posted: OrderedDict[tuple[int, int], str] = OrderedDict()  # (chat, message id) -> answer id
        self._lock = threading.Lock()

    @property
    def streams(self) -> bool:
        """Whether answers come from a model, as partial texts before the final one (``ask_stream``)."""
        return self.llm is not None

    async def ask(
        self,
        chat: int,
        question: str,
        record: bool = True,
        person: int | None = None,
        replying_to: int | None = None,
    ) -> ChatReply:
        """The final reply of ``ask_stream`` (see there)."""
        reply = None
        async for event in self.ask_stream(chat, question, record, person, replying_to):
            if isinstance(event, ChatReply):
                reply = event
        assert reply is not None
        return reply

    async def ask_stream(
        self,
        chat: int,
        question: str,
        record: bool = True,
        person: int | None = None,
        replying_to: int | None = None,
    ) -> AsyncIterator[Partial | ChatReply]:
        """Answer ``question`` from ``person`` (default: the chat itself) in context; retrieval runs off the loop.

        A follow-up ("那春节呢？") is read with the person's current topic in that chat, or with the question of
        the answer it replies to (``replying_to``: the chat message id of one of our answers). With a model
        configured, the model first rewrites it as a standalone question; otherwise (or when that fails) it is
        joined to that one standalone question only, never to a chain. A follow-up that a situation card answers
        on its own from other articles, or that is answered by itself from articles the topic never cited and
        leads with the same article when joined to the topic, starts a new topic. A refusal is filed for
        curators only when ``record`` and the text holds nothing shaped like a receipt code.

        With a model configured, the verified part of its answer is yielded as ``Partial`` texts while it
        streams; the last item is always the ``ChatReply``.
        """
        if small_talk(question) is not None:
            # 你好 / 谢谢 / 你能做什么: answered as such, never read as a follow-up, never remembered or filed.
            greeting = self.knowledge.ask(question)
            outcome = self._not_asked()
            yield ChatReply(greeting, self._keep(question, greeting, Topic(question)), llm=outcome)
            return
        speaker = _speaker(chat, person)
        context = self._replied_topic(chat, replying_to) or self.memory.previous(speaker)
        loop = asyncio.get_running_loop()
        rewritten = None
        if self.llm is not None and context is not None and is_followup(question):
            rewritten = await self.llm.rewrite(context.question, question)
        if rewritten is not None:
            query, explanation, topic = await loop.run_in_executor(
                self.executor, self._answer, rewritten, None, record
            )
        else:
            query, explanation, topic = await loop.run_in_executor(
                self.executor, self._answer, question, context, record
            )
        answer, outcome = explanation.answer, self._not_asked()
        grounding = self.knowledge.grounding(explanation) if self.llm is not None else None
        if grounding is not None:
            assert self.llm is not None
            async for event in self.llm.stream(grounding):
                if isinstance(event, LLMAnswer):
                    answer, outcome = event.answer, event.outcome
                else:
                    yield event
        self.memory.remember(speaker, topic)
        previous = context.question if rewritten is not None and context is not None else None
        if rewritten is None and query != question:
            previous = topic.question
        yield ChatReply(answer, self._keep(query, answer, topic), previous, outcome)

    def _not_asked(self) -> LLMOutcome | None:
        # A model is configured but had nothing to answer from (small talk, a refusal): the offline reply stands.
        return LLMOutcome(self.llm.name, verified=False, fallback=GATED) if self.llm is not None else None

    def _answer(self, question: str, context: Topic | None, record: bool) -> tuple[str, Explanation, Topic]:
        query, found, topic = question, None, None
        if context is not None and is_followup(question):
            alone = self.knowledge.explain(question)
            together = f"{context.question}；{question}"
            joined = None if _carded_elsewhere(alone.answer, context) else self.knowledge.explain(together)
            if joined is None or _drifted(alone.answer, joined.answer, context):
                found = alone
            else:
                query, found, topic = together, joined, context.joined(joined.answer)
        if found is None:
            found = self.knowledge.explain(question)
        answer = found.answer
        if topic is None:
            topic = Topic(question, _articles(answer), answer.card)
        if answer.refused and record and find_code(query) is None:
            self.unanswered.record(query, "refused", self.today())
        return query, found, topic

    def posted(self, chat: int, message_id: int, answer_id: str) -> None:
        """Note that chat message ``message_id`` shows answer ``answer_id``, so replies to it continue it."""
        with self._lock:
            self._posted[(chat, message_id)] = answer_id
            while len(self._posted) > 2 * MAX_KEPT_ANSWERS:
                self._posted.popitem(last=False)

    def _replied_topic(self, chat: int, message_id: int | None) -> Topic | None:
        if message_id is None:
            return None
        with self._lock:
            answer_id = self._posted.get((chat, message_id))
            kept = self._answers.get(answer_id) if answer_id else None
        return kept.topic if kept is not None and not kept.answer.refused else None

    def _keep(self, question: str, answer: Answer, topic: Topic) -> str:
        answer_id = secrets.token_hex(4)
        with self._lock:
            self._answers[answer_id] = _Kept(question, answer, topic)
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

    def forget(self, chat: int, person: int | None = None) -> None:
        """Start the person's conversation in the chat afresh."""
        self.memory.forget(_speaker(chat, person))


def _speaker(chat: int, person: int | None) -> Speaker:
    # In a private chat the person is the chat.
    return (chat, chat if person is None else person)


def _articles(answer: Answer) -> frozenset[tuple[str, str]]:
    return frozenset(_key(c) for c in answer.citations)


def _carded_elsewhere(alone: Answer, topic: Topic) -> bool:
    # "那公车能私用吗" after a gift question: a card answers it by itself, from articles the topic never cited.
    return (
        not alone.refused
        and alone.card is not None
        and alone.card != topic.card
        and not (_articles(alone) & topic.articles)
    )


def _drifted(alone: Answer, joined: Answer, topic: Topic) -> bool:
    # Answered by itself from articles the topic never cited, and joining the topic does not change the article
    # the answer leads with: the earlier question adds nothing.
    return (
        not alone.refused
        and bool(alone.citations and joined.citations)
        and _key(alone.citations[0]) == _key(joined.citations[0])
        and not (_articles(alone) & topic.articles)
    )


def _key(citation: Citation) -> tuple[str, str]:
    return (citation.source, citation.article)
