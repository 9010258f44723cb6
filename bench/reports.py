"""Benchmark anonymous reports: concurrent reporters through the fake Bot API, and the cost of sealing one.

Usage: .venv/bin/python bench/reports.py [--reporters 100] [--rounds 3] [--think SECONDS (default 1)]
       [--seed 1] [--cost-reps 20] [--rebuild-sizes 10,100,500] [--data-dir DIR] [--json-out PATH]

1. In-process, before the bot starts: ``ReportService.submit`` on a temporary SQLite store (the bot's WAL
   settings) for a text-only report and for one with a 1 MB or a 5 MB attachment, sealed to 1 and to 3
   reviewer keys; the same steps are then timed one by one (scrypt of the receipt code, sealing, the reply
   key pair, the database write).
2. Starts ``qingfeng run`` as its own process (real settings, one reviewer key made with
   ``reports.keys.write_key_files``, ``QINGFENG_REPORTS_PER_DAY=100``, no reviewer chat) against the fake Bot
   API server from the tests (loopback). Each simulated reporter is a thread with its own private chat and
   user id that walks the whole flow ``--rounds`` times: /report → category button → subject → details →
   跳过 (when/where) → 跳过 (evidence) → 确认提交. Before each step it thinks uniformly 0.5–1.5 × ``--think``
   seconds (and starts after 0–2 × ``--think``); ``--think 0`` saturates the bot. Confirm-to-receipt runs from
   the moment the 确认提交 callback update is handed to the server until the bot's sendMessage holding the
   receipt code (``protect_content``) reaches it; the bot's other calls for that chat in between split the
   time. Attachments are not sent through the bot.
3. The burst: as many new reporters fill in a report each, wait until all of them see 确认提交 and the bot
   has been idle for 2 s, then all press it at the same moment: the confirm path's own submissions/s.

4. The rebuild that erases arrival order from the SQLite file (``ReportStore.compact``: WAL truncated, VACUUM),
   timed as a store of 1 MB reports grows to each of ``--rebuild-sizes`` MB. The bot runs it in the background
   a random 2–20 s after reporters write, and rests 9× its duration in between.

Afterwards every receipt code is looked up in the bot's database, and the number of stored reports must equal
the number of receipts.

Writes bench/results/reports.json (``--think 1``) or bench/results/reports-think<T>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bot_latency import build_index, peak_rss_mb  # noqa: E402
from qa import machine, percentile  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from common.clock import china_today  # noqa: E402
from reports.crypto import generate_keypair, seal, seal_json  # noqa: E402
from reports.keys import ReviewerPublicKey, load_public_keys, write_key_files  # noqa: E402
from reports.model import Attachment, ReportDraft  # noqa: E402
from reports.receipt import ReceiptKeys, new_code, reply_keypair  # noqa: E402
from reports.service import ReportService, pack_attachment  # noqa: E402
from reports.store import ReportStore, StoredReport, new_report_id, reports_table  # noqa: E402
from tests.fakebotapi import Call, FakeBotAPI  # noqa: E402
from wiring.factory import build_engine, build_reports  # noqa: E402
from wiring.settings import load_settings  # noqa: E402

SUBJECT = "某市某局"
DETAILS = "某局副局长在中秋节前收受下属单位送的购物卡两张，每张面值一千元，并安排公车接送家属。"
WHEN_WHERE = "2026年9月中旬，某局办公楼"
CATEGORY = "gifts"
CODE_RE = re.compile(r"<code>([0-9A-Z-]+)</code>")
STEP_TIMEOUT = 300.0
MB = 1024 * 1024
PASSPHRASE = "bench-reviewer-passphrase"
WARMUP_REPORTERS = 5
FIRST_CHAT = 7_100_000  # private chats: chat id = user id, one per reporter


class RecordingServer(FakeBotAPI):
    """The fake Bot API, also handing each recorded call to the inbox of the chat it concerns.

    ``wait_for`` wakes every waiting thread on every call and rescans; with 100 reporters that costs the
    benchmark process (which also runs the server) more CPU than the bot. One queue per chat does not.
    """

    def __init__(self) -> None:
        super().__init__()
        self._inboxes: dict[int, queue.SimpleQueue[Call]] = {}
        self._query_chats: dict[str, int] = {}

    def inbox(self, chat_id: int) -> queue.SimpleQueue[Call]:
        """The queue receiving every call the bot makes for ``chat_id`` from now on."""
        box: queue.SimpleQueue[Call] = queue.SimpleQueue()
        with self._lock:
            self._inboxes[chat_id] = box
        return box

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update, remembering which chat a callback query belongs to."""
        query = update.get("callback_query")
        if isinstance(query, dict):
            with self._lock:
                self._query_chats[str(query["id"])] = int(query["message"]["chat"]["id"])
        return super().push(update)

    def _record(self, call: Call) -> None:
        super()._record(call)
        chat = call.chat_id
        if call.method == "answerCallbackQuery":
            chat = self._query_chats.get(str(call.params.get("callback_query_id")))
        with self._lock:
            box = self._inboxes.get(chat) if isinstance(chat, int) else None
        if box is not None:
            box.put(call)


