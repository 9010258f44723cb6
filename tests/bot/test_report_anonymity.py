"""Anonymity of /report, checked on the real files: 200 reports from 20 people through the real bot process.

The bot logs at DEBUG. Every file under the data dir (databases, WAL, job store, index) and the bot's log
are searched for each reporter's id (decimal, hex, and the binary integers SQLite would store), username and
names, for the receipt codes, and for a canary string written into every report. None may be found. The
database file and its WAL, copied while the bot runs (once it has rebuilt the file) and again after it
stopped, must not rank the reports by arrival. The reports must still be there, readable with the reviewer's
private key, which never enters the data dir.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

import pytest

from knowledge.service import KnowledgeService
from reports.keys import write_key_files
from reports.receipt import ReceiptKeys, load_or_create_secret
from tests.bot.report_driver import Reporter
from tests.bot.test_telegram_e2e import BotProcess, start_bot, stop_bot
from tests.fakebotapi import FakeBotAPI
from tests.reports.disk_order import Snapshot, in_page_order, order, windows

pytestmark = pytest.mark.slow

PEOPLE = 20
REPORTS_EACH = 10
PASSPHRASE = "correct horse battery staple"
UNORDERED = 4.5  # |z| of Kendall's tau below this: what a random layout gives but for one time in 150,000


def person(n: int) -> dict[str, object]:
    """A reporter with an id, username and names that occur nowhere else."""
    return {
        "user_id": 6_100_000_000 + n * 7_919,
        "username": f"qf_whistle_{n:02d}_zq",
        "first_name": f"测试甲{n:02d}号",
        "last_name": f"皇甫Xv{n:02d}",
    }


def needles(people: list[dict[str, object]]) -> dict[bytes, str]:
    """Byte patterns that would identify a reporter, each with what it stands for."""
    found: dict[bytes, str] = {}
    for p in people:
        uid = int(p["user_id"])  # type: ignore[call-overload]
        for text in (
            str(uid),
            f"{uid:x}",
            f"{uid:X}",
            str(p["username"]),
            str(p["first_name"]),
            str(p["last_name"]),
        ):
            found[text.encode("utf-8")] = f"{text!r} (utf-8)"
            found[text.encode("utf-16-le")] = f"{text!r} (utf-16)"
        # How SQLite, pickle or a struct would hold the integer itself.
        orders: tuple[tuple[int, Literal["big", "little"]], ...] = ((6, "big"), (8, "big"), (8, "little"))
        for size, endian in orders:
            found[uid.to_bytes(size, endian)] = f"{uid} as {size}-byte {endian}-endian"
    return found


def wait_for_rebuild(db: Path, timeout: float = 180.0) -> Snapshot:
    """A copy of the database and WAL once the bot has rebuilt the file (the WAL emptied to zero bytes)."""
    wal = db.with_name(db.name + "-wal")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not wal.exists() or wal.stat().st_size == 0:
            snap = Snapshot.take(db)
            if snap.wal == b"":
                return snap
        time.sleep(0.2)  # polling a condition with a deadline, not waiting for something not to happen
    raise AssertionError(f"the bot did not rebuild {db.name} within {timeout:.0f} s")


@functools.cache
def lookups(secret: Path, codes: tuple[str, ...]) -> list[bytes]:
    """Each receipt code's lookup hash (scrypt: derived once for both snapshots)."""
    keys = ReceiptKeys(load_or_create_secret(secret))  # exists: the bot created it
    return [keys.derive(code)[0] for code in codes]


