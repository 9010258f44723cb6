"""`qingfeng run` end to end: the real bot process, real model and index, against a fake Bot API server."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from cli.exits import EXIT_REFUSED
from knowledge.service import KnowledgeService
from tests.fakebotapi import FakeBotAPI

pytestmark = pytest.mark.slow

ADMIN = 4242


@dataclass
class BotProcess:
    """A running `qingfeng run` and the fake server it talks to."""

    server: FakeBotAPI
    process: subprocess.Popen[str]
    data_dir: Path
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _env(server: FakeBotAPI, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QINGFENG_")}
    env.update(
        {
            "QINGFENG_DATA_DIR": str(data_dir),
            "QINGFENG_TELEGRAM_TOKEN": server.token,
            "QINGFENG_TELEGRAM_BASE_URL": server.base_url,
            "QINGFENG_TELEGRAM_ADMINS": str(ADMIN),
            "QINGFENG_LOG_LEVEL": "DEBUG",
            "PYTHONIOENCODING": "utf-8",
        }
    )
    env.update(extra)
    return env


def start_bot(server: FakeBotAPI, data_dir: Path, log_path: Path, *args: str, **env: str) -> BotProcess:
    log_file = log_path.open("w", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "run", *args],
        env=_env(server, data_dir, **env),
        stdout=log_file,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return BotProcess(server, process, data_dir, log_path)


def stop_bot(bot: BotProcess) -> int:
    if bot.process.poll() is None:
        bot.process.send_signal(signal.SIGTERM)
    return bot.process.wait(timeout=120)  # generous: shutdown waits for running work on a loaded machine


@pytest.fixture(scope="module")
def data_dir(
    real_service: KnowledgeService, real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A private copy of the session's real index for the bot process."""
    copy = tmp_path_factory.mktemp("bot") / "data"
    shutil.copytree(real_data_dir / "index", copy / "index")
    return copy


