"""The database file does not tell in which order reports arrived (issue 11, finding 2).

Reports with attachments are written through the service with the bot's own engine; the file and its WAL are
then read as an insider would read them. Before the rebuild the measures must see the arrival order (so they
can see it at all); after the compactor has run they must see none.
"""

from __future__ import annotations

import os
import random

from reports.compaction import Compactor
from reports.model import Attachment, ReportDraft
from reports.receipt import ReceiptKeys
from reports.service import ReportService
from tests.reports.conftest import SECRET, ReportKit
from tests.reports.disk_order import Order, Snapshot, in_page_order, order, windows

REPORTS = 200
UNORDERED = 4.5  # |z| below this: what a random layout gives but for one time in 150,000


def measures(snap: Snapshot, records: list[tuple[bytes, bytes, list[bytes]]]) -> dict[str, Order]:
    """Order measures over one snapshot; records are (reply key, report envelope, attachment envelopes)."""
    rows = [snap.locate(public) for public, _, _ in records]
    bodies = [snap.locate(body[:48]) for _, body, _ in records]
    # The middle of each attachment: its overflow pages, where a large blob's bytes live.
    middles = [windows(env) for _, _, files in records for env in files]
    blobs = [snap.locate(*middle) for middle in middles]
    assert all(p is not None for p in [*rows, *bodies, *blobs]), "a record was not found in the file"
    return {
        "report rows, page and offset": order(rows),
        "report rows, offset inside a page": in_page_order(rows),
        "report bodies, page and offset": order(bodies),
        "report bodies, offset inside a page": in_page_order(bodies),
        "attachment blobs, page and offset": order(blobs),
        "WAL frames, report rows": order([snap.first_frame(public) for public, _, _ in records]),
        "WAL frames, attachment blobs": order([snap.first_frame(*middle) for middle in middles]),
    }


def test_rebuilt_file_and_wal_carry_no_arrival_order(kit: ReportKit) -> None:
    compactor = Compactor(kit.store.compact, delay=(0.0, 0.0))
    service = ReportService(
        kit.store, kit.directory, ReceiptKeys(SECRET), kit.days, on_write=compactor.written
    )
    rng = random.Random(11)
    records = []
    for i in range(REPORTS):
        files = tuple(
            Attachment(f"{i}-{k}.jpg", "image/jpeg", os.urandom(rng.randint(3_000, 30_000)))
            for k in range(i % 3)
        )
        receipt = service.submit(
            ReportDraft("gifts", f"第{i}份线索：某单位节日期间收受礼品的情况说明。", attachments=files)
        )
        report = kit.store.by_lookup_hash(ReceiptKeys(SECRET).derive(receipt.code)[0])
        assert report is not None
        records.append(
            (report.reply_public, kit.store.entries(report.id)[0].envelope, kit.store.attachments(report.id))
        )

    before = measures(Snapshot.take(kit.db_path), records)
    # The measures see arrival order where SQLite appends (a new report's cell at the top of a page's free
    # space, its blob's pages at the end of the file, its frames at the end of the WAL).
    for name in ("attachment blobs, page and offset", "WAL frames, attachment blobs"):
        assert before[name].tau > 0.9 and before[name].z > UNORDERED, (name, before[name])

    compactor.start()
    assert compactor.wait_idle(timeout=120)
    after = Snapshot.take(kit.db_path)
    assert after.wal == b""  # emptied (TRUNCATE), not only marked as checkpointed
    found = measures(after, records)
    assert all(abs(value.z) < UNORDERED for value in found.values()), found
    compactor.stop()


def test_stop_rebuilds_what_is_pending(kit: ReportKit) -> None:
    compactor = Compactor(kit.store.compact, delay=(3600.0, 3600.0))  # would not run for an hour
    compactor.start()
    service = ReportService(
        kit.store, kit.directory, ReceiptKeys(SECRET), kit.days, on_write=compactor.written
    )
    for i in range(3):
        service.submit(ReportDraft("gifts", f"第{i}份线索：某单位节日期间收受礼品的情况说明。"))
    assert Snapshot.take(kit.db_path).wal != b""
    compactor.stop()  # the bot's shutdown: the pending rebuild runs now
    assert Snapshot.take(kit.db_path).wal == b""
