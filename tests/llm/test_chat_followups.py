"""Follow-ups with a model configured: rewritten by one short call, or read by the offline rule when that fails."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from assistant.chat import ChatService, ConversationMemory
from knowledge.service import KnowledgeService
from knowledge.unanswered import UnansweredLog
from tests.fakellm import FakeLLM, Reply
from wiring.factory import build_engine, build_llm
from wiring.settings import load_settings

FIRST = "过年下属送购物卡能收吗"
REWRITTEN = "春节期间下属送购物卡能收吗"


@pytest.fixture
def chat(tmp_path: Path, knowledge: KnowledgeService, model: FakeLLM) -> Iterator[ChatService]:
    settings = load_settings(
        {"data_dir": tmp_path, "llm_base_url": model.base_url, "llm_model": "fake-qwen", "llm_timeout": 3}
    )
    engine = build_engine(settings)
    with ThreadPoolExecutor(1) as executor:
        yield ChatService(
            knowledge, UnansweredLog(engine), executor, ConversationMemory(ttl=600), llm=build_llm(settings)
        )
    engine.dispose()


async def test_a_follow_up_is_rewritten_then_answered_as_a_standalone_question(
    chat: ChatService, model: FakeLLM
) -> None:
    first = await chat.ask(1, FIRST)
    assert first.llm is not None and first.llm.verified
    model.script(REWRITTEN)  # the rewrite; the answer is the server's default, from the excerpts
    reply = await chat.ask(1, "那春节呢？")
    rewrite, answer = model.requests[-2], model.requests[-1]
    assert not rewrite.stream and FIRST in rewrite.user and "那春节呢" in rewrite.user
    assert answer.stream and answer.user.endswith(f"问题：{REWRITTEN}")
    assert reply.previous == FIRST and reply.llm is not None and reply.llm.verified


async def test_when_the_rewrite_fails_the_offline_rule_joins_the_questions(
    chat: ChatService, model: FakeLLM
) -> None:
    await chat.ask(2, FIRST)
    model.script(Reply(fault="500"))  # the rewrite fails; the answer still comes from the model
    reply = await chat.ask(2, "那春节呢？")
    asked = model.requests[-1].user
    assert asked.endswith("问题：那春节呢？") or asked.endswith(f"问题：{FIRST}；那春节呢？")
    assert reply.llm is not None and reply.llm.verified


async def test_small_talk_never_reaches_the_model(chat: ChatService, model: FakeLLM) -> None:
    reply = await chat.ask(3, "你好")
    assert reply.llm is not None and reply.llm.fallback == "gated" and not model.requests
