"""The reporter's side of anonymous reports: submit, check status with the receipt code, add information.

What is sealed to whom:

* the report (category, subject, details, when/where), every attachment and every addition are sealed to
  the reviewers' public keys only. Not even the reporter can read them back: a receipt code found on a
  phone reveals the status and the reviewers' replies, never what was reported;
* a reviewer's reply is sealed to the reporter's reply key (derived from the receipt code) and to the
  reviewers, so both sides can read the thread. It is signed by the reviewer (``reports.signing``) and
  shown to the reporter only if a key in the reviewers folder signed it for this report, as a reply, on
  the day it is filed under; so is a status change. Anything else is counted, not shown;
* every envelope names the report and kind it was sealed for, so one cannot be moved to another report;
* the store keeps a keyed slow hash of the receipt code, never the code.

Additions are accepted until the report is closed; on a closed report ``add_information`` raises
``StatusChangeRefused("closed", "addition")``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import struct
from collections.abc import Callable, Sequence
from typing import Any

from common.clock import DayClock, china_today
from reports.crypto import open_json, seal, seal_json
from reports.errors import BadReceipt, DecryptionFailed, NoReviewerKeys
from reports.keys import ReviewerPublicKey
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
from reports.signing import proven, signed_by_one_of
from reports.store import ReportStore, StoredReport, new_report_id

# The reviewers folder, read at each use: a callable is asked each time, so a new key needs no restart.
Directory = Callable[[], Sequence[ReviewerPublicKey]] | Sequence[ReviewerPublicKey]
_HEADER = struct.Struct(">I")  # length of an attachment's JSON header
_SUBMIT_TRIES = 5


def resolve_directory(directory: Directory) -> list[ReviewerPublicKey]:
    """The reviewers now, retired ones included."""
    return list(directory() if callable(directory) else directory)


def current_keys(reviewers: Sequence[ReviewerPublicKey]) -> list[bytes]:
    """The box keys new envelopes are sealed to: every reviewer not retired."""
    return [r.public_key for r in reviewers if not r.retired]


def verify_keys(reviewers: Sequence[ReviewerPublicKey]) -> set[bytes]:
    """The keys whose signatures count: every reviewer's, retired ones included (their past replies stand)."""
    return {r.verify_key for r in reviewers if r.verify_key is not None}


def reply_fields(report_id: str, day: dt.date, text: str) -> dict[str, str]:
    """What a reviewer signs when replying: the text, for this report, as a reply, on this day."""
    return {"action": "reply", "report": report_id, "day": day.isoformat(), "text": text}


def status_fields(report_id: str, status: str, day: dt.date) -> dict[str, str]:
    """What a reviewer signs when moving a report's status."""
    return {"action": "status", "report": report_id, "status": status, "day": day.isoformat()}


def reply_verified(data: dict[str, Any], report_id: str, day: dt.date, known: set[bytes]) -> bool:
    """True if an opened reply envelope is a listed reviewer's signed reply to this report on this day."""
    text, signer, signature = data.get("text"), data.get("signer"), data.get("signature")
    if not isinstance(text, str) or not isinstance(signer, str) or not isinstance(signature, str):
        return False
    if data.get("report") != report_id or data.get("kind") != "reply" or data.get("day") != day.isoformat():
        return False
    try:
        signer_key, signature_bytes = (
            base64.b64decode(signer, validate=True),
            base64.b64decode(signature, validate=True),
        )
    except (binascii.Error, ValueError):
        return False
    return signed_by_one_of(reply_fields(report_id, day, text), signer_key, signature_bytes, known)


def status_verified(report: StoredReport, known: set[bytes]) -> bool:
    """True if the report is new (nobody moved it) or a listed reviewer signed its current status and day."""
    if report.status == "new" and report.status_proof is None:
        return True
    return proven(status_fields(report.id, report.status, report.status_day), report.status_proof, known)


