"""The report tables: what is (not) stored, one transaction per report (migrations: tests/test_database.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from reports.errors import StatusChangeRefused, UnknownReport
from reports.store import (
    ID_ALPHABET,
    AuditEntry,
    ReportStore,
    StoredReport,
    metadata,
    new_report_id,
    normalize_report_id,
)
from tests.reports.conftest import DAY, ReportKit
from wiring.database import upgrade

TABLES = {"reports", "report_entries", "report_attachments", "report_audit"}


def stored(report_id: str = "ABCDEFGHJK") -> StoredReport:
    return StoredReport(report_id, DAY, "new", DAY, None, b"p" * 32, b"s" * 72)


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
    upgrade(engine)
    store = ReportStore(engine)
    assert store.add_report(stored(), b"h", b"body", [b"a", b"b"])
    assert store.purge(DAY) == []
    engine.dispose()
