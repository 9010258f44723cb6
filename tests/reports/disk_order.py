"""Does a SQLite file's layout follow the order in which records were written? Measured as an insider would.

The database is read as SQLite itself sees it (the file's pages with the newest committed WAL frame of each
page laid over them), and a record is found by a byte string only it contains. Order is compared with
Kendall's tau (+1 or -1 when the layout ranks records exactly by arrival, near 0 when it says nothing) and
its z-score against a layout that knows nothing of arrival.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

WAL_HEADER = 32
FRAME_HEADER = 24


@dataclass(frozen=True)
class Order:
    """Kendall's tau between arrival and position, and its z-score against a random layout."""

    tau: float
    z: float
    pairs: int


def _order(groups: Sequence[Sequence[tuple[int, ...]]]) -> Order:
    # S = concordant - discordant pairs, summed over groups; under a random order each group's S has mean 0
    # and variance m(m-1)(2m+5)/18 (no ties), so z = S / sqrt(sum of variances).
    score = pairs = 0
    variance = 0.0
    for group in groups:
        m = len(group)
        variance += m * (m - 1) * (2 * m + 5) / 18
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                score += (b > a) - (b < a)
                pairs += b != a
    return Order(score / pairs if pairs else 0.0, score / variance**0.5 if variance else 0.0, pairs)


def order(positions: Sequence[tuple[int, ...] | None]) -> Order:
    """Arrival (list order) against positions; records not found (None) are left out."""
    return _order([[p for p in positions if p is not None]])


def in_page_order(positions: Sequence[tuple[int, int] | None]) -> Order:
    """Arrival against the offset inside a page, over pairs of records on the same page."""
    pages: dict[int, list[tuple[int]]] = {}
    for found in positions:
        if found is not None:
            pages.setdefault(found[0], []).append((found[1],))
    return _order(list(pages.values()))


@dataclass(frozen=True)
class Snapshot:
    """A copy of the database file and its WAL, taken as an insider would copy them."""

    db: bytes
    wal: bytes

    @classmethod
    def take(cls, db_path: Path) -> Snapshot:
        """Read the database file, then its WAL (empty if there is none)."""
        wal = db_path.with_name(db_path.name + "-wal")
        return cls(db_path.read_bytes(), wal.read_bytes() if wal.exists() else b"")

    @property
    def page_size(self) -> int:
        """The page size from the database header (a stored 1 means 65536)."""
        (size,) = struct.unpack(">H", self.db[16:18])
        return 65536 if size == 1 else size

    @cached_property
    def frames(self) -> list[tuple[int, bytes]]:
        """The WAL's frames of its current generation, in order: (page number, page bytes)."""
        if len(self.wal) < WAL_HEADER:
            return []
        page_size = struct.unpack(">I", self.wal[8:12])[0]
        salts = self.wal[16:24]
        out = []
        at = WAL_HEADER
        while at + FRAME_HEADER + page_size <= len(self.wal):
            header = self.wal[at : at + FRAME_HEADER]
            if header[8:16] != salts:
                break  # a frame left over from an earlier generation of the WAL
            (page_no,) = struct.unpack(">I", header[:4])
            out.append((page_no, self.wal[at + FRAME_HEADER : at + FRAME_HEADER + page_size]))
            at += FRAME_HEADER + page_size
        return out

    @cached_property
    def pages(self) -> dict[int, bytes]:
        """Every page as SQLite reads it: from the file, replaced by its newest frame in the WAL."""
        size = self.page_size
        pages = {n + 1: self.db[n * size : (n + 1) * size] for n in range(len(self.db) // size)}
        pages.update(dict(self.frames))
        return pages

    @cached_property
    def image(self) -> bytes:
        """The pages one after another, as a copy of the checkpointed database would hold them."""
        pages, size = self.pages, self.page_size
        return b"".join(pages.get(n, bytes(size)) for n in range(1, max(pages, default=0) + 1))

    def locate(self, *needles: bytes) -> tuple[int, int] | None:
        """(page number, offset inside the page) of the first of ``needles`` found.

        Give two windows of a long value a little apart: a blob's bytes are split over overflow pages, and
        one window may straddle a page boundary, but never both.
        """
        for needle in needles:
            at = self.image.find(needle)
            if at >= 0:
                return at // self.page_size + 1, at % self.page_size
        return None

    def first_frame(self, *needles: bytes) -> tuple[int] | None:
        """The index of the first WAL frame holding one of ``needles``."""
        for index, (_, data) in enumerate(self.frames):
            if any(needle in data for needle in needles):
                return (index,)
        return None


def windows(value: bytes, size: int = 16) -> tuple[bytes, bytes]:
    """Two windows from the middle of a long value, ``size`` bytes apart (see ``Snapshot.locate``)."""
    mid = len(value) // 2
    return value[mid : mid + size], value[mid + 2 * size : mid + 3 * size]
