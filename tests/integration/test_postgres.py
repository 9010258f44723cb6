"""The relational store on a real PostgreSQL, through the engine the bot builds from QINGFENG_DATABASE_URL.

The engine-independent tests of tests/reports, tests/reminders and tests/bot/test_scheduler are run here a
second time: this module defines their fixtures (``kit``, ``store``, ``engine``) on PostgreSQL and picks
the tests up by name. What only PostgreSQL can show (types, constraints, concurrent writers and start-ups,
big supergroup ids) is tested below them.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Connection, Engine, create_engine, func, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from assistant.scheduler import JOB_PREFIX, ReminderScheduler, sync_jobs
from common.clock import CHINA
from knowledge.unanswered import UnansweredLog
from reminders.broadcast import Broadcaster, ChatGone, ChatMoved, RetryLater
from reminders.content import ArticleLookup
from reminders.store import ReminderStore
from reports.keys import load_reviewer_key, write_key_files
from reports.model import Attachment, ReportDraft
from reports.receipt import ReceiptKeys
from reports.service import ReportService
from reports.store import (
    AuditEntry,
    ReportStore,
    StoredReport,
    attachments_table,
    entries_table,
    reports_table,
)
from tests.bot import test_scheduler as scheduler_tests
from tests.reminders import test_broadcast as broadcast_tests
from tests.reminders import test_store as reminder_store_tests
from tests.reports import test_review as review_tests
from tests.reports import test_service as service_tests
from tests.reports import test_store as report_store_tests
from tests.reports.conftest import DAY, Days, ReportKit, new_reviewer_key
from wiring.database import VERSION_TABLE, open_engine, schema, upgrade
from wiring.factory import build_engine, build_reminders, build_reports, build_reviewer, reviewers_dir
from wiring.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
TABLES = {"reports", "report_entries", "report_attachments", "report_audit"}
OTHER_TABLES = {"reminder_subscriptions", "reminder_deliveries", "unanswered_questions", "scheduler_jobs"}
HEAD = "0003_reminders_questions_jobs"
SUPERGROUP = -1001234567890  # Telegram supergroup ids are -100 followed by ten digits: past 32 bits
OLD_GROUP = -987654321


# Fixtures of the reused tests, on PostgreSQL


@pytest.fixture
def kit(pg_engine: Engine, tmp_path: Path) -> ReportKit:
    """tests/reports' kit on PostgreSQL: migrated store, two reviewers, a clock moved by hand."""
    return ReportKit(
        engine=pg_engine,
        db_path=tmp_path / "unused.db",  # only the SQLite-file tests read it; they are not reused
        store=ReportStore(pg_engine),
        days=Days(),
        reviewer_keys=[new_reviewer_key(), new_reviewer_key()],
    )


@pytest.fixture
def store(pg_engine: Engine) -> ReminderStore:
    """tests/reminders' store on PostgreSQL."""
    return ReminderStore(pg_engine)


@pytest.fixture
def engine(pg_engine: Engine) -> Engine:
    """tests/bot/test_scheduler's engine on PostgreSQL: reminders and APScheduler's job store share it."""
    return pg_engine


server = scheduler_tests.server  # the fake Bot API on loopback
lookup = scheduler_tests.lookup


