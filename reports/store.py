"""Encrypted reports in the relational store (SQLite by default, any SQLAlchemy URL), schema by Alembic.

Only ciphertext and what reviewers need to work the queue is stored: a random id, the day (never a time),
the status, a keyed slow hash of the receipt code, and the reporter's reply key pair (its private half
sealed with a key derived from the receipt code). Nothing identifies the reporter: no Telegram ids, no
names, no times of day. The report tables are ``WITHOUT ROWID`` on SQLite so that no hidden row number
records the order in which reports arrived; rows are keyed by the random id instead.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    CheckConstraint,
    Column,
    Connection,
    Date,
    Engine,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    and_,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from reports.errors import StatusChangeRefused, UnknownReport

# Crockford's base32: no I, L, O or U, so an id read aloud or retyped is not misread.
ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_LENGTH = 10  # 50 random bits: ids say nothing about order and are not guessable in sequence
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
metadata = MetaData()

reports_table = Table(
    "reports",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("day", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("status_day", Date, nullable=False),
    Column("closed_day", Date, nullable=True),
    Column("lookup_hash", LargeBinary, nullable=False),
    Column("reply_public", LargeBinary, nullable=False),
    Column("reply_sealed_private", LargeBinary, nullable=False),
    # A reviewer's verify key and signature of (report, status, day); NULL while the report is new.
    Column("status_proof", LargeBinary, nullable=True),
    UniqueConstraint("lookup_hash", name="uq_reports_lookup_hash"),
    CheckConstraint("status IN ('new', 'in_progress', 'closed')", name="ck_reports_status"),
    sqlite_with_rowid=False,
)

# seq 0 is the report itself; additions and replies follow in the order they were written.
entries_table = Table(
    "report_entries",
    metadata,
    Column("report_id", String(16), ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("day", Date, nullable=False),
    Column("envelope", LargeBinary, nullable=False),
    CheckConstraint("kind IN ('report', 'addition', 'reply')", name="ck_report_entries_kind"),
    sqlite_with_rowid=False,
)

# File name, media type and any metadata warning are inside the envelope, next to the data.
attachments_table = Table(
    "report_attachments",
    metadata,
    Column("report_id", String(16), ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("envelope", LargeBinary, nullable=False),
    sqlite_with_rowid=False,
)

# Who among the reviewers did what, by day. Rows outlive a purged report: they hold only its id.
audit_table = Table(
    "report_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", Date, nullable=False),
    Column("reviewer", String(64), nullable=False),  # fingerprint of the reviewer's public key
    Column("action", String(32), nullable=False),
    Column("report_id", String(16), nullable=True),
)


def new_report_id() -> str:
    """A random report id of 10 Crockford base32 characters."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def normalize_report_id(text: str) -> str:
    """A typed report id in canonical form: upper case, Crockford's look-alikes mapped, dashes dropped."""
    cleaned = text.strip().upper().replace("-", "").replace(" ", "")
    return cleaned.translate(_LOOKALIKES)


@dataclass(frozen=True)
class StoredReport:
    """A report's row: its public facts and the reporter's sealed reply key pair."""

    id: str
    day: dt.date
    status: str
    status_day: dt.date
    closed_day: dt.date | None
    reply_public: bytes
    reply_sealed_private: bytes
    status_proof: bytes | None = None


@dataclass(frozen=True)
class StoredEntry:
    """One sealed entry of a report's thread (seq 0 is the report itself)."""

    seq: int
    kind: str
    day: dt.date
    envelope: bytes


@dataclass(frozen=True)
class StoredSummary:
    """A report row with its sealed body and how many attachments and messages it has."""

    report: StoredReport
    body: bytes
    attachments: int
    messages: int


@dataclass(frozen=True)
class AuditEntry:
    """One reviewer action: the day, the reviewer's key fingerprint, what, and on which report."""

    day: dt.date
    reviewer: str
    action: str
    report_id: str | None = None


_REPORT_COLUMNS = (
    reports_table.c.id,
    reports_table.c.day,
    reports_table.c.status,
    reports_table.c.status_day,
    reports_table.c.closed_day,
    reports_table.c.reply_public,
    reports_table.c.reply_sealed_private,
    reports_table.c.status_proof,
)


