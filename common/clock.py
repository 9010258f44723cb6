"""The one clock: Asia/Shanghai, where every date Qingfeng keeps or shows is reckoned.

Services take a clock as a plain callable so tests and ``send-due --now`` can stand at any moment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")

Clock = Callable[[], dt.datetime]  # a timezone-aware now
DayClock = Callable[[], dt.date]  # today's date in China


def china_now() -> dt.datetime:
    """The current time in Asia/Shanghai."""
    return dt.datetime.now(CHINA)


def china_today() -> dt.date:
    """Today's date in Asia/Shanghai."""
    return china_now().date()
