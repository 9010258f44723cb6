"""When to remind: N working days before each holiday block (调休 respected), extra reminders, operator dates."""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from common.clock import CHINA
from reminders.errors import ReminderError


class Block(Protocol):
    """What the planner needs of a holiday block (``reminders.calendar.HolidayBlock``)."""

    @property
    def key(self) -> str:
        """Holiday key, e.g. "spring_festival"."""
        ...

    @property
    def name(self) -> str:
        """Chinese name, e.g. 春节."""
        ...

    @property
    def start(self) -> dt.date:
        """First day off."""
        ...

    @property
    def end(self) -> dt.date:
        """Last day off."""
        ...

    @property
    def source(self) -> str:
        """Where the dates come from: override / official / estimated."""
        ...


class Calendar(Protocol):
    """What the planner needs of the holiday calendar."""

    def blocks(self, year: int) -> Iterable[Block]:
        """Holiday blocks of ``year``'s notice (each block belongs to exactly one year)."""
        ...

    def is_workday(self, day: dt.date) -> bool:
        """Whether people work on ``day`` (make-up Saturdays count, holidays do not)."""
        ...


@dataclass(frozen=True)
class PlanConfig:
    """The reminder rules; all configurable."""

    workdays_before: int = 3  # the main reminder: this many working days before the first day off
    extra_days_before: Mapping[str, int] = field(
        default_factory=lambda: {"spring_festival": 7, "national_day": 7}
    )  # extra reminder, calendar days before (moved to the previous working day)
    send_time: dt.time = dt.time(9, 0)
    timezone: ZoneInfo = CHINA


@dataclass(frozen=True)
class CustomReminder:
    """An operator's own dated reminder (升学宴 season, an election period…)."""

    day: dt.date
    title: str
    text: str
    time: dt.time | None = None


@dataclass(frozen=True)
class PlannedReminder:
    """One reminder to broadcast: a stable id, when, for which holiday (or the operator's text)."""

    id: str
    send_at: dt.datetime
    kind: str  # "holiday" or "custom"
    title: str
    holiday_key: str = ""
    holiday_name: str = ""
    holiday_start: dt.date | None = None
    holiday_end: dt.date | None = None
    source: str = ""  # calendar source of the holiday dates: override / official / estimated
    text: str = ""  # custom reminders only

    @property
    def expires_at(self) -> dt.datetime:
        """After this moment a missed reminder is no longer worth sending (the holiday has begun)."""
        if self.holiday_start is not None:
            return dt.datetime.combine(self.holiday_start, dt.time(0, 0), tzinfo=self.send_at.tzinfo)
        return self.send_at + dt.timedelta(days=1)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON shape for ``qingfeng reminders plan --json``."""
        return {
            "id": self.id,
            "send_at": self.send_at.isoformat(),
            "kind": self.kind,
            "title": self.title,
            "holiday": self.holiday_key or None,
            "holiday_name": self.holiday_name or None,
            "holiday_start": self.holiday_start.isoformat() if self.holiday_start else None,
            "holiday_end": self.holiday_end.isoformat() if self.holiday_end else None,
            "source": self.source or None,
        }


def workdays_before(day: dt.date, count: int, is_workday: Callable[[dt.date], bool]) -> dt.date:
    """The ``count``-th working day before ``day`` (make-up workdays count, days off do not)."""
    current = day
    found = 0
    for _ in range(366):
        current -= dt.timedelta(days=1)
        if is_workday(current):
            found += 1
            if found == count:
                return current
    raise ValueError(f"no {count} working days before {day}")


def previous_workday(day: dt.date, is_workday: Callable[[dt.date], bool]) -> dt.date:
    """``day`` itself if people work then, else the working day before it."""
    while not is_workday(day):
        day -= dt.timedelta(days=1)
    return day


def plan(
    calendar: Calendar,
    start: dt.date,
    end: dt.date,
    config: PlanConfig | None = None,
    custom: Iterable[CustomReminder] = (),
) -> list[PlannedReminder]:
    """Every reminder whose send time falls between ``start`` and ``end`` (inclusive), in time order."""
    cfg = config or PlanConfig()
    out: list[PlannedReminder] = []
    for year in range(start.year, end.year + 2):
        for block in calendar.blocks(year):
            days = {workdays_before(block.start, cfg.workdays_before, calendar.is_workday): "main"}
            extra = cfg.extra_days_before.get(block.key)
            if extra:
                day = previous_workday(block.start - dt.timedelta(days=extra), calendar.is_workday)
                days.setdefault(day, f"{extra}d")
            for day, tag in days.items():
                if not start <= day <= end:
                    continue
                out.append(
                    PlannedReminder(
                        id=f"{block.start.year}-{block.key}-{tag}",
                        send_at=dt.datetime.combine(day, cfg.send_time, tzinfo=cfg.timezone),
                        kind="holiday",
                        title=f"{block.name}节前廉洁提醒",
                        holiday_key=block.key,
                        holiday_name=block.name,
                        holiday_start=block.start,
                        holiday_end=block.end,
                        source=block.source,
                    )
                )
    for item in custom:
        if start <= item.day <= end:
            out.append(
                PlannedReminder(
                    id=f"custom-{item.day.isoformat()}-{_slug(item.title)}",
                    send_at=dt.datetime.combine(item.day, item.time or cfg.send_time, tzinfo=cfg.timezone),
                    kind="custom",
                    title=item.title,
                    text=item.text,
                )
            )
    return sorted(out, key=lambda r: (r.send_at, r.id))


def _slug(title: str) -> str:
    return hashlib.sha1(title.encode("utf-8")).hexdigest()[:8]


def load_custom(path: Path) -> list[CustomReminder]:
    """Operator reminders from a TOML file of ``[[reminder]]`` tables (date, title, text, optional time)."""
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ReminderError(f"{path}: {exc}") from exc
    out = []
    for number, row in enumerate(data.get("reminder", []), start=1):
        try:
            day = row["date"] if isinstance(row["date"], dt.date) else dt.date.fromisoformat(str(row["date"]))
            at = row.get("time")
            when = at if isinstance(at, dt.time) or at is None else dt.time.fromisoformat(str(at))
            title, text = str(row["title"]).strip(), str(row["text"]).strip()
        except (KeyError, ValueError) as exc:
            raise ReminderError(f"{path}: reminder {number}: {exc}") from exc
        if not title or not text:
            raise ReminderError(f"{path}: reminder {number}: title and text must not be empty")
        out.append(CustomReminder(day=day, title=title, text=text, time=when))
    return out