# The engine-independent tests of the SQLite suites, collected here a second time under the fixtures above.
REUSED = {
    # tests/reports/test_service.py: the reporter's side (not the SQLite file and WAL checks).
    service_tests: (
        "test_submit_returns_a_receipt_and_status_starts_new",
        "test_malformed_and_unknown_codes_are_bad_receipts",
        "test_another_server_secret_cannot_find_the_report",
        "test_invalid_drafts_and_missing_keys_store_nothing",
        "test_reviewer_keys_are_read_at_each_submission",
        "test_additions_are_counted_for_the_reporter_and_readable_by_reviewers",
        "test_additions_are_checked_and_refused_once_closed",
        "test_replies_reach_the_reporter_with_their_day",
        "test_a_process_without_a_reviewer_key_cannot_decrypt",
        "test_a_failure_mid_submit_stores_nothing",
    ),
    # tests/reports/test_review.py: the reviewers' side.
    review_tests: (
        "test_list_decrypts_categories_and_counts",
        "test_show_decrypts_everything_for_every_reviewer",
        "test_a_reviewer_added_later_cannot_read_older_reports",
        "test_replies_are_checked",
        "test_status_moves_only_forward_one_step",
        "test_unknown_ids",
        "test_every_action_is_audited_by_day_and_fingerprint",
        "test_export_writes_decrypted_reports_and_files",
        "test_export_refuses_reports_this_key_cannot_open",
    ),
    # tests/reports/test_store.py: the report tables (not the SQLite-only ones).
    report_store_tests: (
        "test_no_column_could_identify_a_reporter",
        "test_a_taken_id_or_lookup_hash_stores_nothing",
        "test_entries_are_numbered_within_their_report",
        "test_closed_reports_refuse_entries_only_when_asked",
        "test_audit_rows_are_written_with_the_action",
    ),
    # tests/reminders/test_store.py: subscriptions and the delivery log.
    reminder_store_tests: (
        "test_subscribe_twice_and_unsubscribe_keep_the_reason",
        "test_migration_moves_an_active_subscription",
        "test_migration_does_not_resubscribe_a_group_that_left",
        "test_claim_is_exactly_once_but_a_crashed_send_is_claimable_again",
    ),
    # tests/reminders/test_broadcast.py: broadcasts through the real bot stack to the fake Bot API.
    broadcast_tests: (
        "test_faults_are_handled_and_every_chat_gets_it_once",
        "test_blocked_chat_is_unsubscribed_and_migrated_group_keeps_its_subscription",
        "test_a_second_run_sends_nothing_again",
        "test_persistent_errors_are_bounded_and_recorded",
    ),
    # tests/bot/test_scheduler.py: APScheduler's SQLAlchemy job store, catch-up and the daily purge.
    scheduler_tests: (
        "test_jobs_are_stored_by_name_with_stable_ids_and_never_duplicated",
        "test_past_and_vanished_jobs_are_removed_on_restart",
        "test_missed_reminder_is_caught_up_once_while_the_holiday_has_not_begun",
        "test_missed_reminder_is_dropped_once_the_holiday_has_begun",
        "test_a_stored_job_fires_at_its_time_and_broadcasts_by_name",
        "test_closed_reports_are_purged_by_the_daily_job",
    ),
}
for _module, _names in REUSED.items():
    globals().update({name: getattr(_module, name) for name in _names})


# The engine and the settings


