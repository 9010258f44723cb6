"""Reminder subscriptions and deliveries, unanswered questions, scheduled jobs: until now created by their stores.

A database from before this revision has these tables already (their stores created them at start-up): each is
created only where it is missing, with the definition the store used.

Revision ID: 0003_reminders_questions_jobs
Revises: 0002_status_proof
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_reminders_questions_jobs"
down_revision: str | Sequence[str] | None = "0002_status_proof"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _missing(name: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    """Create whichever of the four tables is missing."""
    if _missing("reminder_subscriptions"):
        op.create_table(
            "reminder_subscriptions",
            sa.Column("chat_id", sa.BigInteger, primary_key=True),
            sa.Column("title", sa.Text, nullable=False),
            sa.Column("origin", sa.String(16), nullable=False),
            sa.Column("active", sa.Boolean, nullable=False),
            sa.Column("since", sa.Date, nullable=False),
            sa.Column("note", sa.Text, nullable=False),
        )
    if _missing("reminder_deliveries"):
        op.create_table(
            "reminder_deliveries",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("reminder_id", sa.String(120), nullable=False),
            sa.Column("chat_id", sa.BigInteger, nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("attempts", sa.Integer, nullable=False),
            sa.Column("detail", sa.Text, nullable=False),
            sa.UniqueConstraint("reminder_id", "chat_id", name="uq_delivery_reminder_chat"),
        )
    if _missing("unanswered_questions"):
        op.create_table(
            "unanswered_questions",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("question", sa.Text, nullable=False),
            sa.Column("day", sa.Date, nullable=False),
            sa.Column("reason", sa.String(16), nullable=False),
        )
    if _missing("scheduler_jobs"):
        # APScheduler 3's SQLAlchemyJobStore table (it would otherwise create it when it starts).
        op.create_table(
            "scheduler_jobs",
            sa.Column("id", sa.Unicode(191), primary_key=True),
            sa.Column("next_run_time", sa.Float(25)),
            sa.Column("job_state", sa.LargeBinary, nullable=False),
        )
        op.create_index("ix_scheduler_jobs_next_run_time", "scheduler_jobs", ["next_run_time"])


def downgrade() -> None:
    """Drop the four tables."""
    op.drop_index("ix_scheduler_jobs_next_run_time", table_name="scheduler_jobs")
    for name in ("scheduler_jobs", "unanswered_questions", "reminder_deliveries", "reminder_subscriptions"):
        op.drop_table(name)
