"""Questions the knowledge base failed: refused, or rated 👎. Text and day only — never who asked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Column, Date, Engine, Integer, MetaData, String, Table, Text, func, insert, select

REASONS = ("refused", "downvoted")
MAX_STORED_CHARS = 1000

metadata = MetaData()
unanswered_questions = Table(
    "unanswered_questions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("question", Text, nullable=False),
    Column("day", Date, nullable=False),
    Column("reason", String(16), nullable=False),
)


@dataclass(frozen=True)
class UnansweredEntry:
    """One distinct question with how often and why it went unanswered."""

    question: str
    count: int
    refused: int
    downvoted: int
    last_day: dt.date


class UnansweredLog:
    """An append-only log in the relational store (SQLite by default, any SQLAlchemy URL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine  # migrated by wiring.database.upgrade: the log runs no DDL

    def record(self, question: str, reason: str, day: dt.date) -> None:
        """Log one unanswered question; ``reason`` is "refused" or "downvoted"."""
        if reason not in REASONS:
            raise ValueError(f"unknown reason {reason!r}")
        text = " ".join(question.split())[:MAX_STORED_CHARS]
        if not text:
            return
        with self.engine.begin() as conn:
            conn.execute(insert(unanswered_questions).values(question=text, day=day, reason=reason))

    def top(self, limit: int = 50, since: dt.date | None = None) -> list[UnansweredEntry]:
        """Distinct questions, most frequent first (then most recent)."""
        t = unanswered_questions
        count = func.count().label("n")
        refused = func.sum((t.c.reason == "refused").cast(Integer)).label("refused")
        last = func.max(t.c.day).label("last_day")
        query = select(t.c.question, count, refused, last).group_by(t.c.question)
        if since is not None:
            query = query.where(t.c.day >= since)
        query = query.order_by(count.desc(), last.desc(), t.c.question).limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            UnansweredEntry(
                question=row.question,
                count=int(row.n),
                refused=int(row.refused or 0),
                downvoted=int(row.n) - int(row.refused or 0),
                last_day=row.last_day
                if isinstance(row.last_day, dt.date)
                else dt.date.fromisoformat(row.last_day),
            )
            for row in rows
        ]
