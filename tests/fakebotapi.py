"""A fake Telegram Bot API server for end-to-end tests of the bot over python-telegram-bot's real HTTP stack.

Start it, point PTB at it and drive the conversation from the test::

    with FakeBotAPI() as api:
        app = ApplicationBuilder().token(DEFAULT_TOKEN).base_url(api.base_url)
        app = app.base_file_url(api.base_file_url).build()
        ...
        api.send_text(42, "/ask 公车私用")
        call = api.wait_for("sendMessage", lambda c: c.chat_id == 42)

The server runs on 127.0.0.1 (OS-chosen port) in a background thread with its own event loop, so both
sync tests and tests that run the bot in their own loop can use it. Every helper is thread-safe.

How PTB 22 talks to it (see telegram/request/_httpxrequest.py and _requestdata.py): every Bot API call is
a POST with an ``application/x-www-form-urlencoded`` body, or ``multipart/form-data`` when a file is
uploaded; every non-string value is JSON-encoded, so ``chat_id`` arrives as ``"42"``, booleans as
``"true"`` and nested objects (reply_markup, entities, ...) as JSON strings. Parameters are recorded
decoded (JSON objects/arrays become dicts/lists) but scalars stay strings; use :attr:`Call.chat_id`,
:func:`as_chat_id` and :meth:`Call.int_param` to compare numbers.

How PTB maps the error answers (telegram/request/_baserequest.py): ``parameters.migrate_to_chat_id`` →
ChatMigrated and ``parameters.retry_after`` → RetryAfter whatever the status code; otherwise 403 →
Forbidden, 401/404 → InvalidToken (an unknown method is an InvalidToken too), 400 → BadRequest,
409 → Conflict, anything else (500, 502, a 429 without retry_after, ...) → NetworkError.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http import HTTPStatus
from typing import Any, ClassVar

from aiohttp import web

__all__ = [
    "BOT_USER",
    "DEFAULT_TOKEN",
    "DEFAULT_USER_ID",
    "Call",
    "FakeBotAPI",
    "UploadedFile",
    "as_chat_id",
    "utf16_len",
]

DEFAULT_TOKEN = "7000001:AAFqingfengFakeTokenForTests_012345"
"""A token shaped like a real one: the bot id, a colon and 35 characters of [A-Za-z0-9_-]."""

BOT_USER: dict[str, Any] = {
    "id": 7000001,
    "is_bot": True,
    "first_name": "清风",
    "username": "qingfeng_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
"""What getMe answers."""

DEFAULT_USER_ID = 1000001
"""The sender of group messages when a helper is given no user_id (in private chats it is the chat id)."""

DEFAULT_FIRST_NAME = "用户"

# Update kinds delivered when getUpdates never set allowed_updates (Telegram's documented default).
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

# Parameters whose string values are free text, never JSON, even when they start with "{" or "[".
_TEXT_PARAMS = frozenset(
    {
        "text",
        "caption",
        "description",
        "short_description",
        "name",
        "title",
        "query",
        "question",
        "explanation",
        "url",
        "data",
        "emoji",
        "custom_title",
        "callback_query_id",
        "inline_message_id",
        "file_id",
        "parse_mode",
        "secret_token",
        "business_connection_id",
        "message_effect_id",
    }
)

_MESSAGE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post")

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}

_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")
_MENTION_RE = re.compile(r"(?<![A-Za-z0-9_@])@[A-Za-z0-9_]{3,32}(?![A-Za-z0-9_])")
_NUMERIC_RE = re.compile(r"-?\d+")


def utf16_len(text: str) -> int:
    """Length of text in UTF-16 code units, the unit of Telegram entity offsets and lengths."""
    return len(text.encode("utf-16-le")) // 2


def as_chat_id(value: Any) -> Any:
    """Normalise a chat id as PTB sends it ("42", "-100123") to int; leave "@channel" names alone."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _NUMERIC_RE.fullmatch(value.strip()):
        return int(value)
    return value


