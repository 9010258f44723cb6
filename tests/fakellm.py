"""A fake OpenAI-compatible model server on loopback: scripted replies, streamed or not, and injected faults.

``POST /v1/chat/completions`` answers like OpenAI's chat completions: with ``"stream": true`` as server-sent
events (one ``delta`` per token, a last chunk with ``finish_reason``, then ``[DONE]``), otherwise one JSON
object. Replies come from ``script(...)`` in order, then from ``default`` (a function of the request's
messages). Faults: a slow first token, slow tokens, 429 with retry-after, 500, a stream cut short, a
malformed chunk, an empty answer, a stream with no finish.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

DEFAULT_MODEL = "fake-qwen"
FAULTS = ("429", "500", "cut", "malformed", "empty", "no_finish")


@dataclass
class Reply:
    """One scripted answer: its text, how fast it comes, and a fault to inject."""

    text: str = ""
    fault: str | None = None  # one of FAULTS, or None
    first_delay: float = 0.0  # seconds before the first token (or the whole non-streamed answer)
    token_delay: float | None = None  # seconds between tokens (default: the server's pace)
    retry_after: float = 1.0  # for a 429


@dataclass
class Request:
    """One request the server received."""

    messages: list[dict[str, Any]]
    stream: bool
    model: str
    at: float = field(default_factory=time.monotonic)
    served: float | None = None  # seconds from receiving the request to the last byte of the answer

    @property
    def user(self) -> str:
        """The last user message."""
        return next((m["content"] for m in reversed(self.messages) if m.get("role") == "user"), "")

    @property
    def system(self) -> str:
        """The system prompt."""
        return next((m["content"] for m in self.messages if m.get("role") == "system"), "")


_EXCERPT = re.compile(r"^\[1\]《[^》]+》\S*\n(.+?)(?=\n\n|\Z)", re.S | re.M)
_CARD = re.compile(r"已核对的常见情形（结论须与之一致）：(.+)")
_PLAIN = re.compile(r"[\u4e00-\u9fff]{6,12}")


def grounded_reply(request: Request) -> str:
    """A well-behaved answer from the request's excerpts: the card's verdict, a verbatim quotation of [1]."""
    card = _CARD.search(request.user)
    label = re.split(r"[。，]", card.group(1))[0] if card else "视情况"
    excerpt = _EXCERPT.search(request.user)
    quoted = _PLAIN.search(excerpt.group(1).split(" ", 1)[-1]) if excerpt else None
    if quoted is None:
        return "现有规定不能确定。"
    return (
        f"{label}。依据规定「{quoted.group(0)}」[1]。具体要看所涉财物和双方关系[1]。拿不准时先向组织报告[1]。"
    )


def tokens(text: str, size: int = 2) -> list[str]:
    """The text in pieces of ``size`` characters, as a model's tokens would arrive."""
    return [text[i : i + size] for i in range(0, len(text), size)]


class FakeLLM:
    """The server, run on its own thread and loop; ``base_url`` ends in ``/v1``."""

    def __init__(
        self,
        default: Callable[[Request], str] = grounded_reply,
        tokens_per_second: float = 0.0,
    ) -> None:
        self.default = default
        self.token_delay = 1.0 / tokens_per_second if tokens_per_second else 0.0
        self.requests: list[Request] = []
        self._script: deque[Reply | str | Callable[[Request], Reply | str]] = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._active = 0
        self.max_active = 0

    def script(self, *replies: Reply | str | Callable[[Request], Reply | str]) -> None:
        """Queue replies for the next requests: a ``Reply``, a text, or a function of the request giving either."""
        with self._lock:
            self._script.extend(replies)

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible endpoint, e.g. http://127.0.0.1:PORT/v1."""
        return f"http://127.0.0.1:{self._port}/v1"

    def start(self) -> FakeLLM:
        """Serve on a free loopback port in a background thread; returns once bound."""
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True, name="fake-llm")
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake model server did not start")
        return self

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread = None

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._startup())
        ready.set()
        self._loop.run_forever()
        self._loop.close()

    async def _startup(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        # A reply held back (a slow first token) is cancelled at stop instead of being waited for.
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server  # aiohttp exposes the bound port only here
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        # Handlers still holding a reply back (a slow first token) end here, not with the loop.
        current = asyncio.current_task()
        pending = [task for task in asyncio.all_tasks() if task is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _next(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            scripted = self._script.popleft() if self._script else self.default
        if isinstance(scripted, Reply):
            return scripted
        made = scripted if isinstance(scripted, str) else scripted(request)
        return made if isinstance(made, Reply) else Reply(made)

    async def _completions(self, http: web.Request) -> web.StreamResponse:
        body = await http.json()
        request = Request(body.get("messages", []), bool(body.get("stream")), body.get("model", ""))
        reply = self._next(request)
        self._active += 1
        self.max_active = max(self.max_active, self._active)
        try:
            return await self._answer(http, request, reply)
        finally:
            self._active -= 1
            if request.served is None:
                request.served = time.monotonic() - request.at

    async def _answer(self, http: web.Request, request: Request, reply: Reply) -> web.StreamResponse:
        if reply.fault == "429":
            return web.json_response(
                {"error": {"message": "rate limited", "type": "rate_limit_error"}},
                status=429,
                headers={"Retry-After": f"{reply.retry_after:g}"},
            )
        if reply.fault == "500":
            return web.json_response({"error": {"message": "boom", "type": "server_error"}}, status=500)
        if reply.first_delay:
            await asyncio.sleep(reply.first_delay)  # the model "thinking" (server side, not a test sleep)
        text = "" if reply.fault == "empty" else reply.text
        ident = f"chatcmpl-{next(self._ids)}"
        if not request.stream:
            request.served = time.monotonic() - request.at  # before the client can have the answer
            return web.json_response(_completion(ident, request.model, text))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(http)
        delay = self.token_delay if reply.token_delay is None else reply.token_delay
        pieces = tokens(text)
        for number, piece in enumerate(pieces):
            if number and delay:
                await asyncio.sleep(delay)
            if reply.fault == "cut" and number >= max(1, len(pieces) // 2):
                assert http.transport is not None
                http.transport.close()  # the connection drops mid-answer
                return response
            if reply.fault == "malformed" and number == max(1, len(pieces) // 2):
                await response.write(b"data: {not json\n\n")
                continue
            await response.write(_event(_chunk(ident, request.model, {"content": piece}, None)))
        request.served = time.monotonic() - request.at  # before the client can have the last token
        if reply.fault != "no_finish":
            await response.write(_event(_chunk(ident, request.model, {}, "stop")))
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


def _event(data: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def _chunk(ident: str, model: str, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": ident,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _completion(ident: str, model: str, text: str) -> dict[str, Any]:
    return {
        "id": ident,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
