"""The ``qingfeng`` command line: ingest documents, ask questions, chat in the terminal."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.messages import describe
from bot.settings import Settings, load_settings
from knowledge.errors import DocumentError, KnowledgeError
from knowledge.index import IngestReport, tqdm_progress
from knowledge.service import KnowledgeService

if TYPE_CHECKING:
    from reports.review import Reviewer

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def _quiet_libraries() -> None:
    # Keep the terminal for answers: no tokenizer fork warnings, no hub chatter, no telemetry.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning)


def _service(settings: Settings) -> KnowledgeService:
    from bot.services import build_knowledge

    return build_knowledge(settings)


def _print_report(report: IngestReport, out: TextIO) -> None:
    if report.model_changed:
        print("检测到嵌入模型已更换，已用新模型重建全部向量。", file=out)
    print(
        f"新增 {len(report.added)} 篇，更新 {len(report.updated)} 篇，删除 {len(report.removed)} 篇，"
        f"未变 {len(report.unchanged)} 篇；本次嵌入 {report.embedded} 条，索引共 {report.total_chunks} 条。",
        file=out,
    )
    for error in report.errors:
        print(f"  ✗ {describe(error)}", file=out)


def _ensure_ready(service: KnowledgeService) -> None:
    if not service.index.is_ready():
        print("正在建立知识库索引（首次使用或更换了模型）……", file=sys.stderr)
        report = service.ensure_ready(progress=tqdm_progress)
        if report is not None:
            _print_report(report, sys.stderr)


def _copy_into_library(paths: Sequence[Path], library: Path, out: TextIO) -> list[DocumentError]:
    """Check each given file loads, then copy it into the library folder."""
    from knowledge.catalog import is_supported
    from knowledge.errors import UnsupportedDocument
    from knowledge.loaders import load_document

    errors: list[DocumentError] = []
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*")) if p.is_file() and is_supported(p))
        elif path.is_file():
            files.append(path)
        else:
            errors.append(DocumentError(path, "no such file or folder"))
    library.mkdir(parents=True, exist_ok=True)
    for path in files:
        if not is_supported(path):
            errors.append(UnsupportedDocument(path, f"unsupported file type {path.suffix or '(none)'}"))
            continue
        try:
            load_document(path)
        except DocumentError as exc:
            errors.append(exc)
            continue
        target = library / path.name
        if path.resolve() != target.resolve():
            shutil.copy2(path, target)
        print(f"已加入知识库：{path.name}", file=out)
    return errors


def cmd_ingest(settings: Settings, args: argparse.Namespace) -> int:
    """Copy any given documents into the library, then sync the index."""
    errors: list[DocumentError] = []
    if args.paths:
        errors = _copy_into_library([Path(p) for p in args.paths], settings.library_path, sys.stdout)
    service = _service(settings)
    report = service.ingest(progress=tqdm_progress)
    report.errors[:0] = errors
    _print_report(report, sys.stdout)
    return EXIT_ERROR if report.errors else EXIT_OK


def _answer_json(service: KnowledgeService, question: str) -> dict[str, object]:
    try:
        return service.ask(question).to_dict()
    except KnowledgeError as exc:
        return {
            "question": question,
            "answer": describe(exc),
            "refused": True,
            "citations": [],
            "error": True,
        }


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    """Answer one question, or one per line of a batch file."""
    service = _service(settings)
    _ensure_ready(service)
    if args.batch:
        source = sys.stdin if args.batch == "-" else open(args.batch, encoding="utf-8")  # noqa: SIM115
        with source:
            for line in source:
                question = line.strip()
                if not question:
                    continue
                if args.json:
                    print(json.dumps(_answer_json(service, question), ensure_ascii=False), flush=True)
                else:
                    print(f"问：{question}\n{_text_answer(service, question)}\n", flush=True)
        return EXIT_OK
    if not args.question:
        print('请给出问题，例如：qingfeng ask "能开单位的车送孩子上学吗"', file=sys.stderr)
        return EXIT_USAGE
    question = " ".join(args.question)
    if args.json:
        result = _answer_json(service, question)
        print(json.dumps(result, ensure_ascii=False))
        return EXIT_ERROR if result.get("error") else EXIT_OK
    try:
        print(service.ask(question).text)
    except KnowledgeError as exc:
        print(describe(exc), file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _text_answer(service: KnowledgeService, question: str) -> str:
    try:
        return service.ask(question).text
    except KnowledgeError as exc:
        return describe(exc)


def cmd_chat(settings: Settings, args: argparse.Namespace, stdin: TextIO | None = None) -> int:
    """A terminal conversation: one question per line until 退出, EOF or Ctrl-C."""
    stdin = stdin or sys.stdin
    service = _service(settings)
    _ensure_ready(service)
    service.warm()
    interactive = stdin.isatty()
    print("清风廉政问答（输入问题后回车；输入“退出”或按 Ctrl-D 结束）")
    while True:
        if interactive:
            try:
                line = input("\n问：")
            except (EOFError, KeyboardInterrupt):
                print()
                break
        else:
            raw = stdin.readline()
            if not raw:
                break
            line = raw
            print(f"\n问：{line.strip()}")
        question = line.strip()
        if question in {"退出", "exit", "quit", "q"}:
            break
        if not question:
            continue
        print(_text_answer(service, question))
    print("再见。")
    return EXIT_OK


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Run the Telegram bot until SIGINT/SIGTERM."""
    from telegram.error import InvalidToken, NetworkError

    from bot.app import require_token, run
    from bot.errors import BotError, TelegramUnreachable, TokenRejected
    from bot.logs import configure_logging

    try:
        token = require_token(settings)
    except BotError as exc:
        print(describe(exc), file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings.log_level, secrets=[token])
    try:
        run(settings, webhook_url=args.webhook)
    except InvalidToken:
        print(describe(TokenRejected("rejected")), file=sys.stderr)
        return EXIT_USAGE
    except NetworkError as exc:  # includes TimedOut; raised by the first getMe, before the model loads
        reason = str(exc).replace(token, "[REDACTED]")
        print(describe(TelegramUnreachable(reason)), file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def cmd_unanswered(settings: Settings, args: argparse.Namespace) -> int:
    """List refused and 👎-rated questions, most frequent first."""
    from bot.services import build_engine
    from knowledge.unanswered import UnansweredLog

    engine = build_engine(settings)
    try:
        entries = UnansweredLog(engine).top(limit=args.limit)
    finally:
        engine.dispose()
    if args.json:
        for e in entries:
            row = {
                "question": e.question,
                "count": e.count,
                "refused": e.refused,
                "downvoted": e.downvoted,
                "last_day": e.last_day.isoformat(),
            }
            print(json.dumps(row, ensure_ascii=False))
        return EXIT_OK
    if not entries:
        print("还没有未能回答或被点 👎 的问题。")
        return EXIT_OK
    print("次数  拒答  👎   最近日期    问题")
    for e in entries:
        print(f"{e.count:>4}  {e.refused:>4}  {e.downvoted:>3}  {e.last_day}  {e.question}")
    return EXIT_OK


def cmd_reminders(settings: Settings, args: argparse.Namespace) -> int:
    """Show the holiday calendar, the reminder plan, or a reminder's text."""
    import datetime as dt

    from reminders.calendar import HolidayCalendar, format_calendar
    from reminders.content import corpus_lookup, load_templates, render, template_for
    from reminders.errors import ReminderError
    from reminders.planner import load_custom, plan

    if args.action == "send-due":
        return cmd_send_due(settings, args)
    try:
        calendar = HolidayCalendar(override_path=settings.holiday_override_path)
        if args.action == "calendar":
            year = args.year or dt.date.today().year
            print(format_calendar(calendar.blocks(year), year, calendar.warnings(year)))
            return EXIT_OK
        start = dt.date.fromisoformat(args.start) if args.start else dt.date.today()
        if args.action == "plan":
            end = dt.date.fromisoformat(args.end) if args.end else start + dt.timedelta(days=366)
            reminders = plan(calendar, start, end, custom=load_custom(settings.custom_reminders_path))
            for r in reminders:
                if args.json:
                    print(json.dumps(r.to_dict(), ensure_ascii=False))
                else:
                    dates = f"（{r.holiday_start} 至 {r.holiday_end}，{r.source}）" if r.holiday_start else ""
                    print(f"{r.send_at:%Y-%m-%d %H:%M}  {r.title}{dates}  [{r.id}]")
            return EXIT_OK
        # preview: the next reminder (of one holiday if given), rendered from its template
        upcoming = [
            r
            for r in plan(calendar, start, start + dt.timedelta(days=400))
            if r.kind == "holiday"
            and (not args.holiday or args.holiday == r.holiday_key or args.holiday in r.holiday_name)
        ]
        if not upcoming:
            print(f"没有找到节日：{args.holiday}", file=sys.stderr)
            return EXIT_USAGE
        first = upcoming[0]
        block = next(
            b
            for y in range(start.year, start.year + 3)
            for b in calendar.blocks(y)
            if b.start == first.holiday_start
        )
        reminder = render(
            template_for(load_templates(), first.holiday_key),
            year=block.start.year,
            holiday_name=block.name,
            dates_text=block.dates_text(),
            days=block.days,
            lookup=corpus_lookup(),
        )
        print(f"发送时间：{first.send_at:%Y-%m-%d %H:%M}（{first.id}）\n")
        print(reminder.text)
        return EXIT_OK
    except (ReminderError, ValueError) as exc:
        print(f"提醒配置有误：{exc}", file=sys.stderr)
        return EXIT_USAGE


def _moment(text: str | None) -> dt.datetime:
    """An ISO date-time; without a zone it is China time. None means now."""
    from reminders.planner import CHINA

    if not text:
        return dt.datetime.now(CHINA)
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)


