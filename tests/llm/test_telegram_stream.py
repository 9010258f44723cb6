"""A model's answer in Telegram: typing, one message edited in place at a chat's pace, buttons at the end."""

from __future__ import annotations

import functools
import itertools
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from assistant.chat import ChatService, ConversationMemory
from assistant.llm import UNAVAILABLE, UNVERIFIED
from bot.app import BotServices
from knowledge.service import KnowledgeService
from knowledge.unanswered import UnansweredLog
from tests.fakebotapi import Call, FakeBotAPI
from tests.fakellm import FakeLLM, Reply, grounded_reply
from tests.handlers.harness import Driver, running_app
from wiring.factory import build_engine, build_llm, build_reminders
from wiring.settings import Settings, load_settings

CHAT = 4242
QUESTION = "下属送购物卡能收吗"
TIMEOUT = 6.0


def services(knowledge: KnowledgeService, settings: Settings) -> BotServices:
    engine = build_engine(settings)
    executor = ThreadPoolExecutor(max_workers=2)
    chat = ChatService(
        knowledge, UnansweredLog(engine), executor, ConversationMemory(ttl=600), llm=build_llm(settings)
    )
    return BotServices(
        chat=chat,
        executor=executor,
        engine=engine,
        reminders=build_reminders(settings, engine),
        run_scheduled_jobs=False,
    )


@pytest.fixture
def model() -> Iterator[FakeLLM]:
    with FakeLLM(tokens_per_second=12) as fake:
        yield fake


@pytest.fixture
async def bot(tmp_path: Path, knowledge: KnowledgeService, model: FakeLLM) -> AsyncIterator[Driver]:
    with FakeBotAPI() as api:
        settings = load_settings(
            {
                "data_dir": tmp_path,
                "telegram_token": api.token,
                "telegram_base_url": api.base_url,
                "llm_base_url": model.base_url,
                "llm_model": "fake-qwen",
                "llm_timeout": TIMEOUT,
            }
        )
        async with running_app(settings, functools.partial(services, knowledge)) as app:
            yield Driver(api, app)


async def ask(bot: Driver, question: str = QUESTION) -> list[Call]:
    """Ask in a private chat; every call the bot made for it, once the update was fully handled."""
    mark = bot.api.mark()
    bot.api.send_text(CHAT, question)
    await bot.settled()
    return [c for c in bot.api.calls()[mark:] if c.chat_id == CHAT]


def buttons(call: Call) -> list[str]:
    markup = call.reply_markup or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_a_good_answer_is_one_message_edited_in_place_ending_with_buttons(
    bot: Driver, model: FakeLLM
) -> None:
    model.script(lambda request: Reply(grounded_reply(request), first_delay=1.5))  # the model thinks first
    calls = await ask(bot)
    methods = [c.method for c in calls]
    assert methods[0] == "sendChatAction" and calls[0].params["action"] == "typing"
    sent = [c for c in calls if c.method == "sendMessage"]
    edits = [c for c in calls if c.method == "editMessageText"]
    assert len(sent) == 1, [c.summary() for c in calls]  # one message, grown in place
    assert sent[0].text.endswith(" …") and edits
    message_id = sent[0].result["message_id"]
    assert all(int(e.params["message_id"]) == message_id for e in edits)
    final = edits[-1]
    assert final.params.get("parse_mode") == "HTML" and "依据：" in (final.text or "")
    assert buttons(final)[0].startswith("📄 全文") and "👍" in buttons(final)
    # At most one edit per 1.5 s in a chat (the reply itself counts as the first).
    times = [c.t for c in [sent[0], *edits]]
    assert all(b - a >= 1.4 for a, b in itertools.pairwise(times)), times
    assert model.requests and model.requests[-1].stream


async def test_a_failing_model_gives_the_offline_answer_as_one_message(bot: Driver, model: FakeLLM) -> None:
    model.script(Reply(fault="500"))
    calls = await ask(bot)
    assert calls[0].method == "sendMessage"  # at once: no "typing" for a quick answer
    sent = [c for c in calls if c.method == "sendMessage"]
    assert len(sent) == 1 and not [c for c in calls if c.method == "editMessageText"]
    assert (sent[0].text or "").endswith(f"<i>{UNAVAILABLE}</i>")
    assert "👍" in buttons(sent[0])


async def test_an_invented_citation_never_reaches_the_user(bot: Driver, model: FakeLLM) -> None:
    # A good beginning, built from the excerpts the bot sent, then a citation of an excerpt never given.
    model.script(lambda request: grounded_reply(request) + "后来的规定另有说法[9]。")
    calls = await ask(bot)
    shown = [c.text or "" for c in calls if c.method in ("sendMessage", "editMessageText")]
    assert shown and not any("[9]" in text for text in shown)
    assert shown[-1].endswith(f"<i>{UNVERIFIED}</i>")


async def test_no_first_token_within_the_timeout_gives_the_offline_answer(
    bot: Driver, model: FakeLLM
) -> None:
    model.script(Reply("不可以。", first_delay=TIMEOUT + 5))
    mark = bot.api.mark()
    bot.api.send_text(CHAT, QUESTION)
    reply = await bot.reply(CHAT, mark)
    assert reply.text.endswith(f"<i>{UNAVAILABLE}</i>") and "👍" in [b for b, _ in reply.buttons()]
    # From the moment the model was asked (both fake servers keep this process's monotonic clock).
    assert reply.call.t - model.requests[-1].at <= TIMEOUT + 1
