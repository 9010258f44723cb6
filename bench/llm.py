"""The model chain's own cost, and streaming under load, against the fake model server (no real model needed).

Usage: .venv/bin/python bench/llm.py [--data-dir var] [--questions 200] [--users 50] [--seconds 60]

1. Overhead: each dev question through ``ChatService.ask_stream`` in process (real retrieval, gate, excerpts,
   prompt, LangChain's ChatOpenAI over loopback HTTP, verification of every partial and of the end) against a
   fake server answering at once. Overhead = wall time − the server's own time for that request.
2. Load: ``qingfeng run`` as its own process against the fake Bot API with Telegram's flood limits enforced
   (tests/fakebotapi.FloodLimits: 429 for any excess) and the fake model at 30 tokens/s; N users each ask, read
   the streamed answer to its end, think 2 s and ask again; another chat sends /start every 2 s. Reports the
   429s, messages and edits, the streamed answers' time to first text and to final text, /start latency.
Writes bench/results/llm.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bot_latency import _env, peak_rss_mb  # noqa: E402
from qa import machine, percentile  # noqa: E402

from assistant.chat import ChatService, ConversationMemory  # noqa: E402
from assistant.outcome import Partial  # noqa: E402
from knowledge.evaluation import load_questions  # noqa: E402
from knowledge.unanswered import UnansweredLog  # noqa: E402
from tests.fakebotapi import Call, FakeBotAPI, FloodLimits  # noqa: E402
from tests.fakellm import FakeLLM, Request, grounded_reply  # noqa: E402
from wiring.factory import build_engine, build_knowledge, build_llm  # noqa: E402
from wiring.settings import load_settings  # noqa: E402

DEV = ROOT / "tests" / "knowledge" / "data" / "dev_questions.jsonl"
MORE = "如已收下，应及时退还或者上交组织，并如实说明情况[1]。对照上述规定逐项自查，不要心存侥幸[1]。"


def realistic_reply(request: Request) -> str:
    """An answer of about 150 characters (75 tokens) built from the excerpts, as a 7B model writes."""
    return grounded_reply(request) + MORE


def overhead(data_dir: Path, questions: list[str], tokens_per_second: float = 0.0) -> dict[str, object]:
    """Part 1: the chain's own time per question, sequentially, in this process.

    With an instant server (``tokens_per_second`` 0) every token's handling (the OpenAI client's parsing,
    LangChain's chunks, the checks) is serial and counted; at a model's pace it overlaps the wait for the next
    token, and what is left is the latency the chain adds to the model's.
    """
    with (
        FakeLLM(default=realistic_reply, tokens_per_second=tokens_per_second) as model,
        tempfile.TemporaryDirectory() as scratch,
    ):
        settings = load_settings(
            {
                "data_dir": data_dir,
                "database_url": f"sqlite:///{scratch}/bench.db",
                "llm_base_url": model.base_url,
                "llm_model": "fake-qwen",
            }
        )
        knowledge = build_knowledge(settings)
        knowledge.warm()
        engine = build_engine(settings)
        with ThreadPoolExecutor(2) as executor:
            chat = ChatService(
                knowledge, UnansweredLog(engine), executor, ConversationMemory(600), llm=build_llm(settings)
            )

            async def run() -> tuple[list[float], dict[str, int]]:
                costs: list[float] = []
                kinds: dict[str, int] = {}
                for warm in questions[:5]:
                    async for _ in chat.ask_stream(0, warm, record=False):
                        pass
                for number, question in enumerate(questions, start=1):
                    asked = len(model.requests)
                    started = time.perf_counter()
                    final = None
                    async for event in chat.ask_stream(number, question, record=False):
                        if not isinstance(event, Partial):
                            final = event
                    wall = time.perf_counter() - started
                    assert final is not None and final.llm is not None
                    kind = "verified" if final.llm.verified else str(final.llm.fallback)
                    kinds[kind] = kinds.get(kind, 0) + 1
                    served = sum(r.served or 0.0 for r in model.requests[asked:])
                    if len(model.requests) > asked:
                        costs.append(wall - served)
                return costs, kinds

            costs, kinds = asyncio.run(run())
        engine.dispose()
    ms = [c * 1000 for c in costs]
    return {
        "tokens_per_second": tokens_per_second or "instant",
        "questions": len(questions),
        "sent_to_model": len(ms),
        "outcomes": kinds,
        "overhead_p50_ms": round(percentile(ms, 50), 1),
        "overhead_p95_ms": round(percentile(ms, 95), 1),
        "overhead_max_ms": round(max(ms), 1),
    }


def load(data_dir: Path, questions: list[str], users: int, seconds: float) -> dict[str, object]:
    """Part 2: the bot streaming answers to ``users`` people at once, Telegram's limits enforced."""
    first_text: list[float] = []
    final_text: list[float] = []
    starts: list[float] = []
    lock = threading.Lock()
    with (
        FakeLLM(default=realistic_reply, tokens_per_second=30) as model,
        FakeBotAPI(limits=FloodLimits()) as server,
    ):
        env = _env(data_dir, server) | {
            "QINGFENG_LLM_BASE_URL": model.base_url,
            "QINGFENG_LLM_MODEL": "fake-qwen",
            "QINGFENG_ASK_WORKERS": "2",
        }
        bot = subprocess.Popen([sys.executable, "-m", "cli", "run"], env=env)
        try:
            server.wait_for("setMyCommands", timeout=300)
            server.wait_for("getUpdates", timeout=60)
            stop = time.monotonic() + seconds

            def shown(chat: int, after: int, final: bool) -> Call:
                # The first message of the answer, or its final text (HTML; the streamed parts are plain).
                def match(c: Call) -> bool:
                    if c.chat_id != chat or c.method not in ("sendMessage", "editMessageText"):
                        return False
                    return c.params.get("parse_mode") == "HTML" if final else c.method == "sendMessage"

                return server.wait_for(None, match, timeout=120, after=after)

            def user(number: int) -> None:
                chat = 500_000 + number
                asked = 0
                while time.monotonic() < stop:
                    question = questions[(number * 7 + asked) % len(questions)]
                    asked += 1
                    mark = server.mark()
                    update = server.send_text(chat, question)
                    sent = shown(chat, mark, final=False)
                    done = shown(chat, mark, final=True)
                    with lock:
                        first_text.append(sent.t - server.update_times[update])
                        final_text.append(done.t - server.update_times[update])
                    time.sleep(2.0)  # the user reads the answer (a simulated person, not a test's wait)

            def prober() -> None:
                number = 0
                time.sleep(1.0)
                while time.monotonic() < stop:
                    chat = 900_000 + number
                    number += 1
                    mark = server.mark()
                    update = server.send_text(chat, "/start")
                    reply = server.wait_for(
                        "sendMessage", lambda c, chat=chat: c.chat_id == chat, timeout=60, after=mark
                    )
                    starts.append(reply.t - server.update_times[update])
                    time.sleep(2.0)

            threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
            threads.append(threading.Thread(target=prober))
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            rss = peak_rss_mb(bot.pid)
        finally:
            bot.send_signal(signal.SIGTERM)
            bot.wait(timeout=120)
        calls = server.calls()
    start_ms = [s * 1000 for s in starts]
    return {
        "users": users,
        "seconds": seconds,
        "answers": len(final_text),
        "model_requests": len(model.requests),
        "max_concurrent_model_requests": model.max_active,
        "messages": sum(1 for c in calls if c.method == "sendMessage" and c.ok),
        "edits": sum(1 for c in calls if c.method == "editMessageText" and c.ok),
        "flood_429": len(server.flooded),
        "first_text_p50_ms": round(percentile([x * 1000 for x in first_text], 50)),
        "first_text_p95_ms": round(percentile([x * 1000 for x in first_text], 95)),
        "final_text_p50_ms": round(percentile([x * 1000 for x in final_text], 50)),
        "final_text_p95_ms": round(percentile([x * 1000 for x in final_text], 95)),
        "start_samples": len(start_ms),
        "start_p50_ms": round(percentile(start_ms, 50)),
        "start_p95_ms": round(percentile(start_ms, 95)),
        "start_max_ms": round(max(start_ms)),
        "bot_peak_rss_mb": round(rss),
    }


def main() -> int:
    """Run both parts and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var", help="a data dir with the index built")
    parser.add_argument("--questions", type=int, default=200, help="questions for the overhead part")
    parser.add_argument(
        "--paced-questions", type=int, default=40, help="questions for the overhead at 30 tokens/s"
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the load part")
    args = parser.parse_args()
    questions = [q.text for q in load_questions(DEV)]
    first = overhead(args.data_dir, questions[: args.questions])
    print("overhead", json.dumps(first, ensure_ascii=False), flush=True)
    paced = overhead(args.data_dir, questions[: args.paced_questions], tokens_per_second=30)
    print("overhead", json.dumps(paced, ensure_ascii=False), flush=True)
    second = load(args.data_dir, questions, args.users, args.seconds)
    print("load", json.dumps(second, ensure_ascii=False), flush=True)
    results = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
        "overhead_instant_model": first,
        "overhead_at_30_tokens_per_second": paced,
        "load": second,
    }
    out = ROOT / "bench" / "results" / "llm.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
