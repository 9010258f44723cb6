"""A real report store on SQLite (WAL, secure_delete) in tmp_path, real keys, a clock that can be moved."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine

from reports.crypto import generate_keypair
from reports.keys import ReviewerKey, ReviewerPublicKey
from reports.receipt import ReceiptKeys
from reports.review import Reviewer
from reports.service import ReportService
from reports.signing import generate_signing_seed
from reports.store import ReportStore
from wiring.factory import build_engine
from wiring.settings import load_settings

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


def new_reviewer_key() -> ReviewerKey:
    """A reviewer key that can open reports and sign actions."""
    private, public = generate_keypair()
    return ReviewerKey(private, public, generate_signing_seed())


def listing(*keys: ReviewerKey) -> list[ReviewerPublicKey]:
    """The reviewers folder holding these keys."""
    return [ReviewerPublicKey(k.public_key, k.verify_key) for k in keys]


@dataclass
class ReportKit:
    """Everything a report test needs, built the way the bot builds it."""

    engine: Engine
    db_path: Path
    store: ReportStore
    days: Days
    reviewer_keys: list[ReviewerKey] = field(default_factory=list)

    @property
    def public_keys(self) -> list[bytes]:
        return [key.public_key for key in self.reviewer_keys]

    @property
    def directory(self) -> list[ReviewerPublicKey]:
        """The reviewers folder as the services read it."""
        return listing(*self.reviewer_keys)

    def service(self, store: ReportStore | None = None) -> ReportService:
        return ReportService(store or self.store, lambda: self.directory, ReceiptKeys(SECRET), self.days)

    def reviewer(self, index: int = 0) -> Reviewer:
        return Reviewer(self.store, self.reviewer_keys[index], lambda: self.directory, self.days)

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
        reviewer_keys=[new_reviewer_key(), new_reviewer_key()],
    )
    yield kit
    engine.dispose()
