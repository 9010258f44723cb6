"""`qingfeng reminders send-due`: real processes against the fake Bot API, including kills mid-broadcast."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reminders.store import ReminderStore
from tests.cli.test_cli import run
from tests.fakebotapi import FakeBotAPI
from tests.fakes import migrated
from wiring.settings import load_settings

DUE = "2026-09-28T09:00"  # the 2026 国庆 main reminder
REMINDER = "2026-national_day-main"


@pytest.fixture
def server() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as fake:
        yield fake


def bot_env(server: FakeBotAPI) -> dict[str, str]:
    return {"QINGFENG_TELEGRAM_TOKEN": server.token, "QINGFENG_TELEGRAM_BASE_URL": server.base_url}


def store_for(data_dir: Path) -> ReminderStore:
    url = load_settings({"data_dir": data_dir}).database
    return ReminderStore(migrated(url))


def subscribe(data_dir: Path, chats: list[int]) -> ReminderStore:
    store = store_for(data_dir)
    for chat in chats:
        store.subscribe(chat, f"chat {chat}", dt.date(2026, 9, 1))
    return store


def deliveries_per_chat(server: FakeBotAPI) -> dict[int, int]:
    counts: dict[int, int] = {}
    for call in server.sent_messages():
        if call.status == 200:
            counts[call.chat_id] = counts.get(call.chat_id, 0) + 1
    return counts


def start(data_dir: Path, server: FakeBotAPI, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QINGFENG_")}
    env.update({"QINGFENG_DATA_DIR": str(data_dir), "PYTHONIOENCODING": "utf-8"}, **bot_env(server))
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "reminders", "send-due", "--now", DUE, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_deliveries(server: FakeBotAPI, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while sum(deliveries_per_chat(server).values()) < count:
        assert time.monotonic() < deadline, "the broadcast did not get going"
        time.sleep(0.01)


def test_nothing_due_says_so(tmp_path: Path, server: FakeBotAPI) -> None:
    subscribe(tmp_path, [-1001])
    result = run(tmp_path, "reminders", "send-due", "--now", "2026-11-02T09:00", extra_env=bot_env(server))
    assert result.returncode == 0, result.stderr
    assert "没有到期的提醒" in result.stdout
    assert server.sent_messages() == []


def test_bad_moment_is_a_chinese_message(tmp_path: Path, server: FakeBotAPI) -> None:
    result = run(tmp_path, "reminders", "send-due", "--now", "next tuesday", extra_env=bot_env(server))
    assert result.returncode == 2
    assert "时间格式不对" in result.stderr and "Traceback" not in result.stderr


def test_due_reminder_goes_to_every_chat_once_also_when_run_again(tmp_path: Path, server: FakeBotAPI) -> None:
    chats = [-1001, -1002, 5005]
    subscribe(tmp_path, chats)
    env = {**bot_env(server), "QINGFENG_REMINDER_CHATS": "-1009"}  # chats from the settings as well
    result = run(tmp_path, "reminders", "send-due", "--now", DUE, extra_env=env)
    assert result.returncode == 0, result.stderr
    assert f"{REMINDER}：发送 4 个聊天" in result.stdout
    assert deliveries_per_chat(server) == {c: 1 for c in [*chats, -1009]}
    assert "国庆节" in (server.sent_messages()[0].text or "")
    again = run(tmp_path, "reminders", "send-due", "--now", "2026-09-28T17:00", extra_env=env)
    assert again.returncode == 0, again.stderr
    assert f"{REMINDER}：发送 0 个聊天" in again.stdout
    assert deliveries_per_chat(server) == {c: 1 for c in [*chats, -1009]}


def test_sigterm_mid_broadcast_then_restart_delivers_the_rest_exactly_once(
    tmp_path: Path, server: FakeBotAPI
) -> None:
    chats = [-2000 - n for n in range(120)]  # 30 msg/s: about four seconds of sending
    store = subscribe(tmp_path, chats)
    process = start(tmp_path, server)
    wait_for_deliveries(server, 40)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1, stderr
    assert "已中断" in stderr
    first = deliveries_per_chat(server)
    assert 40 <= sum(first.values()) < len(chats)
    assert {d.status for d in store.deliveries(REMINDER)} <= {"sent", "sending"}

    process = start(tmp_path, server)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert deliveries_per_chat(server) == {c: 1 for c in chats}  # the rest, and nothing twice
    assert all(d.status == "sent" for d in store.deliveries(REMINDER))


def test_sigkill_at_any_moment_then_restart_loses_nothing(tmp_path: Path, server: FakeBotAPI) -> None:
    chats = [-3000 - n for n in range(120)]
    store = subscribe(tmp_path, chats)
    doubts: dict[int, int] = {}
    for stop_after in (10, 45, 90):  # three kills at different points of the same broadcast
        process = start(tmp_path, server)
        wait_for_deliveries(server, stop_after)
        process.kill()
        process.wait(timeout=30)
        # Rows left "sending" are the only ones whose fate the killed process did not record.
        for delivery in store.deliveries(REMINDER):
            if delivery.status == "sending":
                doubts[delivery.chat_id] = doubts.get(delivery.chat_id, 0) + 1
    process = start(tmp_path, server)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    counts = deliveries_per_chat(server)
    assert set(counts) == set(chats)  # nothing lost
    # A message Telegram accepted in the instant between the request and the "sent" commit can go out
    # once more after a SIGKILL; nothing else may repeat.
    assert all(n <= 1 + doubts.get(chat, 0) for chat, n in counts.items()), counts
    assert all(d.status == "sent" for d in store.deliveries(REMINDER))
