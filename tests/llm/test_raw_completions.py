"""ChatOpenAI's chat.completions stand-in: streams as plain dicts, the SDK's errors and typed results otherwise."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest
from langchain_openai import ChatOpenAI

from assistant.raw_completions import RawStreamCompletions
from tests.fakellm import FakeLLM, Reply

MESSAGES = [{"role": "user", "content": "购物卡能收吗"}]


@pytest.fixture
def server() -> Iterator[FakeLLM]:
    with FakeLLM(tokens_per_second=0) as fake:
        yield fake


def completions(server: FakeLLM) -> RawStreamCompletions:
    client = openai.AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0, timeout=5)
    return RawStreamCompletions(client)


async def test_a_stream_yields_the_servers_chunks_as_dicts(server: FakeLLM) -> None:
    server.script("不可以收受。")
    stream = await completions(server).create(model="fake-qwen", messages=MESSAGES, stream=True)
    async with stream:
        chunks = [chunk async for chunk in stream]
    assert chunks and all(type(chunk) is dict for chunk in chunks)
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks) == "不可以收受。"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


async def test_a_plain_call_is_the_sdks_typed_result(server: FakeLLM) -> None:
    server.script("不可以。")
    result = await completions(server).create(model="fake-qwen", messages=MESSAGES)
    assert isinstance(result, openai.types.chat.ChatCompletion)
    assert result.choices[0].message.content == "不可以。"


async def test_errors_are_the_sdks_own(server: FakeLLM) -> None:
    server.script(Reply(fault="429", retry_after=3), Reply("不可以收受购物卡。", fault="malformed"))
    with pytest.raises(openai.RateLimitError) as limited:
        await completions(server).create(model="fake-qwen", messages=MESSAGES, stream=True)
    assert limited.value.response.headers["retry-after"] == "3"
    stream = await completions(server).create(model="fake-qwen", messages=MESSAGES, stream=True)
    with pytest.raises(ValueError):  # a line of broken JSON mid-stream
        async with stream:
            [chunk async for chunk in stream]


async def test_chat_openai_streams_through_it(server: FakeLLM) -> None:
    server.script("不可以收受。[1]")
    raw = completions(server)
    model = ChatOpenAI(base_url=server.base_url, model="fake-qwen", api_key="k", async_client=raw)
    chunks = [chunk async for chunk in model.astream("购物卡能收吗")]
    assert "".join(str(c.content) for c in chunks) == "不可以收受。[1]"
    assert [c.response_metadata.get("finish_reason") for c in chunks].count("stop") == 1
