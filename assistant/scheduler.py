"""Schedules reminder broadcasts with APScheduler; jobs live in a SQLAlchemy job store beside the data.

Jobs name their function by text (``assistant.scheduler:run_reminder``) and carry only the reminder id, so the
store holds no objects. At start-up the plan is rebuilt under stable job ids (``reminder:<id>``, replaced,
never duplicated), jobs no longer in the plan are removed, and reminders missed while the bot was down are
sent if their holiday has not begun. The delivery log makes every send exactly-once per chat.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine

from reminders.broadcast import Broadcaster
from reminders.service import ReminderService
from reports.service import ReportService

log = logging.getLogger("qingfeng.scheduler")

JOB_PREFIX = "reminder:"
REPLAN_JOB = "replan"
RUN_REMINDER = "assistant.scheduler:run_reminder"
REPLAN = "assistant.scheduler:replan"
PURGE_JOB = "purge-reports"
PURGE = "assistant.scheduler:purge_reports"

EARLY = dt.timedelta(minutes=5)  # how early a job may fire (clock skew) and still send
Notify = Callable[[str], Awaitable[None]]


@dataclass
class _Runtime:
    service: ReminderService
    broadcaster: Broadcaster
    scheduler: AsyncIOScheduler
    notify: Notify
    reports: ReportService | None = None
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)


# The running bot's reminder runtime: jobs are stored by name, so they find their services here.
_runtime: _Runtime | None = None


@dataclass(frozen=True)
class SyncResult:
    """What a plan rebuild did."""

    scheduled: list[str]
    removed: list[str]
    due: list[str]


async def run_reminder(reminder_id: str) -> None:
    """Job: broadcast one reminder to every subscriber that has not had it."""
    runtime = _require()
    task = asyncio.current_task()
    if task is not None:  # so that stopping the bot waits for this broadcast
        runtime.tasks.add(task)
    try:
        reminder = await asyncio.to_thread(runtime.service.find, reminder_id)
        if reminder is None:
            log.warning("reminder %s is no longer in the plan; nothing sent", reminder_id)
            return
        if runtime.service.now() < reminder.send_at - EARLY:
            # Only a clock disagreeing with the job store gets here; sending early would be worse.
            log.warning("reminder %s fired before its time %s; not sent", reminder_id, reminder.send_at)
            return
        await runtime.service.broadcast(reminder, runtime.broadcaster)
    finally:
        if task is not None:
            runtime.tasks.discard(task)


async def replan() -> None:
    """Job (daily): rebuild the jobs from the plan, catch up, and warn about estimated holiday dates."""
    runtime = _require()
    now = runtime.service.now()
    await asyncio.to_thread(sync_jobs, runtime.scheduler, runtime.service, now)
    if now.weekday() == 0:  # weekly is enough to be noticed without nagging
        await warn_admins(runtime.service, runtime.notify, now)


async def purge_reports(retention_days: int) -> None:
    """Job (daily): delete closed reports whose retention period has passed, and scrub the freed space."""
    runtime = _require()
    if runtime.reports is None:
        return
    count = await asyncio.to_thread(runtime.reports.purge, retention_days)
    if count:
        log.info("purged %d closed reports", count)


def sync_jobs(scheduler: AsyncIOScheduler, service: ReminderService, now: dt.datetime) -> SyncResult:
    """Make the job store match the plan from ``now``: one job per future reminder, stale ones removed."""
    future = service.upcoming(limit=10_000, now=now)
    wanted = {JOB_PREFIX + r.id: r for r in future}
    removed = []
    for job in scheduler.get_jobs():
        if job.id.startswith(JOB_PREFIX) and job.id not in wanted:
            job.remove()
            removed.append(job.id)
    for job_id, reminder in wanted.items():
        scheduler.add_job(
            RUN_REMINDER,
            trigger="date",
            run_date=reminder.send_at,
            args=[reminder.id],
            id=job_id,
            name=reminder.title,
            replace_existing=True,
            # A late start (busy loop, suspended VM) still sends; run_reminder skips begun holidays.
            misfire_grace_time=None,
            coalesce=True,
        )
    due = [r.id for r in service.due(now)]
    return SyncResult(scheduled=sorted(wanted), removed=removed, due=due)


async def warn_admins(service: ReminderService, notify: Notify, now: dt.datetime | None = None) -> list[str]:
    """Log and message the bot admins when this or the coming year's holiday dates are only estimated."""
    warnings = await asyncio.to_thread(service.calendar_warnings, now)
    for text in warnings:
        log.warning("%s", text)
        await notify(f"【清风·节前提醒】{text}")
    return warnings


