"""``qingfeng reports``: reviewer keys and the reviewers' tools for anonymous reports."""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.messages import describe
from bot.exits import EXIT_ERROR, EXIT_OK, EXIT_USAGE
from wiring.settings import Settings

if TYPE_CHECKING:
    from reports.review import Reviewer


def add_report_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``qingfeng reports …`` to the command's subparsers."""
    reports = sub.add_parser("reports", help="匿名反映问题线索：审阅人密钥、查看、答复、改状态、导出、清理")
    report_actions = reports.add_subparsers(dest="action", required=True)
    keygen = report_actions.add_parser("keygen", help="生成审阅人密钥（私钥用口令加密，公钥放入数据目录）")
    keygen.add_argument(
        "--out", default=DEFAULT_REVIEWER_KEY, metavar="FILE", help=f"私钥文件，默认 ./{DEFAULT_REVIEWER_KEY}"
    )
    upgrade = report_actions.add_parser(
        "key-upgrade", help="给旧版审阅人私钥加上签名密钥（答复和改状态需要签名），并更新其 .pub 公钥文件"
    )
    upgrade.add_argument(
        "--key", default=DEFAULT_REVIEWER_KEY, metavar="FILE", help=f"私钥文件，默认 ./{DEFAULT_REVIEWER_KEY}"
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


def terminal_safe(text: str) -> str:
    """``text`` with control and bidi/format characters made visible (``\\x1b``, ``<U+202E>``); newlines kept."""
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in "\n\t":
            out.append(ch)
        elif category == "Cc":
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"<U+{ord(ch):04X}>")
        elif category in ("Cf", "Zl", "Zp", "Co", "Cs", "Cn"):
            out.append(f"<U+{ord(ch):04X}>")
        else:
            out.append(ch)
    return "".join(out)


def _size(n: int) -> str:
    return f"{n} 字节" if n < 1024 else f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1048576:.1f} MB"


def _reports_keygen(settings: Settings, args: argparse.Namespace) -> int:
    import unicodedata

    from reports.errors import KeyFileError, KeyProblem
    from reports.keys import PASSPHRASE_MIN, write_key_files
    from wiring.factory import reviewers_dir

    out = Path(args.out).expanduser().resolve()
    if out.exists():  # before asking for a passphrase that would be typed in vain
        raise KeyFileError(KeyProblem.EXISTS, out)
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


def _reports_key_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from reports.keys import upgrade_key_file
    from wiring.factory import reviewers_dir

    passphrase = _reviewer_passphrase()
    if passphrase is None:
        return EXIT_USAGE
    key_path = Path(args.key).expanduser()
    _warn_if_readable_by_others(key_path)
    public_path, fpr, changed = upgrade_key_file(key_path, reviewers_dir(settings), passphrase)
    if not changed:
        print(f"这把密钥（指纹 {fpr}）已有签名密钥，无需升级。")
        return EXIT_OK
    print(f"已为密钥（指纹 {fpr}）加上签名密钥，口令不变。")
    print(f"公钥文件已更新：{public_path}")
    print("如果审阅人名单在另一台服务器上，请把这个 .pub 文件复制过去替换旧文件。")
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
            "status_verified": d.status_verified,
            "thread": [
                {"day": m.day.isoformat(), "kind": m.kind, "text": m.text, "verified": m.verified}
                for m in d.thread
            ],
        }
        print(json.dumps(document, ensure_ascii=False, indent=2))
        return EXIT_OK
    # Everything below was typed by a reporter: shown so that it cannot drive the reviewer's terminal.
    print(f"编号：{d.id}")
    unsigned = "" if d.status_verified else "（⚠ 状态未经审阅人签名，可能被改动）"
    print(f"日期：{d.day}    状态：{STATUSES.get(d.status, d.status)}{unsigned}")
    print(f"类别：{CATEGORIES.get(d.category, d.category)}")
    print(f"被反映人或单位：{terminal_safe(d.subject) or '（未填写）'}")
    print(f"时间地点：{terminal_safe(d.when_where) or '（未填写）'}")
    print(f"问题详情：\n{terminal_safe(d.details)}")
    if d.attachments:
        print("附件（用 qingfeng reports export 导出文件）：")
        for i, a in enumerate(d.attachments, start=1):
            warning = f"  ⚠ {a.warning}" if a.warning else ""
            print(f"  {i}. {terminal_safe(a.filename)}（{a.media_type}，{_size(len(a.data))}）{warning}")
    if d.thread:
        print("往来：")
        for m in d.thread:
            who = "反映人补充" if m.kind == "addition" else "审阅人答复"
            flag = (
                "" if m.verified else "（⚠ 未通过核验：不是审阅人签名的答复，或来自另一份线索；反映人看不到）"
            )
            text = terminal_safe(m.text) if m.text or m.verified else "（无法解密：不是加密给审阅人的内容）"
            print(f"  {m.day} {who}{flag}：{text}")
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


def _warn_if_readable_by_others(path: Path) -> None:
    """Say so when a private key file can be read or changed by other accounts (it is still used)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # a missing file is reported by load_private_key
    if mode & 0o077:
        print(
            f"警告：私钥文件 {path} 的权限是 {stat.S_IMODE(mode):04o}，其他用户可能读取或替换它。"
            f"请执行 chmod 600 {path}。",
            file=sys.stderr,
        )


def cmd_reports(settings: Settings, args: argparse.Namespace) -> int:
    """Reviewer tools for anonymous reports: key generation, list, show, reply, status, export, purge."""
    from reports.errors import DecryptionFailed, ReportError
    from reports.keys import load_reviewer_key
    from wiring.factory import build_engine, build_reviewer

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
        if args.action == "key-upgrade":
            return _reports_key_upgrade(settings, args)
        passphrase = _reviewer_passphrase()
        if passphrase is None:
            return EXIT_USAGE
        # Unlock first: a wrong passphrase never touches the database.
        key_path = Path(args.key).expanduser()
        _warn_if_readable_by_others(key_path)
        key = load_reviewer_key(key_path, passphrase)
        engine = build_engine(settings)
        try:
            reviewer = build_reviewer(settings, engine, key)
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
