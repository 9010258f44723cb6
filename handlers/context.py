"""What every handler reaches through ``context.bot_data``: one typed object, built by the bot's wiring.

PTB's ``ContextTypes`` makes ``context.bot_data`` a ``BotData``. Its configuration is set when the application
is built (the report conversation needs its timeout then); its services when the bot has started (``post_init``,
before the first update). Reading either before it is set is a programming error, not a case to default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram.ext import CallbackContext, ExtBot

from handlers.stream import EditPacer

if TYPE_CHECKING:
    from assistant.chat import ChatService
    from assistant.notices import ReviewerNotices
    from assistant.scheduler import ReminderScheduler
    from reminders.service import ReminderService
    from reports.limits import DailyLimiter, FailureLimiter
    from reports.service import ReportService


@dataclass(frozen=True)
class HandlerConfig:
    """The settings handlers act on (the wiring copies them from ``Settings``)."""

    admins: frozenset[int]  # QINGFENG_TELEGRAM_ADMINS: may broadcast and manage any chat's subscription
    draft_minutes: float  # an idle report draft or status session is dropped after this long
    reports_per_day: int  # reports one person may submit per day (said in the confirmation step)
    delete_messages: bool  # delete the reporter's messages once the report is submitted


@dataclass(frozen=True)
class ReportLimits:
    """The in-memory limiters (``reports.limits``): reports per person per day, wrong receipt codes."""

    daily: DailyLimiter
    lookups: FailureLimiter


@dataclass(frozen=True)
class Running:
    """The services of the running bot."""

    chat: ChatService
    reminders: ReminderService
    scheduler: ReminderScheduler
    report_limits: ReportLimits
    reports: ReportService | None = None  # None: /report and /status say the function is not enabled
    notices: ReviewerNotices | None = None  # None: no reviewer chat is configured
    pacer: EditPacer = field(default_factory=EditPacer)  # streamed answers: edits per chat, paced


class BotNotStarted(RuntimeError):
    """A handler ran before the application was configured or started: a wiring bug."""


class BotData:
    """The application's ``bot_data``."""

    def __init__(self) -> None:
        self._config: HandlerConfig | None = None
        self._running: Running | None = None

    def configure(self, config: HandlerConfig) -> None:
        """Set the handler configuration (when the application is built)."""
        self._config = config

    def start(self, running: Running) -> None:
        """Set the running services (in ``post_init``)."""
        self._running = running

    def stop(self) -> Running | None:
        """Forget the running services, returning them for shutdown."""
        running, self._running = self._running, None
        return running

    @property
    def config(self) -> HandlerConfig:
        """The handler configuration."""
        if self._config is None:
            raise BotNotStarted("the application was built without a handler configuration")
        return self._config

    @property
    def running(self) -> Running:
        """The running services."""
        if self._running is None:
            raise BotNotStarted("a handler ran before post_init started the services")
        return self._running


class Context(CallbackContext[ExtBot[int], dict[Any, Any], dict[Any, Any], BotData]):
    """What every handler is given: ``bot_data`` is a ``BotData`` (the bot's rate limiter takes int lanes)."""
