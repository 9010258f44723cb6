"""The official Chinese holiday calendar (法定节假日与调休) used to time pre-holiday reminders.

Each year's holidays are a list of :class:`HolidayBlock` — one consecutive off-period per
holiday, with the 调休 make-up workdays that belong to it. A year is taken from the first of
these sources that covers it:

1. **override** — the operator's TOML file (see below). It beats everything for the years it
   mentions: those years' blocks are replaced entirely, other years are untouched.
2. **official** — the ``chinesecalendar`` package, which transcribes the State Council
   (国务院办公厅) notices. It raises ``NotImplementedError`` for years it does not know yet.
3. **estimated** — the ``holidays`` package's statutory and lunar dates plus customary
   lengths. 调休 cannot be predicted, so estimated blocks carry no make-up workdays and
   :meth:`HolidayCalendar.warnings` asks the operator to enter the real notice.

A block belongs to the year of its notice, which is the year it starts in except for a 元旦
block starting in late December (2024 元旦 is 2023-12-30 to 2024-01-01 and belongs to 2024).
When 中秋 and 国庆 form one off-period (2023, 2025) there is a single block with key
``"national_day"``, name ``"中秋节、国庆节"`` and :attr:`HolidayBlock.covered_keys` naming both.

Override file format (UTF-8 TOML), one ``[[holiday]]`` table per block::

    [[holiday]]
    year = 2027                  # optional; must be the notice year of the dates
    key = "spring_festival"      # or name = "春节"
    start = 2027-02-06           # first day off (TOML date or "YYYY-MM-DD")
    end = 2027-02-12             # last day off, inclusive
    makeup_workdays = [2027-02-14]   # 调休上班 (Saturdays/Sundays); optional

Keys: new_year 元旦, spring_festival 春节, tomb_sweeping 清明节, labour_day 劳动节,
dragon_boat 端午节, mid_autumn 中秋节, national_day 国庆节 (name "中秋节、国庆节" when merged).
A missing file means no overrides; a malformed one raises :class:`CalendarError` naming the
file and the problem.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import tomllib
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reminders.errors import CalendarError

SOURCES: tuple[str, ...] = ("override", "official", "estimated")  # most to least reliable

KEYS: tuple[str, ...] = (
    "new_year",
    "spring_festival",
    "tomb_sweeping",
    "labour_day",
    "dragon_boat",
    "mid_autumn",
    "national_day",
)
NAMES: Mapping[str, str] = {
    "new_year": "元旦",
    "spring_festival": "春节",
    "tomb_sweeping": "清明节",
    "labour_day": "劳动节",
    "dragon_boat": "端午节",
    "mid_autumn": "中秋节",
    "national_day": "国庆节",
}
MERGED_NAME = "中秋节、国庆节"
SOURCE_NAMES: Mapping[str, str] = {"override": "操作员录入", "official": "官方", "estimated": "估算"}

# Names an operator may write instead of a key; the merged spellings both mean national_day.
_NAME_TO_KEY: Mapping[str, str] = {
    **{name: key for key, name in NAMES.items()},
    MERGED_NAME: "national_day",
    "国庆节、中秋节": "national_day",
}
# chinesecalendar's English names.
_OFFICIAL_NAMES: Mapping[str, str] = {
    "New Year's Day": "new_year",
    "Spring Festival": "spring_festival",
    "Tomb-sweeping Day": "tomb_sweeping",
    "Labour Day": "labour_day",
    "Dragon Boat Festival": "dragon_boat",
    "Mid-autumn Festival": "mid_autumn",
    "National Day": "national_day",
}
# The holidays package's en_US names, after its "(observed)"/"(estimated)" suffixes are cut.
_ESTIMATE_NAMES: Mapping[str, str] = {
    "New Year's Day": "new_year",
    "Chinese New Year's Eve": "spring_festival",
    "Chinese New Year (Spring Festival)": "spring_festival",
    "Tomb-Sweeping Day": "tomb_sweeping",
    "Labor Day": "labour_day",
    "Dragon Boat Festival": "dragon_boat",
    "Mid-Autumn Festival": "mid_autumn",
    "National Day": "national_day",
}
_ESTIMATE_SUFFIX = re.compile(r"\s*\((?:observed|estimated|observed, estimated)\)$")
_SUBSTITUTED = re.compile(r"^Day off \(substituted from (\d{2})/(\d{2})/(\d{4})\)$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

MAKEUP_WINDOW = dt.timedelta(days=14)  # how far a 调休 workday may lie from its block
_MAX_BLOCK_DAYS = 31  # longer than any real off-period: catches a mistyped year in an override
_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class HolidayBlock:
    """One consecutive official off-period and the 调休 workdays that belong to it."""

    key: str
    name: str
    start: dt.date
    end: dt.date
    makeup_workdays: tuple[dt.date, ...] = ()
    source: str = "official"  # one of SOURCES; plain str so structural protocols (planner.Block) match

    def __post_init__(self) -> None:
        if self.key not in NAMES:
            raise ValueError(f"unknown holiday key {self.key!r}")
        if self.start > self.end:
            raise ValueError(f"holiday {self.key} starts {self.start} after it ends {self.end}")
        if self.source not in SOURCES:
            raise ValueError(f"unknown calendar source {self.source!r}")

    @property
    def days(self) -> int:
        """Number of days off, both ends included."""
        return (self.end - self.start).days + 1

    @property
    def year(self) -> int:
        """The year of the notice this block belongs to (a late-December 元旦 start counts as next year)."""
        return notice_year(self.key, self.start)

    @property
    def covered_keys(self) -> tuple[str, ...]:
        """Every holiday this block stands for: both mid_autumn and national_day when merged."""
        if self.key == "national_day" and "中秋" in self.name:
            return ("mid_autumn", "national_day")
        return (self.key,)

    def contains(self, day: dt.date) -> bool:
        """Whether ``day`` is one of the block's days off."""
        return self.start <= day <= self.end

    def dates_text(self) -> str:
        """Chinese date range such as "10月1日至7日", "9月29日至10月6日" or "4月5日"."""
        return _range_text(self.start, self.end)