def cmd_send_due(settings: Settings, args: argparse.Namespace) -> int:
    """Broadcast every reminder due at --now (default: now) to the subscribed chats, then exit."""
    import signal

    from telegram.error import InvalidToken, NetworkError

    from bot.app import build_sending_bot, require_token
    from bot.errors import BotError, TelegramUnreachable, TokenRejected
    from bot.logs import configure_logging
    from bot.sender import TelegramSender
    from bot.services import build_engine, build_reminders
    from reminders.broadcast import BroadcastReport
    from reminders.errors import ReminderError

    try:
        now = _moment(args.now)
    except ValueError:
        print(f"时间格式不对：{args.now}（应为 ISO 格式，如 2026-09-28T09:00）", file=sys.stderr)
        return EXIT_USAGE
    try:
        token = require_token(settings)
    except BotError as exc:
        print(describe(exc), file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings.log_level if args.verbose else "WARNING", secrets=[token])
    engine = build_engine(settings)
    interrupted = False

    async def send() -> list[BroadcastReport]:
        nonlocal interrupted
        service = build_reminders(settings, engine, clock=lambda: now)
        await asyncio.to_thread(service.subscribe_configured, settings.reminder_chats)
        async with build_sending_bot(settings) as bot:
            broadcaster = service.broadcaster(TelegramSender(bot))

            def stop() -> None:
                # Messages already on their way finish and are logged; the rest wait for the next run.
                nonlocal interrupted
                interrupted = True
                broadcaster.stop()

            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop)
            return await service.send_due(broadcaster, now)

    try:
        reports = asyncio.run(send())
    except InvalidToken:
        print(describe(TokenRejected("rejected")), file=sys.stderr)
        return EXIT_USAGE
    except NetworkError as exc:
        print(describe(TelegramUnreachable(str(exc).replace(token, "[REDACTED]"))), file=sys.stderr)
        return EXIT_ERROR
    except ReminderError as exc:
        print(describe(exc), file=sys.stderr)
        return EXIT_USAGE
    finally:
        engine.dispose()
    if args.json:
        for report in reports:
            row = {
                "reminder": report.reminder_id,
                "sent": len(report.sent),
                "failed": report.failed,
                "unsubscribed": report.unsubscribed,
                "migrated": report.migrated,
                "retries": report.retries,
            }
            print(json.dumps(row, ensure_ascii=False))
    elif not reports:
        print(f"{now:%Y-%m-%d %H:%M}：没有到期的提醒。")
    for report in reports if not args.json else ():
        print(
            f"{report.reminder_id}：发送 {len(report.sent)} 个聊天，失败 {len(report.failed)}，"
            f"退订 {len(report.unsubscribed)}，迁移 {len(report.migrated)}"
        )
    if interrupted:
        print("已中断：尚未发送的聊天会在下次运行时补发，已发送的不会重复。", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


REVIEWER_PASSPHRASE_VAR = "QINGFENG_REVIEWER_PASSPHRASE"
DEFAULT_REVIEWER_KEY = "qingfeng-reviewer.key"  # in the reviewer's working folder, never the data dir


def _reviewer_passphrase(confirm: bool = False) -> str | None:
    """The reviewer passphrase from QINGFENG_REVIEWER_PASSPHRASE, else typed without echo (None: none given)."""
    from getpass import getpass

    given = os.environ.get(REVIEWER_PASSPHRASE_VAR)
    if given:
        return given
    try:
        passphrase = getpass("审阅人私钥口令：")
        if confirm and getpass("请再输入一次口令：") != passphrase:
            print("两次输入的口令不一致，未生成密钥。", file=sys.stderr)
            return None
    except EOFError:
        print(f"未提供口令：请在终端输入，或设置环境变量 {REVIEWER_PASSPHRASE_VAR}。", file=sys.stderr)
        return None
    return passphrase


def _status_key(text: str | None) -> str | None:
    """A status given as key (in_progress) or as its Chinese label (核查中)."""
    from reports.model import STATUSES

    if text is None:
        return None
    by_label = {label: key for key, label in STATUSES.items()}
    return by_label.get(text.strip(), text.strip())


def _size(n: int) -> str:
    return f"{n} 字节" if n < 1024 else f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1048576:.1f} MB"


