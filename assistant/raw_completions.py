"""The ``chat.completions`` that ChatOpenAI calls, with streams that yield the server's JSON chunks as dicts.

Why: for every streamed token the OpenAI SDK builds a pydantic ``ChatCompletionChunk`` (about 55 µs on the
2-vCPU server), and langchain-openai's first step is ``model_dump()`` back into the dict it came from
(``ChatOpenAI._astream`` takes dicts as they are). At 75-200 tokens an answer that was 4-11 ms of the event
loop's time per answer, for nothing. Streams go through the SDK's own ``post`` (its documented way to call
any endpoint) with ``cast_to=object``: the same HTTP client, timeouts, errors (``RateLimitError`` with its
headers, ``APIStatusError``), server-sent-event parsing and in-stream error events, minus the model objects.
Everything else (the follow-up rewrite's plain call) is the SDK's typed resource unchanged.
"""

from __future__ import annotations

from typing import Any

import openai


class RawStreamCompletions:
    """Stands in for ``AsyncOpenAI(...).chat.completions`` as ChatOpenAI's ``async_client``."""

    def __init__(self, client: openai.AsyncOpenAI) -> None:
        self._client = client
        self._typed = client.chat.completions

    async def create(self, **payload: Any) -> Any:
        """Start a completion: a stream of dicts when ``stream`` is set, the SDK's typed result otherwise."""
        if not payload.get("stream"):
            return await self._typed.create(**payload)
        return await self._client.post(
            "/chat/completions",
            body=payload,
            cast_to=object,
            stream=True,
            stream_cls=openai.AsyncStream[object],
        )

    def __getattr__(self, name: str) -> Any:
        # Anything ChatOpenAI may reach for besides create (with_raw_response, ...) is the SDK's own.
        return getattr(self._typed, name)
