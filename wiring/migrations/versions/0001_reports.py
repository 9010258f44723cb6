"""Report tables: reports, report_entries, report_attachments, report_audit.

Revision ID: 0001_reports
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_reports"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the report tables; on SQLite without rowids, so no hidden counter orders the reports."""
    op.create_table(
        "reports",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_day", sa.Date, nullable=False),
        sa.Column("closed_day", sa.Date, nullable=True),
        sa.Column("lookup_hash", sa.LargeBinary, nullable=False),
        sa.Column("reply_public", sa.LargeBinary, nullable=False),
        sa.Column("reply_sealed_private", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("lookup_hash", name="uq_reports_lookup_hash"),
        sa.CheckConstraint("status IN ('new', 'in_progress', 'closed')", name="ck_reports_status"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_entries",
        sa.Column(
            "report_id",
            sa.String(16),
            sa.ForeignKey("reports.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("envelope", sa.LargeBinary, nullable=False),
        sa.CheckConstraint("kind IN ('report', 'addition', 'reply')", name="ck_report_entries_kind"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_attachments",
        sa.Column(
            "report_id",
            sa.String(16),
            sa.ForeignKey("reports.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("envelope", sa.LargeBinary, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("report_id", sa.String(16), nullable=True),
    )


def downgrade() -> None:
    """Drop the report tables (and every report in them)."""
    op.drop_table("report_audit")
    op.drop_table("report_attachments")
    op.drop_table("report_entries")
    op.drop_table("reports")
