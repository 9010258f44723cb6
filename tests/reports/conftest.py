"""A real report store on SQLite (WAL, secure_delete) in tmp_path, real keys, a clock that can be moved."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.services import build_engine
from bot.settings import load_settings
from reports.crypto import generate_keypair
from reports.receipt import ReceiptKeys
from reports.review import Reviewer
from reports.service import ReportService
from reports.store import ReportStore

SECRET = bytes(range(32))
DAY = dt.date(2026, 9, 1)


@dataclass
class Days:
    """A day clock tests move by hand."""

    today: dt.date = DAY

    def __call__(self) -> dt.date:
        return self.today

    def advance(self, days: int) -> dt.date:
        self.today += dt.timedelta(days=days)
        return self.today


@dataclass
class ReportKit:
    """Everything a report test needs, built the way the bot builds it."""

    engine: Engine
    db_path: Path
    store: ReportStore
    days: Days
    reviewer_keys: list[tuple[bytes, bytes]] = field(default_factory=list)  # (private, public)

    @property
    def public_keys(self) -> list[bytes]:
        return [public for _, public in self.reviewer_keys]

    def service(self, store: ReportStore | None = None) -> ReportService:
        return ReportService(store or self.store, lambda: self.public_keys, ReceiptKeys(SECRET), self.days)

    def reviewer(self, index: int = 0) -> Reviewer:
        private, public = self.reviewer_keys[index]
        return Reviewer(self.store, private, public, self.days, recipients=lambda: self.public_keys)

    def disk_bytes(self) -> bytes:
        """The database file and its WAL as they are on disk now."""
        wal = self.db_path.with_name(self.db_path.name + "-wal")
        return self.db_path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


@pytest.fixture
def kit(tmp_path: Path) -> Iterator[ReportKit]:
    engine = build_engine(load_settings({"data_dir": tmp_path}))
    kit = ReportKit(
        engine=engine,
        db_path=tmp_path / "qingfeng.db",
        store=ReportStore(engine),
        days=Days(),
        reviewer_keys=[generate_keypair(), generate_keypair()],
    )
    yield kit
    engine.dispose()