def test_the_database_url_setting_selects_postgresql(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QINGFENG_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("QINGFENG_DATABASE_URL", pg_url)
    settings = load_settings()
    assert settings.database == pg_url
    engine = build_engine(settings)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
        assert (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg")
    finally:
        engine.dispose()
    assert not (tmp_path / "qingfeng.db").exists()  # nothing went to SQLite on the side


def test_a_bare_postgresql_url_uses_psycopg_3(pg_url: str, tmp_path: Path) -> None:
    # SQLAlchemy's default for postgresql:// is psycopg2, which the postgres extra does not install.
    bare = pg_url.replace("postgresql+psycopg://", "postgresql://", 1)
    engine = build_engine(load_settings({"data_dir": tmp_path, "database_url": bare}))
    try:
        assert engine.dialect.driver == "psycopg"
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


# One migration for every table, and what PostgreSQL enforces


def test_the_migration_creates_every_table_once_and_matches_the_code(pg_url: str) -> None:
    engine = open_engine(pg_url)
    try:
        assert inspect(engine).get_table_names() == []
        upgrade(engine)
        upgrade(engine)  # the bot and the CLI both migrate at start-up
        assert set(inspect(engine).get_table_names()) == TABLES | OTHER_TABLES | {VERSION_TABLE}
        with engine.connect() as conn:
            versions = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
            assert versions == [HEAD]
            context = MigrationContext.configure(
                conn, opts={"version_table": VERSION_TABLE, "compare_type": True}
            )
            assert compare_metadata(context, schema()) == []
        types = {c["name"]: str(c["type"]) for c in inspect(engine).get_columns("reports")}
        assert types["lookup_hash"] == "BYTEA" and types["day"] == "DATE"
    finally:
        engine.dispose()


def test_the_migration_leaves_other_applications_tables_alone(pg_url: str) -> None:
    engine = open_engine(pg_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE other_app (x INTEGER)"))
            conn.execute(text("INSERT INTO other_app VALUES (7)"))
        upgrade(engine)
        ReminderStore(engine).subscribe(SUPERGROUP, "群", DAY)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT x FROM other_app")).scalar_one() == 7
        assert [s.chat_id for s in ReminderStore(engine).subscriptions()] == [SUPERGROUP]
    finally:
        engine.dispose()


def stored(report_id: str) -> StoredReport:
    return StoredReport(report_id, DAY, "new", DAY, None, b"p" * 32, b"s" * 72)


def test_constraints_are_enforced_by_postgresql(kit: ReportKit) -> None:
    with pytest.raises(IntegrityError), kit.engine.begin() as conn:
        conn.execute(
            insert(reports_table).values(
                id="BADSTATUS0",
                day=DAY,
                status="archived",
                status_day=DAY,
                lookup_hash=b"h",
                reply_public=b"p",
                reply_sealed_private=b"s",
            )
        )
    with pytest.raises(IntegrityError), kit.engine.begin() as conn:  # foreign key: no such report
        conn.execute(
            insert(entries_table).values(report_id="NOSUCHID00", seq=0, kind="report", day=DAY, envelope=b"x")
        )
    assert kit.store.add_report(stored("AAAAAAAAAA"), b"h1", b"body", [b"f1", b"f2"])
    # ON DELETE CASCADE works here (on SQLite only the store's explicit deletes do it).
    with kit.engine.begin() as conn:
        conn.execute(reports_table.delete().where(reports_table.c.id == "AAAAAAAAAA"))
    assert kit.store.entries("AAAAAAAAAA") == [] and kit.store.attachments("AAAAAAAAAA") == []


def test_binary_columns_come_back_as_bytes(kit: ReportKit) -> None:
    body, files = bytes(range(256)) * 4, [b"\x00\xff" * 1000, b""]
    assert kit.store.add_report(stored("AAAAAAAAAA"), bytes(32), body, files)
    report = kit.store.by_lookup_hash(bytes(32))
    assert report is not None and type(report.reply_public) is bytes
    assert report == stored("AAAAAAAAAA")
    [entry] = kit.store.entries("AAAAAAAAAA")
    assert type(entry.envelope) is bytes and entry.envelope == body
    assert kit.store.attachments("AAAAAAAAAA") == files
    [summary] = kit.store.summaries()
    assert (summary.body, summary.attachments, summary.messages) == (body, 2, 0)


def test_full_report_lifecycle_with_audit_and_purge(kit: ReportKit, tmp_path: Path) -> None:
    service = ReportService(kit.store, kit.directory, ReceiptKeys(b"s" * 32), kit.days)
    photo = Attachment("现场.jpg", "image/jpeg", b"\xff\xd8\xff" + bytes(range(256)) * 40)
    receipt = service.submit(
        ReportDraft(category="gifts", details="某处长节前收受购物卡，金额较大。", attachments=(photo,))
    )
    kept = service.submit(ReportDraft(category="banquets", details="某科室工作日中午饮酒，经常如此。"))
    reviewer = kit.reviewer()
    report_id = next(s.id for s in reviewer.list() if s.category == "gifts")
    assert reviewer.show(report_id).attachments == (photo,)
    kit.days.advance(1)
    service.add_information(receipt.code, "补充：时间是九月二十日。")
    reviewer.reply(report_id, "已收到，正在核查。")
    reviewer.set_status(report_id, "in_progress")
    reviewer.set_status(report_id, "closed")
    view = service.status(receipt.code)
    assert (view.status, view.additions, [m.text for m in view.replies]) == (
        "closed",
        1,
        ["已收到，正在核查。"],
    )
    assert reviewer.export(tmp_path / "export") == 2
    closed_day = kit.days.today
    kit.days.advance(29)
    assert reviewer.purge(30) == 0
    kit.days.advance(1)
    assert reviewer.purge(30) == 1
    assert kit.store.get(report_id) is None and kit.store.entries(report_id) == []
    assert kit.store.attachments(report_id) == []
    assert service.status(kept.code).status == "new"
    assert [a.action for a in kit.store.audit_log(report_id)] == [
        "show",
        "reply",
        "status:in_progress",
        "status:closed",
        "export",
        "purge",
    ]
    assert kit.store.audit_log(report_id)[3].day == closed_day
    assert kit.store.audit_log()[0] == AuditEntry(DAY, reviewer.fingerprint, "list", None)


def test_a_concurrent_writer_taking_the_lookup_hash_leaves_nothing_behind(kit: ReportKit) -> None:
    # A inserts its report and holds the transaction open; B checks (A is not visible yet), inserts,
    # waits on the unique index until A commits, then gets the IntegrityError: nothing of B is stored.
    inserted = threading.Event()

    class SlowStore(ReportStore):
        def _insert_attachment(self, conn: Connection, report_id: str, seq: int, envelope: bytes) -> None:
            inserted.set()
            time.sleep(0.5)
            super()._insert_attachment(conn, report_id, seq, envelope)

    results: dict[str, bool] = {}
    slow = SlowStore(kit.engine)
    first = threading.Thread(
        target=lambda: results.__setitem__("A", slow.add_report(stored("AAAAAAAAAA"), b"same", b"a", [b"f"]))
    )
    first.start()
    assert inserted.wait(10)
    results["B"] = kit.store.add_report(stored("BBBBBBBBBB"), b"same", b"b", [b"g"])
    first.join(10)
    assert results == {"A": True, "B": False}
    assert [s.report.id for s in kit.store.summaries()] == ["AAAAAAAAAA"]
    with kit.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(attachments_table)).scalar_one() == 1


def test_concurrent_additions_and_replies_get_distinct_sequence_numbers(kit: ReportKit) -> None:
    assert kit.store.add_report(stored("AAAAAAAAAA"), b"h", b"body")
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def write(kind: str) -> None:
        start.wait()
        try:
            for n in range(5):
                kit.store.add_entry("AAAAAAAAAA", kind, DAY, f"{kind}{n}".encode())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(kind,)) for kind in ("addition", "reply") * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert [e.seq for e in kit.store.entries("AAAAAAAAAA")] == list(range(41))


# Start-up: several processes on an empty database at once

_START_UP = """
import sys, time
from wiring.database import open_engine, upgrade
engine = open_engine(sys.argv[1])
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
upgrade(engine)
"""


def test_processes_starting_together_on_an_empty_database_all_come_up(pg_url: str) -> None:
    # The bot and a CLI command (or a second container) starting at once used to race on CREATE TABLE.
    start = time.time() + 2.0
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _START_UP, pg_url, str(start)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    failures = []
    for process in processes:
        _, err = process.communicate(timeout=120)
        if process.returncode:
            failures.append(err.strip().splitlines()[-3:])
    assert failures == []
    engine = create_engine(pg_url)
    try:
        assert set(inspect(engine).get_table_names()) == TABLES | OTHER_TABLES | {VERSION_TABLE}
        with engine.connect() as conn:
            assert conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all() == [HEAD]
    finally:
        engine.dispose()


# Reminders: big supergroup ids, migration, and a broadcast exactly once


def test_supergroup_ids_past_32_bits_are_stored_as_bigint(store: ReminderStore) -> None:
    columns = {c["name"]: str(c["type"]) for c in inspect(store.engine).get_columns("reminder_subscriptions")}
    assert columns["chat_id"] == "BIGINT"
    chats = [SUPERGROUP - n for n in range(3)] + [-1009999999999, 7_000_000_000]
    for chat in chats:
        assert store.subscribe(chat, f"群{chat}", DAY)
    assert not store.subscribe(SUPERGROUP, "again", DAY)
    assert [s.chat_id for s in store.subscriptions()] == sorted(chats)
    assert store.unsubscribe(SUPERGROUP - 2, "blocked")
    assert not store.is_subscribed(SUPERGROUP - 2) and store.is_subscribed(SUPERGROUP)
    assert store.pending_chats("r1") == sorted(c for c in chats if c != SUPERGROUP - 2)


def test_a_group_migrating_to_a_supergroup_moves_its_subscription_and_delivery(store: ReminderStore) -> None:
    store.subscribe(OLD_GROUP, "老群", DAY)
    assert store.claim("r1", OLD_GROUP)
    store.migrate(OLD_GROUP, SUPERGROUP)
    assert store.move_delivery("r1", OLD_GROUP, SUPERGROUP)
    store.finish("r1", SUPERGROUP, "sent", 2)
    assert [(d.chat_id, d.status, d.attempts) for d in store.deliveries("r1")] == [(SUPERGROUP, "sent", 2)]
    assert [(s.chat_id, s.title) for s in store.subscriptions()] == [(SUPERGROUP, "老群")]
    old = next(s for s in store.subscriptions(active_only=False) if s.chat_id == OLD_GROUP)
    assert (old.active, old.note) == (False, f"migrated to {SUPERGROUP}")
    assert not store.claim("r1", SUPERGROUP) and store.pending_chats("r1") == []
    # A second claim for the old id in another reminder, when the new id already has that one: dropped.
    assert store.claim("r2", SUPERGROUP) and store.claim("r2", OLD_GROUP)
    assert not store.move_delivery("r2", OLD_GROUP, SUPERGROUP)
    assert {d.chat_id: d.status for d in store.deliveries("r2")} == {
        SUPERGROUP: "sending",
        OLD_GROUP: "dropped",
    }


class FakeSender:
    """An in-process sender: records what it sends, and plays scripted problems per chat."""

    def __init__(self, problems: dict[int, list[Exception]] | None = None) -> None:
        self.problems = {chat: list(errors) for chat, errors in (problems or {}).items()}
        self.sent: list[tuple[int, str]] = []

    async def send(self, chat_id: int, html: str) -> None:
        await asyncio.sleep(0)
        queued = self.problems.get(chat_id)
        if queued:
            raise queued.pop(0)
        self.sent.append((chat_id, html))

    def counts(self) -> collections.Counter[int]:
        return collections.Counter(chat for chat, _ in self.sent)


async def no_sleep(seconds: float) -> None:
    return None


async def test_broadcast_reaches_every_supergroup_exactly_once(store: ReminderStore) -> None:
    chats = [SUPERGROUP - n for n in range(60)] + [OLD_GROUP, 4242]
    for chat in chats:
        store.subscribe(chat, "", DAY)
    gone, flaky = SUPERGROUP - 1, SUPERGROUP - 2
    sender = FakeSender(
        {
            OLD_GROUP: [ChatMoved(SUPERGROUP - 100)],
            gone: [ChatGone("Forbidden: bot was kicked")],
            flaky: [RetryLater(3), ConnectionError("reset"), ConnectionError("reset")],
        }
    )
    broadcaster = Broadcaster(store, sender, concurrency=20, sleep=no_sleep)
    report = await broadcaster.broadcast("2026-national_day-main", "<b>国庆节前廉洁提醒</b>")
    expected = {c for c in chats if c not in (OLD_GROUP, gone)} | {SUPERGROUP - 100}
    assert sender.counts() == {chat: 1 for chat in expected}
    assert sorted(report.sent) == sorted(expected)
    assert report.migrated == {OLD_GROUP: SUPERGROUP - 100} and list(report.unsubscribed) == [gone]
    assert report.retries == 3
    statuses = {d.chat_id: d.status for d in store.deliveries("2026-national_day-main")}
    assert statuses == {**{chat: "sent" for chat in expected}, gone: "dropped"}
    assert store.is_subscribed(SUPERGROUP - 100) and not store.is_subscribed(OLD_GROUP)
    again = await Broadcaster(store, sender, sleep=no_sleep).broadcast("2026-national_day-main", "x")
    assert again.sent == [] and sender.counts() == {chat: 1 for chat in expected}


async def test_a_stopped_broadcast_resumes_without_sending_twice(store: ReminderStore) -> None:
    chats = [SUPERGROUP - n for n in range(30)]
    for chat in chats:
        store.subscribe(chat, "", DAY)
    sender = FakeSender()
    first = Broadcaster(store, sender, concurrency=1, sleep=no_sleep)
    original = sender.send

    async def stop_after_ten(chat_id: int, html: str) -> None:
        await original(chat_id, html)
        if len(sender.sent) == 10:
            first.stop()  # the bot is shutting down

    sender.send = stop_after_ten  # type: ignore[method-assign]
    assert len((await first.broadcast("r", "提醒")).sent) == 10
    # A crash between claiming and sending leaves a "sending" row: the next run sends it.
    assert store.claim("r", store.pending_chats("r")[0])
    sender.send = original  # type: ignore[method-assign]
    second = await Broadcaster(store, sender, sleep=no_sleep).broadcast("r", "提醒")
    assert len(second.sent) == 20
    assert sender.counts() == {chat: 1 for chat in chats}
    assert store.pending_chats("r") == []


# The unanswered-question log


def test_unanswered_questions_most_frequent_first(pg_engine: Engine) -> None:
    log = UnansweredLog(pg_engine)
    UnansweredLog(pg_engine)  # a second start changes nothing
    day = dt.date(2026, 11, 27)
    log.record("社保断缴怎么办", "refused", day)
    log.record("公车  私用\n怎么处理", "downvoted", day)
    log.record("公车 私用 怎么处理", "refused", day + dt.timedelta(days=1))
    log.record("年终奖怎么算", "downvoted", day - dt.timedelta(days=3))
    log.record("   ", "refused", day)
    with pytest.raises(ValueError):
        log.record("问题", "angry", day)
    top = log.top()
    assert [e.question for e in top] == ["公车 私用 怎么处理", "社保断缴怎么办", "年终奖怎么算"]
    assert (top[0].count, top[0].refused, top[0].downvoted) == (2, 1, 1)
    assert top[0].last_day == day + dt.timedelta(days=1) and type(top[0].last_day) is dt.date
    assert (top[2].refused, top[2].downvoted) == (0, 1)
    assert [(e.question, e.count) for e in log.top(since=day + dt.timedelta(days=1))] == [
        ("公车 私用 怎么处理", 1)
    ]
    assert len(log.top(limit=1)) == 1
    log.record("长" * 5000, "refused", day)
    assert max(len(e.question) for e in log.top()) == 1000
    columns = {c["name"]: str(c["type"]) for c in inspect(pg_engine).get_columns("unanswered_questions")}
    assert columns == {"id": "INTEGER", "question": "TEXT", "day": "DATE", "reason": "VARCHAR(16)"}


# The scheduler's job store on PostgreSQL, driven by an injected clock


def at(moment: str) -> dt.datetime:
    return dt.datetime.fromisoformat(moment).replace(tzinfo=CHINA)


async def test_sync_jobs_keeps_the_plan_in_the_postgresql_job_store(
    pg_settings: Settings, pg_engine: Engine, lookup: ArticleLookup
) -> None:
    service = build_reminders(pg_settings, pg_engine, lookup=lookup, clock=lambda: at("2026-09-01T08:00"))
    scheduler = AsyncIOScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=pg_engine, tablename="scheduler_jobs")},
        timezone=service.config.timezone,
    )
    scheduler.start(paused=True)
    try:
        first = sync_jobs(scheduler, service, at("2026-09-01T08:00"))
        assert JOB_PREFIX + "2026-national_day-main" in first.scheduled and first.due == []
        later = sync_jobs(scheduler, service, at("2026-11-01T08:00"))
        assert JOB_PREFIX + "2026-national_day-main" in later.removed
    finally:
        scheduler.shutdown(wait=False)
    # Another process (a fresh engine) finds the same jobs, with their times, in PostgreSQL.
    other = build_engine(pg_settings)
    try:
        reader = SQLAlchemyJobStore(engine=other, tablename="scheduler_jobs")
        reader.start(AsyncIOScheduler(timezone=CHINA), "default")
        jobs = {job.id: job for job in reader.get_all_jobs()}
        assert set(jobs) == set(later.scheduled)
        job = jobs[JOB_PREFIX + "2027-new_year-main"]
        assert job.func_ref == "assistant.scheduler:run_reminder" and job.next_run_time.year == 2026
    finally:
        other.dispose()