class ReportStore:
    """The four report tables; each method is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine  # migrated by wiring.database.upgrade: the store runs no DDL

    # Writing

    def add_report(
        self,
        report: StoredReport,
        lookup_hash: bytes,
        body: bytes,
        attachment_envelopes: Sequence[bytes] = (),
    ) -> bool:
        """Store a whole report in one transaction; False (nothing stored) if its id or hash is taken."""
        try:
            with self.engine.begin() as conn:
                taken = conn.execute(
                    select(reports_table.c.id).where(
                        (reports_table.c.id == report.id) | (reports_table.c.lookup_hash == lookup_hash)
                    )
                ).first()
                if taken is not None:
                    return False
                conn.execute(
                    insert(reports_table).values(
                        id=report.id,
                        day=report.day,
                        status=report.status,
                        status_day=report.status_day,
                        closed_day=report.closed_day,
                        lookup_hash=lookup_hash,
                        reply_public=report.reply_public,
                        reply_sealed_private=report.reply_sealed_private,
                    )
                )
                conn.execute(
                    insert(entries_table).values(
                        report_id=report.id, seq=0, kind="report", day=report.day, envelope=body
                    )
                )
                for seq, envelope in enumerate(attachment_envelopes):
                    self._insert_attachment(conn, report.id, seq, envelope)
        except IntegrityError:
            # A concurrent writer took the id or hash between the check and the insert.
            return False
        return True

    def _insert_attachment(self, conn: Connection, report_id: str, seq: int, envelope: bytes) -> None:
        conn.execute(insert(attachments_table).values(report_id=report_id, seq=seq, envelope=envelope))

    def add_entry(
        self,
        report_id: str,
        kind: str,
        day: dt.date,
        envelope: bytes,
        refuse_closed: bool = False,
        audit_entry: AuditEntry | None = None,
    ) -> int:
        """Append a sealed addition or reply to a report's thread and return its seq.

        Raises ``UnknownReport``, or ``StatusChangeRefused("closed", kind)`` when ``refuse_closed`` and
        the report is closed.
        """
        for _ in range(5):
            try:
                with self.engine.begin() as conn:
                    # FOR UPDATE (PostgreSQL; SQLite ignores it and locks the whole file on writing): appends
                    # to one report queue up, so the next seq is not taken by a concurrent writer and the
                    # report cannot close between this check and the insert.
                    status = conn.execute(
                        select(reports_table.c.status)
                        .where(reports_table.c.id == report_id)
                        .with_for_update()
                    ).scalar()
                    if status is None:
                        raise UnknownReport(report_id)
                    if refuse_closed and status == "closed":
                        raise StatusChangeRefused("closed", kind)
                    last = conn.execute(
                        select(func.max(entries_table.c.seq)).where(entries_table.c.report_id == report_id)
                    ).scalar()
                    seq = 0 if last is None else int(last) + 1
                    conn.execute(
                        insert(entries_table).values(
                            report_id=report_id, seq=seq, kind=kind, day=day, envelope=envelope
                        )
                    )
                    if audit_entry is not None:
                        self._audit(conn, audit_entry)
                    return seq
            except IntegrityError:
                continue  # another entry took this seq at the same moment: take the next one
        raise RuntimeError(f"could not append to report {report_id}")

    def set_status(
        self,
        report_id: str,
        current: str,
        wanted: str,
        day: dt.date,
        audit_entry: AuditEntry | None = None,
        proof: bytes | None = None,
    ) -> bool:
        """Move a report from ``current`` to ``wanted`` with its signed proof; False if no longer ``current``."""
        values: dict[str, object] = {"status": wanted, "status_day": day, "status_proof": proof}
        if wanted == "closed":
            values["closed_day"] = day
        with self.engine.begin() as conn:
            result = conn.execute(
                update(reports_table)
                .where(and_(reports_table.c.id == report_id, reports_table.c.status == current))
                .values(**values)
            )
            if not result.rowcount:
                return False
            if audit_entry is not None:
                self._audit(conn, audit_entry)
            return True

    def audit(self, entry: AuditEntry) -> None:
        """Record one reviewer action."""
        with self.engine.begin() as conn:
            self._audit(conn, entry)

    def audit_many(self, audit_entries: Sequence[AuditEntry]) -> None:
        """Record several reviewer actions at once."""
        if not audit_entries:
            return
        with self.engine.begin() as conn:
            for entry in audit_entries:
                self._audit(conn, entry)

    @staticmethod
    def _audit(conn: Connection, entry: AuditEntry) -> None:
        conn.execute(
            insert(audit_table).values(
                day=entry.day, reviewer=entry.reviewer, action=entry.action, report_id=entry.report_id
            )
        )

    def purge(
        self, closed_on_or_before: dt.date, accept: Callable[[StoredReport], bool] | None = None
    ) -> list[str]:
        """Delete closed reports (with entries and attachments) closed on or before a day; their ids.

        ``accept`` sees each candidate first: the services pass a check of the signed closing.
        """
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(*_REPORT_COLUMNS).where(
                    and_(
                        reports_table.c.status == "closed",
                        reports_table.c.closed_day <= closed_on_or_before,
                    )
                )
            )
            ids = [
                report.id
                for report in (StoredReport(**row._mapping) for row in rows)
                if accept is None or accept(report)
            ]
            # Children first and explicitly: SQLite enforces ON DELETE CASCADE only with foreign_keys=ON.
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                conn.execute(delete(attachments_table).where(attachments_table.c.report_id.in_(chunk)))
                conn.execute(delete(entries_table).where(entries_table.c.report_id.in_(chunk)))
                conn.execute(delete(reports_table).where(reports_table.c.id.in_(chunk)))
        return ids

    def compact(self) -> bool:
        """On SQLite, empty the WAL and rewrite the file in key order; True if the WAL was emptied too.

        VACUUM copies each table in primary-key order, and report keys are random ids: afterwards neither
        page numbers nor offsets inside pages tell which report came first, and deleted ciphertext is gone.
        """
        if self.engine.dialect.name != "sqlite":
            return True
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            conn.execute(text("VACUUM"))
            # VACUUM itself goes through the WAL in WAL mode: checkpoint again so the old pages go too.
            busy = conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).scalar()
        return not busy  # busy: a reader kept an older snapshot, so the WAL could not be emptied yet

    # Reading

    def by_lookup_hash(self, lookup_hash: bytes) -> StoredReport | None:
        """The report whose receipt code hashes to ``lookup_hash``, if any."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(*_REPORT_COLUMNS).where(reports_table.c.lookup_hash == lookup_hash)
            ).first()
        return StoredReport(**row._mapping) if row else None

    def get(self, report_id: str) -> StoredReport | None:
        """The report with this id, if any."""
        with self.engine.connect() as conn:
            row = conn.execute(select(*_REPORT_COLUMNS).where(reports_table.c.id == report_id)).first()
        return StoredReport(**row._mapping) if row else None

    def summaries(self, status: str | None = None) -> list[StoredSummary]:
        """Every report (or those with one status), newest day first, with sealed body and counts."""
        files = (
            select(attachments_table.c.report_id, func.count().label("n"))
            .group_by(attachments_table.c.report_id)
            .subquery()
        )
        thread = (
            select(entries_table.c.report_id, func.count().label("n"))
            .where(entries_table.c.seq > 0)
            .group_by(entries_table.c.report_id)
            .subquery()
        )
        query = (
            select(
                *_REPORT_COLUMNS,
                entries_table.c.envelope,
                func.coalesce(files.c.n, 0).label("files"),
                func.coalesce(thread.c.n, 0).label("messages"),
            )
            .join(
                entries_table, and_(entries_table.c.report_id == reports_table.c.id, entries_table.c.seq == 0)
            )
            .outerjoin(files, files.c.report_id == reports_table.c.id)
            .outerjoin(thread, thread.c.report_id == reports_table.c.id)
            .order_by(reports_table.c.day.desc(), reports_table.c.id)
        )
        if status is not None:
            query = query.where(reports_table.c.status == status)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            StoredSummary(
                report=StoredReport(*row[: len(_REPORT_COLUMNS)]),
                body=row.envelope,
                attachments=int(row.files),
                messages=int(row.messages),
            )
            for row in rows
        ]

    def entries(self, report_id: str) -> list[StoredEntry]:
        """A report's sealed thread, the report itself (seq 0) first."""
        query = (
            select(entries_table.c.seq, entries_table.c.kind, entries_table.c.day, entries_table.c.envelope)
            .where(entries_table.c.report_id == report_id)
            .order_by(entries_table.c.seq)
        )
        with self.engine.connect() as conn:
            return [StoredEntry(*row) for row in conn.execute(query)]

    def attachments(self, report_id: str) -> list[bytes]:
        """A report's sealed attachments in the order they were given."""
        query = (
            select(attachments_table.c.envelope)
            .where(attachments_table.c.report_id == report_id)
            .order_by(attachments_table.c.seq)
        )
        with self.engine.connect() as conn:
            return [bytes(row.envelope) for row in conn.execute(query)]

    def audit_log(self, report_id: str | None = None) -> list[AuditEntry]:
        """Recorded reviewer actions, oldest first (for one report, or all)."""
        query = select(
            audit_table.c.day, audit_table.c.reviewer, audit_table.c.action, audit_table.c.report_id
        ).order_by(audit_table.c.id)
        if report_id is not None:
            query = query.where(audit_table.c.report_id == report_id)
        with self.engine.connect() as conn:
            return [AuditEntry(*row) for row in conn.execute(query)]
