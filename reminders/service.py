"""The reminder service: what is planned, what is due, its text, subscriptions and broadcasts.

Everything takes an injectable clock so the plan, catch-up and ``send-due --now`` can be exercised at any
moment; nothing here knows about Telegram.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from common.clock import Clock, china_now
from reminders.broadcast import Broadcaster, BroadcastReport, Sender
from reminders.calendar import HolidayBlock, HolidayCalendar
from reminders.content import ArticleLookup, Reminder, Template, render, render_custom, template_for
from reminders.errors import ReminderError
from reminders.planner import PlanConfig, PlannedReminder, load_custom, plan
from reminders.store import ReminderStore, Subscription

log = logging.getLogger("qingfeng.reminders")

LOOKBACK = dt.timedelta(days=40)  # how far back a missed reminder can still be due (its holiday not begun)
HORIZON = dt.timedelta(days=400)  # how far ahead the plan (and the scheduler's jobs) reach


@dataclass(frozen=True)
class Upcoming:
    """A planned reminder and its rendered text."""

    planned: PlannedReminder
    reminder: Reminder


class ReminderService:
    """Plans reminders from the holiday calendar, renders them and broadcasts them exactly once per chat."""

    def __init__(
        self,
        calendar: HolidayCalendar,
        store: ReminderStore,
        templates: dict[str, Template],
        lookup: ArticleLookup,
        config: PlanConfig | None = None,
        custom_path: Path | None = None,
        clock: Clock = china_now,
    ) -> None:
        self.calendar = calendar
        self.store = store
        self.templates = templates
        self.lookup = lookup
        self.config = config or PlanConfig()
        self.custom_path = custom_path
        self.clock = clock

    def now(self) -> dt.datetime:
        """The service's notion of now (timezone-aware)."""
        now = self.clock()
        return now if now.tzinfo else now.replace(tzinfo=self.config.timezone)

    # Plan

    def plan(self, start: dt.date, end: dt.date) -> list[PlannedReminder]:
        """Every reminder sent between ``start`` and ``end``, operator reminders included."""
        custom = load_custom(self.custom_path) if self.custom_path else []
        return plan(self.calendar, start, end, self.config, custom)

    def upcoming(self, limit: int = 5, now: dt.datetime | None = None) -> list[PlannedReminder]:
        """The next ``limit`` reminders still to be sent after ``now``."""
        now = now or self.now()
        today = now.astimezone(self.config.timezone).date()
        return [r for r in self.plan(today, today + HORIZON) if r.send_at > now][:limit]

    def due(self, now: dt.datetime | None = None) -> list[PlannedReminder]:
        """Reminders whose time has come and whose holiday has not begun (catch-up after downtime).

        Of several missed reminders for the same holiday only the latest is due: after a long outage a
        chat should get one 国庆 reminder, not the 7-day and the 3-day one at the same minute.
        """
        now = now or self.now()
        today = now.astimezone(self.config.timezone).date()
        latest: dict[tuple[str, object], PlannedReminder] = {}
        for r in self.plan(today - LOOKBACK, today):
            if r.send_at <= now < r.expires_at:
                key = (r.holiday_key, r.holiday_start) if r.kind == "holiday" else (r.id, None)
                latest[key] = r  # the plan is in time order, so the last one wins
        return sorted(latest.values(), key=lambda r: (r.send_at, r.id))

    def find(self, reminder_id: str, now: dt.datetime | None = None) -> PlannedReminder | None:
        """The planned reminder with this id, looked up around ``now``."""
        now = now or self.now()
        today = now.astimezone(self.config.timezone).date()
        return next((r for r in self.plan(today - LOOKBACK, today + HORIZON) if r.id == reminder_id), None)

    # Content

    def content(self, reminder: PlannedReminder) -> Reminder:
        """The text of a planned reminder: its holiday's template with quoted articles, or the operator's."""
        if reminder.kind == "custom":
            return render_custom(reminder.title, reminder.text)
        block = self._block(reminder)
        return render(
            template_for(self.templates, reminder.holiday_key),
            year=block.year,
            holiday_name=block.name,
            dates_text=block.dates_text(),
            days=block.days,
            lookup=self.lookup,
        )

    def next_one(self, now: dt.datetime | None = None, holiday: str | None = None) -> Upcoming | None:
        """The next reminder (of one holiday, by key or Chinese name, if given) with its text."""
        for planned in self.upcoming(limit=50, now=now):
            if holiday and planned.holiday_key != holiday and holiday not in planned.holiday_name:
                continue
            return Upcoming(planned, self.content(planned))
        return None

    def _block(self, reminder: PlannedReminder) -> HolidayBlock:
        assert reminder.holiday_start is not None
        start = reminder.holiday_start
        for year in (start.year, start.year + 1):
            for block in self.calendar.blocks(year):
                if block.start == start and block.key == reminder.holiday_key:
                    return block
        raise ReminderError(f"holiday block of reminder {reminder.id} not found")

    # Subscriptions

    def subscribe(self, chat_id: int, title: str, origin: str = "chat") -> bool:
        """Subscribe a chat; False if it already was."""
        return self.store.subscribe(chat_id, title, self.now().date(), origin)

    def unsubscribe(self, chat_id: int, note: str = "unsubscribed in chat") -> bool:
        """Stop sending to a chat; False if it was not subscribed."""
        return self.store.unsubscribe(chat_id, note)

    def is_subscribed(self, chat_id: int) -> bool:
        """Whether the chat receives reminders."""
        return self.store.is_subscribed(chat_id)

    def migrate(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: keep its subscription under the new id."""
        self.store.migrate(old_chat_id, new_chat_id)

    def subscribe_configured(self, chat_ids: Iterable[int]) -> int:
        """Subscribe the chats named in the settings; returns how many were new."""
        return sum(self.subscribe(chat_id, "", origin="settings") for chat_id in chat_ids)

    def subscriptions(self) -> list[Subscription]:
        """The active subscriptions."""
        return self.store.subscriptions()

    # Calendar health

    def calendar_warnings(self, now: dt.datetime | None = None) -> list[str]:
        """Warnings for the operator about this year and the coming one (estimated dates, gaps)."""
        now = now or self.now()
        out: list[str] = []
        for year in (now.year, now.year + 1):
            out.extend(self.calendar.warnings(year))
        return out

    # Broadcast

    async def broadcast(
        self, reminder: PlannedReminder, broadcaster: Broadcaster, now: dt.datetime | None = None
    ) -> BroadcastReport | None:
        """Send one reminder to every subscriber that has not had it; None once its holiday has begun."""
        now = now or self.now()
        if now >= reminder.expires_at:
            log.info("reminder %s skipped: its holiday has begun", reminder.id)
            return None
        return await broadcaster.broadcast(reminder.id, self.content(reminder).html)

    def broadcaster(self, sender: Sender) -> Broadcaster:
        """A broadcaster over this service's delivery log."""
        return Broadcaster(self.store, sender)

    async def send_due(
        self, broadcaster: Broadcaster, now: dt.datetime | None = None
    ) -> list[BroadcastReport]:
        """Broadcast every reminder due at ``now`` (each chat gets each reminder once, across restarts)."""
        now = now or self.now()
        reports = []
        for reminder in self.due(now):
            report = await self.broadcast(reminder, broadcaster, now)
            if report is not None:
                reports.append(report)
        return reports