def _buttons(call: Call) -> list[str]:
    markup = call.reply_markup or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


def _is_true(value: Any) -> bool:
    return str(value).lower() == "true"


def _prompt_with(button: str) -> Callable[[Call], bool]:
    return lambda c: c.method == "sendMessage" and any(b.startswith(button) for b in _buttons(c))


def _prompt_starting(prefix: str) -> Callable[[Call], bool]:
    return lambda c: c.method == "sendMessage" and (c.text or "").startswith(prefix)


def _is_receipt(call: Call) -> bool:
    return (
        call.method == "sendMessage"
        and _is_true(call.params.get("protect_content"))
        and CODE_RE.search(call.text or "") is not None
    )


def _is_summary(call: Call) -> bool:
    return call.method == "sendMessage" and "请核对要提交的内容" in (call.text or "")


@dataclass
class Confirm:
    """One 确认提交: when the update was pushed and when each of the bot's calls for it arrived."""

    pushed: float
    answered: float | None = None  # answerCallbackQuery (not rate-limited)
    edited: float | None = None  # editMessageText "正在加密提交……"
    deleted: float | None = None  # deleteMessages (the flow's messages)
    receipt: float = 0.0
    code: str = ""


@dataclass
class Outcome:
    """What one load level measured."""

    steps: dict[str, list[float]] = field(default_factory=dict)
    confirms: list[Confirm] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    failed_calls: list[str] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0