def _reports_keygen(settings: Settings, args: argparse.Namespace) -> int:
    import unicodedata

    from bot.services import reviewers_dir
    from reports.errors import KeyFileError
    from reports.keys import PASSPHRASE_MIN, write_key_files

    out = Path(args.out).expanduser().resolve()
    if out.exists():  # before asking for a passphrase that would be typed in vain
        raise KeyFileError(f"key file exists: {out}")
    passphrase = _reviewer_passphrase(confirm=True)
    if passphrase is None:
        return EXIT_USAGE
    if len(unicodedata.normalize("NFC", passphrase)) < PASSPHRASE_MIN:
        print(f"口令太短：至少需要 {PASSPHRASE_MIN} 个字符。", file=sys.stderr)
        return EXIT_USAGE
    public_path, fpr = write_key_files(out, reviewers_dir(settings), passphrase)
    print("已生成审阅人密钥。")
    print(f"指纹：{fpr}")
    print(f"私钥文件（已用口令加密）：{out}")
    print(f"公钥文件：{public_path}")
    print(
        "请把私钥文件离线保存（如加密U盘），不要留在服务器上；私钥文件或口令遗失，就无法解密任何线索。"
        "此后提交的线索才会加密给这把密钥。"
    )
    if out.is_relative_to(settings.data_dir.resolve()):
        print("警告：私钥文件在数据目录内，请立即移到离线位置。", file=sys.stderr)
    return EXIT_OK


