"""The holiday calendar: official notices 2024–2026, 2027 estimates, operator overrides."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from reminders.calendar import KEYS, HolidayBlock, HolidayCalendar, format_calendar
from reminders.errors import CalendarError, ReminderError

D = date

# Transcribed from the State Council (国务院办公厅) notices: key -> (start, end, 调休上班).
OFFICIAL: dict[int, dict[str, tuple[date, date, tuple[date, ...]]]] = {
    2024: {
        "new_year": (D(2023, 12, 30), D(2024, 1, 1), ()),  # "1月1日放假，与周末连休"
        "spring_festival": (D(2024, 2, 10), D(2024, 2, 17), (D(2024, 2, 4), D(2024, 2, 18))),
        "tomb_sweeping": (D(2024, 4, 4), D(2024, 4, 6), (D(2024, 4, 7),)),
        "labour_day": (D(2024, 5, 1), D(2024, 5, 5), (D(2024, 4, 28), D(2024, 5, 11))),
        "dragon_boat": (D(2024, 6, 8), D(2024, 6, 10), ()),  # "6月10日放假，与周末连休"
        "mid_autumn": (D(2024, 9, 15), D(2024, 9, 17), (D(2024, 9, 14),)),
        "national_day": (D(2024, 10, 1), D(2024, 10, 7), (D(2024, 9, 29), D(2024, 10, 12))),
    },
    2025: {
        "new_year": (D(2025, 1, 1), D(2025, 1, 1), ()),
        "spring_festival": (D(2025, 1, 28), D(2025, 2, 4), (D(2025, 1, 26), D(2025, 2, 8))),
        "tomb_sweeping": (D(2025, 4, 4), D(2025, 4, 6), ()),
        "labour_day": (D(2025, 5, 1), D(2025, 5, 5), (D(2025, 4, 27),)),
        "dragon_boat": (D(2025, 5, 31), D(2025, 6, 2), ()),
        "national_day": (D(2025, 10, 1), D(2025, 10, 8), (D(2025, 9, 28), D(2025, 10, 11))),  # 中秋+国庆
    },
    2026: {
        "new_year": (D(2026, 1, 1), D(2026, 1, 3), (D(2026, 1, 4),)),
        "spring_festival": (D(2026, 2, 15), D(2026, 2, 23), (D(2026, 2, 14), D(2026, 2, 28))),
        "tomb_sweeping": (D(2026, 4, 4), D(2026, 4, 6), ()),
        "labour_day": (D(2026, 5, 1), D(2026, 5, 5), (D(2026, 5, 9),)),
        "dragon_boat": (D(2026, 6, 19), D(2026, 6, 21), ()),
        "mid_autumn": (D(2026, 9, 25), D(2026, 9, 27), ()),
        "national_day": (D(2026, 10, 1), D(2026, 10, 7), (D(2026, 9, 20), D(2026, 10, 10))),
    },
}

OVERRIDE_2027 = """
[[holiday]]
year = 2027
key = "new_year"
start = 2027-01-01
end = 2027-01-03

[[holiday]]
year = 2027
name = "春节"
start = 2027-02-05
end = 2027-02-12
makeup_workdays = [2027-02-14, "2027-02-20"]

[[holiday]]
key = "tomb_sweeping"
start = "2027-04-03"
end = "2027-04-05"

[[holiday]]
key = "labour_day"
start = 2027-05-01
end = 2027-05-05

[[holiday]]
key = "dragon_boat"
start = 2027-06-09
end = 2027-06-11
makeup_workdays = [2027-06-12]

[[holiday]]
key = "mid_autumn"
start = 2027-09-15
end = 2027-09-17
makeup_workdays = [2027-09-18]