class Reporter:
    """One person filling in reports in their own private chat."""

    def __init__(self, server: RecordingServer, chat: int, think: float, rng: random.Random) -> None:
        self.server = server
        self.chat = chat
        self.think = think
        self.rng = rng
        self.box = server.inbox(chat)
        self.outcome = Outcome()

    def pause(self) -> None:
        """Read the prompt, type the answer."""
        if self.think:
            time.sleep(self.rng.uniform(0.5, 1.5) * self.think)

    def wait(self, predicate: Callable[[Call], bool], seen: list[Call] | None = None) -> Call:
        """The bot's next call for this chat matching ``predicate``; other calls go to ``seen``."""
        deadline = time.monotonic() + STEP_TIMEOUT
        while True:
            try:
                call = self.box.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"chat {self.chat}: no matching call within {STEP_TIMEOUT} s") from None
            if not call.ok:
                self.outcome.failed_calls.append(call.summary())
            if call.ok and predicate(call):
                return call
            if seen is not None:
                seen.append(call)
            if call.method == "sendMessage" and not _is_summary(call):
                self.outcome.unexpected.append((call.text or "")[:80])

    def step(self, name: str, push: Callable[[], int], predicate: Callable[[Call], bool]) -> Call:
        """Push one update after thinking; the bot's answer to it, its latency recorded under ``name``."""
        self.pause()
        update_id = push()
        call = self.wait(predicate)
        self.outcome.steps.setdefault(name, []).append(call.t - self.server.update_times[update_id])
        return call

    def fill(self) -> Call:
        """The flow up to the summary; the message holding 确认提交."""
        server, chat = self.server, self.chat
        intro = self.step("/report", lambda: server.send_text(chat, "/report"), _prompt_with("rp:cat:"))
        self.step(
            "category",
            lambda: server.press(chat, intro.result["message_id"], f"rp:cat:{CATEGORY}"),
            _prompt_with("rp:skip"),
        )
        self.step("subject", lambda: server.send_text(chat, SUBJECT), _prompt_starting("第3步"))
        ask_when = self.step("details", lambda: server.send_text(chat, DETAILS), _prompt_with("rp:skip"))
        ask_evidence = self.step(
            "when/where skip",
            lambda: server.press(chat, ask_when.result["message_id"], "rp:skip"),
            _prompt_with("rp:done"),
        )
        return self.step(
            "evidence skip → summary",
            lambda: server.press(chat, ask_evidence.result["message_id"], "rp:done"),
            _prompt_with("rp:send"),
        )

    def confirm(self, prompt: Call) -> None:
        """Press 确认提交 and wait for the receipt, noting when each call of the bot for it arrived."""
        server = self.server
        update_id = server.press(self.chat, prompt.result["message_id"], "rp:send")
        seen: list[Call] = []
        receipt = self.wait(_is_receipt, seen)
        record = Confirm(pushed=server.update_times[update_id], receipt=receipt.t)
        found = CODE_RE.search(receipt.text or "")
        record.code = found.group(1) if found else ""
        for call in seen:
            if call.method == "answerCallbackQuery" and record.answered is None:
                record.answered = call.t
            elif call.method == "editMessageText" and record.edited is None:
                record.edited = call.t
            elif call.method == "deleteMessages" and record.deleted is None:
                record.deleted = call.t
        self.outcome.confirms.append(record)

    def run(self, rounds: int, barrier: threading.Barrier | None = None) -> None:
        """``rounds`` reports one after another (with a barrier: everyone confirms at the same moment).

        An error ends this reporter and is recorded.
        """
        try:
            if self.think:
                time.sleep(self.rng.uniform(0, 2 * self.think))
            for _ in range(rounds):
                prompt = self.fill()
                if barrier is not None:
                    barrier.wait(timeout=STEP_TIMEOUT)
                else:
                    self.pause()
                self.confirm(prompt)
        except Exception as error:  # reported by the main thread; never hangs the benchmark
            if barrier is not None:
                barrier.abort()
            self.outcome.errors.append(f"chat {self.chat}: {type(error).__name__}: {error}")


def run_load(
    server: RecordingServer,
    reporters: int,
    rounds: int,
    think: float,
    first_chat: int,
    seed: int,
    burst: bool = False,
) -> Outcome:
    """``reporters`` threads, each submitting ``rounds`` reports; everything they measured, merged.

    ``burst``: one report each, and all confirm together once everyone has reached the summary and the
    bot has been idle for two seconds (so the rate limiter starts from a full allowance).
    """
    people = [
        Reporter(server, first_chat + n, think, random.Random(seed * 1_000_003 + n)) for n in range(reporters)
    ]
    barrier = threading.Barrier(reporters, action=lambda: time.sleep(2.0)) if burst else None
    threads = [threading.Thread(target=p.run, args=(rounds, barrier)) for p in people]
    merged = Outcome(started=time.monotonic())
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    merged.ended = time.monotonic()
    for p in people:
        for name, values in p.outcome.steps.items():
            merged.steps.setdefault(name, []).extend(values)
        merged.confirms.extend(p.outcome.confirms)
        merged.errors.extend(p.outcome.errors)
        merged.unexpected.extend(p.outcome.unexpected)
        merged.failed_calls.extend(p.outcome.failed_calls)
    return merged


