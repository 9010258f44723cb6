"""``qingfeng reports``: reviewer keys, and the reviewers' tools for anonymous reports."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from cli.exits import EXIT_OK
from cli.main import CONTEXT, Env, F, pass_env, verbose_option
from reports.model import CATEGORIES, STATUSES

if TYPE_CHECKING:
    from reports.review import Reviewer

REVIEWER_PASSPHRASE_VAR = "QINGFENG_REVIEWER_PASSPHRASE"
DEFAULT_REVIEWER_KEY = "qingfeng-reviewer.key"  # in the reviewer's working folder, never the data dir
# A status by its key or its Chinese label.
STATUS_NAMES = {**{key: key for key in STATUSES}, **{label: key for key, label in STATUSES.items()}}


class _Status(click.Choice):
    """new / in_progress / closed, or 已受理 / 核查中 / 已办结; given back as the key."""

    def __init__(self, allowed: tuple[str, ...] = tuple(STATUSES)) -> None:
        names = [n for n, key in STATUS_NAMES.items() if key in allowed]
        super().__init__(names)

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> str:
        return STATUS_NAMES[str(super().convert(value, param, ctx))]


def _key_option(command: F) -> F:
    return click.option(
        "--key",
        "key_path",
        type=click.Path(path_type=Path),
        default=DEFAULT_REVIEWER_KEY,
        show_default=True,
        help=f"审阅人私钥文件；口令取自 {REVIEWER_PASSPHRASE_VAR} 或终端输入（不回显）",
    )(command)


def _passphrase(confirm: bool = False) -> str:
    """The reviewer passphrase from QINGFENG_REVIEWER_PASSPHRASE, else typed at the terminal without echo."""
    given = os.environ.get(REVIEWER_PASSPHRASE_VAR)
    if given:
        return given
    try:
        return str(
            click.prompt(
                "审阅人私钥口令",
                hide_input=True,
                confirmation_prompt="请再输入一次口令" if confirm else False,
                err=True,
            )
        )
    except click.Abort as exc:
        raise click.UsageError(
            f"未提供口令：请在终端输入，或设置环境变量 {REVIEWER_PASSPHRASE_VAR}。"
        ) from exc


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


def _warn_if_readable_by_others(path: Path) -> None:
    """Say so when a private key file can be read or changed by other accounts (it is still used)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # a missing file is reported when the key is loaded
    if mode & 0o077:
        click.echo(
            f"警告：私钥文件 {path} 的权限是 {stat.S_IMODE(mode):04o}，其他用户可能读取或替换它。"
            f"请执行 chmod 600 {path}。",
            err=True,
        )


@contextlib.contextmanager
def _reviewer(env: Env, key_path: Path) -> Iterator[Reviewer]:
    """The reviewer's tools with the key unlocked (before the database is touched: a wrong passphrase never is)."""
    from reports.keys import load_reviewer_key
    from wiring.factory import build_engine, build_reviewer

    passphrase = _passphrase()
    key_path = key_path.expanduser()
    _warn_if_readable_by_others(key_path)
    key = load_reviewer_key(key_path, passphrase)
    engine = build_engine(env.settings)
    try:
        yield build_reviewer(env.settings, engine, key)
    finally:
        engine.dispose()


@click.group(context_settings=CONTEXT)
@verbose_option
def reports() -> None:
    """匿名反映问题线索：审阅人密钥、查看、答复、改状态、导出、清理。"""