def notice_year(key: str, start: dt.date) -> int:
    """The notice year of a block: its start year, or the next one for a 元旦 starting in December."""
    return start.year + 1 if key == "new_year" and start.month == 12 else start.year


class HolidayCalendar:
    """Holiday blocks and working days, from operator overrides, chinesecalendar, or estimates."""

    def __init__(self, override_path: Path | None = None) -> None:
        self.override_path = override_path
        self._overrides: dict[int, list[HolidayBlock]] = {}
        self._cache: dict[int, list[HolidayBlock]] = {}
        self._official_years: dict[int, bool] = {}
        self.reload()

    def reload(self) -> None:
        """Re-read the override file (raises CalendarError if it is malformed) and drop cached years."""
        # Loaded eagerly so a broken file is reported at startup rather than at the first reminder.
        self._overrides = load_overrides(self.override_path) if self.override_path else {}
        self._cache.clear()

    @property
    def override_years(self) -> frozenset[int]:
        """The years the operator's file covers."""
        return frozenset(self._overrides)

    def blocks(self, year: int) -> list[HolidayBlock]:
        """The blocks of ``year``'s notice, sorted by start (only 元旦 may start in the previous December)."""
        if year not in self._cache:
            if year in self._overrides:
                found = self._overrides[year]
            elif self._is_official_year(year):
                found = _official_blocks(year)
            else:
                found = _estimated_blocks(year)
            self._cache[year] = sorted(found, key=lambda b: b.start)
        return list(self._cache[year])

    def is_workday(self, day: dt.date) -> bool:
        """Whether people work on ``day``: make-up Saturdays/Sundays do, holiday weekdays do not."""
        # A December day may belong to next year's 元旦 block or be one of its make-up days.
        years = (day.year, day.year + 1) if day.month == 12 else (day.year,)
        for year in years:
            for block in self.blocks(year):
                if block.contains(day):
                    return False
                if day in block.makeup_workdays:
                    return True
        if day.year not in self._overrides and self._is_official_year(day.year):
            # Also right for off-days outside the seven holidays (e.g. 2015's 抗战胜利纪念日).
            import chinese_calendar

            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    def source_for(self, year: int) -> str:
        """The least reliable source among ``year``'s blocks ("estimated" if any block is estimated)."""
        blocks = self.blocks(year)
        if not blocks:
            return "override" if year in self._overrides else "estimated"
        return max((b.source for b in blocks), key=SOURCES.index)

    def warnings(self, year: int) -> list[str]:
        """Chinese notes for the operator: estimated dates, holidays missing from an override year."""
        out: list[str] = []
        if self.source_for(year) == "estimated":
            out.append(estimated_warning(year, self.override_path))
        if year in self._overrides:
            covered = {k for b in self.blocks(year) for k in b.covered_keys}
            missing = [NAMES[k] for k in KEYS if k not in covered]
            if missing:
                out.append(
                    f"覆盖文件 {self.override_path} 中{year}年缺少：{'、'.join(missing)}；"
                    "该年以覆盖文件为准，缺少的节日不会发送节前提醒。"
                )
        return out

    def _is_official_year(self, year: int) -> bool:
        if year not in self._official_years:
            import chinese_calendar

            try:
                chinese_calendar.get_holiday_detail(dt.date(year, 6, 1))
            except NotImplementedError:
                self._official_years[year] = False
            else:
                self._official_years[year] = True
        return self._official_years[year]