def _ms(values: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values]
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 0),
        "p95_ms": round(percentile(ms, 95), 0),
        "max_ms": round(max(ms), 0),
    }


def summarize(outcome: Outcome, server: RecordingServer, chats: range) -> dict[str, Any]:
    """Latencies, rates and where the confirm time went."""
    confirms = outcome.confirms
    wall = outcome.ended - outcome.started
    window_seconds = max(c.receipt for c in confirms) - min(c.pushed for c in confirms) if confirms else 0.0
    wanted = set(chats)
    window = [c for c in server.calls() if outcome.started <= c.t <= outcome.ended]
    chat_calls = [c for c in window if c.chat_id in wanted]

    def gaps(first: str, second: str) -> list[float]:
        out = []
        for c in confirms:
            a, b = getattr(c, first), getattr(c, second)
            if a is not None and b is not None:
                out.append(b - a)
        return out

    return {
        "receipts": len(confirms),
        "wall_seconds": round(wall, 2),
        "submissions_per_second_overall": round(len(confirms) / wall, 2) if wall else 0.0,
        "confirm_phase_seconds": round(window_seconds, 2),  # first 确认提交 pushed → last receipt
        "submissions_per_second_confirm_phase": round(len(confirms) / window_seconds, 2)
        if window_seconds
        else 0.0,
        "confirm_to_receipt": _ms([c.receipt - c.pushed for c in confirms]),
        "confirm_split": {
            "update → answerCallbackQuery (polling, dispatch)": _ms(gaps("pushed", "answered")),
            "answer → editMessageText 正在加密提交 (limiter)": _ms(gaps("answered", "edited")),
            "edit → deleteMessages (seal + store, limiter)": _ms(gaps("edited", "deleted")),
            "delete → receipt sendMessage (limiter)": _ms(gaps("deleted", "receipt")),
        },
        "steps": {name: _ms(values) for name, values in outcome.steps.items()},
        "bot_calls_per_report": {
            "chat_bound (rate-limited)": round(len(chat_calls) / max(1, len(confirms)), 1),
            "answerCallbackQuery (not limited)": round(
                sum(c.method == "answerCallbackQuery" for c in window) / max(1, len(confirms)), 1
            ),
        },
        "chat_bound_calls_per_second": round(len(chat_calls) / wall, 1) if wall else 0.0,
        "errors": outcome.errors[:10],
        "unexpected_messages": outcome.unexpected[:10],
        "failed_calls": outcome.failed_calls[:10],
    }


def verify(data_dir: Path, codes: list[str]) -> dict[str, Any]:
    """Count the stored reports and look every receipt code up in the bot's database."""
    settings = load_settings({"data_dir": data_dir})
    engine = build_engine(settings)
    try:
        service = build_reports(settings, engine)
        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(reports_table)).scalar_one()
        unknown = 0
        for code in codes:
            try:
                service.status(code)
            except Exception:
                unknown += 1
    finally:
        engine.dispose()
    return {
        "receipts": len(codes),
        "distinct_codes": len(set(codes)),
        "reports_in_db": stored,
        "codes_not_found": unknown,
        "lost": unknown,
        "duplicated": stored - (len(set(codes)) - unknown),
    }


# In-process cost of one submission


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _median_ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 2)


def _submit_in_steps(
    store: ReportStore, receipt_keys: ReceiptKeys, keys: list[bytes], draft: ReportDraft
) -> dict[str, float]:
    """What ``ReportService.submit`` does, each step timed: sealing, scrypt, reply key pair, DB write."""
    fields = {
        "category": draft.category,
        "subject": draft.subject,
        "details": draft.details,
        "when_where": draft.when_where,
    }
    t_seal, (body, files) = _timed(
        lambda: (seal_json(fields, keys), [seal(pack_attachment(a), keys) for a in draft.attachments])
    )
    t_kdf, (lookup_hash, reply_key) = _timed(lambda: receipt_keys.derive(new_code()))
    t_pair, (public, sealed_private) = _timed(lambda: reply_keypair(reply_key))
    today = china_today()
    row = StoredReport(new_report_id(), today, "new", today, None, public, sealed_private)
    t_db, stored = _timed(lambda: store.add_report(row, lookup_hash, body, files))
    if not stored:
        raise RuntimeError("report id or receipt hash collided")
    return {"kdf": t_kdf, "seal": t_seal, "pair": t_pair, "db": t_db}