@reports.command(context_settings=CONTEXT)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=DEFAULT_REVIEWER_KEY,
    show_default=True,
    help="私钥文件（用口令加密；公钥放入数据目录 reviewers/）",
)
@verbose_option
@pass_env
def keygen(env: Env, out: Path) -> int:
    """生成审阅人密钥：私钥用口令加密交给审阅人离线保存，公钥放入数据目录。"""
    from reports.errors import KeyFileError, KeyProblem
    from reports.keys import PASSPHRASE_MIN, write_key_files
    from wiring.factory import reviewers_dir

    out = out.expanduser().resolve()
    if out.exists():  # before asking for a passphrase that would be typed in vain
        raise KeyFileError(KeyProblem.EXISTS, out)
    passphrase = _passphrase(confirm=True)
    if len(unicodedata.normalize("NFC", passphrase)) < PASSPHRASE_MIN:
        raise click.UsageError(f"口令太短：至少需要 {PASSPHRASE_MIN} 个字符。")
    public_path, fpr = write_key_files(out, reviewers_dir(env.settings), passphrase)
    click.echo("已生成审阅人密钥。")
    click.echo(f"指纹：{fpr}")
    click.echo(f"私钥文件（已用口令加密）：{out}")
    click.echo(f"公钥文件：{public_path}")
    click.echo(
        "请把私钥文件离线保存（如加密U盘），不要留在服务器上；私钥文件或口令遗失，就无法解密任何线索。"
        "此后提交的线索才会加密给这把密钥。"
    )
    if out.is_relative_to(env.settings.data_dir.resolve()):
        click.echo("警告：私钥文件在数据目录内，请立即移到离线位置。", err=True)
    return EXIT_OK


@reports.command("key-upgrade", context_settings=CONTEXT)
@_key_option
@verbose_option
@pass_env
def key_upgrade(env: Env, key_path: Path) -> int:
    """给旧版审阅人私钥加上签名密钥（答复和改状态需要签名），并更新其 .pub 公钥文件。"""
    from reports.keys import upgrade_key_file
    from wiring.factory import reviewers_dir

    passphrase = _passphrase()
    key_path = key_path.expanduser()
    _warn_if_readable_by_others(key_path)
    public_path, fpr, changed = upgrade_key_file(key_path, reviewers_dir(env.settings), passphrase)
    if not changed:
        click.echo(f"这把密钥（指纹 {fpr}）已有签名密钥，无需升级。")
        return EXIT_OK
    click.echo(f"已为密钥（指纹 {fpr}）加上签名密钥，口令不变。")
    click.echo(f"公钥文件已更新：{public_path}")
    click.echo("如果审阅人名单在另一台服务器上，请把这个 .pub 文件复制过去替换旧文件。")
    return EXIT_OK


@reports.command("list", context_settings=CONTEXT)
@click.option("--status", type=_Status(), help="只列某状态")
@click.option("--json", "as_json", is_flag=True, help="每行输出一个 JSON 对象")
@_key_option
@verbose_option
@pass_env
def list_reports(env: Env, status: str | None, as_json: bool, key_path: Path) -> int:
    """列出线索（新的在前）。"""
    with _reviewer(env, key_path) as reviewer:
        summaries = reviewer.list(status)
    if as_json:
        for s in summaries:
            row = {
                "id": s.id,
                "day": s.day.isoformat(),
                "status": s.status,
                "category": s.category,
                "attachments": s.attachments,
                "messages": s.messages,
            }
            click.echo(json.dumps(row, ensure_ascii=False))
        return EXIT_OK
    if not summaries:
        click.echo(f"没有“{STATUSES[status]}”的线索。" if status else "还没有线索。")
        return EXIT_OK
    click.echo("编号        日期        状态    附件  往来  类别")
    for s in summaries:
        category = CATEGORIES.get(s.category, s.category) if s.category else "（无法解密：未加密给此密钥）"
        click.echo(f"{s.id}  {s.day}  {STATUSES[s.status]}  {s.attachments:>4}  {s.messages:>4}  {category}")
    return EXIT_OK


