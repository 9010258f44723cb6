"""Killing the bot while reports are being confirmed neither loses a receipted report nor stores one twice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge.service import KnowledgeService
from reports.keys import write_key_files
from tests.bot.report_driver import CODE_RE, Reporter, buttons
from tests.bot.test_telegram_e2e import start_bot, stop_bot
from tests.fakebotapi import Call, FakeBotAPI
from wiring.factory import build_engine, build_reports
from wiring.settings import load_settings

pytestmark = pytest.mark.slow

REPORTERS = 12


@pytest.fixture
def data_dir(real_service: KnowledgeService, real_data_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(real_data_dir / "index", copy / "index")
    write_key_files(tmp_path / "reviewer.key", copy / "reviewers", "kill test passphrase")
    return copy


def receipt_codes_in(calls: list[Call]) -> list[str]:
    """Receipt codes in successful, protected messages."""
    out = []
    for call in calls:
        found = CODE_RE.search(call.text or "")
        if call.ok and found and call.params.get("protect_content") in (True, "true", "True"):
            out.append(found.group(1))
    return out


def receipt_codes(server: FakeBotAPI, chat: int | None = None) -> list[str]:
    """Every receipt the bot sent (to one chat)."""
    return receipt_codes_in(server.sent_messages(chat))


def stored_reports(data_dir: Path) -> int:
    settings = load_settings({"data_dir": data_dir})
    engine = build_engine(settings)
    try:
        return len(build_reports(settings, engine).store.summaries(None))
    finally:
        engine.dispose()


def test_kill_during_confirmations_then_restart(data_dir: Path, tmp_path: Path) -> None:
    with FakeBotAPI() as server:
        bot = start_bot(server, data_dir, tmp_path / "bot1.log", QINGFENG_LOG_LEVEL="INFO")
        server.wait_for("setMyCommands", timeout=180)
        reporters = [Reporter(server, 7_000_000 + n) for n in range(REPORTERS)]
        summaries: list[Call] = []
        for n, reporter in enumerate(reporters):
            summaries.append(reporter.fill(f"第{n}号线索：节前收受下属单位的购物卡。"))
        mark = server.mark()
        presses = []
        for reporter, summary in zip(reporters, summaries, strict=True):
            presses.append(server.press(reporter.chat, int(summary.result["message_id"]), "rp:send"))
        # Kill as soon as the first receipt is out: others are being encrypted, written or sent.
        server.wait_for("sendMessage", lambda c: bool(receipt_codes_in([c])), timeout=120, after=mark)
        bot.process.kill()
        bot.process.wait(timeout=30)
        receipts = receipt_codes(server)
        after_kill = stored_reports(data_dir)
        assert receipts and len(set(receipts)) == len(receipts)
        # Every receipted report is stored; nothing beyond what was confirmed.
        assert len(receipts) <= after_kill <= REPORTERS

        # Restart: Telegram hands the unacknowledged confirmations to the new process, whose memory holds
        # no drafts, so they cannot be submitted a second time.
        mark = server.mark()
        bot = start_bot(server, data_dir, tmp_path / "bot2.log", QINGFENG_LOG_LEVEL="INFO")
        server.wait_for("setMyCommands", timeout=180, after=mark)
        server.wait_for("getUpdates", lambda c: c.ok and not c.result, timeout=120, after=mark)
        assert stored_reports(data_dir) == after_kill

        # Each receipted report answers /status with its code.
        settings = load_settings({"data_dir": data_dir})
        engine = build_engine(settings)
        try:
            service = build_reports(settings, engine)
            assert all(service.status(code).status == "new" for code in receipts)
        finally:
            engine.dispose()

        # Someone whose confirmation was lost simply reports again. (On a loaded machine every receipt may
        # have gone out before the kill landed: then anyone reports again.)
        lost = next((r for r in reporters if not receipt_codes(server, r.chat)), reporters[0])
        code = lost.report("重新提交：节前收受下属单位的购物卡。")
        assert code and stored_reports(data_dir) == after_kill + 1
        assert stop_bot(bot) == 0
        assert all(buttons(s) for s in summaries)
        assert len(presses) == REPORTERS