def _int(value: Any, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return int(float(value))


def _float(value: Any, default: float = 0.0) -> float:
    if value is None or value == "":
        return default
    return float(value)


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


@dataclass
class UploadedFile:
    """A file part of a multipart request: its bytes, filename and declared content type."""

    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:
        """Show the size, not the bytes."""
        return f"UploadedFile({self.filename!r}, {self.content_type!r}, {len(self.data)} bytes)"


@dataclass
class Call:
    """One request the server answered: decoded params, arrival time and the answer."""

    method: str
    params: dict[str, Any]
    t: float
    status: int
    ok: bool
    result: Any = None
    description: str | None = None
    index: int = -1

    @property
    def chat_id(self) -> Any:
        """The chat_id parameter, as int when numeric (PTB sends it as a string)."""
        return as_chat_id(self.params.get("chat_id"))

    @property
    def text(self) -> str | None:
        """The text (or caption) parameter."""
        return self.params.get("text", self.params.get("caption"))

    @property
    def reply_markup(self) -> Any:
        """The decoded reply_markup parameter, if any."""
        return self.params.get("reply_markup")

    def int_param(self, name: str, default: int | None = None) -> int | None:
        """A parameter converted to int (PTB sends every number as a string)."""
        return _int(self.params.get(name), default)

    def summary(self) -> str:
        """A one-line description for failure messages."""
        shown = {
            k: (v if not isinstance(v, str) or len(v) < 60 else v[:57] + "...")
            for k, v in self.params.items()
        }
        verdict = "ok" if self.ok else f"{self.status} {self.description}"
        return f"#{self.index} {self.method} {shown} -> {verdict}"


@dataclass
class _File:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes


@dataclass
class _Fault:
    status: int
    remaining: int
    description: str
    parameters: dict[str, Any] = field(default_factory=dict)


def _make_fault(
    status: int,
    times: int,
    retry_after: int | None = None,
    migrate_to_chat_id: int | None = None,
    description: str | None = None,
) -> _Fault:
    """A fault answering `times` calls with status and the description Telegram would give."""
    parameters: dict[str, Any] = {}
    if retry_after is not None:
        parameters["retry_after"] = retry_after
    if migrate_to_chat_id is not None:
        parameters["migrate_to_chat_id"] = migrate_to_chat_id
    if description is None:
        if status == 429:
            description = f"Too Many Requests: retry after {retry_after if retry_after is not None else 1}"
        elif migrate_to_chat_id is not None:
            description = "Bad Request: group chat was upgraded to a supergroup chat"
        else:
            try:
                phrase = HTTPStatus(status).phrase
            except ValueError:
                phrase = "Error"
            description = _DEFAULT_DESCRIPTIONS.get(status, phrase)
    return _Fault(status=status, remaining=times, description=description, parameters=parameters)


class _ApiError(Exception):
    """Raised by a method implementation to answer with a Bot API error."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters or {}


def _bad(description: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {description}")


class _HTMLEntities(HTMLParser):
    """Turns Telegram-flavoured HTML into plain text plus entities, rejecting what Telegram rejects."""

    TAGS: ClassVar[dict[str, str]] = {
        "b": "bold",
        "strong": "bold",
        "i": "italic",
        "em": "italic",
        "u": "underline",
        "ins": "underline",
        "s": "strikethrough",
        "strike": "strikethrough",
        "del": "strikethrough",
        "tg-spoiler": "spoiler",
        "span": "spoiler",
        "code": "code",
        "pre": "pre",
        "a": "text_link",
        "blockquote": "blockquote",
        "tg-emoji": "custom_emoji",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pos = 0
        self.stack: list[tuple[str, int, dict[str, Any] | None]] = []
        self.entities: list[dict[str, Any]] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open an entity."""
        if self.error:
            return
        attributes = {k: v or "" for k, v in attrs}
        kind = self.TAGS.get(tag)
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            kind = None
        if kind is None:
            self.error = f'Unsupported start tag "{tag}"'
            return
        entity: dict[str, Any] = {"type": kind}
        keep = True
        if tag == "a":
            href = attributes.get("href", "")
            if m := re.fullmatch(r"tg://user\?id=(\d+)", href):
                entity = {"type": "text_mention", "user": _plain_user(int(m.group(1)))}
            else:
                entity["url"] = href
        elif tag == "blockquote" and "expandable" in attributes:
            entity["type"] = "expandable_blockquote"
        elif tag == "tg-emoji":
            entity["custom_emoji_id"] = attributes.get("emoji-id", "")
        elif tag == "code" and self.stack and self.stack[-1][0] == "pre":
            language = attributes.get("class", "")
            pre = self.stack[-1][2]
            if language.startswith("language-") and pre is not None:
                pre["language"] = language.removeprefix("language-")
                keep = False  # <pre><code class="language-x"> is one pre entity with a language
        self.stack.append((tag, self.pos, entity if keep else None))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """A self-closing tag: only an empty entity at best."""
        self.handle_starttag(tag, attrs)
        if not self.error:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        """Close the innermost entity."""
        if self.error:
            return
        if not self.stack:
            self.error = f'Unexpected end tag "{tag}"'
            return
        opened, start, entity = self.stack.pop()
        if opened != tag:
            self.error = f'Unmatched end tag, expected "</{opened}>", found "</{tag}>"'
            return
        if entity is not None and self.pos > start:
            self.entities.append({**entity, "offset": start, "length": self.pos - start})

    def handle_data(self, data: str) -> None:
        """Plain text."""
        self.parts.append(data)
        self.pos += utf16_len(data)

    def result(self, source: str) -> tuple[str, list[dict[str, Any]]]:
        """Parse source; raise a Bad Request like Telegram's when the markup is invalid."""
        self.feed(source)
        self.close()
        if not self.error and self.stack:
            self.error = f'Can\'t find end tag corresponding to start tag "{self.stack[-1][0]}"'
        if self.error:
            raise _bad(f"can't parse entities: {self.error}")
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), self.entities


def _plain_user(user_id: int, first_name: str = DEFAULT_FIRST_NAME) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "zh-hans"}


