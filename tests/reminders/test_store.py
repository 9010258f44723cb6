"""Subscriptions and the delivery log on SQLite."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from reminders.store import ReminderStore
from tests.fakes import migrated

DAY = dt.date(2026, 9, 1)


@pytest.fixture
def store(tmp_path: Path) -> ReminderStore:
    return ReminderStore(migrated(f"sqlite:///{tmp_path / 'r.db'}"))


def test_subscribe_twice_and_unsubscribe_keep_the_reason(store: ReminderStore) -> None:
    assert store.subscribe(-1, "群", DAY) is True
    assert store.subscribe(-1, "群", DAY) is False
    assert store.unsubscribe(-1, "blocked") is True
    assert store.unsubscribe(-1) is False
    [row] = store.subscriptions(active_only=False)
    assert (row.active, row.note) == (False, "blocked")
    assert store.subscribe(-1, "群", DAY) is True and store.is_subscribed(-1)


def test_migration_moves_an_active_subscription(store: ReminderStore) -> None:
    store.subscribe(-5, "老群", DAY)
    store.migrate(-5, -1005)
    assert store.is_subscribed(-1005) and not store.is_subscribed(-5)
    assert [s.title for s in store.subscriptions()] == ["老群"]


def test_migration_does_not_resubscribe_a_group_that_left(store: ReminderStore) -> None:
    store.subscribe(-6, "群", DAY)
    store.migrate(-6, -1006)  # first migration message
    store.unsubscribe(-1006, "unsubscribed in chat")
    store.migrate(-6, -1006)  # a repeated migration message must not undo the unsubscribe
    assert not store.is_subscribed(-1006)


def test_claim_is_exactly_once_but_a_crashed_send_is_claimable_again(store: ReminderStore) -> None:
    assert store.claim("r1", -1) is True
    assert store.claim("r1", -1) is True  # still "sending": a crash left it, so it may be sent again
    store.finish("r1", -1, "sent", 1)
    assert store.claim("r1", -1) is False
    store.subscribe(-1, "a", DAY)
    store.subscribe(-2, "b", DAY)
    assert store.pending_chats("r1") == [-2]
