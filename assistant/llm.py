"""Optional model answers through LangChain: grounded in numbered excerpts, streamed, verified, offline fall-back.

Imported only when ``QINGFENG_LLM_BASE_URL`` is set (``wiring.factory.build_llm``). The chain is LCEL: a prompt
template (the Chinese system prompt, the numbered excerpts, the question) piped into any LangChain chat model
(``ChatOpenAI`` with ``base_url`` in production). A question the relevance gate refused never gets here: there
is no ``Grounding`` for it. What the model writes is shown only as far as ``knowledge.grounding.verify`` accepts
it; any failure ends in the offline answer with one line saying so, within the timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.prompts import ChatPromptTemplate

from assistant.outcome import LLMAnswer, LLMOutcome, Partial
from knowledge.grounding import (
    REWRITE_PROMPT,
    SYSTEM_PROMPT,
    Failure,
    Grounding,
    lead_verdict,
    renumbered,
    shown_prefix,
    verify,
)
from knowledge.model import Answer

log = logging.getLogger("qingfeng.llm")

UNAVAILABLE = "（大模型暂时不可用，以上为离线检索的回答。）"
UNVERIFIED = "（大模型的回答未通过引文核对，以上为离线检索的回答。）"
SOURCES = "依据："
GENERATED = "（大模型依据以上条文作答，引文已逐字核对；以条文原文为准。）"
_SERVER_FAILURES = {
    Failure.CONNECTION,
    Failure.TIMEOUT,
    Failure.RATE_LIMITED,
    Failure.SERVER_ERROR,
    Failure.MALFORMED,
}
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class _Timing:
    """When the model call started, sent its first token and ended (event-loop time)."""

    started: float
    first: float | None = None
    ended: float | None = None

    def stamp(self, answer: LLMAnswer, now: float) -> LLMAnswer:
        first = None if self.first is None else self.first - self.started
        return replace(answer, first_token=first, model_seconds=(self.ended or now) - self.started)


class CircuitBreaker:
    """Stops calling a failing server for ``cooldown`` seconds after ``failures`` failures in a row."""

    def __init__(
        self, failures: int = 3, cooldown: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures = failures
        self.cooldown = cooldown
        self.clock = clock
        self._count = 0
        self._opened: float | None = None

    def allow(self) -> bool:
        """Whether to call the server now (after the cooldown, one trial call is let through)."""
        if self._opened is None:
            return True
        if self.clock() - self._opened >= self.cooldown:
            self._opened = self.clock()  # one trial; a failure keeps it open for another cooldown
            return True
        return False

    def succeeded(self) -> None:
        """A call worked: close the circuit."""
        if self._opened is not None:
            log.warning("LLM circuit closed: the model server answers again")
        self._count, self._opened = 0, None

    def failed(self) -> None:
        """A call failed because of the server; open the circuit after enough in a row (said once)."""
        self._count += 1
        if self._opened is None and self._count >= self.failures:
            self._opened = self.clock()
            log.warning(
                "LLM circuit open: %d failures in a row, offline answers only for %.0f s",
                self._count,
                self.cooldown,
            )
        elif self._opened is not None:
            self._opened = self.clock()


class LLMAnswerer:
    """Streams a model's answer to a grounded question, shown only as far as it is verified."""

    def __init__(
        self,
        model: BaseChatModel,
        name: str,
        timeout: float = 20.0,
        rewrite_timeout: float = 5.0,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.name = name
        self.timeout = timeout
        self.rewrite_timeout = min(rewrite_timeout, timeout)
        self.breaker = breaker or CircuitBreaker()
        self.failures: Counter[str] = Counter()  # fall-backs by kind (never the text)
        prompt = ChatPromptTemplate.from_messages([("system", SYSTEM_PROMPT), ("human", "{message}")])
        self.chain = prompt | model
        rewrite = ChatPromptTemplate.from_messages(
            [("system", REWRITE_PROMPT), ("human", "上一个问题：{previous}\n追问：{followup}")]
        )
        self.rewriter = rewrite | model

    async def answer(self, grounding: Grounding) -> LLMAnswer:
        """The final answer, without the partial ones."""
        result: LLMAnswer | None = None
        async for event in self.stream(grounding):
            if isinstance(event, LLMAnswer):
                result = event
        assert result is not None
        return result

    async def stream(self, grounding: Grounding) -> AsyncIterator[Partial | LLMAnswer]:
        """Verified partial texts while the model writes, then the final ``LLMAnswer`` (always, within the timeout)."""
        if not self.breaker.allow():
            yield self._fallback(grounding, Failure.CIRCUIT_OPEN)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        timing = _Timing(loop.time())
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        producer = asyncio.create_task(self._produce(grounding, queue, deadline, timing))
        text, shown = "", ""
        try:
            while True:
                try:
                    kind, value = await asyncio.wait_for(queue.get(), max(0.0, deadline - loop.time()))
                except TimeoutError:
                    yield timing.stamp(self._failed(grounding, Failure.TIMEOUT), loop.time())
                    return
                if kind == "failure":
                    yield timing.stamp(self._failed(grounding, value), loop.time())
                    return
                if kind == "done":
                    break
                text += value
                prefix = shown_prefix(text)
                if prefix and prefix != shown:
                    check = verify(prefix, grounding, final=False)
                    if not check.ok:
                        self.breaker.succeeded()  # the server works; the model's words failed
                        yield timing.stamp(self._fallback(grounding, check.failure), loop.time())
                        return
                    shown = prefix
                    yield Partial(prefix)
        finally:
            producer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await producer
        self.breaker.succeeded()
        check = verify(text, grounding, final=True)
        if not check.ok:
            yield timing.stamp(self._fallback(grounding, check.failure), loop.time())
            return
        answer = LLMAnswer(
            model_answer(text, grounding, check.citations), LLMOutcome(self.name, verified=True)
        )
        yield timing.stamp(answer, loop.time())

    async def _produce(
        self, grounding: Grounding, queue: asyncio.Queue[tuple[str, Any]], deadline: float, timing: _Timing
    ) -> None:
        # Runs the streamed call; one retry after a 429 whose retry-after fits in the time left.
        loop = asyncio.get_running_loop()
        inputs = {"message": grounding.message()}
        try:
            await self._call(inputs, queue, deadline, timing)
        finally:
            timing.ended = timing.ended or loop.time()

    async def _call(
        self, inputs: dict[str, str], queue: asyncio.Queue[tuple[str, Any]], deadline: float, timing: _Timing
    ) -> None:
        loop = asyncio.get_running_loop()
        for attempt in range(2):
            finished = False
            try:
                async for chunk in self.chain.astream(inputs):
                    piece = chunk.content if isinstance(chunk.content, str) else ""
                    if piece:
                        if timing.first is None:
                            timing.first = loop.time()
                        await queue.put(("text", piece))
                    if chunk.response_metadata.get("finish_reason") == "stop":
                        finished = True
                timing.ended = loop.time()
                if not finished:
                    # Cut short (no finish_reason, or "length"): an answer missing its end is not shown.
                    await queue.put(("failure", Failure.MALFORMED))
                else:
                    await queue.put(("done", None))
                return
            except openai.RateLimitError as error:
                wait = _retry_after(error)
                if attempt == 0 and wait is not None and loop.time() + wait < deadline - 0.5:
                    await asyncio.sleep(wait)
                    continue
                await queue.put(("failure", Failure.RATE_LIMITED))
                return
            except asyncio.CancelledError:
                raise
            except BaseException as error:
                await queue.put(("failure", classify(error)))
                return

    def _failed(self, grounding: Grounding, failure: Failure) -> LLMAnswer:
        if failure in _SERVER_FAILURES:
            self.breaker.failed()
        return self._fallback(grounding, failure)

    def _fallback(self, grounding: Grounding, failure: Failure | None) -> LLMAnswer:
        kind = failure or Failure.MALFORMED
        self.failures[kind.value] += 1
        log.info("LLM answer not used: %s", kind.value)
        line = UNVERIFIED if kind not in _SERVER_FAILURES | {Failure.CIRCUIT_OPEN} else UNAVAILABLE
        offline = grounding.offline
        answer = replace(offline, text=f"{offline.text}\n\n{line}", blocks=(*offline.blocks, line))
        return LLMAnswer(answer, LLMOutcome(self.name, verified=False, fallback=kind.value))

    async def rewrite(self, previous: str, followup: str) -> str | None:
        """A follow-up rewritten as a standalone question, or None (slow, failing or unusable answer)."""
        if not self.breaker.allow():
            return None
        try:
            message = await asyncio.wait_for(
                self.rewriter.ainvoke({"previous": previous, "followup": followup}), self.rewrite_timeout
            )
        except asyncio.CancelledError:
            raise
        except BaseException as error:
            failure = Failure.TIMEOUT if isinstance(error, TimeoutError) else classify(error)
            self.failures[f"rewrite_{failure.value}"] += 1
            self.breaker.failed()
            return None
        self.breaker.succeeded()
        text = message.content.strip() if isinstance(message.content, str) else ""
        text = text.splitlines()[0].strip().strip("“”\"'") if text else ""
        if not text or len(text) > 100 or not _CJK.search(text):
            self.failures["rewrite_unusable"] += 1
            return None
        return text


def classify(error: BaseException) -> Failure:
    """The failure kind of an exception raised while calling the model server."""
    if isinstance(error, openai.APITimeoutError | TimeoutError):
        return Failure.TIMEOUT
    if isinstance(error, openai.APIConnectionError):
        return Failure.CONNECTION
    if isinstance(error, openai.RateLimitError):
        return Failure.RATE_LIMITED
    if isinstance(error, openai.APIStatusError):
        return Failure.SERVER_ERROR
    if isinstance(error, ConnectionError | OSError):
        return Failure.CONNECTION
    return Failure.MALFORMED


def _retry_after(error: openai.RateLimitError) -> float | None:
    value = error.response.headers.get("retry-after") if error.response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def model_answer(text: str, grounding: Grounding, cited: Sequence[int]) -> Answer:
    """The model's verified text, then the excerpts it cites (``cited``, in order of first use), renumbered 1, 2, …."""
    offline = grounding.offline
    by_number = {e.number: e for e in grounding.excerpts}
    excerpts = [by_number[n] for n in cited]
    body = renumbered(text.strip(), cited)
    sources = "\n".join([SOURCES, *(f"[{n}]{e.label}" for n, e in enumerate(excerpts, start=1)), GENERATED])
    lead = re.split(r"(?<=[。！？])", body, maxsplit=1)[0]
    said = lead_verdict(body)
    verdict = offline.verdict if offline.verdict in ("penalty", "info") else said
    return Answer(
        question=offline.question,
        text=f"{body}\n\n{sources}",
        refused=False,
        citations=tuple(e.citation for e in excerpts),  # 📄全文【n】 opens source [n]
        blocks=(body, sources),
        verdict=verdict,
        lead=lead,
        card=offline.card,
    )