def _detect_entities(text: str) -> list[dict[str, Any]]:
    """The entities Telegram adds to a user's text: a leading bot_command and every @mention."""
    entities: list[dict[str, Any]] = []
    command_end = 0
    if m := _COMMAND_RE.match(text):
        entities.append({"offset": 0, "length": utf16_len(m.group()), "type": "bot_command"})
        command_end = m.end()
    for m in _MENTION_RE.finditer(text):
        if m.start() < command_end:
            continue
        entities.append(
            {"offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group()), "type": "mention"}
        )
    return entities


def _decode_value(key: str, value: Any) -> Any:
    if isinstance(value, str) and key not in _TEXT_PARAMS and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


FLOOD_METHODS = frozenset(
    {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendDocument", "sendPhoto"}
)


@dataclass(frozen=True)
class FloodLimits:
    """Telegram's flood limits as leaky buckets (capacity, seconds to drain it); an excess is answered 429.

    Telegram documents about 30 messages a second in all, 20 a minute in a group and about one a second in a
    chat (short bursts pass). A leaky bucket is also what PTB's limiter paces by, so a client that keeps to
    the limits is never refused here however its requests jitter on the way.
    """

    overall: tuple[float, float] = (30, 1.0)
    group: tuple[float, float] = (20, 60.0)
    private: tuple[float, float] = (3, 3.0)
    # Room for arrival jitter: requests a client released in order at the right pace can reach the server a few
    # milliseconds apart from that pace (Telegram's own limits are "about" these figures).
    slack: float = 2


class _Bucket:
    def __init__(self) -> None:
        self.level = 0.0
        self.at = 0.0

    def wait(self, capacity: float, period: float, now: float, slack: float = 0.0) -> float:
        """Seconds until one more fits (0: it fits now, and is counted); drains at capacity per period."""
        self.level = max(0.0, self.level - (now - self.at) * capacity / period)
        self.at = now
        if self.level + 1 > capacity + slack + 1e-9:
            return (self.level + 1 - capacity - slack) * period / capacity
        self.level += 1
        return 0.0


class FakeBotAPI:
    """A fake Bot API server: records every call, answers like Telegram, and lets tests push updates."""

    def __init__(self, token: str = DEFAULT_TOKEN, limits: FloodLimits | None = None) -> None:
        self.token = token
        self.limits = limits  # None: no flood control (most tests); set: Telegram's limits enforced
        self.flooded: list[tuple[str, Any]] = []  # (method, chat_id) of each request refused with 429
        self._buckets: dict[Any, _Bucket] = {}
        self.bot_user: dict[str, Any] = dict(BOT_USER)
        self.update_times: dict[int, float] = {}
        self.downloads: list[str] = []
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._calls: list[Call] = []
        self._pending: list[dict[str, Any]] = []
        self._holding = 0  # > 0: inside together(), getUpdates answers nothing yet
        self._update_ids = itertools.count(100001)
        self._message_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._chats: dict[Any, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._messages: dict[tuple[Any, int], dict[str, Any]] = {}
        self._deleted: list[tuple[Any, int]] = []
        self._files: dict[str, _File] = {}
        self._files_by_path: dict[str, _File] = {}
        self._admins: dict[Any, tuple[list[int], int | None]] = {}
        self._commands: dict[str, list[dict[str, Any]]] = {}
        self._webhook: dict[str, Any] = {}
        self._allowed_updates: list[str] | None = None
        self._faults: dict[str, deque[_Fault]] = {}
        self._chat_faults: dict[str, dict[Any, _Fault]] = {}
        self._slow: dict[str, deque[list[float]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._stopping = False
        self._wake_event: asyncio.Event | None = None
        self._methods: dict[str, Callable[[dict[str, Any]], Any]] = {
            name: getattr(self, f"_m_{name}")
            for name in (
                "getMe",
                "logOut",
                "close",
                "deleteWebhook",
                "setWebhook",
                "getWebhookInfo",
                "setMyCommands",
                "getMyCommands",
                "deleteMyCommands",
                "getUpdates",
                "sendMessage",
                "editMessageText",
                "editMessageReplyMarkup",
                "answerCallbackQuery",
                "deleteMessage",
                "deleteMessages",
                "sendChatAction",
                "getFile",
                "sendDocument",
                "sendPhoto",
                "getChat",
                "getChatMember",
                "getChatAdministrators",
            )
        }
        self._canonical = {name.lower(): name for name in self._methods}

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeBotAPI:
        """Start serving in a background thread; returns self once the port is bound."""
        if self._thread is not None:
            return self
        ready = threading.Event()
        failure: list[BaseException] = []
        self._stopping = False
        self._thread = threading.Thread(
            target=self._run, args=(ready, failure), name="FakeBotAPI", daemon=True
        )
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("FakeBotAPI did not start within 10 s")
        if failure:
            self._thread.join(5)
            self._thread = None
            raise RuntimeError("FakeBotAPI failed to start") from failure[0]
        return self

    def stop(self) -> None:
        """Stop serving: wake long polls, close connections and join the thread."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        self._stopping = True
        with contextlib.suppress(RuntimeError):
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._thread = None
        self._loop = None

    def __enter__(self) -> FakeBotAPI:
        """Start the server."""
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        """Stop the server."""
        self.stop()

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        if self._port is None:
            raise RuntimeError("FakeBotAPI is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """Value for ApplicationBuilder.base_url / Bot(base_url=...): PTB appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ApplicationBuilder.base_file_url / Bot(base_file_url=...): PTB appends the token."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._startup())
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            if self._runner is not None:
                loop.run_until_complete(self._runner.cleanup())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _startup(self) -> None:
        self._wake_event = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def _shutdown(self) -> None:
        self._wake()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    def _wake(self) -> None:
        """Wake every pending long poll (runs in the server loop)."""
        event = self._wake_event
        self._wake_event = asyncio.Event()
        if event is not None:
            event.set()

    def _notify_pollers(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._wake)

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but give up early when the server stops."""
        deadline = time.monotonic() + seconds
        while not self._stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            await asyncio.sleep(min(remaining, 0.05))

    # ------------------------------------------------------------------ HTTP

    async def _parse_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = {k: _decode_value(k, v) for k, v in request.query.items()}
        if request.method in ("GET", "HEAD") or not request.can_read_body:
            return params
        ctype = request.content_type
        if ctype == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
            return params
        if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    params[key] = UploadedFile(value.filename, value.content_type, value.file.read())
                elif isinstance(value, bytes):
                    params[key] = UploadedFile(None, None, value)
                else:
                    params[key] = _decode_value(key, value)
        return params

    async def _handle_api(self, request: web.Request) -> web.Response:
        t = time.monotonic()
        token = request.match_info["token"]
        requested = request.match_info["method"]
        method = self._canonical.get(requested.lower(), requested)
        result: Any = None
        error: _ApiError | None = None
        try:
            params = await self._parse_params(request)
        except Exception as exc:
            params = {}
            error = _bad(f"can't parse request: {exc}")
        if error is None and token != self.token:
            error = _ApiError(401, "Unauthorized")
        if error is None:
            delay = self._take_slow(method)
            if delay:
                await self._sleep(delay)
            fault = self._take_fault(method, params)
            if fault is not None:
                error = _ApiError(fault.status, fault.description, dict(fault.parameters))
            elif self.limits is not None and method in FLOOD_METHODS:
                error = self._flood_control(method, params.get("chat_id"), t)
            elif method not in self._methods:
                error = _ApiError(404, "Not Found")
        if error is None:
            try:
                outcome = self._methods[method](params)
                result = await outcome if asyncio.iscoroutine(outcome) else outcome
            except _ApiError as exc:
                error = exc
            except Exception as exc:  # a bug in the fake: answer like a server crash, but record it
                error = _ApiError(500, f"Internal Server Error: {type(exc).__name__}: {exc}")
        if error is None:
            status, body = 200, {"ok": True, "result": result}
        else:
            status = error.status
            body = {"ok": False, "error_code": error.status, "description": error.description}
            if error.parameters:
                body["parameters"] = error.parameters
        self._record(
            Call(
                method=method,
                params=params,
                t=t,
                status=status,
                ok=error is None,
                result=copy.deepcopy(result),
                description=None if error is None else error.description,
            )
        )
        return web.Response(
            status=status, text=json.dumps(body, ensure_ascii=False), content_type="application/json"
        )

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        path = request.match_info["file_path"]
        with self._lock:
            stored = self._files_by_path.get(path)
            self.downloads.append(path)
        if stored is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    def _record(self, call: Call) -> None:
        with self._cond:
            call.index = len(self._calls)
            self._calls.append(call)
            self._cond.notify_all()

    # ------------------------------------------------------------------ recording

    def calls(self, method: str | None = None) -> list[Call]:
        """A snapshot of the recorded calls, optionally of one method."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def sent_messages(self, chat_id: Any = None) -> list[Call]:
        """Successful sendMessage calls, optionally only those to chat_id."""
        wanted = as_chat_id(chat_id)
        return [c for c in self.calls("sendMessage") if c.ok and (chat_id is None or c.chat_id == wanted)]

    def sent_texts(self, chat_id: Any = None) -> list[str]:
        """The text parameter of every successful sendMessage, optionally only to chat_id."""
        return [c.params.get("text", "") for c in self.sent_messages(chat_id)]

    def mark(self) -> int:
        """The number of calls so far; pass it as wait_for(after=...) to ignore older calls."""
        with self._lock:
            return len(self._calls)

    def wait_for(
        self,
        method: str | None,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 10.0,
        after: int = 0,
    ) -> Call:
        """Block until a successful call of method (any method if None) with index >= after matches."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("wait_for would deadlock the server thread")
        deadline = time.monotonic() + timeout
        with self._cond:
            scanned = after
            while True:
                for call in self._calls[scanned:]:
                    if (
                        call.ok
                        and (method is None or call.method == method)
                        and (predicate is None or predicate(call))
                    ):
                        return call
                scanned = max(scanned, len(self._calls))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    recent = "\n".join(
                        f"  {c.summary()}" for c in self._calls[max(after, len(self._calls) - 20) :]
                    )
                    raise TimeoutError(
                        f"no successful {method or 'call'} matching within {timeout} s "
                        f"(after #{after}); recent calls:\n{recent or '  (none)'}"
                    )
                self._cond.wait(remaining)

    async def wait_for_async(
        self,
        method: str | None,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 10.0,
        after: int = 0,
    ) -> Call:
        """wait_for without blocking the caller's event loop (for a bot running in that loop)."""
        return await asyncio.to_thread(self.wait_for, method, predicate, timeout, after)

    def message(self, chat_id: Any, message_id: int) -> dict[str, Any] | None:
        """The current state of a stored message (bot- or user-sent), or None."""
        with self._lock:
            found = self._messages.get((as_chat_id(chat_id), int(message_id)))
            return copy.deepcopy(found) if found is not None else None

    def user_messages(self, chat_id: Any) -> list[dict[str, Any]]:
        """Messages users sent in a chat (not the bot's), oldest first."""
        wanted = as_chat_id(chat_id)
        with self._lock:
            found = [
                copy.deepcopy(m)
                for (chat, _), m in self._messages.items()
                if chat == wanted and not (m.get("from") or {}).get("is_bot")
            ]
        return sorted(found, key=lambda m: int(m["message_id"]))

    def deleted(self, chat_id: Any = None) -> list[tuple[Any, int]]:
        """(chat_id, message_id) of every message deleted by the bot, optionally in one chat."""
        wanted = as_chat_id(chat_id)
        with self._lock:
            return [d for d in self._deleted if chat_id is None or d[0] == wanted]

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates pushed but not yet confirmed by a getUpdates offset."""
        with self._lock:
            return copy.deepcopy(self._pending)

    @property
    def webhook_url(self) -> str:
        """The URL the bot registered with setWebhook ("" when none)."""
        with self._lock:
            return self._webhook.get("url", "")

    # ------------------------------------------------------------------ fault injection

    def fail(
        self,
        method: str,
        status: int,
        times: int = 1,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        description: str | None = None,
    ) -> None:
        """Answer the next `times` calls of method with HTTP status and a Bot API error body."""
        fault = _make_fault(status, times, retry_after, migrate_to_chat_id, description)
        with self._lock:
            self._faults.setdefault(method.lower(), deque()).append(fault)

    def fail_chats(self, method: str, faults: Mapping[Any, tuple[int, int | None, int | None]]) -> None:
        """Fail method's calls to given chats: {chat_id: (status, times or None for always, retry_after)}."""
        # Per chat, unlike fail(): which request fails must not depend on the order concurrent sends arrive in.
        with self._lock:
            by_chat = self._chat_faults.setdefault(method.lower(), {})
            for chat_id, (status, times, retry_after) in faults.items():
                chat_id = as_chat_id(chat_id)
                description = None
                if status == 403 and isinstance(chat_id, int) and chat_id < 0:
                    description = "Forbidden: bot was kicked from the group chat"
                # A negative count never reaches zero: the chat fails for good.
                remaining = -1 if times is None else times
                if remaining:
                    by_chat[chat_id] = _make_fault(status, remaining, retry_after, None, description)

    def fail_randomly(
        self,
        method: str,
        chat_ids: Iterable[Any],
        rate_429: float = 0.0,
        rate_403: float = 0.0,
        seed: int = 0,
        retry_after: int = 1,
    ) -> dict[Any, int]:
        """Pick round(rate × chats) chats by seed: one 429 each, or 403 forever; returns {chat_id: status}."""
        # Exact counts from a seeded sample, so a bench run is repeatable and "5%" means 5% of the chats.
        chats = sorted({as_chat_id(c) for c in chat_ids}, key=repr)
        n_429, n_403 = round(rate_429 * len(chats)), round(rate_403 * len(chats))
        if n_429 + n_403 > len(chats):
            raise ValueError("rate_429 + rate_403 must not exceed 1")
        picked = random.Random(seed).sample(chats, n_429 + n_403)
        plan = {chat: 403 for chat in picked[:n_403]} | {chat: 429 for chat in picked[n_403:]}
        self.fail_chats(
            method,
            {
                chat: (403, None, None) if status == 403 else (429, 1, retry_after)
                for chat, status in plan.items()
            },
        )
        return plan

    def slow(self, method: str, seconds: float, times: int = 1) -> None:
        """Delay the responses to the next `times` calls of method by `seconds`."""
        with self._lock:
            self._slow.setdefault(method.lower(), deque()).append([seconds, times])

    def _flood_control(self, method: str, chat: Any, now: float) -> _ApiError | None:
        # The chat's bucket, then the overall one; a refused request takes no room in either.
        assert self.limits is not None
        chat_id = as_chat_id(chat)
        group = isinstance(chat_id, str) or (isinstance(chat_id, int) and chat_id < 0)
        capacity, period = self.limits.group if group else self.limits.private
        slack = self.limits.slack
        with self._lock:
            mine = self._buckets.setdefault(chat_id, _Bucket())
            before = (mine.level, mine.at)
            wait = mine.wait(capacity, period, now, slack)
            if not wait:
                overall, drain = self.limits.overall
                wait = self._buckets.setdefault("*", _Bucket()).wait(overall, drain, now, slack)
                if wait:
                    mine.level, mine.at = before
            if not wait:
                return None
            self.flooded.append((method, chat_id))
        retry = max(1, int(wait + 0.999))
        return _ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})

    def _take_fault(self, method: str, params: dict[str, Any] | None = None) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(method.lower())
            if queue:
                fault = queue[0]
                fault.remaining -= 1
                if fault.remaining <= 0:
                    queue.popleft()
                return fault
            by_chat = self._chat_faults.get(method.lower())
            if not by_chat or params is None:
                return None
            chat_id = as_chat_id(params.get("chat_id"))
            chat_fault = by_chat.get(chat_id)
            if chat_fault is not None and chat_fault.remaining > 0:  # a negative count never runs out
                chat_fault.remaining -= 1
                if chat_fault.remaining == 0:
                    del by_chat[chat_id]
            return chat_fault

    def _take_slow(self, method: str) -> float:
        with self._lock:
            queue = self._slow.get(method.lower())
            if not queue:
                return 0.0
            entry = queue[0]
            entry[1] -= 1
            if entry[1] <= 0:
                queue.popleft()
            return entry[0]

    # ------------------------------------------------------------------ configuration

    def set_admins(self, chat_id: Any, user_ids: Iterable[int], creator: int | None = None) -> None:
        """Make user_ids administrators of chat_id (and `creator`, if given, its creator)."""
        with self._lock:
            self._admins[as_chat_id(chat_id)] = ([int(u) for u in user_ids], creator)

    def set_user(
        self,
        user_id: int,
        first_name: str = DEFAULT_FIRST_NAME,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str = "zh-hans",
    ) -> dict[str, Any]:
        """Define how a user appears in the updates the helpers build; returns the user object."""
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        user["language_code"] = language_code
        with self._lock:
            self._users[user_id] = user
        return dict(user)

    def add_file(self, data: bytes, file_path: str | None = None) -> str:
        """Register bytes so getFile and the file download URL serve them; returns the file_id."""
        return self._add_file(data, file_path).file_id

    def _add_file(
        self, data: bytes, file_path: str | None = None, folder: str = "documents", ext: str = "bin"
    ) -> _File:
        with self._lock:
            n = next(self._file_ids)
            stored = _File(
                file_id=f"BQACAgUAAxkBAAI{n:06d}FakeFileId",
                file_unique_id=f"AgAD{n:06d}",
                file_path=file_path or f"{folder}/file_{n}.{ext}",
                data=bytes(data),
            )
            self._files[stored.file_id] = stored
            self._files_by_path[stored.file_path] = stored
            return stored

    # ------------------------------------------------------------------ pushing updates

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update (without update_id) for getUpdates; returns the assigned update_id."""
        with self._lock:
            update_id = next(self._update_ids)
            stored = {"update_id": update_id, **copy.deepcopy(update)}
            stored["update_id"] = update_id
            for kind in _MESSAGE_KINDS:
                if isinstance(msg := stored.get(kind), dict):
                    self._remember_message(msg)
            if isinstance(query := stored.get("callback_query"), dict) and isinstance(
                query.get("from"), dict
            ):
                self._users.setdefault(query["from"]["id"], query["from"])
            self._pending.append(stored)
            self.update_times[update_id] = time.monotonic()
        self._notify_pollers()
        return update_id

    @contextlib.contextmanager
    def together(self) -> Iterator[None]:
        """Updates pushed inside reach the bot in one getUpdates answer: a person sending several at once."""
        with self._lock:
            self._holding += 1
        try:
            yield
        finally:
            with self._lock:
                self._holding -= 1
            self._notify_pollers()

    def _remember_message(self, msg: dict[str, Any]) -> None:
        chat = msg.get("chat")
        if isinstance(chat, dict) and "id" in chat:
            self._chats[chat["id"]] = dict(chat)
            if isinstance(sender := msg.get("from"), dict) and not sender.get("is_bot"):
                self._users.setdefault(sender["id"], dict(sender))
            if "message_id" in msg:
                self._messages[(chat["id"], int(msg["message_id"]))] = copy.deepcopy(msg)

    def _user(self, user_id: int) -> dict[str, Any]:
        with self._lock:
            return dict(self._users.get(user_id) or _plain_user(user_id))

    def _chat_for(
        self, chat_id: Any, chat_type: str = "private", chat_title: str | None = None
    ) -> dict[str, Any]:
        """The chat object for an incoming update, created (and remembered) on first use."""
        with self._lock:
            known = self._chats.get(chat_id)
            if (
                known is not None
                and known.get("type") == chat_type
                and (chat_title is None or known.get("title") == chat_title)
            ):
                return dict(known)
        if chat_type == "private":
            user = self._user(chat_id)
            chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            if "username" in user:
                chat["username"] = user["username"]
        else:
            chat = {
                "id": chat_id,
                "type": chat_type,
                "title": chat_title or ("测试频道" if chat_type == "channel" else "测试群"),
            }
        return chat

    def _incoming(
        self,
        chat_id: Any,
        user_id: int | None,
        chat_type: str,
        chat_title: str | None,
        reply_to_message: int | dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The common part of a message a user sends: id, sender, chat, date, optional reply."""
        chat_id = as_chat_id(chat_id)
        if user_id is None:
            user_id = chat_id if chat_type == "private" else DEFAULT_USER_ID
        with self._lock:
            message_id = next(self._message_ids)
        msg: dict[str, Any] = {
            "message_id": message_id,
            "from": self._user(int(user_id)),
            "chat": self._chat_for(chat_id, chat_type, chat_title),
            "date": int(time.time()),
        }
        if reply_to_message is not None:
            msg["reply_to_message"] = self._reply_target(chat_id, reply_to_message)
        return msg

    def _reply_target(self, chat_id: Any, reply_to: int | dict[str, Any]) -> dict[str, Any]:
        if isinstance(reply_to, dict):
            target = copy.deepcopy(reply_to)
        else:
            with self._lock:
                found = self._messages.get((chat_id, int(reply_to)))
            if found is None:
                raise KeyError(f"no message {reply_to} in chat {chat_id} to reply to")
            target = copy.deepcopy(found)
        target.pop("reply_to_message", None)
        return target

    def send_text(
        self,
        chat_id: Any,
        text: str,
        user_id: int | None = None,
        chat_type: str = "private",
        reply_to_message: int | dict[str, Any] | None = None,
        chat_title: str | None = None,
    ) -> int:
        """Push a text message from a user (with bot_command/mention entities); returns the update_id."""
        msg = self._incoming(chat_id, user_id, chat_type, chat_title, reply_to_message)
        msg["text"] = text
        if entities := _detect_entities(text):
            msg["entities"] = entities
        return self.push({"message": msg})

    def send_sticker(
        self,
        chat_id: Any,
        emoji: str = "👍",
        user_id: int | None = None,
        chat_type: str = "private",
        chat_title: str | None = None,
    ) -> int:
        """Push a sticker message; returns the update_id."""
        stored = self._add_file(b"RIFF\x00\x00\x00\x00WEBPVP8 ", folder="stickers", ext="webp")
        msg = self._incoming(chat_id, user_id, chat_type, chat_title)
        msg["sticker"] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "FakeStickers",
            "file_size": len(stored.data),
        }
        return self.push({"message": msg})

    def send_photo(
        self,
        chat_id: Any,
        file_bytes: bytes,
        caption: str | None = None,
        user_id: int | None = None,
        chat_type: str = "private",
        chat_title: str | None = None,
    ) -> int:
        """Push a photo message whose file getFile + download serve; returns the update_id."""
        stored = self._add_file(file_bytes, folder="photos", ext="jpg")
        msg = self._incoming(chat_id, user_id, chat_type, chat_title)
        msg["photo"] = _photo_sizes(stored)
        if caption:
            msg["caption"] = caption
            if entities := _detect_entities(caption):
                msg["caption_entities"] = entities
        return self.push({"message": msg})

    def send_document(
        self,
        chat_id: Any,
        file_bytes: bytes,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
        user_id: int | None = None,
        chat_type: str = "private",
        chat_title: str | None = None,
    ) -> int:
        """Push a document message whose file getFile + download serve; returns the update_id."""
        ext = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        stored = self._add_file(file_bytes, folder="documents", ext=ext)
        msg = self._incoming(chat_id, user_id, chat_type, chat_title)
        msg["document"] = {
            "file_name": file_name,
            "mime_type": mime_type,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if caption:
            msg["caption"] = caption
        return self.push({"message": msg})

    def send_voice(
        self,
        chat_id: Any,
        file_bytes: bytes = b"OggS\x00fake-voice",
        duration: int = 3,
        user_id: int | None = None,
        chat_type: str = "private",
        chat_title: str | None = None,
    ) -> int:
        """Push a voice message; returns the update_id."""
        stored = self._add_file(file_bytes, folder="voice", ext="oga")
        msg = self._incoming(chat_id, user_id, chat_type, chat_title)
        msg["voice"] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(stored.data),
        }
        return self.push({"message": msg})

    def send_location(
        self,
        chat_id: Any,
        latitude: float = 39.9042,
        longitude: float = 116.4074,
        user_id: int | None = None,
        chat_type: str = "private",
        chat_title: str | None = None,
    ) -> int:
        """Push a location message; returns the update_id."""
        msg = self._incoming(chat_id, user_id, chat_type, chat_title)
        msg["location"] = {"latitude": latitude, "longitude": longitude}
        return self.push({"message": msg})

    def send_forwarded(
        self,
        chat_id: Any,
        text: str,
        origin: dict[str, Any] | None = None,
        user_id: int | None = None,
        chat_type: str = "private",
        chat_title: str | None = None,
    ) -> int:
        """Push a text message the user forwarded (``forward_origin`` set, by default a hidden user)."""
        msg = self._incoming(chat_id, user_id, chat_type, chat_title)
        msg["text"] = text
        msg["forward_origin"] = origin or {
            "type": "hidden_user",
            "sender_user_name": "转发来源",
            "date": int(time.time()) - 3600,
        }
        return self.push({"message": msg})

    def send_with(
        self,
        chat_id: Any,
        fields: Mapping[str, Any],
        user_id: int | None = None,
        chat_type: str = "private",
        chat_title: str | None = None,
    ) -> int:
        """Push a user message made of ``fields`` (e.g. a document whose reported file_size is not its length)."""
        msg = self._incoming(chat_id, user_id, chat_type, chat_title)
        msg.update(copy.deepcopy(dict(fields)))
        return self.push({"message": msg})

    def edit_text(self, chat_id: Any, message_id: int, new_text: str) -> int:
        """Push an edited_message update for a message a user sent earlier; returns the update_id."""
        with self._lock:
            found = self._messages.get((as_chat_id(chat_id), int(message_id)))
        if found is None:
            raise KeyError(f"no message {message_id} in chat {chat_id} to edit")
        msg = copy.deepcopy(found)
        msg["text"] = new_text
        msg.pop("entities", None)
        if entities := _detect_entities(new_text):
            msg["entities"] = entities
        msg["edit_date"] = int(time.time())
        return self.push({"edited_message": msg})

    def channel_post(self, chat_id: Any, text: str, chat_title: str | None = None) -> int:
        """Push a channel_post update (no sender, sender_chat = the channel); returns the update_id."""
        chat_id = as_chat_id(chat_id)
        chat = self._chat_for(chat_id, "channel", chat_title)
        with self._lock:
            message_id = next(self._message_ids)
        msg: dict[str, Any] = {
            "message_id": message_id,
            "sender_chat": chat,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        if entities := _detect_entities(text):
            msg["entities"] = entities
        return self.push({"channel_post": msg})

    def press(self, chat_id: Any, message_id: int, data: str, user_id: int | None = None) -> int:
        """Push a callback_query for an inline button on the bot message message_id; returns the update_id."""
        chat_id = as_chat_id(chat_id)
        with self._lock:
            found = self._messages.get((chat_id, int(message_id)))
            callback_id = next(self._callback_ids)
        if found is None or found.get("from", {}).get("id") != self.bot_user["id"]:
            raise KeyError(f"no bot message {message_id} in chat {chat_id} to press a button on")
        if (chat_id, int(message_id)) in self.deleted(chat_id):
            raise KeyError(f"bot message {message_id} in chat {chat_id} was deleted")
        if user_id is None:
            user_id = chat_id if found["chat"].get("type") == "private" else DEFAULT_USER_ID
        query = {
            "id": f"{4000000000000000000 + callback_id}",
            "from": self._user(int(user_id)),
            "message": copy.deepcopy(found),
            "chat_instance": f"{abs(hash(chat_id)) % 10**18}",
            "data": data,
        }
        return self.push({"callback_query": query})

    # ------------------------------------------------------------------ Bot API methods

    def _chat_id(self, params: dict[str, Any]) -> Any:
        chat_id = as_chat_id(params.get("chat_id"))
        if chat_id is None or chat_id == "":
            raise _bad("chat_id is empty")
        if isinstance(chat_id, str):
            with self._lock:
                for known_id, chat in self._chats.items():
                    if f"@{chat.get('username', '')}".lower() == chat_id.lower():
                        return known_id
            raise _bad("chat not found")
        return chat_id

    def _bot_chat(self, chat_id: Any) -> dict[str, Any]:
        with self._lock:
            chat = self._chats.get(chat_id)
        if chat is not None:
            return dict(chat)
        return {"id": chat_id, "type": "private", "first_name": DEFAULT_FIRST_NAME}

    def _formatted(
        self, params: dict[str, Any], text_key: str, entities_key: str
    ) -> tuple[str | None, list[Any] | None]:
        """Text plus entities as Telegram stores them, applying parse_mode HTML like the server does."""
        text = params.get(text_key)
        if text is None:
            return None, None
        text = str(text)
        entities = params.get(entities_key)
        if str(params.get("parse_mode") or "").upper() == "HTML" and entities is None:
            text, entities = _HTMLEntities().result(text)
        return text, (entities or None)

    @staticmethod
    def _check_markup(markup: Any) -> Any:
        """Validate an inline keyboard as Telegram does; return what a message would carry (inline only)."""
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            return None
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise _bad(
                        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                    )
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise _bad("BUTTON_DATA_INVALID")
        return markup

    def _new_bot_message(self, chat_id: Any, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            message_id = next(self._message_ids)
        msg: dict[str, Any] = {
            "message_id": message_id,
            "from": dict(self.bot_user),
            "chat": self._bot_chat(chat_id),
            "date": int(time.time()),
        }
        reply_to = None
        if isinstance(rp := params.get("reply_parameters"), dict):
            reply_to = rp.get("message_id")
        reply_to = reply_to if reply_to is not None else params.get("reply_to_message_id")
        if reply_to is not None:
            with self._lock:
                target = self._messages.get((chat_id, int(reply_to)))
            if target is not None:
                target = copy.deepcopy(target)
                target.pop("reply_to_message", None)
                msg["reply_to_message"] = target
            elif not (isinstance(rp, dict) and _bool(rp.get("allow_sending_without_reply"))):
                raise _bad("message to be replied not found")
        return msg

    def _store(self, msg: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._messages[(msg["chat"]["id"], msg["message_id"])] = copy.deepcopy(msg)
        return msg

    def _m_getMe(self, params: dict[str, Any]) -> Any:
        return dict(self.bot_user)

    def _m_logOut(self, params: dict[str, Any]) -> Any:
        return True

    def _m_close(self, params: dict[str, Any]) -> Any:
        return True

    def _m_setWebhook(self, params: dict[str, Any]) -> Any:
        url = str(params.get("url") or "")
        with self._lock:
            if not url:
                self._webhook = {}
                return True
            if not url.startswith("https://"):
                raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
            self._webhook = {"url": url, "allowed_updates": params.get("allowed_updates")}
            if _bool(params.get("drop_pending_updates")):
                self._pending.clear()
        return True

    def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        with self._lock:
            self._webhook = {}
            if _bool(params.get("drop_pending_updates")):
                self._pending.clear()
        return True

    def _m_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        with self._lock:
            info: dict[str, Any] = {
                "url": self._webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self._pending),
            }
            if self._webhook.get("allowed_updates"):
                info["allowed_updates"] = self._webhook["allowed_updates"]
        return info

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> str:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps([scope, params.get("language_code") or ""], sort_keys=True)

    def _m_setMyCommands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad('parameter "commands" is required')
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        with self._lock:
            self._commands[self._commands_key(params)] = copy.deepcopy(commands)
        return True

    def _m_getMyCommands(self, params: dict[str, Any]) -> Any:
        with self._lock:
            return copy.deepcopy(self._commands.get(self._commands_key(params), []))

    def _m_deleteMyCommands(self, params: dict[str, Any]) -> Any:
        with self._lock:
            self._commands.pop(self._commands_key(params), None)
        return True

    def _deliverable(self, limit: int) -> list[dict[str, Any]]:
        """Pending updates the bot subscribed to, dropping the others for good (under the lock)."""
        if self._holding:
            return []
        allowed = set(self._allowed_updates) if self._allowed_updates else None
        kept: list[dict[str, Any]] = []
        for update in self._pending:
            kind = next((k for k in update if k != "update_id"), "")
            if (kind in allowed) if allowed is not None else (kind not in _OPT_IN_UPDATES):
                kept.append(update)
        self._pending = kept
        return copy.deepcopy(kept[:limit])

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = _int(params.get("offset"))
        limit = min(max(_int(params.get("limit"), 100) or 100, 1), 100)
        timeout = max(_float(params.get("timeout")), 0.0)
        allowed = params.get("allowed_updates")
        with self._lock:
            if self._webhook.get("url"):
                raise _ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            if isinstance(allowed, list):
                self._allowed_updates = [str(a) for a in allowed]
            if offset is not None:
                if offset < 0:
                    self._pending = self._pending[offset:]
                else:
                    self._pending = [u for u in self._pending if u["update_id"] >= offset]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._wake_event
            with self._lock:
                batch = self._deliverable(limit)
            remaining = deadline - loop.time()
            if batch or self._stopping or remaining <= 0 or event is None:
                return batch
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat_id(params)
        text, entities = self._formatted(params, "text", "entities")
        if not text or not text.strip():
            raise _bad("message text is empty")
        if len(text) > 4096:
            raise _bad("message is too long")
        markup = self._check_markup(params.get("reply_markup"))
        msg = self._new_bot_message(chat_id, params)
        msg["text"] = text
        if entities:
            msg["entities"] = entities
        if isinstance(lpo := params.get("link_preview_options"), dict):
            msg["link_preview_options"] = lpo
        if markup:
            msg["reply_markup"] = markup
        return self._store(msg)

    def _editable(self, params: dict[str, Any]) -> tuple[tuple[Any, int] | None, dict[str, Any] | None]:
        if params.get("inline_message_id"):
            return None, None
        chat_id = self._chat_id(params)
        message_id = _int(params.get("message_id"))
        if message_id is None:
            raise _bad("message identifier is not specified")
        key = (chat_id, message_id)
        with self._lock:
            found = self._messages.get(key)
            gone = key in self._deleted
        if found is None or gone:
            raise _bad("message to edit not found")
        if found.get("from", {}).get("id") != self.bot_user["id"]:
            raise _bad("message can't be edited")
        return key, copy.deepcopy(found)

    def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        _, msg = self._editable(params)
        text, entities = self._formatted(params, "text", "entities")
        if not text or not text.strip():
            raise _bad("message text is empty")
        if len(text) > 4096:
            raise _bad("MESSAGE_TOO_LONG")
        markup = self._check_markup(params.get("reply_markup"))
        if msg is None:
            return True
        if msg.get("text") == text and msg.get("entities") == entities and msg.get("reply_markup") == markup:
            raise _bad(
                "message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message"
            )
        msg["text"] = text
        msg.pop("entities", None)
        if entities:
            msg["entities"] = entities
        msg.pop("reply_markup", None)
        if markup:
            msg["reply_markup"] = markup
        msg["edit_date"] = int(time.time())
        return self._store(msg)

    def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        _, msg = self._editable(params)
        markup = self._check_markup(params.get("reply_markup"))
        if msg is None:
            return True
        if msg.get("reply_markup") == markup:
            raise _bad(
                "message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message"
            )
        msg.pop("reply_markup", None)
        if markup:
            msg["reply_markup"] = markup
        msg["edit_date"] = int(time.time())
        return self._store(msg)

    def _m_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        if not params.get("callback_query_id"):
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        if len(str(params.get("text") or "")) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        return True

    def _m_deleteMessage(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat_id(params)
        message_id = _int(params.get("message_id"))
        key = (chat_id, message_id)
        with self._lock:
            if key not in self._messages or key in self._deleted:
                raise _bad("message to delete not found")
            self._deleted.append(key)
        return True

    def _m_deleteMessages(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat_id(params)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise _bad("message_ids must be a non-empty list of at most 100 ids")
        with self._lock:
            for message_id in ids:
                key = (chat_id, int(message_id))
                if key in self._messages and key not in self._deleted:
                    self._deleted.append(key)
        return True

    def _m_sendChatAction(self, params: dict[str, Any]) -> Any:
        self._chat_id(params)
        if not params.get("action"):
            raise _bad("wrong parameter action in request")
        return True

    def _m_getFile(self, params: dict[str, Any]) -> Any:
        with self._lock:
            stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    def _input_file(self, value: Any, folder: str, ext: str) -> tuple[_File, str | None, str | None]:
        """The stored file behind an upload, a known file_id or a URL; plus filename and mime type."""
        if isinstance(value, UploadedFile):
            name = value.filename or ""
            suffix = name.rsplit(".", 1)[-1] if "." in name else ext
            return self._add_file(value.data, folder=folder, ext=suffix), value.filename, value.content_type
        if isinstance(value, str) and value:
            with self._lock:
                known = self._files.get(value)
            if known is not None:
                return known, None, None
            if value.startswith(("http://", "https://")):
                return self._add_file(b"", folder=folder, ext=ext), value.rsplit("/", 1)[-1], None
            raise _bad("wrong file identifier/HTTP URL specified")
        raise _bad("there is no file in the request")

    def _media_message(self, params: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        chat_id = self._chat_id(params)
        caption, caption_entities = self._formatted(params, "caption", "caption_entities")
        if caption is not None and len(caption) > 1024:
            raise _bad("message caption is too long")
        markup = self._check_markup(params.get("reply_markup"))
        msg = self._new_bot_message(chat_id, params)
        if caption:
            msg["caption"] = caption
        if caption_entities:
            msg["caption_entities"] = caption_entities
        if markup:
            msg["reply_markup"] = markup
        return chat_id, msg

    def _m_sendDocument(self, params: dict[str, Any]) -> Any:
        stored, filename, mime = self._input_file(params.get("document"), "documents", "bin")
        _, msg = self._media_message(params)
        document: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        if filename:
            document["file_name"] = filename
        if mime:
            document["mime_type"] = mime
        document["file_size"] = len(stored.data)
        msg["document"] = document
        return self._store(msg)

    def _m_sendPhoto(self, params: dict[str, Any]) -> Any:
        stored, _, _ = self._input_file(params.get("photo"), "photos", "jpg")
        _, msg = self._media_message(params)
        msg["photo"] = _photo_sizes(stored)
        return self._store(msg)

    def _m_getChat(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat_id(params)
        chat = self._bot_chat(chat_id)
        chat.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": True,
                    "limited_gifts": True,
                    "unique_gifts": True,
                    "premium_subscription": True,
                    "gifts_from_channels": True,
                },
            }
        )
        return chat

    def _member(self, chat_id: Any, user_id: int) -> dict[str, Any]:
        with self._lock:
            admins, creator = self._admins.get(chat_id, ([], None))
        user = dict(self.bot_user) if user_id == self.bot_user["id"] else self._user(user_id)
        if user_id == creator:
            return {"status": "creator", "user": user, "is_anonymous": False}
        if user_id in admins:
            return {
                "status": "administrator",
                "user": user,
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
                "can_pin_messages": True,
            }
        return {"status": "member", "user": user}

    def _m_getChatMember(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat_id(params)
        user_id = _int(params.get("user_id"))
        if user_id is None:
            raise _bad("invalid user_id specified")
        return self._member(chat_id, user_id)

    def _m_getChatAdministrators(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat_id(params)
        if self._bot_chat(chat_id).get("type") == "private":
            raise _bad("there are no administrators in the private chat")
        with self._lock:
            admins, creator = self._admins.get(chat_id, ([], None))
        ordered = ([creator] if creator is not None else []) + [u for u in admins if u != creator]
        return [self._member(chat_id, u) for u in ordered]


def _photo_sizes(stored: _File) -> list[dict[str, Any]]:
    """PhotoSize list for a stored image (its real size when Pillow can read it)."""
    width, height = 1280, 960
    try:
        import io

        from PIL import Image

        with Image.open(io.BytesIO(stored.data)) as image:
            width, height = image.size
    except Exception:
        pass
    return [
        {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "width": width,
            "height": height,
        }
    ]