def submission_cost(reps: int) -> list[dict[str, Any]]:
    """Median time of ``ReportService.submit`` and of its steps, by attachment size and reviewer count."""
    rows = []
    cases = [("text only", 0), ("1 MB attachment", MB), ("5 MB attachment", 5 * MB)]
    with tempfile.TemporaryDirectory(prefix="qingfeng-bench-cost-") as tmp:
        engine = build_engine(load_settings({"data_dir": Path(tmp)}))
        try:
            store = ReportStore(engine)
            receipt_keys = ReceiptKeys(secrets.token_bytes(32))
            all_keys = [generate_keypair()[1] for _ in range(3)]
            for reviewers in (1, 3):
                keys = all_keys[:reviewers]
                service = ReportService(store, [ReviewerPublicKey(k, None) for k in keys], receipt_keys)
                for label, size in cases:
                    files = (Attachment("evidence.pdf", "application/pdf", os.urandom(size)),) if size else ()
                    draft = ReportDraft(CATEGORY, DETAILS, SUBJECT, WHEN_WHERE, files)
                    runs = reps if not size else max(5, reps // 2)
                    service.submit(draft)  # warm-up
                    total = [_timed(lambda: service.submit(draft))[0] for _ in range(runs)]  # noqa: B023
                    steps = [_submit_in_steps(store, receipt_keys, keys, draft) for _ in range(runs)]
                    rows.append(
                        {
                            "reviewer_keys": reviewers,
                            "report": label,
                            "runs": runs,
                            "submit_ms": _median_ms(total),
                            "kdf_scrypt_ms": _median_ms([s["kdf"] for s in steps]),
                            "seal_ms": _median_ms([s["seal"] for s in steps]),
                            "reply_keypair_ms": _median_ms([s["pair"] for s in steps]),
                            "db_write_ms": _median_ms([s["db"] for s in steps]),
                        }
                    )
                    print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
        finally:
            engine.dispose()
    return rows


def rebuild_cost(sizes_mb: list[int]) -> list[dict[str, Any]]:
    """How long ``ReportStore.compact`` (WAL truncated, VACUUM) takes as the store grows with 1 MB reports."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="qingfeng-bench-rebuild-") as tmp:
        db = Path(tmp) / "qingfeng.db"
        engine = build_engine(load_settings({"data_dir": Path(tmp)}))
        try:
            store = ReportStore(engine)
            keys = [ReviewerPublicKey(generate_keypair()[1], None)]
            service = ReportService(store, keys, ReceiptKeys(secrets.token_bytes(32)))
            stored = 0
            for size in sizes_mb:
                while stored < size:
                    files = (Attachment("evidence.pdf", "application/pdf", os.urandom(MB)),)
                    service.submit(ReportDraft(CATEGORY, DETAILS, SUBJECT, WHEN_WHERE, files))
                    stored += 1
                seconds, done = _timed(store.compact)
                rows.append(
                    {
                        "store_mb": round(db.stat().st_size / MB),
                        "reports": stored,
                        "rebuild_ms": round(seconds * 1000),
                        "wal_emptied": bool(done),
                    }
                )
                print(json.dumps(rows[-1]), flush=True)
        finally:
            engine.dispose()
    return rows


# The bot


def _bot_env(data_dir: Path, server: FakeBotAPI) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QINGFENG_")}
    env.update(
        {
            "QINGFENG_DATA_DIR": str(data_dir),
            "QINGFENG_TELEGRAM_TOKEN": server.token,
            "QINGFENG_TELEGRAM_BASE_URL": server.base_url,
            "QINGFENG_LOG_LEVEL": "WARNING",
            "QINGFENG_REPORTS_PER_DAY": "100",  # the settings' maximum; every reporter has its own user id
        }
    )
    return env


def ensure_reviewer(data_dir: Path) -> None:
    """One reviewer key pair (the private key outside the data dir), unless the data dir has one."""
    public_dir = load_settings({"data_dir": data_dir}).data_dir / "reviewers"
    if load_public_keys(public_dir):
        return
    private_path = Path(tempfile.mkdtemp(prefix="qingfeng-bench-reviewer-")) / "reviewer.key"
    write_key_files(private_path=private_path, public_dir=public_dir, passphrase=PASSPHRASE)


def run_bot(
    data_dir: Path, reporters: int, rounds: int, think: float, seed: int
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], float, dict[str, Any]]:
    """Start the bot, warm it up, run the load and the burst; their figures, warm-up, peak RSS, checks."""
    ensure_reviewer(data_dir)
    before = verify(data_dir, [])["reports_in_db"]
    log_path = data_dir / "bench-reports-bot.log"
    with RecordingServer() as server, log_path.open("w") as log:
        bot = subprocess.Popen(
            [sys.executable, "-m", "cli", "run"], env=_bot_env(data_dir, server), stderr=log
        )
        try:
            server.wait_for("setMyCommands", timeout=300)
            server.wait_for("getUpdates", timeout=60)
            warm_chats = range(FIRST_CHAT - 1000, FIRST_CHAT - 1000 + WARMUP_REPORTERS)
            warm = run_load(server, WARMUP_REPORTERS, 1, 0.0, warm_chats.start, seed)
            warmup = summarize(warm, server, warm_chats)
            print(json.dumps({"warm-up": warmup["confirm_to_receipt"]}), flush=True)
            chats = range(FIRST_CHAT, FIRST_CHAT + reporters)
            outcome = run_load(server, reporters, rounds, think, FIRST_CHAT, seed)
            figures = summarize(outcome, server, chats)
            print(json.dumps({"load": figures["confirm_to_receipt"]}), flush=True)
            burst_chats = range(FIRST_CHAT + 10_000, FIRST_CHAT + 10_000 + reporters)
            together = run_load(server, reporters, 1, 0.0, burst_chats.start, seed, burst=True)
            burst = summarize(together, server, burst_chats)
            del burst["steps"]  # filling in was saturated on purpose: only the confirm is measured
            print(json.dumps({"burst": burst["confirm_to_receipt"]}), flush=True)
            rss = peak_rss_mb(bot.pid)
        finally:
            bot.send_signal(signal.SIGTERM)
            bot.wait(timeout=60)
    codes = [c.code for c in warm.confirms + outcome.confirms + together.confirms]
    check = verify(data_dir, codes)
    check["reports_in_db"] -= before
    check["duplicated"] -= before
    text = log_path.read_text(encoding="utf-8", errors="replace")
    check["bot_log_errors"] = sum(1 for line in text.splitlines() if "ERROR" in line or "Traceback" in line)
    return figures, burst, warmup, rss, check


def main() -> int:
    """Run the benchmark and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reporters", type=int, default=100, help="concurrent reporters (default 100)")
    parser.add_argument("--rounds", type=int, default=3, help="reports per reporter (default 3)")
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean seconds before each step (default 1; 0 saturates)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the think times (default 1)")
    parser.add_argument(
        "--cost-reps", type=int, default=20, help="timed submissions per cost case (default 20)"
    )
    parser.add_argument(
        "--rebuild-sizes",
        default="10,100,500",
        help="store sizes in MB at which the order-erasing rebuild is timed (default 10,100,500)",
    )
    parser.add_argument("--data-dir", type=Path, help="reuse this data dir (default: a fresh temporary one)")
    parser.add_argument("--json-out", type=Path, help="where to write the results")
    args = parser.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="qingfeng-bench-"))
    print("cost of one submission (in-process, median):", flush=True)
    cost = submission_cost(args.cost_reps)
    print("rebuild of the store (WAL truncated + VACUUM), by size:", flush=True)
    rebuild = rebuild_cost([int(x) for x in args.rebuild_sizes.split(",") if x.strip()])
    build_index(data_dir)
    figures, burst, warmup, rss, check = run_bot(data_dir, args.reporters, args.rounds, args.think, args.seed)

    results = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
        "settings": {
            "reporters": args.reporters,
            "rounds": args.rounds,
            "think_seconds": args.think,
            "seed": args.seed,
            "reviewer_keys_in_bot": 1,
            "attachments_through_bot": False,
        },
        "load": figures,
        "burst": burst,
        "warm_up": warmup["confirm_to_receipt"],
        "bot_peak_rss_mb": round(rss, 0),
        "verification": check,
        "submission_cost": cost,
        "rebuild_cost": rebuild,
    }
    default = "reports.json" if args.think == 1.0 else f"reports-think{args.think:g}.json"
    out = args.json_out or ROOT / "bench" / "results" / default
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    c = figures["confirm_to_receipt"]
    print()
    print(f"Machine: {results['machine']} ({results['date']}); bot peak RSS {rss:.0f} MB")
    print(
        f"{args.reporters} reporters × {args.rounds} reports, think {args.think:g} s: "
        f"{figures['receipts']} receipts in {figures['wall_seconds']} s"
    )
    print()
    print("| measure | result |")
    print("|---|---|")
    print(
        f"| confirm → receipt p50 / p95 / max | {c['p50_ms']:.0f} / {c['p95_ms']:.0f} / {c['max_ms']:.0f} ms |"
    )
    print(f"| submissions/s overall | {figures['submissions_per_second_overall']} |")
    b = burst["confirm_to_receipt"]
    print(
        f"| burst: {burst['receipts']} press 确认提交 at once: p50 / p95 / max | "
        f"{b['p50_ms']:.0f} / {b['p95_ms']:.0f} / {b['max_ms']:.0f} ms |"
    )
    print(
        f"| burst: submissions/s (first press → last receipt, {burst['confirm_phase_seconds']} s) | "
        f"{burst['submissions_per_second_confirm_phase']} |"
    )
    for name, split in figures["confirm_split"].items():
        if split["n"]:
            print(f"| {name} p50 / p95 | {split['p50_ms']:.0f} / {split['p95_ms']:.0f} ms |")
    for name, step in figures["steps"].items():
        print(f"| step {name}: p50 / p95 | {step['p50_ms']:.0f} / {step['p95_ms']:.0f} ms |")
    print(f"| bot calls per report | {figures['bot_calls_per_report']} |")
    print(f"| chat-bound calls/s (limit 30) | {figures['chat_bound_calls_per_second']} |")
    print(
        f"| stored / receipts / lost / duplicated | {check['reports_in_db']} / {check['receipts']} / "
        f"{check['lost']} / {check['duplicated']} |"
    )
    for row in rebuild:
        print(f"| rebuild (order erased) of a {row['store_mb']} MB store | {row['rebuild_ms']} ms |")
    print()
    print("| reviewer keys | report | submit | scrypt | seal | reply key pair | DB write |")
    print("|---|---|---|---|---|---|---|")
    for row in cost:
        print(
            f"| {row['reviewer_keys']} | {row['report']} | {row['submit_ms']} ms | {row['kdf_scrypt_ms']} ms | "
            f"{row['seal_ms']} ms | {row['reply_keypair_ms']} ms | {row['db_write_ms']} ms |"
        )
    problems = [
        *figures["errors"],
        *figures["unexpected_messages"],
        *figures["failed_calls"],
        *burst["errors"],
        *burst["unexpected_messages"],
        *burst["failed_calls"],
    ]
    if problems or check["lost"] or check["duplicated"] or check["bot_log_errors"]:
        print("\nPROBLEMS:", json.dumps(problems, ensure_ascii=False), json.dumps(check), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
