"""The reporter's side on a real SQLite store with real crypto: submit, status, add, purge, crashes."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Connection, func, select

from reports.crypto import open_sealed
from reports.errors import BadReceipt, DecryptionFailed, InvalidReport, NoReviewerKeys, StatusChangeRefused
from reports.keys import ReviewerPublicKey
from reports.model import ADDITION_MAX, Attachment, ReportDraft
from reports.receipt import ReceiptKeys
from reports.review import Reviewer
from reports.service import ReportService, pack_attachment, unpack_attachment
from reports.store import ReportStore, attachments_table, entries_table, reports_table
from tests.reports.conftest import SECRET, ReportKit, listing, new_reviewer_key

CANARY = "金丝雀-7f3a9c-某局长收受购物卡"
FILE_CANARY = b"FILE-CANARY-5d1e8b-" * 20


def draft(details: str = f"反映某单位在中秋节前违规发放购物卡。{CANARY}", files: int = 1) -> ReportDraft:
    attachments = tuple(
        Attachment(f"证据{i}.jpg", "image/jpeg", FILE_CANARY + bytes([i]), warning="") for i in range(files)
    )
    return ReportDraft(
        category="gifts",
        details=details,
        subject="某局办公室",
        when_where="2026年9月，局机关",
        attachments=attachments,
    )


def row_counts(kit: ReportKit) -> tuple[int, int, int]:
    with kit.engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (reports_table, entries_table, attachments_table)
        )


def test_submit_returns_a_receipt_and_status_starts_new(kit: ReportKit) -> None:
    service = kit.service()
    receipt = service.submit(draft())
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){4}[0-9A-HJKMNP-TV-Z]{4}", receipt.code)
    view = service.status(receipt.code)
    assert (view.status, view.status_label, view.submitted) == ("new", "已受理", kit.days.today)
    assert view.replies == () and view.additions == 0
    # Typed loosely on a phone: lower case, spaces instead of dashes, O for 0.
    assert service.status(receipt.code.lower().replace("-", " ")).status == "new"
    assert row_counts(kit) == (1, 1, 1)


def test_malformed_and_unknown_codes_are_bad_receipts(kit: ReportKit) -> None:
    service = kit.service()
    service.submit(draft())
    for code in ("", "1234", "7KQ2-M9XD-4HTV-Z0CB-1NRW", "not a code at all, not at all"):
        with pytest.raises(BadReceipt):
            service.status(code)
        with pytest.raises(BadReceipt):
            service.add_information(code, "补充一点情况")


def test_another_server_secret_cannot_find_the_report(kit: ReportKit) -> None:
    receipt = kit.service().submit(draft())
    other = ReportService(kit.store, kit.directory, ReceiptKeys(bytes(32)), kit.days)
    with pytest.raises(BadReceipt):
        other.status(receipt.code)


def test_invalid_drafts_and_missing_keys_store_nothing(kit: ReportKit) -> None:
    service = kit.service()
    with pytest.raises(InvalidReport) as short:
        service.submit(draft(details="太短"))
    assert (short.value.field, short.value.problem) == ("details", "too_short")
    with pytest.raises(InvalidReport):
        service.submit(ReportDraft(category="nonsense", details="足够长的问题详情文字内容"))
    with pytest.raises(NoReviewerKeys):
        ReportService(kit.store, [], ReceiptKeys(SECRET), kit.days).submit(draft())
    assert row_counts(kit) == (0, 0, 0)


def test_reviewer_keys_are_read_at_each_submission(kit: ReportKit) -> None:
    keys: list[ReviewerPublicKey] = []
    service = ReportService(kit.store, lambda: keys, ReceiptKeys(SECRET), kit.days)
    with pytest.raises(NoReviewerKeys):
        service.submit(draft())
    keys.append(kit.directory[0])
    service.submit(draft())
    assert row_counts(kit)[0] == 1


def test_additions_are_counted_for_the_reporter_and_readable_by_reviewers(kit: ReportKit) -> None:
    service = kit.service()
    receipt = service.submit(draft())
    kit.days.advance(2)
    service.add_information(receipt.code, "  还有一张发票照片，稍后补充。  ")
    view = service.status(receipt.code)
    assert view.additions == 1 and view.replies == ()
    [summary] = kit.reviewer().list()
    detail = kit.reviewer(1).show(summary.id)
    [message] = detail.thread
    assert (message.kind, message.day, message.text) == (
        "addition",
        kit.days.today,
        "还有一张发票照片，稍后补充。",
    )


def test_additions_are_checked_and_refused_once_closed(kit: ReportKit) -> None:
    service = kit.service()
    receipt = service.submit(draft())
    with pytest.raises(InvalidReport) as empty:
        service.add_information(receipt.code, "   ")
    assert (empty.value.field, empty.value.problem) == ("text", "empty")
    with pytest.raises(InvalidReport) as long:
        service.add_information(receipt.code, "字" * (ADDITION_MAX + 1))
    assert long.value.problem == "too_long"
    reviewer = kit.reviewer()
    [summary] = reviewer.list()
    reviewer.set_status(summary.id, "in_progress")
    service.add_information(receipt.code, "核查中仍可补充")
    reviewer.set_status(summary.id, "closed")
    with pytest.raises(StatusChangeRefused) as refused:
        service.add_information(receipt.code, "办结后补充")
    assert (refused.value.current, refused.value.wanted) == ("closed", "addition")
    assert service.status(receipt.code).additions == 1


def test_replies_reach_the_reporter_with_their_day(kit: ReportKit) -> None:
    service = kit.service()
    receipt = service.submit(draft())
    reviewer = kit.reviewer()
    [summary] = reviewer.list()
    kit.days.advance(3)
    reviewer.reply(summary.id, "已收到，正在核查，请耐心等待。")
    reviewer.set_status(summary.id, "in_progress")
    view = service.status(receipt.code)
    assert view.status_label == "核查中"
    assert [(m.day, m.kind, m.text) for m in view.replies] == [
        (kit.days.today, "reply", "已收到，正在核查，请耐心等待。")
    ]


def test_attachment_container_round_trips() -> None:
    attachment = Attachment(
        "现场 照片.png", "image/png", b"\x89PNG\r\n" + bytes(range(256)), "未能清除元数据"
    )
    assert unpack_attachment(pack_attachment(attachment)) == attachment
    with pytest.raises(DecryptionFailed):
        unpack_attachment(b"\x00\x00")


def test_nothing_readable_is_written_to_disk_even_before_a_checkpoint(kit: ReportKit) -> None:
    receipt = kit.service().submit(draft(files=2))
    wal = kit.db_path.with_name(kit.db_path.name + "-wal")
    assert wal.stat().st_size > 0  # the report is (at least partly) only in the WAL: it is read too
    disk = kit.disk_bytes()
    readable = [
        CANARY.encode("utf-8"),
        "某局办公室".encode(),
        "证据0.jpg".encode(),
        b"image/jpeg",
        FILE_CANARY[:40],
        receipt.code.encode(),
        receipt.code.replace("-", "").encode(),
    ]
    assert [text for text in readable if text in disk] == []


def test_a_process_without_a_reviewer_key_cannot_decrypt(kit: ReportKit) -> None:
    kit.service().submit(draft())
    outsider_key = new_reviewer_key()
    outsider_private = outsider_key.private_key
    # Listed in the folder only now: reports sealed before cannot be read with it.
    outsider = Reviewer(kit.store, outsider_key, [*kit.directory, *listing(outsider_key)], kit.days)
    [summary] = outsider.list()
    assert summary.category == ""  # listed, but not readable
    with pytest.raises(DecryptionFailed):
        outsider.show(summary.id)
    [entry] = kit.store.entries(summary.id)
    with pytest.raises(DecryptionFailed):
        open_sealed(entry.envelope, outsider_private)
    for envelope in kit.store.attachments(summary.id):
        with pytest.raises(DecryptionFailed):
            open_sealed(envelope, outsider_private)
    assert CANARY in kit.reviewer(0).show(summary.id).details
    assert CANARY in kit.reviewer(1).show(summary.id).details


class FailingStore(ReportStore):
    """A store that dies while writing the second attachment, as a killed process would."""

    def _insert_attachment(self, conn: Connection, report_id: str, seq: int, envelope: bytes) -> None:
        if seq == 1:
            raise OSError("disk gone mid-report")
        super()._insert_attachment(conn, report_id, seq, envelope)


def test_a_failure_mid_submit_stores_nothing(kit: ReportKit) -> None:
    failing = FailingStore(kit.engine)
    with pytest.raises(OSError, match="mid-report"):
        kit.service(failing).submit(draft(files=3))
    assert row_counts(kit) == (0, 0, 0)
    kit.service().submit(draft(files=3))  # the store is usable afterwards
    assert row_counts(kit) == (1, 1, 3)


def test_purge_deletes_closed_reports_after_retention_and_scrubs_the_file(kit: ReportKit) -> None:
    service = kit.service()
    closed_code = service.submit(draft(files=2)).code
    open_code = service.submit(draft()).code
    reviewer = kit.reviewer()
    closed_id = report_id(kit, closed_code)
    reviewer.reply(closed_id, "经核查，问题属实，已处理。")
    envelopes = [e.envelope for e in kit.store.entries(closed_id)] + kit.store.attachments(closed_id)
    reviewer.set_status(closed_id, "in_progress")
    reviewer.set_status(closed_id, "closed")
    kit.store.compact()  # the ciphertext is in the main file before the purge, not just in the WAL
    assert [i for i, e in enumerate(envelopes) if e[-64:] not in kit.disk_bytes()] == []

    kit.days.advance(29)
    assert service.purge(30) == 0
    kit.days.advance(1)
    assert service.purge(30) == 1
    assert kit.store.get(closed_id) is None
    assert kit.store.entries(closed_id) == [] and kit.store.attachments(closed_id) == []
    with pytest.raises(BadReceipt):
        service.status(closed_code)
    assert service.status(open_code).status == "new"  # open reports are never purged
    assert row_counts(kit) == (1, 1, 1)
    disk = kit.disk_bytes()
    assert [i for i, e in enumerate(envelopes) if e[-64:] in disk or e[2:66] in disk] == []
    # The audit trail keeps what reviewers did, by report id only.
    assert {a.action for a in kit.store.audit_log(closed_id)} >= {"reply", "status:closed"}


def report_id(kit: ReportKit, code: str) -> str:
    report = kit.store.by_lookup_hash(ReceiptKeys(SECRET).derive(code)[0])
    assert report is not None
    return report.id
