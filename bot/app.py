"""Assembles the Telegram application: settings → services (in post_init) → handlers; runs it."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, ExtBot

from assistant.chat import ChatService, ConversationMemory
from assistant.notices import ReviewerNotices
from assistant.scheduler import ReminderScheduler
from bot.errors import MalformedToken, MissingToken
from bot.ratelimit import PacedRateLimiter
from bot.sender import TelegramSender
from bot.updates import SenderOrderedProcessor
from handlers import register, texts
from handlers.context import BotData, Context, HandlerConfig, ReportLimits, Running
from reminders.service import ReminderService
from reports.compaction import Compactor
from reports.limits import DailyLimiter, FailureLimiter
from reports.service import ReportService
from reports.store import ReportStore
from wiring.settings import Settings

log = logging.getLogger("qingfeng.bot")
TOKEN_PATTERN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")
CONCURRENT_UPDATES = 256  # what PTB's concurrent_updates(True) allows


def require_token(settings: Settings) -> str:
    """The configured bot token, checked for shape (not validity: Telegram decides that)."""
    if settings.telegram_token is None or not settings.telegram_token.get_secret_value().strip():
        raise MissingToken("QINGFENG_TELEGRAM_TOKEN is not set")
    token = settings.telegram_token.get_secret_value().strip()
    if not TOKEN_PATTERN.match(token):
        raise MalformedToken("QINGFENG_TELEGRAM_TOKEN is malformed")
    return token


@dataclass
class BotServices:
    """Everything the handlers use, created once when the bot starts and closed when it stops."""

    chat: ChatService
    executor: ThreadPoolExecutor
    engine: Engine
    reminders: ReminderService
    # False when the reminder service runs on an injected clock: APScheduler fires by the wall clock.
    run_scheduled_jobs: bool = True
    # Anonymous reports (/report, /status); None: the commands say the function is not enabled.
    reports: ReportService | None = None
    # Rebuilds the database file after reporters write, so its layout shows no arrival order.
    compactor: Compactor | None = None

    def close(self) -> None:
        """Finish running questions, rebuild the file if reports were written, release threads and connections."""
        self.executor.shutdown(wait=True, cancel_futures=True)
        if self.compactor is not None:
            self.compactor.stop(flush=True)
        self.engine.dispose()


def build_bot_services(settings: Settings) -> BotServices:
    """Load the model and the index (building it if needed) and open the database."""
    from knowledge.unanswered import UnansweredLog
    from wiring.factory import build_engine, build_knowledge, build_llm, build_reminders, build_reports

    knowledge = build_knowledge(settings)
    report = knowledge.ensure_ready()
    if report is not None:
        log.info("index built: %s chunks", report.total_chunks)
    knowledge.warm()
    engine = build_engine(settings)
    executor = ThreadPoolExecutor(max_workers=settings.ask_workers, thread_name_prefix="qingfeng-ask")
    memory = ConversationMemory(ttl=settings.followup_minutes * 60)
    chat = ChatService(knowledge, UnansweredLog(engine), executor, memory, llm=build_llm(settings))
    reminders = build_reminders(settings, engine)
    reminders.subscribe_configured(settings.reminder_chats)
    compactor = Compactor(ReportStore(engine).compact)
    reports = build_reports(settings, engine, on_write=compactor.written)
    compactor.start()
    # A process killed between a report and its rebuild left arrival order in the file: rebuild once now.
    compactor.written()
    return BotServices(
        chat=chat,
        executor=executor,
        engine=engine,
        reminders=reminders,
        reports=reports,
        compactor=compactor,
    )


ServicesFactory = Callable[[Settings], BotServices]
QingfengApp = Application[ExtBot[int], Context, dict[Any, Any], dict[Any, Any], BotData, Any]


def handler_config(settings: Settings) -> HandlerConfig:
    """The settings the handlers act on."""
    return HandlerConfig(
        admins=frozenset(settings.telegram_admins),
        draft_minutes=settings.reports_draft_minutes,
        reports_per_day=settings.reports_per_day,
        delete_messages=settings.reports_delete_messages,
    )


def build_application(
    settings: Settings, services_factory: ServicesFactory = build_bot_services
) -> QingfengApp:
    """The python-telegram-bot application with Qingfeng's handlers; services start in post_init."""
    token = require_token(settings)
    # Built with the services in post_init, closed in post_shutdown (the scheduler and notices in post_stop).
    lifecycle: list[BotServices] = []

    async def post_init(application: QingfengApp) -> None:
        # Loading the model takes seconds: do it off the loop, once, before the first update.
        services = await asyncio.to_thread(services_factory, settings)
        lifecycle.append(services)
        await set_commands(application, settings.telegram_admins)
        scheduler = ReminderScheduler(
            services.reminders,
            services.reminders.broadcaster(TelegramSender(application.bot)),
            services.engine,
            notify=lambda text: notify_admins(application, settings, text),
            reports=services.reports,
            retention_days=settings.reports_retention_days,
        )
        await scheduler.start(run_jobs=services.run_scheduled_jobs)
        application.bot_data.start(
            Running(
                chat=services.chat,
                reminders=services.reminders,
                scheduler=scheduler,
                report_limits=ReportLimits(
                    daily=DailyLimiter(settings.reports_per_day), lookups=FailureLimiter()
                ),
                reports=services.reports,
                notices=reviewer_notices(application, settings),
            )
        )
        log.info("bot @%s ready", application.bot.username)

    async def post_stop(application: QingfengApp) -> None:
        # Before the bot's HTTP client closes: broadcasts claim no more chats, messages in flight finish.
        running = application.bot_data.stop()
        if running is None:
            return
        await running.scheduler.stop()
        # Pending reviewer notices are dropped: they exist only in memory (see assistant/notices.py).
        if running.notices is not None:
            await running.notices.stop()

    async def post_shutdown(application: QingfengApp) -> None:
        while lifecycle:
            await asyncio.to_thread(lifecycle.pop().close)
        log.info("bot stopped")

    builder = (
        Application.builder()
        .token(token)
        .context_types(ContextTypes(context=Context, bot_data=BotData))
        .concurrent_updates(SenderOrderedProcessor(CONCURRENT_UPDATES))
        .rate_limiter(PacedRateLimiter(max_retries=3))
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
    )
    endpoints = bot_endpoints(settings)
    if endpoints:
        builder = builder.base_url(endpoints["base_url"]).base_file_url(endpoints["base_file_url"])
    application: QingfengApp = builder.build()
    config = handler_config(settings)
    application.bot_data.configure(config)
    register(application, config)
    return application


