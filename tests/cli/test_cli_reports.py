"""`qingfeng reports ...` as a reviewer runs it (in process): a real key file, a real database."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from cli.exits import EXIT_NOT_FOUND, EXIT_REFUSED
from reports.model import Attachment, ReportDraft
from tests.cli.runner import Result, invoke
from wiring.factory import build_engine, build_reports
from wiring.settings import load_settings

PASSPHRASE = "清风 test passphrase 2026"
DETAILS = "某科长在中秋节前收受管理对象的购物卡两张，每张一千元。"


def run(data_dir: Path, *args: str, passphrase: str | None = PASSPHRASE, stdin: str = "") -> Result:
    environ = {"QINGFENG_REVIEWER_PASSPHRASE": passphrase} if passphrase is not None else {}
    return invoke(["reports", *args], data_dir=data_dir, environ=environ, stdin=stdin)


def submit(data_dir: Path, code_out: list[str] | None = None) -> None:
    """Submit a report in this process, exactly as the bot would."""
    settings = load_settings({"data_dir": data_dir})
    engine = build_engine(settings)
    try:
        receipt = build_reports(settings, engine).submit(
            ReportDraft(
                category="gifts",
                details=DETAILS,
                subject="某局某科",
                attachments=(Attachment("发票.jpg", "image/jpeg", b"\xff\xd8\xffjpeg-bytes"),),
            )
        )
    finally:
        engine.dispose()
    if code_out is not None:
        code_out.append(receipt.code)


def status_of(data_dir: Path, code: str) -> tuple[str, list[str]]:
    settings = load_settings({"data_dir": data_dir})
    engine = build_engine(settings)
    try:
        view = build_reports(settings, engine).status(code)
    finally:
        engine.dispose()
    return view.status, [m.text for m in view.replies]


@pytest.fixture
def keyed(tmp_path: Path) -> tuple[Path, Path]:
    """A data dir with one reviewer key, and that key's file outside the data dir."""
    data_dir, key = tmp_path / "data", tmp_path / "offline" / "reviewer.key"
    result = run(data_dir, "keygen", "--out", str(key))
    assert result.returncode == 0, result.stderr
    return data_dir, key


def test_keygen_writes_a_protected_key_and_publishes_the_public_half(keyed: tuple[Path, Path]) -> None:
    data_dir, key = keyed
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    [public] = (data_dir / "reviewers").glob("*.pub")
    assert json.loads(key.read_text("utf-8"))["fingerprint"] == public.stem
    again = run(data_dir, "keygen", "--out", str(key))
    assert again.returncode == EXIT_REFUSED and "已存在" in again.stderr and "Traceback" not in again.stderr


def test_keygen_output_names_the_fingerprint_and_says_keep_it_offline(tmp_path: Path) -> None:
    result = run(tmp_path / "data", "keygen", "--out", str(tmp_path / "k.key"))
    assert result.returncode == 0, result.stderr
    fingerprint = re.search(r"指纹：([0-9a-f]{4}(?:-[0-9a-f]{4}){3})", result.stdout)
    assert fingerprint and (tmp_path / "data" / "reviewers" / f"{fingerprint[1]}.pub").exists()
    assert "离线" in result.stdout
    short = run(tmp_path / "data", "keygen", "--out", str(tmp_path / "k2.key"), passphrase="short")
    assert short.returncode == 2 and "口令太短" in short.stderr and not (tmp_path / "k2.key").exists()


