"""`qingfeng reminders calendar | plan | preview` as an operator runs them (in process; no model needed)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from cli.exits import EXIT_NOT_FOUND, EXIT_USAGE
from cli.main import Env
from common.clock import CHINA
from tests.cli.runner import Result, invoke
from wiring.factory import build_engine, build_reminders
from wiring.settings import load_settings


def run(data_dir: Path, *args: str) -> Result:
    return invoke(["reminders", *args], data_dir=data_dir)


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
    assert result.returncode == EXIT_USAGE
    assert "holidays.toml" in result.stderr and "Traceback" not in result.stderr


def test_plan_and_preview_are_the_running_bots_for_any_settings(tmp_path: Path) -> None:
    # The bot plans with QINGFENG_REMINDER_*; the command once planned with the defaults (09:00, 3 working days).
    values = {
        "data_dir": tmp_path,
        "reminder_workdays_before": 5,
        "reminder_time": "15:30",
        "reminder_extra_days": 0,
    }
    settings = load_settings(values)
    env = Env(load=lambda: settings)
    result = invoke(["reminders", "plan", "--from", "2026-09-01", "--to", "2026-10-31", "--json"], env=env)
    assert result.returncode == 0, result.stderr
    shown = [(r["id"], r["send_at"]) for r in map(json.loads, result.stdout.splitlines())]
    assert shown == [
        ("2026-mid_autumn-main", "2026-09-20T15:30:00+08:00"),
        ("2026-national_day-main", "2026-09-23T15:30:00+08:00"),
    ]
    engine = build_engine(settings)
    try:
        service = build_reminders(settings, engine)  # what the bot's scheduler plans from
        planned = service.plan(dt.date(2026, 9, 1), dt.date(2026, 10, 31))
        upcoming = service.next_one(now=dt.datetime(2026, 9, 1, tzinfo=CHINA), holiday="国庆节")
    finally:
        engine.dispose()
    assert shown == [(r.id, r.send_at.isoformat()) for r in planned]
    preview = invoke(["reminders", "preview", "国庆节", "--from", "2026-09-01"], env=env)
    assert preview.returncode == 0, preview.stderr
    assert upcoming is not None and f"（{upcoming.planned.id}）" in preview.stdout
    assert "2026-09-23 15:30" in preview.stdout and upcoming.reminder.text in preview.stdout


def test_an_unknown_holiday_is_not_found(tmp_path: Path) -> None:
    result = run(tmp_path, "preview", "元宵")
    assert result.returncode == EXIT_NOT_FOUND
    assert result.stderr.startswith("没有找到节日：元宵") and result.stdout == ""