def estimated_warning(year: int, override_path: Path | None) -> str:
    """The operator-facing note for a year whose dates are only estimated."""
    where = f"请在 {override_path} 中" if override_path else "请配置节假日覆盖文件并在其中"
    return f"{year}年节假日安排尚未收录官方通知，当前为估算日期；{where}录入国务院办公厅通知。"


def format_calendar(blocks: Sequence[HolidayBlock], year: int, warnings: Sequence[str] | None = None) -> str:
    """Plain-text Chinese table of a year's blocks for ``qingfeng reminders calendar YEAR``.

    ``warnings`` defaults to a generic note when any block is estimated; pass
    ``HolidayCalendar.warnings(year)`` to name the override file.
    """
    if warnings is None:
        warnings = [estimated_warning(year, None)] if any(b.source == "estimated" for b in blocks) else []
    lines = [f"{year}年节假日安排"]
    if not blocks:
        lines.append("（无节假日数据）")
    else:
        header = ("节日", "放假日期", "天数", "调休上班", "来源")
        rows = [
            (
                b.name,
                b.dates_text(),
                f"{b.days}天",
                "、".join(_day_text(d, b.start.year) for d in b.makeup_workdays) or "无",
                SOURCE_NAMES[b.source],
            )
            for b in blocks
        ]
        widths = [max(_width(r[i]) for r in (header, *rows)) for i in range(len(header))]
        for row in (header, *rows):
            cells = [_pad(cell, widths[i]) for i, cell in enumerate(row)]
            lines.append("  ".join(cells).rstrip())
    lines.extend(f"注意：{w}" for w in warnings)
    return "\n".join(lines)