def arrival_order(snap: Snapshot, db: Path, secret: Path, codes: Sequence[str]) -> dict[str, float]:
    """z-scores of how well the snapshot's layout ranks the reports (found by their receipt codes) by arrival."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = {
            bytes(lookup): (bytes(public), bytes(body), bytes(blob))
            for lookup, public, body, blob in conn.execute(
                "SELECT r.lookup_hash, r.reply_public, e.envelope, a.envelope FROM reports r "
                "JOIN report_entries e ON e.report_id = r.id AND e.seq = 0 "
                "JOIN report_attachments a ON a.report_id = r.id AND a.seq = 0"
            )
        }
    found = [rows[lookup] for lookup in lookups(secret, tuple(codes))]
    publics = [snap.locate(public) for public, _, _ in found]
    bodies = [snap.locate(body[:48]) for _, body, _ in found]
    blobs = [snap.locate(*windows(blob)) for _, _, blob in found]
    assert all(p is not None for p in [*publics, *bodies, *blobs])
    return {
        "report rows": order(publics).z,
        "report rows inside a page": in_page_order(publics).z,
        "report bodies": order(bodies).z,
        "report bodies inside a page": in_page_order(bodies).z,
        "attachment blobs": order(blobs).z,
        "WAL frames": order([snap.first_frame(public) for public, _, _ in found]).z,
        "WAL frames, attachment blobs": order([snap.first_frame(*windows(blob)) for _, _, blob in found]).z,
    }


def files_under(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield path


def digests(folder: Path) -> dict[Path, str]:
    """Each file's SHA-256, taken before any reporter exists."""
    return {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in files_under(folder)}


def leaks(
    folder: Path,
    patterns: dict[bytes, str],
    extra: Sequence[Path] = (),
    before: dict[Path, str] | None = None,
) -> list[str]:
    """Every (file, pattern) where a pattern occurs in a file's bytes.

    A file byte-for-byte as it was before the first report (``before``: the copied index) cannot hold anything
    a reporter sent, so it is not searched again; every new or changed file is.
    """
    out: list[str] = []
    for path in [*files_under(folder), *extra]:
        data = path.read_bytes()
        if before is not None and before.get(path) == hashlib.sha256(data).hexdigest():
            continue
        out.extend(f"{path}: {label}" for pattern, label in patterns.items() if pattern in data)
    return out


@pytest.fixture
def data_dir(real_service: KnowledgeService, real_data_dir: Path, tmp_path: Path) -> Path:
    """A copy of the session's real index, so the index is among the files searched."""
    copy = tmp_path / "data"
    shutil.copytree(real_data_dir / "index", copy / "index")
    return copy