@reports.command(context_settings=CONTEXT)
@click.argument("report_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@_key_option
@verbose_option
@pass_env
def show(env: Env, report_id: str, as_json: bool, key_path: Path) -> int:
    """查看一份线索的全部内容（反映人写的文字已去掉能操控终端的字符）。"""
    with _reviewer(env, key_path) as reviewer:
        d = reviewer.show(report_id)
    if as_json:
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
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return EXIT_OK
    # Everything below was typed by a reporter: shown so that it cannot drive the reviewer's terminal.
    click.echo(f"编号：{d.id}")
    unsigned = "" if d.status_verified else "（⚠ 状态未经审阅人签名，可能被改动）"
    click.echo(f"日期：{d.day}    状态：{STATUSES.get(d.status, d.status)}{unsigned}")
    click.echo(f"类别：{CATEGORIES.get(d.category, d.category)}")
    click.echo(f"被反映人或单位：{terminal_safe(d.subject) or '（未填写）'}")
    click.echo(f"时间地点：{terminal_safe(d.when_where) or '（未填写）'}")
    click.echo(f"问题详情：\n{terminal_safe(d.details)}")
    if d.attachments:
        click.echo("附件（用 qingfeng reports export 导出文件）：")
        for i, a in enumerate(d.attachments, start=1):
            warning = f"  ⚠ {a.warning}" if a.warning else ""
            click.echo(f"  {i}. {terminal_safe(a.filename)}（{a.media_type}，{_size(len(a.data))}）{warning}")
    if d.thread:
        click.echo("往来：")
        for m in d.thread:
            who = "反映人补充" if m.kind == "addition" else "审阅人答复"
            flag = (
                "" if m.verified else "（⚠ 未通过核验：不是审阅人签名的答复，或来自另一份线索；反映人看不到）"
            )
            text = terminal_safe(m.text) if m.text or m.verified else "（无法解密：不是加密给审阅人的内容）"
            click.echo(f"  {m.day} {who}{flag}：{text}")
    return EXIT_OK


@reports.command(context_settings=CONTEXT)
@click.argument("report_id", metavar="ID")
@click.argument("text", nargs=-1)
@click.option(
    "--file",
    "source",
    type=click.File("r", encoding="utf-8"),
    help="从 UTF-8 文本文件读取答复（- 表示标准输入）",
)
@_key_option
@verbose_option
@pass_env
def reply(env: Env, report_id: str, text: tuple[str, ...], source: TextIO | None, key_path: Path) -> int:
    """答复反映人（反映人凭回执码可以看到）。"""
    from reports.store import normalize_report_id

    if bool(text) == (source is not None):
        raise click.UsageError("请给出答复内容，或用 --file 指定答复文件（二选一）。")
    body = source.read() if source is not None else " ".join(text)
    with _reviewer(env, key_path) as reviewer:
        reviewer.reply(report_id, body)
    click.echo(f"已答复线索 {normalize_report_id(report_id)}；反映人凭回执码可以看到。")
    return EXIT_OK


@reports.command(context_settings=CONTEXT)
@click.argument("report_id", metavar="ID")
@click.argument("status", type=_Status(("in_progress", "closed")))
@_key_option
@verbose_option
@pass_env
def status(env: Env, report_id: str, status: str, key_path: Path) -> int:
    """改状态：已受理 → 核查中（in_progress）→ 已办结（closed）。"""
    from reports.store import normalize_report_id

    with _reviewer(env, key_path) as reviewer:
        reviewer.set_status(report_id, status)
    click.echo(f"线索 {normalize_report_id(report_id)} 的状态已改为：{STATUSES[status]}。")
    return EXIT_OK


@reports.command(context_settings=CONTEXT)
@click.argument("folder", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--status", type=_Status(), help="只导出某状态的线索")
@_key_option
@verbose_option
@pass_env
def export(env: Env, folder: Path, status: str | None, key_path: Path) -> int:
    """把线索解密导出到一个新的或空的文件夹（每份线索一个子文件夹）。"""
    folder = folder.expanduser()
    with _reviewer(env, key_path) as reviewer:
        count = reviewer.export(folder, status)
    click.echo(f"已导出 {count} 份线索到 {folder.resolve()}（内容已解密，请妥善保管，用完及时删除）。")
    return EXIT_OK


@reports.command(context_settings=CONTEXT)
@click.option(
    "--days",
    type=click.IntRange(min=0),
    help="办结满 N 天的删除，默认 QINGFENG_REPORTS_RETENTION_DAYS（365）",
)
@_key_option
@verbose_option
@pass_env
def purge(env: Env, days: int | None, key_path: Path) -> int:
    """删除办结已久的线索。"""
    keep = env.settings.reports_retention_days if days is None else days
    with _reviewer(env, key_path) as reviewer:
        count = reviewer.purge(keep)
    click.echo(f"已删除 {count} 份办结满 {keep} 天的线索。")
    return EXIT_OK


__all__ = ["reports", "terminal_safe"]