@pytest.fixture(scope="module")
def bot(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    """One bot process for the module's scenarios; each test uses its own chat ids."""
    with FakeBotAPI() as server:
        running = start_bot(server, data_dir, tmp_path_factory.mktemp("log") / "bot.log")
        try:
            server.wait_for("setMyCommands", timeout=180)
            server.wait_for("getUpdates", timeout=30)
            yield running
        finally:
            stop_bot(running)


def reply_to(bot: BotProcess, chat_id: int, after: int, timeout: float = 30.0) -> dict:
    """The next successful sendMessage to ``chat_id`` after call index ``after``."""
    call = bot.server.wait_for("sendMessage", lambda c: c.chat_id == chat_id, timeout=timeout, after=after)
    return call.params


def ask(bot: BotProcess, chat_id: int, text: str, **kwargs) -> dict:  # type: ignore[no-untyped-def]
    mark = bot.server.mark()
    bot.server.send_text(chat_id, text, **kwargs)
    return reply_to(bot, chat_id, mark)


def sends_since(server: FakeBotAPI, mark: int) -> list:  # type: ignore[type-arg]
    """sendMessage calls (failed ones too) made after call index ``mark``."""
    return [c for c in server.calls()[mark:] if c.method == "sendMessage"]


def buttons(params: dict) -> list[tuple[str, str]]:
    markup = params.get("reply_markup") or {}
    return [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]


def test_commands_are_registered_in_chinese_and_by_default(bot: BotProcess) -> None:
    calls = bot.server.calls("setMyCommands")
    zh = [c for c in calls if c.params.get("language_code") == "zh"]
    default = [c for c in calls if not c.params.get("language_code")]
    assert zh and default
    described = {c["command"]: c["description"] for c in zh[-1].params["commands"]}
    assert set(described) >= {"start", "help", "ask"} and "提问" in described["ask"]


def test_start_explains_the_bot_and_privacy(bot: BotProcess) -> None:
    reply = ask(bot, 1001, "/start")
    assert reply["parse_mode"] == "HTML"
    assert "清风" in reply["text"] and "隐私说明" in reply["text"]


def test_question_gets_a_cited_answer_with_buttons(bot: BotProcess) -> None:
    reply = ask(bot, 1002, "能开单位的车送孩子上学吗")
    assert reply["parse_mode"] == "HTML"
    assert reply["text"].count("【1】《") == 1
    assert "<b>【1】《" in reply["text"] and "第" in reply["text"]
    labels = [text for text, _ in buttons(reply)]
    assert any(label.startswith("📄 全文") for label in labels) and "👍" in labels and "👎" in labels


def test_out_of_scope_question_is_refused_without_buttons(bot: BotProcess) -> None:
    reply = ask(bot, 1003, "红烧肉怎么做才好吃")
    assert reply["text"].startswith("这个问题不在我能回答的范围")
    assert not buttons(reply)


def test_greeting_gets_a_short_reply_with_examples_and_no_buttons(bot: BotProcess) -> None:
    reply = ask(bot, 1020, "你好")
    assert reply["text"].startswith("您好！我是清风") and "过年下属送购物卡能收吗" in reply["text"]
    assert not buttons(reply)


def test_a_miss_offers_nearby_questions_to_tap(bot: BotProcess) -> None:
    reply = ask(bot, 1021, "纪检干部的制服怎么申领")  # of the field, but no rule answers it
    assert reply["text"].startswith("没找到能直接回答这个问题的规定。")
    offered = buttons(reply)
    assert 1 <= len(offered) <= 3 and all(data.startswith("ask:") for _, data in offered)
    message_id = bot.server.sent_messages(1021)[-1].result["message_id"]
    mark = bot.server.mark()
    bot.server.press(1021, message_id, offered[0][1])
    answered = reply_to(bot, 1021, mark)
    assert answered["text"].count("【1】《") == 1  # the tapped question, answered with its sources


def test_followup_is_read_with_the_previous_question(bot: BotProcess) -> None:
    ask(bot, 1004, "中秋节下属送月饼能收吗")
    reply = ask(bot, 1004, "那春节呢？")
    assert "结合上一个问题" in reply["text"] and "中秋节下属送月饼能收吗" in reply["text"]
    assert "《" in reply["text"]


def test_full_text_button_shows_the_whole_article(bot: BotProcess) -> None:
    reply = ask(bot, 1005, "公务接待能上高档酒水吗")
    message_id = bot.server.sent_messages(1005)[-1].result["message_id"]
    data = next(d for text, d in buttons(reply) if text.startswith("📄 全文"))
    mark = bot.server.mark()
    bot.server.press(1005, message_id, data)
    bot.server.wait_for("answerCallbackQuery", timeout=15, after=mark)
    full = reply_to(bot, 1005, mark)
    assert full["text"].startswith("<b>《") and "第" in full["text"]


def test_feedback_is_taken_once_and_downvotes_are_listed(bot: BotProcess) -> None:
    question = "单位过节发超市卡给大家合规吗"
    reply = ask(bot, 1006, question)
    message_id = bot.server.sent_messages(1006)[-1].result["message_id"]
    down = next(d for text, d in buttons(reply) if text == "👎")
    mark = bot.server.mark()
    bot.server.press(1006, message_id, down)
    answered = bot.server.wait_for("answerCallbackQuery", timeout=15, after=mark)
    assert answered.params.get("text") == "感谢反馈！"
    edited = bot.server.wait_for("editMessageReplyMarkup", timeout=15, after=mark)
    assert all(
        not str(b["callback_data"]).startswith("fb:")
        for row in edited.params["reply_markup"]["inline_keyboard"]
        for b in row
    )
    mark = bot.server.mark()
    bot.server.press(1006, message_id, down)
    again = bot.server.wait_for("answerCallbackQuery", timeout=15, after=mark)
    assert "已经收到" in again.params.get("text", "")
    listed = subprocess.run(
        [sys.executable, "-m", "cli", "unanswered", "--json"],
        env=_env(bot.server, bot.data_dir),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert any(r["question"] == question and r["downvoted"] == 1 for r in rows)
    assert set(rows[0]) == {"question", "count", "refused", "downvoted", "last_day"}


def test_group_answers_only_when_addressed(bot: BotProcess) -> None:
    group = -100200
    server = bot.server
    mark = server.mark()
    server.send_text(group, "今天中午食堂吃什么", chat_type="supergroup", chat_title="办公室")
    server.send_text(group, "公车能私用吗", chat_type="supergroup", chat_title="办公室")
    # /ask is always answered; the chatter before it (handled first) must have produced nothing.
    server.send_text(group, "/ask 公车能私用吗", chat_type="supergroup", chat_title="办公室")
    first = reply_to(bot, group, mark)
    assert first["text"].count("【1】《") == 1
    assert first.get("reply_parameters"), "group answers quote the question"
    # That the chatter got nothing is checked once it was fully handled: tests/handlers/test_qa.py.

    mentioned = ask(
        bot, group, "@qingfeng_test_bot 收下属红包会怎样", chat_type="supergroup", chat_title="办公室"
    )
    assert mentioned["text"].count("【1】《") == 1
    bot_message = server.sent_messages(group)[-1].result
    replied = ask(
        bot,
        group,
        "出差能住套房吗",
        chat_type="supergroup",
        chat_title="办公室",
        reply_to_message=bot_message,
    )
    assert "《" in replied["text"]


def test_group_followups_follow_the_person_and_the_replied_to_answer(bot: BotProcess) -> None:
    group, anna, bo = -100300, 3101, 3102
    server = bot.server

    def say(user: int, text: str, reply_to: dict | None = None) -> dict:  # type: ignore[type-arg]
        return ask(
            bot,
            group,
            text,
            user_id=user,
            chat_type="supergroup",
            chat_title="纪检组",
            reply_to_message=reply_to,
        )

    say(anna, "@qingfeng_test_bot 出差住宿标准是多少")
    wedding = say(bo, "@qingfeng_test_bot 同事结婚送的礼金能收吗")
    assert "结合上一个问题" not in wedding["text"]  # Anna's question is not Bo's context
    wedding_message = server.sent_messages(group)[-1].result
    # Anna's follow-up builds on her own question, though Bo asked after her.
    assert "结合上一个问题“出差住宿标准是多少”" in say(anna, "@qingfeng_test_bot 那处长呢？")["text"]
    # Anna replies to the answer Bo got: it continues *that* answer's question, not her own hotel question.
    relative = say(anna, "那如果是亲戚结婚呢？", reply_to=wedding_message)
    assert "结合上一个问题“同事结婚送的礼金能收吗”" in relative["text"]
    # Bo's follow-up builds on his own question, and a chain never grows: still the one standalone question.
    assert "结合上一个问题“同事结婚送的礼金能收吗”" in say(bo, "@qingfeng_test_bot 那春节呢？")["text"]
    assert "结合上一个问题“同事结婚送的礼金能收吗”" in say(bo, "@qingfeng_test_bot 那端午呢？")["text"]
    # A follow-up that is a new topic starts fresh.
    cars = say(bo, "@qingfeng_test_bot 那公车能私用吗？")
    assert "结合上一个问题" not in cars["text"] and "公务用车" in cars["text"]


def test_non_text_and_non_chinese_messages(bot: BotProcess) -> None:
    server = bot.server
    mark = server.mark()
    server.send_sticker(1007)
    assert "文字" in reply_to(bot, 1007, mark)["text"]
    mark = server.mark()
    server.send_location(1007)
    assert "文字" in reply_to(bot, 1007, mark)["text"]
    mark = server.mark()
    server.send_voice(1007)
    assert "文字" in reply_to(bot, 1007, mark)["text"]
    assert "中文" in ask(bot, 1007, "hello, can I take gifts?")["text"]
    assert "请输入要咨询的问题" in ask(bot, 1007, "🙂🙂🙂")["text"]
    assert "太长" in ask(bot, 1007, "公车" * 2500)["text"]
    # Edits and channel posts are ignored; the next real question is still answered.
    mark = server.mark()
    server.edit_text(1007, server.user_messages(1007)[0]["message_id"], "公车能私用吗")
    server.channel_post(-100300, "公车能私用吗")
    assert ask(bot, 1007, "公车能私用吗")["text"].count("【1】《") == 1
    assert not [c for c in sends_since(server, mark) if c.chat_id == -100300]


def test_rate_limited_reply_is_delivered_exactly_once(bot: BotProcess) -> None:
    server = bot.server
    server.fail("sendMessage", 429, times=1, retry_after=1)
    mark = server.mark()
    server.send_text(1008, "接待能安排住套房吗")
    first = reply_to(bot, 1008, mark)
    # A second question in the chat, answered after the first reply: a late duplicate of the first would have
    # been retried within retry_after (1 s) of the 429, before the first reply's 200.
    ask(bot, 1008, "公车能私用吗")
    attempts = [c for c in sends_since(server, mark) if c.chat_id == 1008 and c.text == first["text"]]
    assert [c.status for c in attempts] == [429, 200]


def test_blocked_user_is_logged_and_the_bot_goes_on(bot: BotProcess) -> None:
    server = bot.server
    server.fail("sendMessage", 403, times=1)
    mark = server.mark()
    server.send_text(1009, "收了购物卡怎么办")
    deadline = time.monotonic() + 30
    while not [c for c in sends_since(server, mark) if c.status == 403] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ask(bot, 1010, "公车能私用吗")["text"].count("【1】《") == 1
    deadline = time.monotonic() + 10
    while "chat unreachable" not in bot.log() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "chat unreachable" in bot.log()


def test_server_error_on_reply_ends_in_an_apology_not_a_crash(bot: BotProcess) -> None:
    bot.server.fail("sendMessage", 500, times=1)
    reply = ask(bot, 1011, "公车能私用吗")
    assert reply["text"] == "出错了，请稍后再试"


def test_start_is_answered_while_questions_are_being_worked_on(bot: BotProcess) -> None:
    server = bot.server
    mark = server.mark()
    for user in range(40):
        server.send_text(2000 + user, "过年收下属的购物卡会受什么处分")
    server.send_text(2999, "/start")
    start = reply_to(bot, 2999, mark, timeout=60)
    assert "隐私说明" in start["text"]
    for user in range(40):
        reply_to(bot, 2000 + user, mark, timeout=120)
    sends = sends_since(server, mark)
    order = [c.chat_id for c in sends if c.ok]
    # The event loop is never blocked by retrieval: /start does not queue behind the 40 questions.
    assert order.index(2999) < len(order) - 1 - 20


def test_token_never_appears_in_the_log(bot: BotProcess) -> None:
    log = bot.log()
    assert "getUpdates" in log or "bot @" in log
    assert bot.server.token not in log
    assert bot.server.token.split(":")[1] not in log


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_webhook_mode_checks_the_secret_and_answers(data_dir: Path, tmp_path: Path) -> None:
    port = _free_port()
    with FakeBotAPI() as server:
        running = start_bot(
            server,
            data_dir,
            tmp_path / "webhook.log",
            "--webhook",
            "https://bot.example.org/qingfeng",
            QINGFENG_WEBHOOK_LISTEN="127.0.0.1",
            QINGFENG_WEBHOOK_PORT=str(port),
            QINGFENG_WEBHOOK_SECRET="s3cret-Token_for-tests",
        )
        try:
            registered = server.wait_for("setWebhook", timeout=180)
            assert registered.params["url"] == "https://bot.example.org/qingfeng/telegram"
            assert registered.params["secret_token"] == "s3cret-Token_for-tests"
            update = {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": int(time.time()),
                    "chat": {"id": 3001, "type": "private", "first_name": "用户"},
                    "from": {"id": 3001, "is_bot": False, "first_name": "用户"},
                    "text": "公车能私用吗",
                },
            }
            url = f"http://127.0.0.1:{port}/telegram"
            deadline = time.monotonic() + 60
            while True:
                try:
                    wrong = httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
                    break
                except httpx.ConnectError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.3)
            assert wrong.status_code == 403
            mark = server.mark()
            ok = httpx.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_for-tests"}
            )
            assert ok.status_code == 200
            reply = server.wait_for("sendMessage", lambda c: c.chat_id == 3001, timeout=30, after=mark)
            assert reply.params["text"].count("【1】《") == 1
        finally:
            code = stop_bot(running)
        assert code == 0, running.log()