def reviewer_notices(application: QingfengApp, settings: Settings) -> ReviewerNotices | None:
    """The reviewer-chat notices (in memory only), or None when no reviewer chat is configured."""
    reviewer_chat = settings.reports_reviewer_chat
    if reviewer_chat is None:
        return None

    async def send(text: str) -> None:
        await application.bot.send_message(reviewer_chat, text)

    return ReviewerNotices(
        send, settings.reports_notice_min_delay * 60, settings.reports_notice_max_delay * 60
    )


async def notify_admins(application: QingfengApp, settings: Settings, text: str) -> None:
    """Send an operator notice to every bot admin (one failing admin does not stop the others)."""
    for admin in settings.telegram_admins:
        try:
            await application.bot.send_message(admin, text)
        except TelegramError as exc:
            log.warning("could not notify admin %s: %s", admin, exc)


async def set_commands(application: QingfengApp, admins: tuple[int, ...] = ()) -> None:
    """Register the command menu: Chinese for zh clients, English as the default, admin extras per admin."""
    bot = application.bot
    await bot.set_my_commands([BotCommand(c, d) for c, d in texts.COMMANDS_ZH], language_code="zh")
    await bot.set_my_commands(
        [BotCommand(c, d) for c, d in texts.COMMANDS_DEFAULT], scope=BotCommandScopeDefault()
    )
    admin_menu = [BotCommand(c, d) for c, d in (*texts.COMMANDS_ZH, *texts.COMMANDS_ADMIN)]
    for admin in admins:
        try:
            await bot.set_my_commands(admin_menu, scope=BotCommandScopeChat(admin))
        except TelegramError as exc:  # the admin has not opened a chat with the bot yet
            log.info("admin menu not set for %s: %s", admin, exc)


def bot_endpoints(settings: Settings) -> dict[str, str]:
    """The Bot API endpoints to use: a self-hosted server when configured, else PTB's default (Telegram)."""
    if not settings.telegram_base_url:
        return {}
    return {
        "base_url": settings.telegram_base_url.rstrip("/"),
        "base_file_url": settings.telegram_base_file_url or "",
    }


def build_sending_bot(settings: Settings) -> ExtBot[int]:
    """A bot for sending outside the running application (``reminders send-due``), paced like the bot."""
    endpoints = bot_endpoints(settings)
    return ExtBot(
        require_token(settings),
        base_url=endpoints.get("base_url", "https://api.telegram.org/bot"),
        base_file_url=endpoints.get("base_file_url", "https://api.telegram.org/file/bot"),
        rate_limiter=PacedRateLimiter(max_retries=3),
    )


async def check_connection(settings: Settings) -> str:
    """Ask the Bot API who we are, before loading anything heavy; raises InvalidToken or NetworkError."""
    async with Bot(require_token(settings), **bot_endpoints(settings)) as bot:  # type: ignore[arg-type]
        return bot.username


def run(settings: Settings, webhook_url: str | None = None) -> None:
    """Run until SIGINT/SIGTERM: long polling by default, or a webhook when ``webhook_url`` is given."""
    application = build_application(settings)
    # A wrong token or no route to Telegram should be one clear line, not the library's retry-loop traceback.
    asyncio.run(check_connection(settings))
    if webhook_url:
        secret = (
            settings.webhook_secret.get_secret_value()
            if settings.webhook_secret
            else secrets.token_urlsafe(32)
        )
        path = "telegram"
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=path,
            webhook_url=f"{webhook_url.rstrip('/')}/{path}",
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
