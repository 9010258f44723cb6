"""A signed proof of each status change: the reviewer's verify key and signature.

Revision ID: 0002_status_proof
Revises: 0001_reports
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_status_proof"
down_revision: str | Sequence[str] | None = "0001_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add reports.status_proof (NULL for a new report, whose status nobody changed)."""
    op.add_column("reports", sa.Column("status_proof", sa.LargeBinary, nullable=True))


def downgrade() -> None:
    """Drop reports.status_proof."""
    op.drop_column("reports", "status_proof")