def test_sigterm_stops_the_bot_cleanly(data_dir: Path, tmp_path: Path) -> None:
    with FakeBotAPI() as server:
        running = start_bot(server, data_dir, tmp_path / "stop.log")
        server.wait_for("getUpdates", timeout=180)
        started = time.monotonic()
        running.process.send_signal(signal.SIGTERM)
        code = running.process.wait(timeout=30)
        assert code == 0, running.log()
        assert time.monotonic() - started < 10
        assert "Traceback" not in running.log()


def test_missing_or_malformed_token_is_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QINGFENG_")}
    env["QINGFENG_DATA_DIR"] = str(tmp_path)
    for token in ("", "not-a-token"):
        env["QINGFENG_TELEGRAM_TOKEN"] = token
        result = subprocess.run(
            [sys.executable, "-m", "cli", "run"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1 and "QINGFENG_TELEGRAM_TOKEN" in result.stderr
        assert "Traceback" not in result.stderr


def test_rejected_token_and_unreachable_server_are_one_line(tmp_path: Path) -> None:
    with FakeBotAPI() as server:
        env = _env(server, tmp_path, QINGFENG_TELEGRAM_TOKEN="111111:" + "x" * 35, QINGFENG_LOG_LEVEL="INFO")
        rejected = subprocess.run(
            [sys.executable, "-m", "cli", "run"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        closed = f"http://127.0.0.1:{_free_port()}/bot"
        env = _env(server, tmp_path, QINGFENG_TELEGRAM_BASE_URL=closed, QINGFENG_LOG_LEVEL="INFO")
        unreachable = subprocess.run(
            [sys.executable, "-m", "cli", "run"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert rejected.returncode == EXIT_REFUSED and "拒绝" in rejected.stderr
    assert unreachable.returncode == 1 and "无法连接 Telegram" in unreachable.stderr
    for result in (rejected, unreachable):
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, (
            result.stderr
        )
