"""Subscriptions and the delivery log, in the relational store (SQLite by default, any SQLAlchemy URL).

The delivery log has one row per (reminder, chat), unique: a broadcast claims the row before sending and
marks it sent right after Telegram answers, so a restart after a crash sends only what is not yet sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

metadata = MetaData()

subscriptions = Table(
    "reminder_subscriptions",
    metadata,
    Column("chat_id", BigInteger, primary_key=True),
    Column("title", Text, nullable=False, default=""),
    Column("origin", String(16), nullable=False),  # "chat" (subscribed in Telegram) or "settings"
    Column("active", Boolean, nullable=False, default=True),
    Column("since", Date, nullable=False),
    Column("note", Text, nullable=False, default=""),  # why it ended (blocked, chat not found…)
)

deliveries = Table(
    "reminder_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reminder_id", String(120), nullable=False),
    Column("chat_id", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),  # sending / sent / failed / dropped
    Column("attempts", Integer, nullable=False, default=0),
    Column("detail", Text, nullable=False, default=""),
    UniqueConstraint("reminder_id", "chat_id", name="uq_delivery_reminder_chat"),
)


@dataclass(frozen=True)
class Subscription:
    """A chat that receives reminders."""

    chat_id: int
    title: str
    origin: str
    active: bool
    since: dt.date
    note: str = ""


@dataclass(frozen=True)
class Delivery:
    """What happened to one reminder in one chat."""

    reminder_id: str
    chat_id: int
    status: str
    attempts: int
    detail: str


class ReminderStore:
    """Subscriptions and deliveries; every method is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine  # migrated by wiring.database.upgrade: the store runs no DDL

    # Subscriptions

    def subscribe(self, chat_id: int, title: str, day: dt.date, origin: str = "chat") -> bool:
        """Subscribe a chat; False if it already was."""
        with self.engine.begin() as conn:
            row = conn.execute(
                select(subscriptions.c.active).where(subscriptions.c.chat_id == chat_id)
            ).first()
            if row is None:
                conn.execute(
                    insert(subscriptions).values(
                        chat_id=chat_id, title=title, origin=origin, active=True, since=day
                    )
                )
                return True
            if row.active:
                return False
            conn.execute(
                update(subscriptions)
                .where(subscriptions.c.chat_id == chat_id)
                .values(active=True, title=title, since=day, note="", origin=origin)
            )
            return True

    def unsubscribe(self, chat_id: int, note: str = "") -> bool:
        """End a chat's subscription (keeping why); False if it was not subscribed."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(subscriptions)
                .where(and_(subscriptions.c.chat_id == chat_id, subscriptions.c.active.is_(True)))
                .values(active=False, note=note)
            )
            return bool(result.rowcount)

    def migrate(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: the subscription (and delivery history) moves to the new id."""
        with self.engine.begin() as conn:
            old = conn.execute(select(subscriptions).where(subscriptions.c.chat_id == old_chat_id)).first()
            if old is None:
                return
            exists = conn.execute(
                select(subscriptions.c.chat_id).where(subscriptions.c.chat_id == new_chat_id)
            ).first()
            if exists is None:
                conn.execute(
                    insert(subscriptions).values(
                        chat_id=new_chat_id,
                        title=old.title,
                        origin=old.origin,
                        active=old.active,
                        since=old.since,
                    )
                )
            elif old.active:
                # The new id already had a row (e.g. from an earlier migration message): the group's
                # subscription wins, but a group that had unsubscribed is not subscribed again.
                conn.execute(
                    update(subscriptions).where(subscriptions.c.chat_id == new_chat_id).values(active=True)
                )
            conn.execute(
                update(subscriptions)
                .where(subscriptions.c.chat_id == old_chat_id)
                .values(active=False, note=f"migrated to {new_chat_id}")
            )

    def subscriptions(self, active_only: bool = True) -> list[Subscription]:
        """Subscribed chats, oldest first."""
        query = select(subscriptions).order_by(subscriptions.c.since, subscriptions.c.chat_id)
        if active_only:
            query = query.where(subscriptions.c.active.is_(True))
        with self.engine.connect() as conn:
            return [Subscription(**row._mapping) for row in conn.execute(query)]

    def is_subscribed(self, chat_id: int) -> bool:
        """Whether the chat currently receives reminders."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(subscriptions.c.active).where(subscriptions.c.chat_id == chat_id)
            ).first()
        return bool(row and row.active)

    # Deliveries

    def claim(self, reminder_id: str, chat_id: int) -> bool:
        """Take the (reminder, chat) pair for sending; False when it is already sent or given up on."""
        with self.engine.begin() as conn:
            try:
                conn.execute(
                    insert(deliveries).values(
                        reminder_id=reminder_id, chat_id=chat_id, status="sending", attempts=0, detail=""
                    )
                )
                return True
            except IntegrityError:
                pass
        with self.engine.connect() as conn:
            row = conn.execute(
                select(deliveries.c.status).where(
                    and_(deliveries.c.reminder_id == reminder_id, deliveries.c.chat_id == chat_id)
                )
            ).first()
        # "sending" left by a crash: the send may not have happened, so it is tried again.
        return bool(row and row.status == "sending")

    def finish(self, reminder_id: str, chat_id: int, status: str, attempts: int, detail: str = "") -> None:
        """Record the outcome of one delivery."""
        with self.engine.begin() as conn:
            conn.execute(
                update(deliveries)
                .where(and_(deliveries.c.reminder_id == reminder_id, deliveries.c.chat_id == chat_id))
                .values(status=status, attempts=attempts, detail=detail[:500])
            )

    def move_delivery(self, reminder_id: str, old_chat_id: int, new_chat_id: int) -> bool:
        """Re-key a claimed delivery to a migrated chat id; False if the new chat already has one."""
        with self.engine.begin() as conn:
            exists = conn.execute(
                select(deliveries.c.id).where(
                    and_(deliveries.c.reminder_id == reminder_id, deliveries.c.chat_id == new_chat_id)
                )
            ).first()
            if exists is not None:
                conn.execute(
                    update(deliveries)
                    .where(and_(deliveries.c.reminder_id == reminder_id, deliveries.c.chat_id == old_chat_id))
                    .values(status="dropped", detail=f"migrated to {new_chat_id}")
                )
                return False
            conn.execute(
                update(deliveries)
                .where(and_(deliveries.c.reminder_id == reminder_id, deliveries.c.chat_id == old_chat_id))
                .values(chat_id=new_chat_id)
            )
            return True

    def deliveries(self, reminder_id: str | None = None) -> list[Delivery]:
        """The delivery log (for one reminder, or all)."""
        query = select(
            deliveries.c.reminder_id,
            deliveries.c.chat_id,
            deliveries.c.status,
            deliveries.c.attempts,
            deliveries.c.detail,
        ).order_by(deliveries.c.id)
        if reminder_id is not None:
            query = query.where(deliveries.c.reminder_id == reminder_id)
        with self.engine.connect() as conn:
            return [Delivery(*row) for row in conn.execute(query)]

    def pending_chats(self, reminder_id: str) -> list[int]:
        """Active subscribers that have not yet got (or definitively failed) this reminder."""
        done = select(deliveries.c.chat_id).where(
            and_(deliveries.c.reminder_id == reminder_id, deliveries.c.status != "sending")
        )
        query = (
            select(subscriptions.c.chat_id)
            .where(and_(subscriptions.c.active.is_(True), subscriptions.c.chat_id.not_in(done)))
            .order_by(subscriptions.c.chat_id)
        )
        with self.engine.connect() as conn:
            return [int(row.chat_id) for row in conn.execute(query)]