class ReminderScheduler:
    """Owns the APScheduler instance of the running bot: reminders, and the daily purge of old reports."""

    def __init__(
        self,
        service: ReminderService,
        broadcaster: Broadcaster,
        engine: Engine,
        notify: Notify,
        replan_time: dt.time = dt.time(0, 10),
        reports: ReportService | None = None,
        retention_days: int = 365,
        purge_time: dt.time = dt.time(3, 30),
    ) -> None:
        self.service = service
        self.broadcaster = broadcaster
        self.scheduler = AsyncIOScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename="scheduler_jobs")},
            timezone=service.config.timezone,
        )
        self.notify = notify
        self.replan_time = replan_time
        self.reports = reports
        self.retention_days = retention_days
        self.purge_time = purge_time
        self.last_sync: SyncResult | None = None
        self._spawned: set[asyncio.Task[None]] = set()

    async def start(self, run_jobs: bool = True) -> SyncResult:
        """Rebuild the jobs, start the scheduler, and send what was missed while the bot was down.

        ``run_jobs=False`` leaves the scheduler paused after the rebuild: for a clock that is not the real
        one (APScheduler fires jobs by the wall clock), e.g. in tests.
        """
        global _runtime
        _runtime = _Runtime(self.service, self.broadcaster, self.scheduler, self.notify, self.reports)
        # Paused until the jobs are rebuilt, so an outdated stored job cannot fire first.
        self.scheduler.start(paused=True)
        now = self.service.now()
        result = await asyncio.to_thread(sync_jobs, self.scheduler, self.service, now)
        self.scheduler.add_job(
            REPLAN,
            trigger="cron",
            hour=self.replan_time.hour,
            minute=self.replan_time.minute,
            id=REPLAN_JOB,
            replace_existing=True,
            misfire_grace_time=3600,
            coalesce=True,
        )
        if self.reports is not None:
            self.scheduler.add_job(
                PURGE,
                trigger="cron",
                hour=self.purge_time.hour,
                minute=self.purge_time.minute,
                args=[self.retention_days],
                id=PURGE_JOB,
                replace_existing=True,
                misfire_grace_time=None,  # a missed night's purge runs when the bot is back
                coalesce=True,
            )
        if run_jobs:
            self.scheduler.resume()
        for reminder_id in result.due:
            log.info("catching up on reminder %s", reminder_id)
            self.spawn(run_reminder(reminder_id))
        log.info(
            "scheduler: %d reminders scheduled, %d stale jobs removed, %d to catch up",
            len(result.scheduled),
            len(result.removed),
            len(result.due),
        )
        self.last_sync = result
        await warn_admins(self.service, self.notify, now)
        return result

    def spawn(self, job: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run a broadcast in the background (it registers itself so ``stop`` lets it finish)."""
        task = asyncio.get_running_loop().create_task(job)
        self._spawned.add(task)  # keep a reference: the loop holds tasks only weakly
        task.add_done_callback(self._spawned.discard)
        return task

    async def stop(self, timeout: float = 8.0) -> None:
        """Stop scheduling; broadcasts claim no more chats and messages in flight finish."""
        global _runtime
        self.broadcaster.stop()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        # Scheduled jobs register themselves; catch-ups and /broadcast_now runs are in _spawned.
        tasks = {*(_runtime.tasks if _runtime else ()), *self._spawned}
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        _runtime = None


def _require() -> _Runtime:
    if _runtime is None:
        raise RuntimeError("the reminder scheduler is not running")
    return _runtime