def test_two_hundred_reports_leave_no_trace_of_who_sent_them(data_dir: Path, tmp_path: Path) -> None:
    key_file = tmp_path / "reviewer.key"  # the reviewer's machine, not the server's data dir
    write_key_files(key_file, data_dir / "reviewers", PASSPHRASE)
    people = [person(n) for n in range(PEOPLE)]
    canaries = [f"CANARY{secrets.token_hex(6)}金丝雀" for _ in range(PEOPLE * REPORTS_EACH)]
    codes: list[str] = []
    problems: list[BaseException] = []
    lock = threading.Lock()

    untouched = digests(data_dir)  # the copied index and the reviewer's public key, before the bot starts
    with FakeBotAPI() as server:
        for p in people:
            server.set_user(
                int(p["user_id"]),  # type: ignore[call-overload]
                first_name=str(p["first_name"]),
                username=str(p["username"]),
                last_name=str(p["last_name"]),
            )
        bot: BotProcess = start_bot(
            server,
            data_dir,
            tmp_path / "bot.log",
            QINGFENG_LOG_LEVEL="DEBUG",
            QINGFENG_REPORTS_PER_DAY=str(REPORTS_EACH),
            QINGFENG_REPORTS_REVIEWER_CHAT="-1009990001",
            QINGFENG_REPORTS_NOTICE_MIN_DELAY="0",
            QINGFENG_REPORTS_NOTICE_MAX_DELAY="0.02",
            # The files on disk are under test here; deleting the chat messages (tests/handlers) would double
            # the bot's requests, which Telegram's 30 messages/s paces.
            QINGFENG_REPORTS_DELETE_MESSAGES="false",
        )
        try:
            server.wait_for("setMyCommands", timeout=180)

            def one_person(n: int) -> None:
                try:
                    reporter = Reporter(server, int(people[n]["user_id"]))  # type: ignore[call-overload]
                    reporter.say("公车私用怎么处分", lambda c: True)  # a question too: Q&A keeps no identity
                    for k in range(REPORTS_EACH):
                        canary = canaries[n * REPORTS_EACH + k]
                        # Evidence of varied size: a blob over several overflow pages, as SQLite appends it.
                        note = "".join(
                            secrets.choice("清风正气廉洁奉公") for _ in range(1500 + 300 * (k % 7))
                        )
                        code = reporter.report(
                            f"有人在节日期间收受礼品，线索标记{canary}。",
                            subject=f"某单位{canary}",
                            files=((note.encode(), "说明.txt", "text/plain"),),
                        )
                        with lock:
                            codes.append(code)
                    # Follow up once with the last code: the status view and an addition.
                    shown = reporter.say("/status", lambda c: "回执码" in (c.text or ""))
                    assert shown
                    status = reporter.say(code, lambda c: "已受理" in (c.text or ""))
                    reporter.press(status, "st:add", lambda c: True)
                    reporter.say(
                        f"补充：{canaries[n * REPORTS_EACH]}再次出现。", lambda c: "已补充" in (c.text or "")
                    )
                except BaseException as exc:  # reported by the main thread
                    problems.append(exc)

            threads = [threading.Thread(target=one_person, args=(n,)) for n in range(PEOPLE)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert not problems, problems[0]
            assert len(codes) == PEOPLE * REPORTS_EACH and len(set(codes)) == len(codes)
            server.wait_for("sendMessage", lambda c: c.chat_id == -1009990001, timeout=120)

            patterns = needles(people)
            patterns.update({c.encode(): f"canary {c}" for c in canaries})
            patterns.update({code.encode(): "a receipt code" for code in codes})
            patterns.update({code.replace("-", "").encode(): "a receipt code" for code in codes})
            # While running: the WAL and any journal hold the latest writes.
            assert leaks(data_dir, patterns, before=untouched) == []
            running = wait_for_rebuild(data_dir / "qingfeng.db")
        finally:
            assert stop_bot(bot) == 0, bot.log()[-3000:]
        log = bot.log_path
        assert "Traceback" not in bot.log(), bot.log()[-3000:]
        assert leaks(data_dir, patterns, extra=[log], before=untouched) == []
        notices = [c.text for c in server.sent_messages(-1009990001)]
        assert notices and all(t and t.startswith("收到") and "条新的问题线索" in t for t in notices)

    # Copied while running (after the rebuild) and at rest: the layout does not rank reports by arrival.
    db, secret = data_dir / "qingfeng.db", data_dir / "receipt.secret"
    for when, snap in (("running", running), ("stopped", Snapshot.take(db))):
        measured = arrival_order(snap, db, secret, codes)
        assert all(abs(z) < UNORDERED for z in measured.values()), (when, measured)

    # The reports are all there, and only the reviewer's private key opens them.
    env = {k: v for k, v in os.environ.items() if not k.startswith("QINGFENG_")}
    env.update({"QINGFENG_DATA_DIR": str(data_dir), "QINGFENG_REVIEWER_PASSPHRASE": PASSPHRASE})
    listed = subprocess.run(
        [sys.executable, "-m", "cli", "reports", "list", "--json", "--key", str(key_file)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]
    assert len(rows) == PEOPLE * REPORTS_EACH
    export = tmp_path / "export"
    exported = subprocess.run(
        [sys.executable, "-m", "cli", "reports", "export", str(export), "--key", str(key_file)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert exported.returncode == 0, exported.stderr
    text = "\n".join(p.read_text(encoding="utf-8") for p in export.rglob("*.json"))
    assert all(c in text for c in canaries)
    # Another key (a server that never had the reviewer's) reads nothing.
    other = tmp_path / "other.key"
    write_key_files(other, tmp_path / "other-pub", PASSPHRASE)
    denied = subprocess.run(
        [sys.executable, "-m", "cli", "reports", "export", str(tmp_path / "x"), "--key", str(other)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert denied.returncode != 0
    assert not any(c in denied.stdout + denied.stderr for c in canaries)