def test_review_round_trip(keyed: tuple[Path, Path], tmp_path: Path) -> None:
    data_dir, key = keyed
    codes: list[str] = []
    submit(data_dir, codes)

    listed = run(data_dir, "list", "--json", "--key", str(key))
    assert listed.returncode == 0, listed.stderr
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (row["category"], row["status"], row["attachments"], row["messages"]) == ("gifts", "new", 1, 0)
    report_id = row["id"]
    table = run(data_dir, "list", "--key", str(key))
    assert report_id in table.stdout and "违规收送礼品礼金" in table.stdout and "已受理" in table.stdout

    shown = run(data_dir, "show", report_id.lower(), "--key", str(key))
    assert shown.returncode == 0, shown.stderr
    assert DETAILS in shown.stdout and "某局某科" in shown.stdout and "发票.jpg" in shown.stdout

    replied = run(data_dir, "reply", report_id, "已收到，正在核查。", "--key", str(key))
    assert replied.returncode == 0, replied.stderr
    from_file = tmp_path / "reply.txt"
    from_file.write_text("请补充发票照片。\n", encoding="utf-8")
    assert run(data_dir, "reply", report_id, "--file", str(from_file), "--key", str(key)).returncode == 0

    skipped = run(data_dir, "status", report_id, "closed", "--key", str(key))
    assert skipped.returncode == 2 and "已受理 → 核查中 → 已办结" in skipped.stderr
    assert run(data_dir, "status", report_id, "核查中", "--key", str(key)).returncode == 0
    assert status_of(data_dir, codes[0]) == ("in_progress", ["已收到，正在核查。", "请补充发票照片。"])

    exported = run(data_dir, "export", str(tmp_path / "out"), "--key", str(key))
    assert exported.returncode == 0, exported.stderr
    document = json.loads((tmp_path / "out" / report_id / "report.json").read_text("utf-8"))
    assert document["details"] == DETAILS and len(document["thread"]) == 2
    assert (tmp_path / "out" / report_id / "01-发票.jpg").read_bytes() == b"\xff\xd8\xffjpeg-bytes"

    assert run(data_dir, "status", report_id, "closed", "--key", str(key)).returncode == 0
    kept = run(data_dir, "purge", "--key", str(key))  # default retention: a year
    assert kept.returncode == 0 and "已删除 0 份" in kept.stdout
    purged = run(data_dir, "purge", "--days", "0", "--key", str(key))
    assert purged.returncode == 0 and "已删除 1 份" in purged.stdout
    assert run(data_dir, "list", "--key", str(key)).stdout.strip() == "还没有线索。"
    gone = run(data_dir, "show", report_id, "--key", str(key))
    assert gone.returncode == EXIT_NOT_FOUND and f"没有编号为 {report_id} 的线索" in gone.stderr


def test_wrong_passphrase_is_one_chinese_line(keyed: tuple[Path, Path]) -> None:
    data_dir, key = keyed
    result = run(data_dir, "list", "--key", str(key), passphrase="not the passphrase")
    assert result.returncode == EXIT_REFUSED
    assert result.stderr.strip() == "口令不正确，无法解锁审阅人私钥。"
    assert result.stdout == ""


def test_missing_key_file_and_unknown_report(keyed: tuple[Path, Path], tmp_path: Path) -> None:
    data_dir, key = keyed
    missing = run(data_dir, "list", "--key", str(tmp_path / "nope.key"))
    assert missing.returncode == EXIT_REFUSED and "找不到审阅人私钥文件" in missing.stderr
    unknown = run(data_dir, "reply", "ZZZZZZZZZZ", "答复", "--key", str(key))
    assert unknown.returncode == EXIT_NOT_FOUND and "没有编号为 ZZZZZZZZZZ 的线索" in unknown.stderr
    no_text = run(data_dir, "reply", "ZZZZZZZZZZ", "--key", str(key))
    assert no_text.returncode == 2 and "答复内容" in no_text.stderr


def test_a_key_not_in_the_reviewers_folder_is_refused(keyed: tuple[Path, Path], tmp_path: Path) -> None:
    data_dir, key = keyed
    codes: list[str] = []
    submit(data_dir, codes)
    [row] = [
        json.loads(line) for line in run(data_dir, "list", "--json", "--key", str(key)).stdout.splitlines()
    ]
    stranger = tmp_path / "stranger.key"
    made = run(tmp_path / "elsewhere", "keygen", "--out", str(stranger))
    assert made.returncode == 0, made.stderr
    for args in (
        ("reply", row["id"], "请提供您的姓名和手机号以便核实"),
        ("status", row["id"], "in_progress"),
        ("purge", "--days", "0"),
        ("list",),
        ("show", row["id"]),
    ):
        refused = run(data_dir, *args, "--key", str(stranger))
        assert refused.returncode == EXIT_REFUSED and "不在审阅人名单" in refused.stderr, (
            args,
            refused.stderr,
        )
        assert "Traceback" not in refused.stderr
    assert status_of(data_dir, codes[0]) == ("new", [])


def test_a_reviewer_listed_after_a_report_cannot_read_it(keyed: tuple[Path, Path], tmp_path: Path) -> None:
    data_dir, _ = keyed
    submit(data_dir)
    late = tmp_path / "late.key"
    assert run(data_dir, "keygen", "--out", str(late)).returncode == 0  # its .pub goes into the data dir
    listed = run(data_dir, "list", "--json", "--key", str(late))
    assert listed.returncode == 0, listed.stderr
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert row["category"] == ""
    shown = run(data_dir, "show", row["id"], "--key", str(late))
    assert shown.returncode == EXIT_REFUSED and "无法解密" in shown.stderr and DETAILS not in shown.stdout


