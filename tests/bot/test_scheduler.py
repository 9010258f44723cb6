"""The reminder scheduler: real APScheduler, SQLAlchemy job store on SQLite, fake Bot API, injected clock."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from telegram.ext import ExtBot

from assistant.scheduler import JOB_PREFIX, PURGE_JOB, REPLAN_JOB, ReminderScheduler, purge_reports
from bot.ratelimit import PacedRateLimiter
from bot.sender import TelegramSender
from common.clock import CHINA
from reminders.content import ArticleLookup, corpus_lookup
from reminders.service import ReminderService
from reports.model import ReportDraft
from reports.receipt import ReceiptKeys
from reports.review import Reviewer
from reports.service import ReportService
from reports.store import ReportStore
from tests.fakebotapi import FakeBotAPI
from tests.fakes import migrated
from tests.reports.conftest import listing, new_reviewer_key
from wiring.factory import build_reminders
from wiring.settings import load_settings

CHATS = [-1001, -1002, -1003, 4242]


@pytest.fixture(scope="module")
def lookup() -> ArticleLookup:
    return corpus_lookup()


@pytest.fixture
def server() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as fake:
        yield fake


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = migrated(f"sqlite:///{tmp_path / 'q.db'}")
    yield engine
    engine.dispose()


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=CHINA)


def service_at(engine: Engine, lookup: ArticleLookup, moment: dt.datetime, tmp: Path) -> ReminderService:
    settings = load_settings({"data_dir": tmp})
    service = build_reminders(settings, engine, lookup=lookup, clock=lambda: moment)
    for chat in CHATS:
        service.subscribe(chat, f"chat {chat}")
    return service


class Run:
    """One bot lifetime: a scheduler over the shared engine, sending to the fake server."""

    def __init__(
        self,
        server: FakeBotAPI,
        service: ReminderService,
        engine: Engine,
        run_jobs: bool = False,
        **scheduler_options: Any,
    ) -> None:
        self.scheduler_options = scheduler_options
        # The injected clocks are not the wall clock APScheduler fires by: keep it paused unless asked.
        self.run_jobs = run_jobs
        self.server = server
        self.service = service
        self.engine = engine
        self.notices: list[str] = []

    async def __aenter__(self) -> ReminderScheduler:
        self.bot = ExtBot(
            self.server.token,
            base_url=self.server.base_url,
            base_file_url=self.server.base_file_url,
            rate_limiter=PacedRateLimiter(max_retries=0),
        )
        await self.bot.initialize()

        async def notify(message: str) -> None:
            self.notices.append(message)

        self.scheduler = ReminderScheduler(
            self.service,
            self.service.broadcaster(TelegramSender(self.bot)),
            self.engine,
            notify,
            **self.scheduler_options,
        )
        await self.scheduler.start(run_jobs=self.run_jobs)
        return self.scheduler

    async def __aexit__(self, *exc: object) -> None:
        await self.scheduler.stop()
        await self.bot.shutdown()


def job_ids(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(row[0] for row in conn.execute(text("SELECT id FROM scheduler_jobs")))


def per_chat(server: FakeBotAPI) -> dict[int, int]:
    counts: dict[int, int] = {}
    for call in server.sent_messages():
        if call.status == 200:
            counts[call.chat_id] = counts.get(call.chat_id, 0) + 1
    return counts


async def settle(scheduler: ReminderScheduler) -> None:
    """Wait for background broadcasts started by the scheduler."""
    for _ in range(200):
        await asyncio.sleep(0.05)
        from assistant import scheduler as module

        runtime = module._runtime
        if runtime is not None and not runtime.tasks and not scheduler._spawned:
            return


async def test_jobs_are_stored_by_name_with_stable_ids_and_never_duplicated(
    server: FakeBotAPI, engine: Engine, lookup: ArticleLookup, tmp_path: Path
) -> None:
    service = service_at(engine, lookup, at("2026-09-01T08:00"), tmp_path)
    async with Run(server, service, engine) as scheduler:
        first = job_ids(engine)
        job = scheduler.scheduler.get_job(JOB_PREFIX + "2026-national_day-main")
        assert job is not None
        assert job.func_ref == "assistant.scheduler:run_reminder"
        assert job.args == ("2026-national_day-main",)
        assert job.next_run_time == at("2026-09-28T09:00")
    async with Run(server, service, engine):
        assert job_ids(engine) == first  # rebuilt at start-up under the same ids
    assert REPLAN_JOB in first
    reminders = [j for j in first if j.startswith(JOB_PREFIX)]
    assert len(reminders) == len(set(reminders))
    assert JOB_PREFIX + "2026-mid_autumn-main" in reminders
    assert JOB_PREFIX + "2027-spring_festival-7d" in reminders
    assert server.sent_messages() == []  # nothing was due on 1 September


async def test_past_and_vanished_jobs_are_removed_on_restart(
    server: FakeBotAPI, engine: Engine, lookup: ArticleLookup, tmp_path: Path
) -> None:
    async with Run(server, service_at(engine, lookup, at("2026-09-01T08:00"), tmp_path), engine):
        pass
    assert JOB_PREFIX + "2026-mid_autumn-main" in job_ids(engine)
    # Restart in November: September's jobs are gone, later ones kept, nothing is due.
    async with Run(server, service_at(engine, lookup, at("2026-11-01T08:00"), tmp_path), engine):
        ids = job_ids(engine)
    assert JOB_PREFIX + "2026-mid_autumn-main" not in ids
    assert JOB_PREFIX + "2027-new_year-main" in ids
    assert server.sent_messages() == []


async def test_missed_reminder_is_caught_up_once_while_the_holiday_has_not_begun(
    server: FakeBotAPI, engine: Engine, lookup: ArticleLookup, tmp_path: Path
) -> None:
    # The bot was down on 28 September at 09:00 and comes back at 15:00: the 国庆 reminder goes out now.
    service = service_at(engine, lookup, at("2026-09-28T15:00"), tmp_path)
    async with Run(server, service, engine) as scheduler:
        assert scheduler.last_sync is not None
        assert scheduler.last_sync.due == ["2026-national_day-main"]
        await settle(scheduler)
    assert per_chat(server) == {chat: 1 for chat in CHATS}
    assert "国庆" in (server.sent_messages()[0].text or "")
    # Restarted the same day: nothing again.
    async with Run(server, service, engine) as scheduler:
        await settle(scheduler)
    assert per_chat(server) == {chat: 1 for chat in CHATS}


async def test_missed_reminder_is_dropped_once_the_holiday_has_begun(
    server: FakeBotAPI, engine: Engine, lookup: ArticleLookup, tmp_path: Path
) -> None:
    service = service_at(engine, lookup, at("2026-10-01T08:00"), tmp_path)
    async with Run(server, service, engine) as scheduler:
        assert scheduler.last_sync is not None
        assert scheduler.last_sync.due == []
        await settle(scheduler)
    assert server.sent_messages() == []


async def test_a_stored_job_fires_at_its_time_and_broadcasts_by_name(
    server: FakeBotAPI, engine: Engine, lookup: ArticleLookup, tmp_path: Path
) -> None:
    # Real clock here: an operator reminder two seconds from now, fired by APScheduler from SQLite.
    now = dt.datetime.now(CHINA).replace(microsecond=0)
    due = now + dt.timedelta(seconds=2)
    if due.date() != now.date():  # a reminder's date and time must be the same day
        now, due = now + dt.timedelta(seconds=3), now + dt.timedelta(seconds=5)
    (tmp_path / "reminders.toml").write_text(
        f'[[reminder]]\ndate = {due.date()}\ntime = "{due.time()}"\ntitle = "换届纪律提醒"\n'
        'text = "严禁拉票贿选。"\n',
        encoding="utf-8",
    )
    settings = load_settings({"data_dir": tmp_path})
    service = build_reminders(settings, engine, lookup=lookup)
    for chat in CHATS:
        service.subscribe(chat, f"chat {chat}")
    async with Run(server, service, engine, run_jobs=True) as scheduler:
        job = next(j for j in scheduler.scheduler.get_jobs() if "换届" in j.name)
        assert job.func_ref == "assistant.scheduler:run_reminder"
        for _ in range(200):
            if sum("换届纪律提醒" in (c.text or "") for c in server.sent_messages()) >= len(CHATS):
                break
            await asyncio.sleep(0.05)
        await settle(scheduler)
        assert scheduler.scheduler.get_job(job.id) is None  # a date job runs once
    custom = [c for c in server.sent_messages() if "换届纪律提醒" in (c.text or "")]
    assert sorted(c.chat_id for c in custom) == sorted(CHATS)
    # Not before its time (Call.t is monotonic: convert the due moment onto that clock).
    due_monotonic = time.monotonic() - (time.time() - due.timestamp())
    assert all(c.t >= due_monotonic - 0.5 for c in custom)


async def test_admins_are_warned_when_the_coming_year_is_only_estimated(
    server: FakeBotAPI, engine: Engine, lookup: ArticleLookup, tmp_path: Path
) -> None:
    run = Run(server, service_at(engine, lookup, at("2026-11-27T10:00"), tmp_path), engine)
    async with run:
        pass
    assert len(run.notices) == 1
    assert "2027年节假日安排尚未收录官方通知" in run.notices[0]
    override = tmp_path / "holidays.toml"
    override.write_text(
        "\n".join(
            f'[[holiday]]\nyear = 2027\nkey = "{key}"\nstart = {start}\nend = {end}\n'
            for key, start, end in [
                ("new_year", "2027-01-01", "2027-01-03"),
                ("spring_festival", "2027-02-05", "2027-02-12"),
                ("tomb_sweeping", "2027-04-03", "2027-04-05"),
                ("labour_day", "2027-05-01", "2027-05-05"),
                ("dragon_boat", "2027-06-09", "2027-06-11"),
                ("mid_autumn", "2027-09-15", "2027-09-17"),
                ("national_day", "2027-10-01", "2027-10-07"),
            ]
        ),
        encoding="utf-8",
    )
    run = Run(server, service_at(engine, lookup, at("2026-11-27T10:00"), tmp_path), engine)
    async with run:
        pass
    assert run.notices == []


async def test_closed_reports_are_purged_by_the_daily_job(
    server: FakeBotAPI, engine: Engine, lookup: ArticleLookup, tmp_path: Path
) -> None:
    today = [dt.date(2026, 1, 5)]
    key = new_reviewer_key()
    store = ReportStore(engine)
    reports = ReportService(store, listing(key), ReceiptKeys(b"s" * 32), clock=lambda: today[0])
    reports.submit(ReportDraft(category="gifts", details="节前有人给科室送购物卡。"))
    reviewer = Reviewer(store, key, listing(key), clock=lambda: today[0])
    [summary] = reviewer.list()
    reviewer.set_status(summary.id, "in_progress")
    reviewer.set_status(summary.id, "closed")
    service = service_at(engine, lookup, at("2026-11-27T10:00"), tmp_path)
    async with Run(server, service, engine, reports=reports, retention_days=30) as scheduler:
        job = scheduler.scheduler.get_job(PURGE_JOB)
        assert job is not None and job.func_ref == "assistant.scheduler:purge_reports" and job.args == (30,)
        today[0] = dt.date(2026, 2, 3)  # 29 days after closing: kept
        await purge_reports(30)
        assert len(reviewer.list()) == 1
        today[0] = dt.date(2026, 2, 4)  # 30 days: purged
        await purge_reports(30)
        assert reviewer.list() == []
