"""The model chain (LangChain's ChatOpenAI) against the fake model server: streamed, verified, and every fault."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterator

import pytest

from assistant.llm import UNAVAILABLE, UNVERIFIED, LLMAnswerer
from assistant.outcome import LLMAnswer, Partial
from tests.fakellm import FakeLLM, Reply
from tests.llm.samples import GOOD, grounded
from wiring.factory import build_llm
from wiring.settings import load_settings

TIMEOUT = 2.0


@pytest.fixture
def server() -> Iterator[FakeLLM]:
    with FakeLLM(tokens_per_second=200) as fake:
        yield fake


def answerer(base_url: str, timeout: float = TIMEOUT) -> LLMAnswerer:
    llm = build_llm(
        load_settings({"llm_base_url": base_url, "llm_model": "fake-qwen", "llm_timeout": timeout})
    )
    assert llm is not None
    return llm


async def run(llm: LLMAnswerer) -> tuple[list[str], LLMAnswer, float]:
    """Every partial text, the final answer, and the seconds it took."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    partials: list[str] = []
    final = None
    async for event in llm.stream(grounded()):
        if isinstance(event, Partial):
            partials.append(event.text)
        else:
            final = event
    assert final is not None
    return partials, final, loop.time() - started


async def test_a_good_answer_streams_in_verified_sentences_then_ends_with_its_sources(
    server: FakeLLM,
) -> None:
    server.script(GOOD)
    partials, final, _ = await run(answerer(server.base_url))
    assert partials and partials[-1] == GOOD and all(GOOD.startswith(p) for p in partials)
    assert all(p.endswith("。") for p in partials)  # whole sentences only
    assert final.outcome.verified and final.outcome.fallback is None and final.outcome.model == "fake-qwen"
    answer = final.answer
    assert answer.text.startswith(GOOD) and "[1]《中国共产党纪律处分条例》第九十七条" in answer.text
    assert answer.verdict == "no" and answer.lead == "不可以。" and answer.card == "gift-card"
    assert [c.article for c in answer.citations] == ["第九十七条", "第十七条"]  # the excerpts it cites
    request = server.requests[-1]
    assert (
        request.stream
        and "只能依据" in request.system
        and "[1]《中国共产党纪律处分条例》第九十七条" in request.user
    )


async def test_the_sources_are_the_excerpts_cited_numbered_in_the_order_cited(server: FakeLLM) -> None:
    server.script("不可以。严禁「公车私用」[3]，收受购物卡也不行[1]。")
    _, final, _ = await run(answerer(server.base_url))
    assert final.answer.text.startswith("不可以。严禁「公车私用」[1]，收受购物卡也不行[2]。")
    assert (
        "[1]《党政机关公务用车管理办法》第十六条\n[2]《中国共产党纪律处分条例》第九十七条"
        in final.answer.text
    )
    assert [c.article for c in final.answer.citations] == ["第十六条", "第九十七条"]