[[holiday]]
key = "national_day"
start = 2027-10-01
end = 2027-10-07
makeup_workdays = [2027-09-26, 2027-10-09]
"""


@pytest.fixture(scope="module")
def calendar() -> HolidayCalendar:
    return HolidayCalendar()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "holidays.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("year", sorted(OFFICIAL))
def test_official_years_match_the_notices(calendar: HolidayCalendar, year: int) -> None:
    got = {b.key: (b.start, b.end, b.makeup_workdays) for b in calendar.blocks(year)}
    assert got == OFFICIAL[year]
    assert all(b.source == "official" for b in calendar.blocks(year))
    assert calendar.source_for(year) == "official"
    assert calendar.warnings(year) == []


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_every_year_covers_all_seven_holidays(calendar: HolidayCalendar, year: int) -> None:
    blocks = calendar.blocks(year)
    assert sorted(k for b in blocks for k in b.covered_keys) == sorted(KEYS)
    assert [b.start for b in blocks] == sorted(b.start for b in blocks)
    assert all(b.year == year for b in blocks)


def test_key_2026_blocks_as_the_issue_states(calendar: HolidayCalendar) -> None:
    blocks = {b.key: b for b in calendar.blocks(2026)}
    national, spring, new_year = blocks["national_day"], blocks["spring_festival"], blocks["new_year"]
    assert (national.start, national.end, national.days) == (D(2026, 10, 1), D(2026, 10, 7), 7)
    # 9/20 is nearer to 中秋 (9/25) than to 国庆, yet the notice gives it to 国庆.
    assert national.makeup_workdays == (D(2026, 9, 20), D(2026, 10, 10))
    assert blocks["mid_autumn"].makeup_workdays == ()
    assert (spring.start, spring.end, spring.days) == (D(2026, 2, 15), D(2026, 2, 23), 9)
    assert spring.makeup_workdays == (D(2026, 2, 14), D(2026, 2, 28))
    assert (new_year.start, new_year.end, new_year.makeup_workdays) == (
        D(2026, 1, 1),
        D(2026, 1, 3),
        (D(2026, 1, 4),),
    )


@pytest.mark.parametrize("year", [2023, 2025])
def test_merged_mid_autumn_and_national_day(calendar: HolidayCalendar, year: int) -> None:
    blocks = calendar.blocks(year)
    assert "mid_autumn" not in {b.key for b in blocks}
    merged = next(b for b in blocks if b.key == "national_day")
    assert merged.name == "中秋节、国庆节"
    assert merged.covered_keys == ("mid_autumn", "national_day")
    assert merged.days == 8
    if year == 2023:
        assert (merged.start, merged.end) == (D(2023, 9, 29), D(2023, 10, 6))
        assert merged.makeup_workdays == (D(2023, 10, 7), D(2023, 10, 8))


def test_merge_found_when_mid_autumn_is_on_october_first(calendar: HolidayCalendar) -> None:
    # chinesecalendar labels 2020-10-01 only "National Day"; the lunar date reveals the merge.
    national = next(b for b in calendar.blocks(2020) if b.key == "national_day")
    assert (national.name, national.start, national.end) == ("中秋节、国庆节", D(2020, 10, 1), D(2020, 10, 8))


def test_new_year_starting_in_december_belongs_to_the_next_year(calendar: HolidayCalendar) -> None:
    assert [b.key for b in calendar.blocks(2023)].count("new_year") == 1
    first = calendar.blocks(2024)[0]
    assert (first.key, first.start, first.year) == ("new_year", D(2023, 12, 30), 2024)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 2, 14), True),  # make-up Saturday
        (D(2026, 2, 28), True),
        (D(2026, 9, 20), True),  # make-up Sunday
        (D(2026, 10, 10), True),
        (D(2025, 1, 26), True),
        (D(2024, 2, 4), True),
        (D(2026, 10, 6), False),  # holiday Tuesday
        (D(2026, 2, 23), False),  # holiday Monday
        (D(2025, 2, 3), False),
        (D(2024, 10, 7), False),
        (D(2026, 3, 7), False),  # plain Saturday
        (D(2026, 3, 9), True),  # plain Monday
        (D(2023, 12, 30), False),  # Saturday in 2024's 元旦 block
    ],
)
def test_is_workday_respects_tiaoxiu(calendar: HolidayCalendar, day: date, working: bool) -> None:
    assert calendar.is_workday(day) is working


def test_2027_is_estimated_with_a_warning() -> None:
    cal = HolidayCalendar(Path("/etc/qingfeng/holidays.toml"))
    blocks = cal.blocks(2027)
    assert cal.source_for(2027) == "estimated"
    assert all(b.source == "estimated" and b.makeup_workdays == () for b in blocks)
    assert sorted(k for b in blocks for k in b.covered_keys) == sorted(KEYS)
    spring = next(b for b in blocks if b.key == "spring_festival")
    # 2027-02-06 is 正月初一; since 2025 除夕 (2/5) is a statutory day too.
    assert spring.start == D(2027, 2, 5) and spring.contains(D(2027, 2, 6)) and spring.days >= 4
    national = next(b for b in blocks if b.key == "national_day")
    assert (national.start, national.end) == (D(2027, 10, 1), D(2027, 10, 7))
    (warning,) = cal.warnings(2027)
    assert "2027年" in warning and "估算" in warning and "/etc/qingfeng/holidays.toml" in warning
    assert cal.is_workday(D(2027, 2, 8)) is False
    assert cal.is_workday(D(2027, 2, 11)) is True


def test_estimate_rebuilds_a_notice_the_holidays_package_knows(monkeypatch: pytest.MonkeyPatch) -> None:
    # As if chinesecalendar were too old for 2026: the holidays package's 调休 data fills in.
    import chinese_calendar

    real = chinese_calendar.get_holiday_detail

    def detail(day: date) -> tuple[bool, str | None]:
        if day.year == 2026:
            raise NotImplementedError("no data")
        return real(day)

    monkeypatch.setattr(chinese_calendar, "get_holiday_detail", detail)
    cal = HolidayCalendar()
    assert cal.source_for(2026) == "estimated"
    got = {b.key: (b.start, b.end, b.makeup_workdays) for b in cal.blocks(2026)}
    assert got == OFFICIAL[2026]


def test_override_corrects_2027(tmp_path: Path) -> None:
    path = _write(tmp_path, OVERRIDE_2027)
    cal = HolidayCalendar(path)
    assert cal.source_for(2027) == "override"
    assert cal.warnings(2027) == []
    spring = next(b for b in cal.blocks(2027) if b.key == "spring_festival")
    assert (spring.name, spring.start, spring.end) == ("春节", D(2027, 2, 5), D(2027, 2, 12))
    assert spring.makeup_workdays == (D(2027, 2, 14), D(2027, 2, 20))
    assert all(b.source == "override" for b in cal.blocks(2027))
    assert cal.is_workday(D(2027, 2, 14)) is True  # make-up Sunday
    assert cal.is_workday(D(2027, 2, 11)) is False
    assert cal.is_workday(D(2027, 2, 15)) is True
    # Other years keep their own source.
    assert cal.source_for(2026) == "official"
    assert cal.source_for(2028) == "estimated"


def test_override_replaces_a_whole_official_year(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[[holiday]]\nname = "中秋节、国庆节"\nstart = 2026-09-26\nend = 2026-10-04\nmakeup_workdays = [2026-10-10]\n',
    )
    cal = HolidayCalendar(path)
    (block,) = cal.blocks(2026)
    assert (block.key, block.name, block.source) == ("national_day", "中秋节、国庆节", "override")
    assert cal.is_workday(D(2026, 10, 6)) is True  # no longer a holiday
    assert cal.is_workday(D(2026, 2, 18)) is True  # 春节 not listed: the override year is all there is
    (warning,) = cal.warnings(2026)
    assert "缺少" in warning and "春节" in warning and str(path) in warning
    assert cal.source_for(2025) == "official"


def test_missing_override_file_means_no_overrides(tmp_path: Path) -> None:
    cal = HolidayCalendar(tmp_path / "absent.toml")
    assert cal.source_for(2026) == "official"
    assert cal.override_years == frozenset()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[[holiday]]\nkey = "spring_festival"\nstart = "2027-02-30"\nend = 2027-02-12\n', "无效日期"),
        ('[[holiday]]\nkey = "spring_festival"\nstart = "2027/02/06"\nend = 2027-02-12\n', "无效日期"),
        ('[[holiday]]\nkey = "qixi"\nstart = 2027-08-08\nend = 2027-08-08\n', "未知的节日 key"),
        ('[[holiday]]\nname = "七夕"\nstart = 2027-08-08\nend = 2027-08-08\n', "未知的节日名称"),
        ('[[holiday]]\nkey = "labour_day"\nstart = 2027-05-05\nend = 2027-05-01\n', "晚于"),
        ("[[holiday]\nkey = 'labour_day'\n", "TOML"),
        ('[[holiday]]\nkey = "labour_day"\nstart = 2027-05-01\nend = 2027-05-05\nmakeup = []\n', "未知字段"),
        ('[[holiday]]\nkey = "labour_day"\nstart = 2027-05-01T08:00:00\nend = 2027-05-05\n', "不能带时间"),
        ('[[holiday]]\nkey = "labour_day"\nend = 2027-05-05\n', "缺少 start"),
        (
            '[[holiday]]\nyear = 2026\nkey = "labour_day"\nstart = 2027-05-01\nend = 2027-05-05\n',
            "与日期不符",
        ),
        ('[[holiday]]\nkey = "labour_day"\nstart = 2027-05-01\nend = 2028-05-05\n', "请检查年份"),
        (
            '[[holiday]]\nkey = "labour_day"\nstart = 2027-05-01\nend = 2027-05-05\nmakeup_workdays = [2027-05-06]\n',
            "不是周六或周日",
        ),
        (
            '[[holiday]]\nkey = "labour_day"\nstart = 2027-05-01\nend = 2027-05-05\n'
            '[[holiday]]\nname = "劳动节"\nstart = 2027-05-08\nend = 2027-05-09\n',
            "重复",
        ),
        ('[[holidays]]\nkey = "labour_day"\n', "未知的表"),
    ],
)
def test_bad_override_files_name_the_file(tmp_path: Path, text: str, problem: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(CalendarError) as caught:
        HolidayCalendar(path)
    assert str(path) in str(caught.value)
    assert problem in str(caught.value)
    assert isinstance(caught.value, ReminderError)


@pytest.mark.parametrize(
    ("start", "end", "text"),
    [
        (D(2026, 10, 1), D(2026, 10, 7), "10月1日至7日"),
        (D(2023, 9, 29), D(2023, 10, 6), "9月29日至10月6日"),
        (D(2027, 4, 5), D(2027, 4, 5), "4月5日"),
        (D(2023, 12, 30), D(2024, 1, 1), "2023年12月30日至2024年1月1日"),
    ],
)
def test_dates_text(start: date, end: date, text: str) -> None:
    assert HolidayBlock("new_year", "元旦", start, end).dates_text() == text


def test_format_calendar_lists_blocks_and_warnings(calendar: HolidayCalendar) -> None:
    table = format_calendar(calendar.blocks(2026), 2026)
    lines = table.splitlines()
    assert lines[0] == "2026年节假日安排"
    assert len(lines) == 2 + 7  # title, header, seven holidays
    national = next(line for line in lines if line.startswith("国庆节"))
    assert "10月1日至7日" in national and "7天" in national and "9月20日、10月10日" in national
    assert "官方" in national
    assert "无" in next(line for line in lines if line.startswith("端午节"))
    assert "注意" not in table

    estimated = format_calendar(calendar.blocks(2027), 2027, calendar.warnings(2027))
    assert "估算" in estimated
    assert estimated.splitlines()[-1].startswith("注意：2027年节假日安排尚未收录官方通知")
    assert "注意：" in format_calendar(calendar.blocks(2027), 2027)  # generic note when none given
    assert "（无节假日数据）" in format_calendar([], 2030, [])


def test_format_calendar_shows_override_source(tmp_path: Path) -> None:
    cal = HolidayCalendar(_write(tmp_path, OVERRIDE_2027))
    assert "操作员录入" in format_calendar(cal.blocks(2027), 2027, cal.warnings(2027))


def test_import_is_light() -> None:
    code = (
        "import sys, reminders.calendar; print('holidays' in sys.modules, 'chinese_calendar' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.split() == ["False", "False"]