def load_overrides(path: Path) -> dict[int, list[HolidayBlock]]:
    """Blocks from an operator TOML file, by notice year; {} if the file does not exist."""
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CalendarError(f"节假日覆盖文件 {path} 不是合法的 TOML：{exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarError(f"无法读取节假日覆盖文件 {path}：{exc}") from exc
    unknown = sorted(set(data) - {"holiday"})
    if unknown:
        raise CalendarError(f"节假日覆盖文件 {path}：未知的表 {'、'.join(unknown)}（只支持 [[holiday]]）")
    rows = data.get("holiday", [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise CalendarError(f"节假日覆盖文件 {path}：holiday 必须写成 [[holiday]] 表数组")
    out: dict[int, list[HolidayBlock]] = {}
    for number, row in enumerate(rows, start=1):
        block = _override_block(path, number, row)
        out.setdefault(block.year, []).append(block)
    for year, blocks in out.items():
        _check_year(path, year, blocks)
    return out


def _override_block(path: Path, number: int, row: Mapping[str, Any]) -> HolidayBlock:
    def fail(problem: str) -> CalendarError:
        return CalendarError(f"节假日覆盖文件 {path} 第{number}个 [[holiday]]：{problem}")

    allowed = {"year", "key", "name", "start", "end", "makeup_workdays"}
    extra = sorted(set(row) - allowed)
    if extra:
        raise fail(f"未知字段 {'、'.join(extra)}（可用字段：{'、'.join(sorted(allowed))}）")
    key, name = row.get("key"), row.get("name")
    if key is None and name is None:
        raise fail("缺少 key 或 name")
    if key is not None and (not isinstance(key, str) or key not in NAMES):
        raise fail(f"未知的节日 key “{key}”（可用：{'、'.join(KEYS)}）")
    if name is not None and (not isinstance(name, str) or name not in _NAME_TO_KEY):
        raise fail(f"未知的节日名称 “{name}”（可用：{'、'.join(_NAME_TO_KEY)}）")
    if key is not None and name is not None and _NAME_TO_KEY[name] != key:
        raise fail(f"key “{key}” 与 name “{name}” 不一致")
    key = str(key) if key is not None else _NAME_TO_KEY[str(name)]
    display = MERGED_NAME if name in (MERGED_NAME, "国庆节、中秋节") else NAMES[key]
    for field in ("start", "end"):
        if field not in row:
            raise fail(f"缺少 {field}")
    try:
        start, end = _parse_date(row["start"]), _parse_date(row["end"])
        raw_makeup = row.get("makeup_workdays", [])
        if not isinstance(raw_makeup, list):
            raise ValueError("makeup_workdays 必须是日期列表")
        makeup = tuple(sorted({_parse_date(v) for v in raw_makeup}))
    except ValueError as exc:
        raise fail(str(exc)) from None
    if start > end:
        raise fail(f"开始日期 {start} 晚于结束日期 {end}")
    if (end - start).days + 1 > _MAX_BLOCK_DAYS:
        raise fail(f"{start} 至 {end} 超过 {_MAX_BLOCK_DAYS} 天，请检查年份")
    for day in makeup:
        if start <= day <= end:
            raise fail(f"调休上班日 {day} 落在放假期间内")
        if day.weekday() < 5:
            raise fail(f"调休上班日 {day} 不是周六或周日")
        if abs((day - start).days) > _MAX_BLOCK_DAYS or abs((day - end).days) > _MAX_BLOCK_DAYS:
            raise fail(f"调休上班日 {day} 离假期太远，请检查日期")
    year = notice_year(key, start)
    if "year" in row and row["year"] != year:
        raise fail(f"year = {row['year']!r} 与日期不符（{start} 属于{year}年的放假安排）")
    return HolidayBlock(key, display, start, end, makeup, "override")


def _check_year(path: Path, year: int, blocks: list[HolidayBlock]) -> None:
    seen: dict[str, HolidayBlock] = {}
    for block in blocks:
        for key in block.covered_keys:
            if key in seen:
                raise CalendarError(f"节假日覆盖文件 {path}：{year}年的{NAMES[key]}重复录入")
            seen[key] = block
    ordered = sorted(blocks, key=lambda b: b.start)
    for first, second in itertools.pairwise(ordered):
        if second.start <= first.end:
            raise CalendarError(f"节假日覆盖文件 {path}：{year}年的{first.name}与{second.name}日期重叠")
    off = {d for b in blocks for d in _days(b.start, b.end)}
    for block in blocks:
        for day in block.makeup_workdays:
            if day in off:
                raise CalendarError(f"节假日覆盖文件 {path}：调休上班日 {day} 同时是放假日")


def _parse_date(value: object) -> dt.date:
    # TOML datetimes are date instances too, but a time of day makes no sense here.
    if isinstance(value, dt.datetime | dt.time):
        raise ValueError(f"“{value}” 应为日期（YYYY-MM-DD），不能带时间")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"无效日期 “{value}”（应为 YYYY-MM-DD）")


def _official_blocks(year: int) -> list[HolidayBlock]:
    """Blocks of ``year`` from chinesecalendar's transcription of the State Council notices."""
    import chinese_calendar

    # Scan a margin around the year: 元旦 may start in the previous December, and 调休 days
    # and next year's 元旦 sit just outside it. Days chinesecalendar does not know are skipped.
    first, last = dt.date(year - 1, 12, 1), dt.date(year + 1, 1, 31)
    runs: list[tuple[dt.date, dt.date, set[str]]] = []
    makeup: list[tuple[dt.date, str | None]] = []
    current: tuple[dt.date, dt.date, set[str]] | None = None
    for day in _days(first, last):
        try:
            off, name = chinese_calendar.get_holiday_detail(day)
            workday = chinese_calendar.is_workday(day)
        except NotImplementedError:
            # An unknown neighbouring year: end any run here, and never take its weekends for 调休.
            if current is not None:
                runs.append(current)
                current = None
            continue
        key = _OFFICIAL_NAMES.get(name) if name else None
        if not workday:
            # Runs of consecutive days off: ordinary weekends join a holiday only when they touch it,
            # which is exactly the notices' "与周末连休".
            if current is None:
                current = (day, day, set())
            current = (current[0], day, current[2])
            if off and key:
                current[2].add(key)
            continue
        if current is not None:
            runs.append(current)
            current = None
        if day.weekday() >= 5:
            makeup.append((day, key))
    if current is not None:
        runs.append(current)

    # Only runs containing one of the seven holidays become blocks; the rest are plain weekends
    # or one-off days off (2015's 抗战胜利纪念日), which is_workday still gets from chinesecalendar.
    spans = [(start, end, keys) for start, end, keys in runs if keys]
    assigned: list[list[dt.date]] = [[] for _ in spans]
    for day, key in makeup:
        index = _nearest_span(day, spans, key)
        if index is not None:
            assigned[index].append(day)

    # chinesecalendar gives one name per day, so a 中秋 on 10/1 (2020) hides inside 国庆; the lunar
    # date tells whether the national-day run really is the merged 中秋+国庆 break.
    mid_autumn = _mid_autumn_day(year)
    out: list[HolidayBlock] = []
    for (start, end, keys), days in zip(spans, assigned, strict=True):
        if "national_day" in keys and mid_autumn is not None and start <= mid_autumn <= end:
            keys = keys | {"mid_autumn"}
        key, name = _block_identity(keys)
        block = HolidayBlock(key, name, start, end, tuple(sorted(days)), "official")
        if block.year == year:
            out.append(block)
    return out


def _nearest_span(
    day: dt.date, spans: Sequence[tuple[dt.date, dt.date, set[str]]], key: str | None
) -> int | None:
    """Index of the span a 调休 day belongs to: within MAKEUP_WINDOW, same holiday name first, then nearest."""
    best: tuple[int, int, int] | None = None  # (name mismatch, distance, index)
    for index, (start, end, keys) in enumerate(spans):
        distance = _distance(day, start, end)
        if distance > MAKEUP_WINDOW.days:
            continue
        # chinesecalendar labels each 调休 day with its holiday; that beats proximity, e.g. 2026-09-20
        # is nearer to 中秋 (9/25) but the notice gives it to 国庆.
        candidate = (0 if key in keys else 1, distance, index)
        if best is None or candidate < best:
            best = candidate
    return None if best is None else best[2]


def _mid_autumn_day(year: int) -> dt.date | None:
    """The statutory 中秋 date of ``year`` per the holidays package (None before it became a holiday in 2008)."""
    import holidays

    found = holidays.country_holidays("CN", years=year, language="en_US")
    return next((d for d in sorted(found) if "Mid-Autumn Festival" in found.get_list(d)), None)


def _block_identity(keys: set[str]) -> tuple[str, str]:
    if {"mid_autumn", "national_day"} <= keys:
        return "national_day", MERGED_NAME
    key = min(keys, key=KEYS.index)
    return key, NAMES[key]


def _estimated_blocks(year: int) -> list[HolidayBlock]:
    """Blocks of ``year`` estimated from the ``holidays`` package's statutory and lunar dates."""
    import holidays

    found = holidays.country_holidays("CN", years=year, language="en_US")
    days: dict[str, set[dt.date]] = {}
    observed: dict[str, set[dt.date]] = {}
    substituted: list[tuple[dt.date, dt.date]] = []  # (day off, the weekend worked for it)
    for day in sorted(found):
        for label in found.get_list(day):
            match = _SUBSTITUTED.match(label)
            if match:
                month, dom, yyyy = (int(g) for g in match.groups())
                substituted.append((day, dt.date(yyyy, month, dom)))
                continue
            base = _strip_suffixes(label)
            key = _ESTIMATE_NAMES.get(base)
            if key:
                (days if base == label else observed).setdefault(key, set()).add(day)
    for key, extra in observed.items():
        statutory = days.get(key)
        if not statutory:
            continue
        # A make-up day off counts only next to its holiday; the holidays package may put it far away
        # (2015's 中秋 on a Sunday was compensated on 10/6, inside 国庆).
        near = {d for d in extra if _distance(d, min(statutory), max(statutory)) <= 3}
        statutory.update(near)

    # Customary lengths that 调休 produces almost every year; statutory days alone are shorter.
    days.setdefault("labour_day", set()).update(_days(dt.date(year, 5, 1), dt.date(year, 5, 5)))
    merged = False
    festival = _mid_autumn_day(year)
    if festival is not None and dt.date(year, 9, 29) <= festival <= dt.date(year, 10, 8):
        # Every year 中秋 itself (not its observed day) fell between 9/29 and 10/8, the two made one
        # 8-day break (2012/2017/2020/2023/2025).
        first = min(festival, dt.date(year, 10, 1))
        days.setdefault("national_day", set()).update(_days(first, first + 7 * _ONE_DAY))
        del days["mid_autumn"]
        merged = True
    else:
        days.setdefault("national_day", set()).update(_days(dt.date(year, 10, 1), dt.date(year, 10, 7)))

    # The holidays package lists 调休 only for years with a published notice; attach each such day
    # off to the nearest holiday so its make-up workday is kept too.
    makeup: dict[str, set[dt.date]] = {}
    for day_off, worked in substituted:
        spans = [(min(v), max(v), {k}) for k, v in days.items() if v]
        index = _nearest_span(day_off, spans, None)
        if index is not None:
            key = next(iter(spans[index][2]))
            days[key].add(day_off)
            makeup.setdefault(key, set()).add(worked)

    all_makeup = {d for v in makeup.values() for d in v}
    out: list[HolidayBlock] = []
    for key, dates in days.items():
        if not dates:
            continue
        start, end = min(dates), max(dates)
        if key not in ("labour_day", "national_day"):
            # "与周末连休": a holiday touching a weekend takes the weekend with it.
            while (start - _ONE_DAY).weekday() >= 5 and start - _ONE_DAY not in all_makeup:
                start -= _ONE_DAY
            while (end + _ONE_DAY).weekday() >= 5 and end + _ONE_DAY not in all_makeup:
                end += _ONE_DAY
        name = MERGED_NAME if key == "national_day" and merged else NAMES[key]
        # Without a notice there is no 调休 to know, so makeup_workdays stays empty for real estimates.
        block = HolidayBlock(key, name, start, end, tuple(sorted(makeup.get(key, ()))), "estimated")
        out.append(block)
    return out


def _strip_suffixes(label: str) -> str:
    previous = None
    while previous != label:
        previous, label = label, _ESTIMATE_SUFFIX.sub("", label)
    return label


def _days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day += _ONE_DAY


def _distance(day: dt.date, start: dt.date, end: dt.date) -> int:
    if start <= day <= end:
        return 0
    return (start - day).days if day < start else (day - end).days


def _range_text(start: dt.date, end: dt.date) -> str:
    if start == end:
        return f"{start.month}月{start.day}日"
    if start.year != end.year:
        return f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"
    if start.month != end.month:
        return f"{start.month}月{start.day}日至{end.month}月{end.day}日"
    return f"{start.month}月{start.day}日至{end.day}日"


def _day_text(day: dt.date, year: int) -> str:
    prefix = f"{day.year}年" if day.year != year else ""
    return f"{prefix}{day.month}月{day.day}日"


def _width(text: str) -> int:
    # Chinese characters take two columns in a terminal; padding by len() would skew the table.
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
