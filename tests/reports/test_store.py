"""The report tables: Alembic migrations, what is (not) stored, one transaction per report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from reminders.store import ReminderStore
from reports.errors import StatusChangeRefused, UnknownReport
from reports.store import (
    ID_ALPHABET,
    VERSION_TABLE,
    AuditEntry,
    ReportStore,
    StoredReport,
    metadata,
    new_report_id,
    normalize_report_id,
    upgrade,
)
from tests.reports.conftest import DAY, ReportKit
from wiring.factory import build_engine
from wiring.settings import load_settings

TABLES = {"reports", "report_entries", "report_attachments", "report_audit"}


def stored(report_id: str = "ABCDEFGHJK") -> StoredReport:
    return StoredReport(report_id, DAY, "new", DAY, None, b"p" * 32, b"s" * 72)


def test_upgrade_creates_the_tables_once_and_matches_the_metadata(tmp_path: Path) -> None:
    engine = build_engine(load_settings({"data_dir": tmp_path}))
    assert inspect(engine).get_table_names() == []
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) == TABLES | {VERSION_TABLE}
    upgrade(engine)  # idempotent: the bot and the CLI both migrate at start-up
    with engine.connect() as conn:
        versions = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
        assert versions == ["0002_status_proof"]
        context = MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE, "compare_type": True}
        )
        # The tables the migration made are exactly the ones the store's code describes.
        assert compare_metadata(context, metadata) == []
    engine.dispose()


def test_upgrade_leaves_other_components_tables_alone(tmp_path: Path) -> None:
    engine = build_engine(load_settings({"data_dir": tmp_path}))
    ReminderStore(engine).subscribe(-100, "群", DAY)
    ReportStore(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES | {
        "reminder_subscriptions",
        "reminder_deliveries",
    }
    assert [s.chat_id for s in ReminderStore(engine).subscriptions()] == [-100]
    engine.dispose()


def test_report_tables_have_no_hidden_row_order_on_sqlite(kit: ReportKit) -> None:
    with kit.engine.connect() as conn:
        sql: dict[str, str] = dict(
            conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all()
        )
    for table in ("reports", "report_entries", "report_attachments"):
        assert sql[table].rstrip().endswith("WITHOUT ROWID"), table


def test_no_column_could_identify_a_reporter(kit: ReportKit) -> None:
    columns = {t: {c["name"] for c in inspect(kit.engine).get_columns(t)} for t in TABLES}
    assert columns == {
        "reports": {
            "id",
            "day",
            "status",
            "status_day",
            "closed_day",
            "lookup_hash",
            "reply_public",
            "reply_sealed_private",
            "status_proof",  # a reviewer's verify key and signature: about the reviewer, not the reporter
        },
        "report_entries": {"report_id", "seq", "kind", "day", "envelope"},
        "report_attachments": {"report_id", "seq", "envelope"},
        "report_audit": {"id", "day", "reviewer", "action", "report_id"},
    }
    date_columns = {
        (t, c["name"]) for t in TABLES for c in inspect(kit.engine).get_columns(t) if "day" in c["name"]
    }
    for table, name in date_columns:
        column = metadata.tables[table].c[name]
        assert column.type.python_type.__name__ == "date", (table, name)  # a day, never a time


def test_report_ids_are_random_crockford_base32() -> None:
    ids = {new_report_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(re.fullmatch(f"[{ID_ALPHABET}]{{10}}", i) for i in ids)
    assert normalize_report_id(" abcd-efgh-jk ") == "ABCDEFGHJK"
    assert normalize_report_id("o1il") == "0111"


def test_a_taken_id_or_lookup_hash_stores_nothing(kit: ReportKit) -> None:
    assert kit.store.add_report(stored("AAAAAAAAAA"), b"h1", b"body", [b"file"])
    assert not kit.store.add_report(stored("AAAAAAAAAA"), b"h2", b"other", [b"x"])
    assert not kit.store.add_report(stored("BBBBBBBBBB"), b"h1", b"other", [b"x"])
    assert kit.store.get("BBBBBBBBBB") is None
    assert [s.report.id for s in kit.store.summaries()] == ["AAAAAAAAAA"]
    assert kit.store.attachments("AAAAAAAAAA") == [b"file"]


def test_entries_are_numbered_within_their_report(kit: ReportKit) -> None:
    kit.store.add_report(stored("AAAAAAAAAA"), b"h1", b"body")
    kit.store.add_report(stored("BBBBBBBBBB"), b"h2", b"body")
    assert kit.store.add_entry("AAAAAAAAAA", "addition", DAY, b"a1") == 1
    assert kit.store.add_entry("BBBBBBBBBB", "reply", DAY, b"r1") == 1
    assert kit.store.add_entry("AAAAAAAAAA", "reply", DAY, b"r2") == 2
    assert [(e.seq, e.kind) for e in kit.store.entries("AAAAAAAAAA")] == [
        (0, "report"),
        (1, "addition"),
        (2, "reply"),
    ]
    with pytest.raises(UnknownReport):
        kit.store.add_entry("CCCCCCCCCC", "addition", DAY, b"x")


def test_closed_reports_refuse_entries_only_when_asked(kit: ReportKit) -> None:
    kit.store.add_report(stored(), b"h", b"body")
    assert kit.store.set_status("ABCDEFGHJK", "new", "in_progress", DAY)
    assert not kit.store.set_status("ABCDEFGHJK", "new", "in_progress", DAY)  # no longer "new"
    assert kit.store.set_status("ABCDEFGHJK", "in_progress", "closed", DAY)
    report = kit.store.get("ABCDEFGHJK")
    assert report is not None and (report.status, report.closed_day) == ("closed", DAY)
    with pytest.raises(StatusChangeRefused):
        kit.store.add_entry("ABCDEFGHJK", "addition", DAY, b"late", refuse_closed=True)
    assert kit.store.add_entry("ABCDEFGHJK", "reply", DAY, b"final word") == 1


def test_audit_rows_are_written_with_the_action(kit: ReportKit) -> None:
    kit.store.add_report(stored(), b"h", b"body")
    kit.store.add_entry(
        "ABCDEFGHJK", "reply", DAY, b"r", audit_entry=AuditEntry(DAY, "fp", "reply", "ABCDEFGHJK")
    )
    kit.store.audit(AuditEntry(DAY, "fp", "list"))
    assert kit.store.audit_log() == [
        AuditEntry(DAY, "fp", "reply", "ABCDEFGHJK"),
        AuditEntry(DAY, "fp", "list"),
    ]
    assert kit.store.audit_log("ABCDEFGHJK") == [AuditEntry(DAY, "fp", "reply", "ABCDEFGHJK")]


def test_store_works_on_a_plain_engine_without_pragmas(tmp_path: Path) -> None:
    # Any SQLAlchemy URL: nothing in the store relies on build_engine's SQLite settings.
    engine = create_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    store = ReportStore(engine)
    assert store.add_report(stored(), b"h", b"body", [b"a", b"b"])
    assert store.purge(DAY) == []
    engine.dispose()


def test_a_database_of_the_first_schema_is_upgraded_with_its_reports(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from reports.store import MIGRATIONS

    engine = build_engine(load_settings({"data_dir": tmp_path}))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001_reports")
        conn.execute(
            text(
                "INSERT INTO reports (id, day, status, status_day, lookup_hash, reply_public, reply_sealed_private)"
                " VALUES ('ABCDEFGHJK', '2026-09-01', 'new', '2026-09-01', x'01', x'02', x'03')"
            )
        )
    store = ReportStore(engine)  # migrates to the newest schema at start-up
    report = store.get("ABCDEFGHJK")
    assert report is not None and report.status == "new" and report.status_proof is None
    engine.dispose()
