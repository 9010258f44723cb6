"""Benchmark the Telegram bot: update-to-reply latency and answers/s for 1, 10 and 50 concurrent users.

Usage: .venv/bin/python bench/bot_latency.py [--data-dir DIR] [--questions N] [--think SECONDS (default 2)]
Starts `qingfeng run` as its own process against the fake Bot API server from the tests (loopback), then
lets N simulated users each ask questions from the dev set, one after another, each waiting for its
answer (plus an optional think time) before asking again. Latency runs from the moment the update is
handed to the fake server until the bot's sendMessage for that chat reaches it, so it includes
long-polling, retrieval and the reply's HTTP round trip. While 50 users ask, a /start from another chat
measures whether the event loop stays responsive. Writes bench/results/telegram.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from qa import machine, percentile  # noqa: E402

from knowledge.evaluation import load_questions  # noqa: E402
from tests.fakebotapi import FakeBotAPI  # noqa: E402

DEV = ROOT / "tests" / "knowledge" / "data" / "dev_questions.jsonl"


def build_index(data_dir: Path) -> None:
    """Make sure ``data_dir`` holds an index of the default corpus (built once, reused after)."""
    subprocess.run(
        [sys.executable, "-m", "cli", "ingest"], env=_env(data_dir), check=True, capture_output=True
    )


def _env(data_dir: Path, server: FakeBotAPI | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QINGFENG_")}
    env["QINGFENG_DATA_DIR"] = str(data_dir)
    if server is not None:
        env["QINGFENG_TELEGRAM_TOKEN"] = server.token
        env["QINGFENG_TELEGRAM_BASE_URL"] = server.base_url
        env["QINGFENG_LOG_LEVEL"] = "WARNING"
    return env


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set size (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_load(
    server: FakeBotAPI, users: int, per_user: int, questions: list[str], think: float, first_chat: int
) -> dict[str, float]:
    """``users`` threads, each asking ``per_user`` questions in its own chat; returns latency figures."""
    latencies: list[float] = []
    lock = threading.Lock()
    start_latency: list[float] = []

    def user(number: int) -> None:
        chat = first_chat + number
        for i in range(per_user):
            question = questions[(number * per_user + i) % len(questions)]
            mark = server.mark()
            update_id = server.send_text(chat, question)
            call = server.wait_for("sendMessage", lambda c: c.chat_id == chat, timeout=120, after=mark)
            with lock:
                latencies.append(call.t - server.update_times[update_id])
            if think:
                time.sleep(think)

    def probe() -> None:
        # Half a second into the load, someone new opens the bot.
        time.sleep(0.5)
        chat = first_chat + 99_999
        mark = server.mark()
        update_id = server.send_text(chat, "/start")
        call = server.wait_for("sendMessage", lambda c: c.chat_id == chat, timeout=120, after=mark)
        start_latency.append(call.t - server.update_times[update_id])

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    prober = threading.Thread(target=probe)
    started = time.monotonic()
    for t in threads:
        t.start()
    prober.start()
    for t in threads:
        t.join()
    prober.join()
    wall = time.monotonic() - started
    ms = [x * 1000 for x in latencies]
    return {
        "users": users,
        "answers": len(ms),
        "p50_ms": round(percentile(ms, 50), 0),
        "p95_ms": round(percentile(ms, 95), 0),
        "max_ms": round(max(ms), 0),
        "answers_per_second": round(len(ms) / wall, 1),
        "start_during_load_ms": round(start_latency[0] * 1000, 0),
    }


def main() -> int:
    """Run the benchmark and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="reuse this data dir (default: a fresh temporary one)")
    parser.add_argument("--questions", type=int, default=300, help="questions per load level (default 300)")
    parser.add_argument(
        "--think",
        type=float,
        default=2.0,
        help="seconds a user reads before asking again (0: saturate the bot)",
    )
    args = parser.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="qingfeng-bench-"))
    build_index(data_dir)
    questions = [q.text for q in load_questions(DEV)]

    with FakeBotAPI() as server:
        bot = subprocess.Popen([sys.executable, "-m", "cli", "run"], env=_env(data_dir, server))
        try:
            server.wait_for("setMyCommands", timeout=300)
            server.wait_for("getUpdates", timeout=60)
            run_load(server, 5, 4, questions, 0.0, first_chat=900_000)  # warm-up
            levels = []
            for users in (1, 10, 50):
                per_user = max(1, args.questions // users)
                if args.think:
                    per_user = max(
                        5, min(20, per_user)
                    )  # think time makes long runs slow without adding signal
                levels.append(
                    run_load(server, users, per_user, questions, args.think, first_chat=users * 10_000)
                )
                print(json.dumps(levels[-1]), flush=True)
            rss = peak_rss_mb(bot.pid)
        finally:
            bot.send_signal(signal.SIGTERM)
            bot.wait(timeout=60)

    results = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
        "think_seconds": args.think,
        "levels": levels,
        "bot_peak_rss_mb": round(rss, 0),
    }
    out = ROOT / "bench" / "results" / f"telegram-think{args.think:g}s.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print()
    print(
        f"Machine: {results['machine']} ({results['date']}); think time {args.think} s; bot peak RSS {rss:.0f} MB"
    )
    print()
    print("| concurrent users | answers | p50 | p95 | answers/s | /start during load |")
    print("|---|---|---|---|---|---|")
    for level in levels:
        print(
            f"| {level['users']} | {level['answers']} | {level['p50_ms']:.0f} ms | {level['p95_ms']:.0f} ms | "
            f"{level['answers_per_second']} | {level['start_during_load_ms']:.0f} ms |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
