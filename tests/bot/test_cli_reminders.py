"""`qingfeng reminders calendar | plan | preview` as an operator runs them (no model needed)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.bot.test_cli import run as run_qingfeng


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_qingfeng(data_dir, "reminders", *args)  # type: ignore[no-any-return]


def test_calendar_shows_official_blocks_with_makeup_days(tmp_path: Path) -> None:
    result = run(tmp_path, "calendar", "2026")
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("国庆节"))
    assert "10月1日至7日" in line and "官方" in line and "9月20日" in line and "10月10日" in line


def test_estimated_year_warns_until_the_operator_enters_the_notice(tmp_path: Path) -> None:
    assert "估算" in run(tmp_path, "calendar", "2027").stdout
    (tmp_path / "holidays.toml").write_text(
        '[[holiday]]\nyear = 2027\nkey = "spring_festival"\nstart = 2027-02-05\nend = 2027-02-12\n'
        "makeup_workdays = [2027-02-14]\n",
        encoding="utf-8",
    )
    result = run(tmp_path, "calendar", "2027")
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("春节"))
    assert "2月5日至12日" in line and "操作员录入" in line


def test_plan_json_and_preview_quote_the_corpus(tmp_path: Path) -> None:
    result = run(tmp_path, "plan", "--from", "2026-09-01", "--to", "2026-10-31", "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == [
        "2026-mid_autumn-main",
        "2026-national_day-7d",
        "2026-national_day-main",
    ]
    assert rows[-1]["send_at"] == "2026-09-28T09:00:00+08:00" and rows[-1]["source"] == "official"
    preview = run(tmp_path, "preview", "春节", "--from", "2026-01-05")
    assert preview.returncode == 0, preview.stderr
    assert "2026年春节节前廉洁提醒" in preview.stdout and "2月15日至23日" in preview.stdout
    assert "《中国共产党纪律处分条例》第九十七条" in preview.stdout and "/report" in preview.stdout


def test_bad_override_file_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "holidays.toml").write_text('[[holiday]]\nyear = 2027\nkey = "moon"\n', encoding="utf-8")
    result = run(tmp_path, "calendar", "2027")
    assert result.returncode == 2
    assert "holidays.toml" in result.stderr and "Traceback" not in result.stderr
