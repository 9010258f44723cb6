"""The ``qingfeng`` command line: ingest, ask, chat, run the bot; reminders and reports live beside it."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from assistant.messages import describe
from bot.cli_reminders import add_reminder_commands
from bot.cli_reports import add_report_commands
from bot.exits import EXIT_ERROR, EXIT_OK, EXIT_USAGE
from knowledge.errors import DocumentError, KnowledgeError
from knowledge.index import IngestReport, tqdm_progress
from knowledge.service import KnowledgeService
from wiring.settings import Settings, load_settings

if TYPE_CHECKING:
    pass


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
    from wiring.factory import build_knowledge

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
            "verdict": None,
            "lead": "",
            "card": None,
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
    from wiring.logs import configure_logging

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
    from knowledge.unanswered import UnansweredLog
    from wiring.factory import build_engine

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

    add_reminder_commands(sub)

    unanswered = sub.add_parser("unanswered", help="列出未能回答或被点 👎 的问题（按次数排序）")
    unanswered.add_argument("--limit", type=int, default=50, help="最多列出几条（默认 50）")
    unanswered.add_argument("--json", action="store_true", help="每行输出一个 JSON 对象")
    unanswered.set_defaults(func=cmd_unanswered)

    add_report_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``qingfeng`` console script."""
    # Everything Qingfeng creates (data dir, databases, WAL, index, exports) is for this account only.
    os.umask(0o077)
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