@pytest.mark.parametrize(
    ("reply", "failure"),
    [
        (Reply(GOOD, fault="429", retry_after=30), "rate_limited"),
        (Reply(GOOD, fault="500"), "server_error"),
        (Reply(GOOD, fault="cut"), None),  # a dropped connection: connection or malformed, per client
        (Reply(GOOD, fault="malformed"), "malformed"),
        (Reply(GOOD, fault="no_finish"), "malformed"),
        (Reply(GOOD, fault="empty"), "empty"),
        (Reply(GOOD, first_delay=TIMEOUT + 5), "timeout"),
        (Reply(GOOD, token_delay=0.5), "timeout"),
        ("不可以。不得收受[9]。", "bad_citation"),
        ("不可以。条例规定「收受任何礼品一律开除」[1]。", "invented_quote"),
        ("不可以。依照第一百零八条处理[1]。", "foreign_article"),
        ("不可以。按《中华人民共和国刑法》处理[1]。", "foreign_title"),
        ("可以。少量购物卡无妨[1]。", "contradicts_card"),
        ("不可以，这种情况不能收。", "no_citation"),  # a model that ignores the format
    ],
)
async def test_every_fault_ends_in_the_offline_answer_within_the_timeout(
    server: FakeLLM, reply: Reply | str, failure: str | None
) -> None:
    server.script(reply)
    partials, final, took = await run(answerer(server.base_url))
    assert not final.outcome.verified
    kind = final.outcome.fallback
    assert kind == failure if failure else kind in ("connection", "malformed")
    offline = grounded().offline
    assert final.answer.text.startswith(offline.text)
    line = (
        UNAVAILABLE
        if kind in ("rate_limited", "server_error", "connection", "malformed", "timeout")
        else UNVERIFIED
    )
    assert final.answer.text.endswith(line)
    assert took < TIMEOUT + 1
    # Nothing the checks refuse was ever shown while streaming.
    for shown in partials:
        for invented in ("[9]", "一律开除", "一百零八", "刑法", "可以。少量"):
            assert invented not in shown


async def test_a_short_retry_after_is_waited_out_once(server: FakeLLM) -> None:
    server.script(Reply(GOOD, fault="429", retry_after=0.2), GOOD)
    _, final, _ = await run(answerer(server.base_url))
    assert final.outcome.verified and len(server.requests) == 2


async def test_a_refused_connection_is_the_offline_answer_at_once() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connections are refused
        _, final, took = await run(answerer(f"http://127.0.0.1:{port}/v1"))
    assert final.outcome.fallback == "connection" and took < TIMEOUT


async def test_a_failing_server_is_left_alone_for_a_while_and_said_so_once(
    server: FakeLLM, caplog: pytest.LogCaptureFixture
) -> None:
    llm = answerer(server.base_url)
    server.script(*(Reply(fault="500") for _ in range(3)))
    with caplog.at_level(logging.WARNING, logger="qingfeng.llm"):
        for _ in range(3):
            assert (await run(llm))[1].outcome.fallback == "server_error"
        for _ in range(2):
            assert (await run(llm))[1].outcome.fallback == "circuit_open"
    assert len(server.requests) == 3  # the open circuit sent nothing
    assert len([r for r in caplog.records if "circuit open" in r.getMessage()]) == 1
    assert llm.failures == {"server_error": 3, "circuit_open": 2}


async def test_the_circuit_lets_one_call_through_after_its_cooldown(server: FakeLLM) -> None:
    llm = answerer(server.base_url)
    now = [0.0]
    llm.breaker.clock = lambda: now[0]
    server.script(*(Reply(fault="500") for _ in range(3)), GOOD)
    for _ in range(3):
        await run(llm)
    assert (await run(llm))[1].outcome.fallback == "circuit_open"
    now[0] += llm.breaker.cooldown
    assert (await run(llm))[1].outcome.verified


async def test_a_follow_up_is_rewritten_by_one_short_call(server: FakeLLM) -> None:
    llm = answerer(server.base_url)
    server.script("春节期间下属送购物卡能收吗")
    assert await llm.rewrite("过年下属送购物卡能收吗", "那春节呢") == "春节期间下属送购物卡能收吗"
    request = server.requests[-1]
    assert not request.stream and "那春节呢" in request.user


@pytest.mark.parametrize(
    "reply", [Reply(fault="500"), Reply("x", first_delay=TIMEOUT + 5), "", "Sure! " + "a" * 200]
)
async def test_a_rewrite_that_fails_leaves_the_offline_rule(server: FakeLLM, reply: Reply | str) -> None:
    llm = answerer(server.base_url)
    llm.rewrite_timeout = 0.5
    server.script(reply)
    assert await llm.rewrite("过年下属送购物卡能收吗", "那春节呢") is None


def test_no_model_is_built_without_a_base_url() -> None:
    assert build_llm(load_settings({})) is None
