"""The reporter's side of anonymous reports: submit, check status with the receipt code, add information.

What is sealed to whom:

* the report (category, subject, details, when/where), every attachment and every addition are sealed to
  the reviewers' public keys only. Not even the reporter can read them back: a receipt code found on a
  phone reveals the status and the reviewers' replies, never what was reported;
* a reviewer's reply is sealed to the reporter's reply key (derived from the receipt code) and to the
  reviewers, so both sides can read the thread;
* the store keeps a keyed slow hash of the receipt code, never the code.

Additions are accepted until the report is closed; on a closed report ``add_information`` raises
``StatusChangeRefused("closed", "addition")``.
"""

from __future__ import annotations

import datetime as dt
import json
import struct
from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from reports.crypto import open_json, seal, seal_json
from reports.errors import BadReceipt, DecryptionFailed, NoReviewerKeys
from reports.model import (
    ADDITION_MAX,
    Attachment,
    Message,
    Receipt,
    ReportDraft,
    StatusView,
    check_text,
)
from reports.receipt import ReceiptKeys, new_code, open_reply_private, reply_keypair
from reports.store import ReportStore, StoredReport, new_report_id

DayClock = Callable[[], dt.date]
Recipients = Callable[[], Sequence[bytes]] | Sequence[bytes]
CHINA = ZoneInfo("Asia/Shanghai")
_HEADER = struct.Struct(">I")  # length of an attachment's JSON header
_SUBMIT_TRIES = 5


def china_today() -> dt.date:
    """Today in Asia/Shanghai: the only precision at which the store records time."""
    return dt.datetime.now(CHINA).date()


def resolve_recipients(recipients: Recipients) -> list[bytes]:
    """The reviewers' public keys now (a callable is asked each time, so a new key needs no restart)."""
    keys = recipients() if callable(recipients) else recipients
    return [bytes(k) for k in keys]


def pack_attachment(attachment: Attachment) -> bytes:
    """An attachment as one byte string: header length, JSON header (name, type, warning), then data."""
    header = json.dumps(
        {"filename": attachment.filename, "media_type": attachment.media_type, "warning": attachment.warning},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    # Raw bytes after the header: base64 inside JSON would add a third to a 20 MB file.
    return _HEADER.pack(len(header)) + header + attachment.data


def unpack_attachment(data: bytes) -> Attachment:
    """The inverse of ``pack_attachment``; ``DecryptionFailed`` if the container is damaged."""
    try:
        (length,) = _HEADER.unpack_from(data)
        header: dict[str, Any] = json.loads(data[_HEADER.size : _HEADER.size + length].decode("utf-8"))
        return Attachment(
            filename=str(header["filename"]),
            media_type=str(header["media_type"]),
            data=data[_HEADER.size + length :],
            warning=str(header.get("warning", "")),
        )
    except (struct.error, UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise DecryptionFailed("damaged attachment") from None


def open_text(envelope: bytes, private_key: bytes) -> str:
    """The text of an addition or reply envelope."""
    text = open_json(envelope, private_key).get("text")
    if not isinstance(text, str):
        raise DecryptionFailed("not a message")
    return text


def purge_closed(store: ReportStore, today: dt.date, retention_days: int) -> list[str]:
    """Delete reports closed at least ``retention_days`` ago and scrub the freed space; their ids."""
    if retention_days < 0:
        raise ValueError("retention_days must not be negative")
    ids = store.purge(today - dt.timedelta(days=retention_days))
    if ids:
        store.compact()
    return ids


class ReportService:
    """Submitting and following a report. No method takes a user: the signatures keep reports anonymous."""

    def __init__(
        self,
        store: ReportStore,
        recipients: Recipients,
        receipt_keys: ReceiptKeys,
        clock: DayClock = china_today,
    ) -> None:
        self.store = store
        self.recipients = recipients
        self.receipt_keys = receipt_keys
        self.clock = clock

    def reviewer_keys(self) -> list[bytes]:
        """The reviewers' public keys; ``NoReviewerKeys`` if there are none."""
        keys = resolve_recipients(self.recipients)
        if not keys:
            raise NoReviewerKeys("no reviewer public keys")
        return keys

    def submit(self, draft: ReportDraft) -> Receipt:
        """Encrypt and store a report in one transaction; the receipt code is returned, never stored."""
        draft = draft.validated()
        keys = self.reviewer_keys()
        body = seal_json(
            {
                "category": draft.category,
                "subject": draft.subject,
                "details": draft.details,
                "when_where": draft.when_where,
            },
            keys,
        )
        files = [seal(pack_attachment(a), keys) for a in draft.attachments]
        today = self.clock()
        for _ in range(_SUBMIT_TRIES):
            code = new_code()
            lookup_hash, reply_key = self.receipt_keys.derive(code)
            reply_public, sealed_private = reply_keypair(reply_key)
            report = StoredReport(
                id=new_report_id(),
                day=today,
                status="new",
                status_day=today,
                closed_day=None,
                reply_public=reply_public,
                reply_sealed_private=sealed_private,
            )
            # False only when the random id or the code's hash is already taken: draw new ones.
            if self.store.add_report(report, lookup_hash, body, files):
                return Receipt(code)
        raise RuntimeError("could not find a free report id and receipt code")

    def _find(self, code: str) -> tuple[StoredReport, bytes]:
        lookup_hash, reply_key = self.receipt_keys.derive(code)
        report = self.store.by_lookup_hash(lookup_hash)
        if report is None:
            raise BadReceipt("unknown receipt code")
        return report, reply_key

    def status(self, code: str) -> StatusView:
        """The status and the reviewers' replies; ``BadReceipt`` for a malformed or unknown code."""
        report, reply_key = self._find(code)
        private_key = open_reply_private(reply_key, report.reply_sealed_private)
        replies: list[Message] = []
        additions = 0
        for entry in self.store.entries(report.id):
            if entry.kind == "reply":
                replies.append(Message(entry.day, "reply", open_text(entry.envelope, private_key)))
            elif entry.kind == "addition":
                additions += 1  # sealed to the reviewers only: counted, not shown
        return StatusView(report.status, report.day, tuple(replies), additions)

    def add_information(self, code: str, text: str) -> None:
        """Add to a report until it is closed; sealed to the reviewers only."""
        text = text.strip()
        check_text("text", text, ADDITION_MAX, 1)
        keys = self.reviewer_keys()
        report, _ = self._find(code)
        envelope = seal_json({"text": text}, keys)
        self.store.add_entry(report.id, "addition", self.clock(), envelope, refuse_closed=True)

    def purge(self, retention_days: int) -> int:
        """Delete reports closed ``retention_days`` or more days ago; how many."""
        return len(purge_closed(self.store, self.clock(), retention_days))