def pack_attachment(attachment: Attachment, report_id: str = "") -> bytes:
    """An attachment as one byte string: header length, JSON header (report, name, type, warning), then data."""
    header = json.dumps(
        {
            "report": report_id,
            "filename": attachment.filename,
            "media_type": attachment.media_type,
            "warning": attachment.warning,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    # Raw bytes after the header: base64 inside JSON would add a third to a 20 MB file.
    return _HEADER.pack(len(header)) + header + attachment.data


def unpack_attachment(data: bytes, report_id: str | None = None) -> Attachment:
    """The inverse of ``pack_attachment``; ``DecryptionFailed`` if damaged or sealed for another report."""
    try:
        (length,) = _HEADER.unpack_from(data)
        header: dict[str, Any] = json.loads(data[_HEADER.size : _HEADER.size + length].decode("utf-8"))
        if report_id is not None and header.get("report") != report_id:
            raise DecryptionFailed("sealed for another report")
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
    return message_text(open_json(envelope, private_key))


def message_text(data: dict[str, Any]) -> str:
    """The text of an opened addition or reply."""
    text = data.get("text")
    if not isinstance(text, str):
        raise DecryptionFailed("not a message")
    return text


def purge_closed(
    store: ReportStore, today: dt.date, retention_days: int, reviewers: Sequence[ReviewerPublicKey]
) -> list[str]:
    """Delete reports closed, by a listed reviewer's signature, ``retention_days`` ago or more; their ids.

    The freed space is scrubbed. A closing nobody signed (a status column set by hand) deletes nothing.
    """
    if retention_days < 0:
        raise ValueError("retention_days must not be negative")
    known = verify_keys(reviewers)
    ids = store.purge(
        today - dt.timedelta(days=retention_days), lambda report: status_verified(report, known)
    )
    if ids:
        store.compact()
    return ids


class ReportService:
    """Submitting and following a report. No method takes a user: the signatures keep reports anonymous."""

    def __init__(
        self,
        store: ReportStore,
        reviewers: Directory,
        receipt_keys: ReceiptKeys,
        clock: DayClock = china_today,
        on_write: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.reviewers = reviewers
        self.receipt_keys = receipt_keys
        self.clock = clock
        # Told after every reporter's write; the bot passes ``Compactor.written`` (see reports.compaction).
        self.on_write = on_write

    def reviewer_keys(self) -> list[bytes]:
        """The current reviewers' public keys; ``NoReviewerKeys`` if there are none."""
        keys = current_keys(resolve_directory(self.reviewers))
        if not keys:
            raise NoReviewerKeys("no reviewer public keys")
        return keys

    def submit(self, draft: ReportDraft) -> Receipt:
        """Encrypt and store a report in one transaction; the receipt code is returned, never stored."""
        draft = draft.validated()
        keys = self.reviewer_keys()
        today = self.clock()
        for _ in range(_SUBMIT_TRIES):
            report_id = new_report_id()
            # Sealed with the report id inside: an envelope moved to another report is detected.
            body = seal_json(
                {
                    "report": report_id,
                    "kind": "report",
                    "category": draft.category,
                    "subject": draft.subject,
                    "details": draft.details,
                    "when_where": draft.when_where,
                },
                keys,
            )
            files = [seal(pack_attachment(a, report_id), keys) for a in draft.attachments]
            code = new_code()
            lookup_hash, reply_key = self.receipt_keys.derive(code)
            reply_public, sealed_private = reply_keypair(reply_key)
            report = StoredReport(
                id=report_id,
                day=today,
                status="new",
                status_day=today,
                closed_day=None,
                reply_public=reply_public,
                reply_sealed_private=sealed_private,
            )
            # False only when the random id or the code's hash is already taken: draw new ones.
            if self.store.add_report(report, lookup_hash, body, files):
                self._written()
                return Receipt(code)
        raise RuntimeError("could not find a free report id and receipt code")

    def _find(self, code: str) -> tuple[StoredReport, bytes]:
        lookup_hash, reply_key = self.receipt_keys.derive(code)
        report = self.store.by_lookup_hash(lookup_hash)
        if report is None:
            raise BadReceipt("unknown receipt code")
        return report, reply_key

    def status(self, code: str) -> StatusView:
        """The status and the reviewers' verified replies; ``BadReceipt`` for a malformed or unknown code."""
        report, reply_key = self._find(code)
        private_key = open_reply_private(reply_key, report.reply_sealed_private)
        known = verify_keys(resolve_directory(self.reviewers))
        replies: list[Message] = []
        additions = unverified = 0
        for entry in self.store.entries(report.id):
            if entry.kind == "reply":
                try:
                    data = open_json(entry.envelope, private_key)
                except DecryptionFailed:
                    unverified += 1  # not sealed to this reporter: nobody who could reply wrote it
                    continue
                if reply_verified(data, report.id, entry.day, known):
                    replies.append(Message(entry.day, "reply", message_text(data)))
                else:
                    unverified += 1
            elif entry.kind == "addition":
                additions += 1  # sealed to the reviewers only: counted, not shown
        status = report.status
        if not status_verified(report, known):
            status, unverified = "new", unverified + 1  # the only status that needs no reviewer
        return StatusView(status, report.day, tuple(replies), additions, unverified)

    def add_information(self, code: str, text: str) -> None:
        """Add to a report until it is closed; sealed to the reviewers only."""
        text = text.strip()
        check_text("text", text, ADDITION_MAX, 1)
        keys = self.reviewer_keys()
        report, _ = self._find(code)
        envelope = seal_json({"report": report.id, "kind": "addition", "text": text}, keys)
        self.store.add_entry(report.id, "addition", self.clock(), envelope, refuse_closed=True)
        self._written()

    def _written(self) -> None:
        if self.on_write is not None:
            self.on_write()

    def purge(self, retention_days: int) -> int:
        """Delete reports closed ``retention_days`` or more days ago; how many."""
        return len(purge_closed(self.store, self.clock(), retention_days, resolve_directory(self.reviewers)))