async def test_scheduler_catches_up_once_with_a_fake_sender(
    pg_settings: Settings, pg_engine: Engine, lookup: ArticleLookup
) -> None:
    service = build_reminders(pg_settings, pg_engine, lookup=lookup, clock=lambda: at("2026-09-28T15:00"))
    chats = [SUPERGROUP, SUPERGROUP - 1, OLD_GROUP]
    for chat in chats:
        service.subscribe(chat, f"群{chat}")
    sender = FakeSender()
    notices: list[str] = []

    async def notify(message: str) -> None:
        notices.append(message)

    for _ in range(2):  # started twice the same day: the second start sends nothing
        scheduler = ReminderScheduler(service, service.broadcaster(sender), pg_engine, notify)
        result = await scheduler.start(run_jobs=False)
        assert result.due == ["2026-national_day-main"]
        await scheduler_tests.settle(scheduler)
        await scheduler.stop()
    assert sender.counts() == {chat: 1 for chat in chats}
    assert all("国庆" in html for _, html in sender.sent)
    assert JOB_PREFIX + "2027-new_year-main" in scheduler_tests.job_ids(pg_engine)


def test_report_service_built_like_the_bot(pg_settings: Settings, pg_engine: Engine) -> None:
    # Reviewer keys from the data dir's reviewers folder, the receipt secret from the data dir, the tables
    # in PostgreSQL: wiring.factory wires them exactly as the running bot does.
    private_path = pg_settings.data_dir / "reviewer.key"
    write_key_files(private_path, reviewers_dir(pg_settings), "correct horse battery staple")
    key = load_reviewer_key(private_path, "correct horse battery staple")
    service = build_reports(pg_settings, pg_engine, clock=lambda: DAY)
    receipt = service.submit(ReportDraft(category="gifts", details="节前有人给科室送购物卡。"))
    reviewer = build_reviewer(pg_settings, pg_engine, key, clock=lambda: DAY)
    [summary] = reviewer.list()
    assert reviewer.show(summary.id).details == "节前有人给科室送购物卡。"
    reviewer.reply(summary.id, "收到。")
    assert [m.text for m in service.status(receipt.code).replies] == ["收到。"]
