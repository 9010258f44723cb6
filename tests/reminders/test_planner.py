"""Reminder plans: working days counted with 调休, extra reminders, operator dates, stable ids."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from common.clock import CHINA
from reminders.errors import ReminderError
from reminders.planner import CustomReminder, PlanConfig, load_custom, plan, workdays_before

D = dt.date


@dataclass(frozen=True)
class Block:
    key: str
    name: str
    start: dt.date
    end: dt.date
    source: str = "official"


class FakeCalendar:
    """Weekends off, blocks off, make-up days on."""

    def __init__(self, blocks: list[Block], makeup: set[dt.date]) -> None:
        self._blocks = blocks
        self._makeup = makeup

    def blocks(self, year: int) -> list[Block]:
        return [b for b in self._blocks if b.start.year == year]

    def is_workday(self, day: dt.date) -> bool:
        if day in self._makeup:
            return True
        if any(b.start <= day <= b.end for b in self._blocks):
            return False
        return day.weekday() < 5


CAL_2026 = FakeCalendar(
    [
        Block("spring_festival", "春节", D(2026, 2, 15), D(2026, 2, 23)),
        Block("national_day", "国庆节", D(2026, 10, 1), D(2026, 10, 7)),
        Block("dragon_boat", "端午节", D(2026, 6, 19), D(2026, 6, 21)),
    ],
    makeup={D(2026, 2, 14), D(2026, 2, 28), D(2026, 9, 20), D(2026, 10, 10)},
)


def test_three_working_days_before_counts_makeup_saturday() -> None:
    # 2/14 is a make-up Saturday: 2/14, 2/13, 2/12 are the three working days before 春节.
    assert workdays_before(D(2026, 2, 15), 3, CAL_2026.is_workday) == D(2026, 2, 12)
    # 国庆: 9/30, 9/29, 9/28.
    assert workdays_before(D(2026, 10, 1), 3, CAL_2026.is_workday) == D(2026, 9, 28)
    # 端午 on a Friday: Thu, Wed, Tue.
    assert workdays_before(D(2026, 6, 19), 3, CAL_2026.is_workday) == D(2026, 6, 16)


def test_plan_for_2026_with_extra_reminders_at_nine_in_china() -> None:
    reminders = plan(CAL_2026, D(2026, 1, 1), D(2026, 12, 31))
    got = [(r.id, r.send_at.date()) for r in reminders]
    assert got == [
        ("2026-spring_festival-7d", D(2026, 2, 6)),  # 2/8 is a Sunday: moved back to Friday 2/6
        ("2026-spring_festival-main", D(2026, 2, 12)),
        ("2026-dragon_boat-main", D(2026, 6, 16)),
        ("2026-national_day-7d", D(2026, 9, 24)),
        ("2026-national_day-main", D(2026, 9, 28)),
    ]
    assert all(r.send_at.time() == dt.time(9, 0) and r.send_at.tzinfo == CHINA for r in reminders)
    first = reminders[0]
    assert first.holiday_name == "春节" and first.holiday_start == D(2026, 2, 15)
    assert first.expires_at == dt.datetime(2026, 2, 15, tzinfo=CHINA)


def test_plan_is_configurable_and_ids_are_stable() -> None:
    config = PlanConfig(workdays_before=1, extra_days_before={}, send_time=dt.time(15, 30))
    reminders = plan(CAL_2026, D(2026, 9, 1), D(2026, 10, 31), config)
    assert [(r.id, r.send_at) for r in reminders] == [
        ("2026-national_day-main", dt.datetime(2026, 9, 30, 15, 30, tzinfo=CHINA))
    ]
    assert plan(CAL_2026, D(2026, 1, 1), D(2026, 12, 31)) == plan(CAL_2026, D(2026, 1, 1), D(2026, 12, 31))


def test_reminder_for_next_year_holiday_can_fall_in_this_year() -> None:
    cal = FakeCalendar([Block("new_year", "元旦", D(2027, 1, 1), D(2027, 1, 3), "estimated")], set())
    reminders = plan(cal, D(2026, 12, 1), D(2026, 12, 31))
    assert [(r.id, r.send_at.date(), r.source) for r in reminders] == [
        ("2027-new_year-main", D(2026, 12, 29), "estimated")
    ]


def test_custom_reminders_from_file(tmp_path: Path) -> None:
    path = tmp_path / "reminders.toml"
    path.write_text(
        '[[reminder]]\ndate = 2026-07-01\ntitle = "升学宴提醒"\ntext = "严禁借升学宴敛财"\n'
        '[[reminder]]\ndate = "2026-08-03"\ntime = "10:30"\ntitle = "换届纪律"\ntext = "严守换届纪律"\n',
        encoding="utf-8",
    )
    custom = load_custom(path)
    assert custom[0] == CustomReminder(D(2026, 7, 1), "升学宴提醒", "严禁借升学宴敛财")
    reminders = plan(CAL_2026, D(2026, 7, 1), D(2026, 8, 31), custom=custom)
    assert [(r.kind, r.title, r.send_at.time()) for r in reminders] == [
        ("custom", "升学宴提醒", dt.time(9, 0)),
        ("custom", "换届纪律", dt.time(10, 30)),
    ]
    assert load_custom(tmp_path / "missing.toml") == []


@pytest.mark.parametrize(
    "body",
    [
        '[[reminder]]\ndate = "2026-13-01"\ntitle = "x"\ntext = "y"\n',
        '[[reminder]]\ntitle = "x"\n',
        "[[reminder",
    ],
)
def test_bad_custom_file_names_the_file(tmp_path: Path, body: str) -> None:
    path = tmp_path / "reminders.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ReminderError, match=r"reminders\.toml"):
        load_custom(path)