def _reports_list(reviewer: Reviewer, settings: Settings, args: argparse.Namespace) -> int:
    from reports.model import CATEGORIES, STATUSES

    status = _status_key(args.status)
    if status is not None and status not in STATUSES:
        print(
            f"没有这种状态：{args.status}（可用：new 已受理、in_progress 核查中、closed 已办结）",
            file=sys.stderr,
        )
        return EXIT_USAGE
    summaries = reviewer.list(status)
    if args.json:
        for s in summaries:
            row = {
                "id": s.id,
                "day": s.day.isoformat(),
                "status": s.status,
                "category": s.category,
                "attachments": s.attachments,
                "messages": s.messages,
            }
            print(json.dumps(row, ensure_ascii=False))
        return EXIT_OK
    if not summaries:
        print(f"没有“{STATUSES[status]}”的线索。" if status else "还没有线索。")
        return EXIT_OK
    print("编号        日期        状态    附件  往来  类别")
    for s in summaries:
        category = CATEGORIES.get(s.category, s.category) if s.category else "（无法解密：未加密给此密钥）"
        print(f"{s.id}  {s.day}  {STATUSES[s.status]}  {s.attachments:>4}  {s.messages:>4}  {category}")
    return EXIT_OK


def _reports_show(reviewer: Reviewer, settings: Settings, args: argparse.Namespace) -> int:
    from reports.model import CATEGORIES, STATUSES

    d = reviewer.show(args.id)
    if args.json:
        document = {
            "id": d.id,
            "day": d.day.isoformat(),
            "status": d.status,
            "category": d.category,
            "subject": d.subject,
            "details": d.details,
            "when_where": d.when_where,
            "attachments": [
                {
                    "filename": a.filename,
                    "media_type": a.media_type,
                    "size": len(a.data),
                    "warning": a.warning,
                }
                for a in d.attachments
            ],
            "thread": [{"day": m.day.isoformat(), "kind": m.kind, "text": m.text} for m in d.thread],
        }
        print(json.dumps(document, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"编号：{d.id}")
    print(f"日期：{d.day}    状态：{STATUSES.get(d.status, d.status)}")
    print(f"类别：{CATEGORIES.get(d.category, d.category)}")
    print(f"被反映人或单位：{d.subject or '（未填写）'}")
    print(f"时间地点：{d.when_where or '（未填写）'}")
    print(f"问题详情：\n{d.details}")
    if d.attachments:
        print("附件（用 qingfeng reports export 导出文件）：")
        for i, a in enumerate(d.attachments, start=1):
            warning = f"  ⚠ {a.warning}" if a.warning else ""
            print(f"  {i}. {a.filename}（{a.media_type}，{_size(len(a.data))}）{warning}")
    if d.thread:
        print("往来：")
        for m in d.thread:
            who = "反映人补充" if m.kind == "addition" else "审阅人答复"
            print(f"  {m.day} {who}：{m.text}")
    return EXIT_OK


def _reports_reply(reviewer: Reviewer, settings: Settings, args: argparse.Namespace) -> int:
    if bool(args.text) == bool(args.file):
        print("请给出答复内容，或用 --file 指定答复文件（二选一）。", file=sys.stderr)
        return EXIT_USAGE
    if args.file == "-":
        text = sys.stdin.read()
    elif args.file:
        text = Path(args.file).read_text(encoding="utf-8")
    else:
        text = " ".join(args.text)
    from reports.store import normalize_report_id

    reviewer.reply(args.id, text)
    print(f"已答复线索 {normalize_report_id(args.id)}；反映人凭回执码可以看到。")
    return EXIT_OK


def _reports_status(reviewer: Reviewer, settings: Settings, args: argparse.Namespace) -> int:
    from reports.model import STATUSES
    from reports.store import normalize_report_id

    wanted = _status_key(args.status) or ""
    reviewer.set_status(args.id, wanted)
    print(f"线索 {normalize_report_id(args.id)} 的状态已改为：{STATUSES[wanted]}。")
    return EXIT_OK


def _reports_export(reviewer: Reviewer, settings: Settings, args: argparse.Namespace) -> int:
    folder = Path(args.dir).expanduser()
    count = reviewer.export(folder, _status_key(args.status))
    print(f"已导出 {count} 份线索到 {folder.resolve()}（内容已解密，请妥善保管，用完及时删除）。")
    return EXIT_OK


def _reports_purge(reviewer: Reviewer, settings: Settings, args: argparse.Namespace) -> int:
    days = settings.reports_retention_days if args.days is None else args.days
    if days < 0:
        print("--days 不能是负数。", file=sys.stderr)
        return EXIT_USAGE
    count = reviewer.purge(days)
    print(f"已删除 {count} 份办结满 {days} 天的线索。")
    return EXIT_OK


def cmd_reports(settings: Settings, args: argparse.Namespace) -> int:
    """Reviewer tools for anonymous reports: key generation, list, show, reply, status, export, purge."""
    from bot.services import build_engine, build_reviewer, reviewers_dir
    from reports.errors import DecryptionFailed, ReportError
    from reports.keys import load_private_key, load_public_keys

    actions = {
        "list": _reports_list,
        "show": _reports_show,
        "reply": _reports_reply,
        "status": _reports_status,
        "export": _reports_export,
        "purge": _reports_purge,
    }
    try:
        if args.action == "keygen":
            return _reports_keygen(settings, args)
        passphrase = _reviewer_passphrase()
        if passphrase is None:
            return EXIT_USAGE
        # Unlock first: a wrong passphrase never touches the database.
        private_key, public_key = load_private_key(Path(args.key).expanduser(), passphrase)
        if public_key not in load_public_keys(reviewers_dir(settings)):
            print(
                f"注意：这把密钥不在审阅人名单（{reviewers_dir(settings)}）中，新的线索不会加密给它。",
                file=sys.stderr,
            )
        engine = build_engine(settings)
        try:
            reviewer = build_reviewer(settings, engine, private_key, public_key)
            return actions[args.action](reviewer, settings, args)
        finally:
            engine.dispose()
    except DecryptionFailed as exc:
        print(describe(exc), file=sys.stderr)
        return EXIT_ERROR
    except ReportError as exc:
        print(describe(exc), file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"无法读写文件：{exc.filename or exc}（{exc.strerror or exc}）", file=sys.stderr)
        return EXIT_ERROR


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``qingfeng`` command."""
    parser = argparse.ArgumentParser(
        prog="qingfeng", description="清风：廉政法规问答、节前提醒、匿名反映问题线索"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print log messages")
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="建立/更新知识库索引（可附加自己的文档）")
    ingest.add_argument("paths", nargs="*", help="要加入知识库的文件或文件夹（.md .txt .docx .pdf .html）")
    ingest.set_defaults(func=cmd_ingest)

    ask = sub.add_parser("ask", help="提问并打印带出处的回答")
    ask.add_argument("question", nargs="*", help="问题")
    ask.add_argument("--json", action="store_true", help="输出 JSON")
    ask.add_argument("--batch", metavar="FILE", help="每行一个问题（- 表示标准输入）")
    ask.set_defaults(func=cmd_ask)

    chat = sub.add_parser("chat", help="在终端里连续问答")
    chat.set_defaults(func=cmd_chat)

    run = sub.add_parser("run", help="运行 Telegram 机器人（默认长轮询）")
    run.add_argument(
        "--webhook",
        metavar="URL",
        help="改用 webhook：Telegram 可访问的公网地址（如 https://example.org/qingfeng），"
        "监听地址和端口见 QINGFENG_WEBHOOK_LISTEN / QINGFENG_WEBHOOK_PORT",
    )
    run.set_defaults(func=cmd_run)

    reminders = sub.add_parser("reminders", help="节前提醒：节假日、提醒计划、预览")
    actions = reminders.add_subparsers(dest="action", required=True)
    calendar = actions.add_parser("calendar", help="某年的节假日安排及来源（官方/估算/操作员录入）")
    calendar.add_argument("year", type=int, nargs="?", help="年份，默认今年")
    plan_cmd = actions.add_parser("plan", help="提醒计划")
    plan_cmd.add_argument("--from", dest="start", metavar="DATE", help="起始日期 YYYY-MM-DD，默认今天")
    plan_cmd.add_argument("--to", dest="end", metavar="DATE", help="结束日期，默认一年后")
    plan_cmd.add_argument("--json", action="store_true", help="每行输出一个 JSON 对象")
    preview = actions.add_parser("preview", help="预览下一条节前提醒的全文")
    preview.add_argument("holiday", nargs="?", help="节日，如 春节 或 spring_festival")
    preview.add_argument("--from", dest="start", metavar="DATE", help="从哪天起找，默认今天")
    send_due = actions.add_parser("send-due", help="立即发送此刻到期的提醒（运维与测试用）")
    send_due.add_argument(
        "--now", metavar="ISO-DATETIME", help="视为当前的时间，如 2026-09-28T09:00（北京时间）"
    )
    send_due.add_argument("--json", action="store_true", help="每条提醒输出一个 JSON 对象")
    reminders.set_defaults(func=cmd_reminders)

    unanswered = sub.add_parser("unanswered", help="列出未能回答或被点 👎 的问题（按次数排序）")
    unanswered.add_argument("--limit", type=int, default=50, help="最多列出几条（默认 50）")
    unanswered.add_argument("--json", action="store_true", help="每行输出一个 JSON 对象")
    unanswered.set_defaults(func=cmd_unanswered)

    reports = sub.add_parser("reports", help="匿名反映问题线索：审阅人密钥、查看、答复、改状态、导出、清理")
    report_actions = reports.add_subparsers(dest="action", required=True)
    keygen = report_actions.add_parser("keygen", help="生成审阅人密钥（私钥用口令加密，公钥放入数据目录）")
    keygen.add_argument(
        "--out", default=DEFAULT_REVIEWER_KEY, metavar="FILE", help=f"私钥文件，默认 ./{DEFAULT_REVIEWER_KEY}"
    )
    with_key = argparse.ArgumentParser(add_help=False)
    with_key.add_argument(
        "--key",
        default=DEFAULT_REVIEWER_KEY,
        metavar="FILE",
        help=f"审阅人私钥文件，默认 ./{DEFAULT_REVIEWER_KEY}；口令取自 {REVIEWER_PASSPHRASE_VAR} 或终端输入",
    )
    list_cmd = report_actions.add_parser("list", parents=[with_key], help="列出线索（新的在前）")
    list_cmd.add_argument("--status", metavar="STATUS", help="只列某状态：new / in_progress / closed")
    list_cmd.add_argument("--json", action="store_true", help="每行输出一个 JSON 对象")
    show = report_actions.add_parser("show", parents=[with_key], help="查看一份线索的全部内容")
    show.add_argument("id", help="线索编号")
    show.add_argument("--json", action="store_true", help="输出 JSON")
    reply = report_actions.add_parser("reply", parents=[with_key], help="答复反映人（凭回执码可见）")
    reply.add_argument("id", help="线索编号")
    reply.add_argument("text", nargs="*", help="答复内容")
    reply.add_argument("--file", metavar="FILE", help="从 UTF-8 文本文件读取答复（- 表示标准输入）")
    status = report_actions.add_parser("status", parents=[with_key], help="改状态：已受理 → 核查中 → 已办结")
    status.add_argument("id", help="线索编号")
    status.add_argument("status", help="in_progress（核查中）或 closed（已办结）")
    export = report_actions.add_parser("export", parents=[with_key], help="把线索解密导出到文件夹")
    export.add_argument("dir", help="目标文件夹（每份线索一个子文件夹）")
    export.add_argument("--status", metavar="STATUS", help="只导出某状态的线索")
    purge = report_actions.add_parser("purge", parents=[with_key], help="删除办结已久的线索")
    purge.add_argument(
        "--days", type=int, metavar="N", help="办结满 N 天的删除，默认 QINGFENG_REPORTS_RETENTION_DAYS（365）"
    )
    reports.set_defaults(func=cmd_reports)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``qingfeng`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _quiet_libraries()
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = load_settings()
    except Exception as exc:  # pydantic's ValidationError: shown as one line, not a traceback
        print(describe(exc), file=sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(settings, args))
    except KnowledgeError as exc:
        print(describe(exc), file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
