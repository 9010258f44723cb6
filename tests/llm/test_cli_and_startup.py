"""The model in the terminal (``ask``, ``ask --json``, ``chat``), and nothing of it without a server configured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from assistant.llm import UNAVAILABLE
from cli.main import Env
from knowledge.service import KnowledgeService
from tests.cli.runner import invoke
from tests.fakellm import FakeLLM, Reply
from wiring.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "下属送购物卡能收吗"


def env(tmp_path: Path, knowledge: KnowledgeService, model: FakeLLM | None) -> Env:
    values: dict[str, object] = {"data_dir": tmp_path}
    if model is not None:
        values |= {"llm_base_url": model.base_url, "llm_model": "fake-qwen", "llm_timeout": 3}
    return Env(load=lambda: load_settings(values), build_knowledge=lambda settings: knowledge)


def test_ask_json_says_which_model_answered_and_that_it_was_verified(
    tmp_path: Path, knowledge: KnowledgeService, model: FakeLLM
) -> None:
    result = invoke(["ask", "--json", QUESTION], env(tmp_path, knowledge, model))
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["llm"] == {"model": "fake-qwen", "verified": True, "fallback": None}
    assert "依据：" in answer["answer"] and "[1]" in answer["answer"]
    assert model.requests  # the fake server was asked


def test_ask_json_falls_back_and_names_the_failure(
    tmp_path: Path, knowledge: KnowledgeService, model: FakeLLM
) -> None:
    model.script(Reply(fault="500"))
    answer = json.loads(invoke(["ask", "--json", QUESTION], env(tmp_path, knowledge, model)).stdout)
    assert answer["llm"] == {"model": "fake-qwen", "verified": False, "fallback": "server_error"}
    assert answer["answer"].endswith(UNAVAILABLE)
    offline = json.loads(invoke(["ask", "--json", QUESTION], env(tmp_path, knowledge, None)).stdout)
    assert answer["answer"].startswith(offline["answer"])
    assert "llm" not in offline  # no model configured: today's JSON, unchanged


def test_a_question_the_gate_refuses_never_reaches_the_model(
    tmp_path: Path, knowledge: KnowledgeService, model: FakeLLM
) -> None:
    answer = json.loads(invoke(["ask", "--json", "你好"], env(tmp_path, knowledge, model)).stdout)
    assert answer["llm"]["fallback"] == "gated" and not model.requests


def test_ask_and_chat_print_the_models_answer(
    tmp_path: Path, knowledge: KnowledgeService, model: FakeLLM
) -> None:
    printed = invoke(["ask", QUESTION], env(tmp_path, knowledge, model))
    assert printed.returncode == 0 and "依据：" in printed.stdout
    chat = invoke(["chat"], env(tmp_path, knowledge, model), stdin=f"{QUESTION}\n{QUESTION}\n")
    assert chat.returncode == 0 and chat.stdout.count("依据：") == 2
    batch = invoke(["ask", "--json", "--batch", "-"], env(tmp_path, knowledge, model), stdin=f"{QUESTION}\n")
    assert json.loads(batch.stdout)["llm"]["verified"] is True


def test_without_a_model_server_no_model_library_is_imported_or_contacted(tmp_path: Path) -> None:
    # The whole start-up path (CLI, bot, handlers, services, factory) and an answered question, in a fresh process.
    code = f"""
import asyncio, sys
from concurrent.futures import ThreadPoolExecutor
import bot.app, cli.main, handlers
from assistant.chat import ChatService, ConversationMemory
from knowledge.unanswered import UnansweredLog
from tests.fakes import HashingEmbedder, KnownWordsGate, MemoryStore
from wiring.factory import build_engine, build_knowledge, build_llm
from wiring.settings import load_settings

settings = load_settings({{"data_dir": {str(tmp_path)!r}}})
knowledge = build_knowledge(settings, embedder=HashingEmbedder(), store=MemoryStore(), gate=KnownWordsGate())
knowledge.ensure_ready()
chat = ChatService(knowledge, UnansweredLog(build_engine(settings)), ThreadPoolExecutor(1),
                   ConversationMemory(600), llm=build_llm(settings))
reply = asyncio.run(chat.ask(1, "{QUESTION}"))
assert not reply.answer.refused and reply.llm is None
print(sorted(m for m in sys.modules if m.split(".")[0] in ("langchain_openai", "openai", "langchain_core", "langchain")))
"""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("QINGFENG_")}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