def test_show_renders_escape_sequences_nul_and_bidi_visibly(keyed: tuple[Path, Path]) -> None:
    data_dir, key = keyed
    hostile = "正文\x1b]2;pwned\x07\x1b[2J清屏\x00空\u202e反转\u2066隔离"
    settings = load_settings({"data_dir": data_dir})
    engine = build_engine(settings)
    try:
        build_reports(settings, engine).submit(
            ReportDraft(category="other", details=hostile + "，后面是详细情况。", subject="某\x1b[31m局")
        )
    finally:
        engine.dispose()
    [row] = [
        json.loads(line) for line in run(data_dir, "list", "--json", "--key", str(key)).stdout.splitlines()
    ]
    shown = run(data_dir, "show", row["id"], "--key", str(key))
    assert shown.returncode == 0, shown.stderr
    for raw in ("\x1b", "\x07", "\x00", "\u202e", "\u2066"):
        assert raw not in shown.stdout
    assert "\\x1b]2;pwned\\x07\\x1b[2J清屏\\x00空<U+202E>反转<U+2066>隔离" in shown.stdout
    assert "某\\x1b[31m局" in shown.stdout


def test_files_are_private_to_the_account_and_loose_key_files_are_named(keyed: tuple[Path, Path]) -> None:
    data_dir, key = keyed
    submit(data_dir)
    assert run(data_dir, "list", "--key", str(key)).returncode == 0
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    for path in data_dir.glob("qingfeng.db*"):
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    key.chmod(0o666)
    loose = run(data_dir, "list", "--key", str(key))
    assert loose.returncode == 0
    assert "0666" in loose.stderr and f"chmod 600 {key}" in loose.stderr


def test_export_goes_only_into_a_new_or_empty_folder_and_never_through_a_link(
    keyed: tuple[Path, Path], tmp_path: Path
) -> None:
    data_dir, key = keyed
    submit(data_dir)
    [row] = [
        json.loads(line) for line in run(data_dir, "list", "--json", "--key", str(key)).stdout.splitlines()
    ]
    # A shared, world-writable folder where someone planted a link named like the report's folder.
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n", encoding="utf-8")
    (shared / row["id"]).symlink_to(victim)
    refused = run(data_dir, "export", str(shared), "--key", str(key))
    assert refused.returncode != 0 and "不是空的" in refused.stderr
    assert victim.read_text(encoding="utf-8") == "keep me\n"
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    via_link = run(data_dir, "export", str(link), "--key", str(key))
    assert via_link.returncode != 0 and "符号链接" in via_link.stderr
    assert not (tmp_path / "elsewhere").exists()
    empty = tmp_path / "empty"
    empty.mkdir(mode=0o755)
    assert run(data_dir, "export", str(empty), "--key", str(key)).returncode == 0
    assert stat.S_IMODE(empty.stat().st_mode) == 0o700
    assert (empty / row["id"] / "report.json").is_file()


def test_an_old_key_must_be_upgraded_before_it_may_reply(tmp_path: Path) -> None:
    from tests.reports.test_signing import PASSPHRASE as OLD_PASSPHRASE
    from tests.reports.test_signing import write_version_one_key

    data_dir, key = tmp_path / "data", tmp_path / "offline" / "old.key"
    key.parent.mkdir()
    write_version_one_key(key, data_dir / "reviewers")
    key.chmod(0o600)
    codes: list[str] = []
    submit(data_dir, codes)
    listed = run(data_dir, "list", "--json", "--key", str(key), passphrase=OLD_PASSPHRASE)
    assert listed.returncode == 0, listed.stderr  # reading needs no signature
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    refused = run(data_dir, "reply", row["id"], "收到。", "--key", str(key), passphrase=OLD_PASSPHRASE)
    assert refused.returncode == EXIT_REFUSED and "key-upgrade" in refused.stderr
    upgraded = run(data_dir, "key-upgrade", "--key", str(key), passphrase=OLD_PASSPHRASE)
    assert upgraded.returncode == 0 and "已为密钥" in upgraded.stdout, upgraded.stderr
    replied = run(data_dir, "reply", row["id"], "收到。", "--key", str(key), passphrase=OLD_PASSPHRASE)
    assert replied.returncode == 0, replied.stderr
    assert status_of(data_dir, codes[0]) == ("new", ["收到。"])
