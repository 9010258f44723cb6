"""The reviewers' side of anonymous reports: list, read, reply, move the status, export, purge.

A ``Reviewer`` holds one unlocked key (``reports.keys.ReviewerKey``). It acts only while that key is listed
in the reviewers folder, not retired, and can sign: replies and status changes carry its Ed25519 signature,
checked against the folder before they are stored and again before a reporter sees them. Every action is
written to the audit table with the day and the fingerprint of the reviewer's public key, nothing more.
"""

from __future__ import annotations

import base64
import builtins
import datetime as dt
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common.clock import DayClock, china_today
from reports.crypto import open_json, open_sealed, seal_json
from reports.errors import (
    DecryptionFailed,
    ReviewerKeyRefused,
    StatusChangeRefused,
    UnknownReport,
    UnsafeExportFolder,
)
from reports.keys import ReviewerKey, ReviewerPublicKey
from reports.model import (
    CATEGORIES,
    NEXT_STATUS,
    REPLY_MAX,
    STATUSES,
    Attachment,
    Message,
    ReportDetail,
    ReportSummary,
    check_text,
)
from reports.service import (
    Directory,
    current_keys,
    message_text,
    purge_closed,
    reply_fields,
    reply_verified,
    resolve_directory,
    status_fields,
    status_verified,
    verify_keys,
)
from reports.service import unpack_attachment as _unpack
from reports.signing import proof, sign
from reports.store import AuditEntry, ReportStore, StoredReport, normalize_report_id

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


def safe_filename(name: str, fallback: str = "attachment") -> str:
    """A reporter-given file name made safe to write: no folders, no control or reserved characters."""
    base = _UNSAFE.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip().lstrip(".")
    return base[:120] or fallback


class Reviewer:
    """One reviewer's view of the reports, through their own private key."""

    def __init__(
        self,
        store: ReportStore,
        key: ReviewerKey,
        reviewers: Directory,
        clock: DayClock = china_today,
    ) -> None:
        self.store = store
        self.key = key
        self.fingerprint = key.fingerprint
        # The reviewers folder: who may act, whose signatures count, and whom replies are sealed to.
        self.reviewers = reviewers
        self.clock = clock

    def _listed(self, signing: bool = False) -> list[ReviewerPublicKey]:
        """The reviewers now; ``ReviewerKeyRefused`` unless this key is among them (and, to change
        anything, can sign with the verify key listed for it)."""
        reviewers = resolve_directory(self.reviewers)
        mine = [r for r in reviewers if r.public_key == self.key.public_key and not r.retired]
        if not mine:
            raise ReviewerKeyRefused(self.fingerprint, "unknown")
        if signing and (self.key.signing_seed is None or mine[0].verify_key != self.key.verify_key):
            raise ReviewerKeyRefused(self.fingerprint, "cannot_sign")
        return reviewers

    def _audit(self, action: str, report_id: str | None = None) -> AuditEntry:
        return AuditEntry(self.clock(), self.fingerprint, action, report_id)

    def _report(self, report_id: str) -> StoredReport:
        canonical = normalize_report_id(report_id)
        report = self.store.get(canonical)
        if report is None:
            raise UnknownReport(canonical)
        return report

    def list(self, status: str | None = None) -> builtins.list[ReportSummary]:
        """Reports newest first (optionally of one status); category is "" where this key cannot read it."""
        self._listed()
        self.store.audit(self._audit("list"))
        summaries = []
        for row in self.store.summaries(status):
            try:
                category = str(open_json(row.body, self.key.private_key).get("category", ""))
            except DecryptionFailed:
                category = ""  # sealed before this reviewer's key was added
            report = row.report
            summaries.append(
                ReportSummary(report.id, report.day, report.status, category, row.attachments, row.messages)
            )
        return summaries

    def show(self, report_id: str) -> ReportDetail:
        """A whole report decrypted; ``UnknownReport``, or ``DecryptionFailed`` if not sealed to this key."""
        known = verify_keys(self._listed())
        report = self._report(report_id)
        self.store.audit(self._audit("show", report.id))
        return self._detail(report, known)

    def _detail(self, report: StoredReport, known: set[bytes]) -> ReportDetail:
        thread = self.store.entries(report.id)
        if not thread or thread[0].kind != "report":
            raise DecryptionFailed("report body missing")
        body = open_json(thread[0].envelope, self.key.private_key)
        if body.get("report") != report.id:
            raise DecryptionFailed("report body sealed for another report")
        messages = tuple(
            self._message(report.id, entry.kind, entry.day, entry.envelope, known) for entry in thread[1:]
        )
        files = tuple(
            _unpack(open_sealed(envelope, self.key.private_key), report.id)
            for envelope in self.store.attachments(report.id)
        )
        return ReportDetail(
            id=report.id,
            day=report.day,
            status=report.status,
            category=str(body.get("category", "")),
            subject=str(body.get("subject", "")),
            details=str(body.get("details", "")),
            when_where=str(body.get("when_where", "")),
            attachments=files,
            thread=messages,
            status_verified=status_verified(report, known),
        )

    def _message(
        self, report_id: str, kind: str, day: dt.date, envelope: bytes, known: set[bytes]
    ) -> Message:
        try:
            data = open_json(envelope, self.key.private_key)
        except DecryptionFailed:
            # Not sealed to this reviewer: every genuine entry is, so someone else wrote it. Shown, flagged.
            return Message(day, kind, "", verified=False)
        if kind == "reply":
            verified = reply_verified(data, report_id, day, known)
        else:  # a reporter's addition: unsigned (anonymous), but sealed for this report as an addition
            verified = data.get("report") == report_id and data.get("kind") == kind
        return Message(day, kind, message_text(data), verified)

    def reply(self, report_id: str, text: str) -> None:
        """Answer the reporter: signed, sealed to the report's reply key and to every current reviewer."""
        text = text.strip()
        check_text("text", text, REPLY_MAX, 1)
        reviewers = self._listed(signing=True)
        assert self.key.signing_seed is not None  # _listed refuses a key that cannot sign
        report = self._report(report_id)
        day = self.clock()
        signature = sign(self.key.signing_seed, reply_fields(report.id, day, text))
        data = {
            "report": report.id,
            "kind": "reply",
            "day": day.isoformat(),
            "text": text,
            "signer": base64.b64encode(self.key.verify_key or b"").decode("ascii"),
            "signature": base64.b64encode(signature).decode("ascii"),
        }
        # Checked as the reporter's side will check it, against the folder, before anything is stored.
        if not reply_verified(data, report.id, day, verify_keys(reviewers)):
            raise ReviewerKeyRefused(self.fingerprint, "cannot_sign")
        keys = [report.reply_public, *current_keys(reviewers)]
        envelope = seal_json(data, keys)
        self.store.add_entry(report.id, "reply", day, envelope, audit_entry=self._audit("reply", report.id))

    def set_status(self, report_id: str, status: str) -> None:
        """Move a report one step along new → in_progress → closed, signed; ``StatusChangeRefused`` otherwise."""
        self._listed(signing=True)
        assert self.key.signing_seed is not None  # _listed refuses a key that cannot sign
        report = self._report(report_id)
        if status not in STATUSES or NEXT_STATUS.get(report.status) != status:
            raise StatusChangeRefused(report.status, status)
        day = self.clock()
        audit_entry = self._audit(f"status:{status}", report.id)
        signed = proof(self.key.signing_seed, status_fields(report.id, status, day))
        if not self.store.set_status(report.id, report.status, status, day, audit_entry, signed):
            # Another reviewer moved it in the meantime: report what it is now.
            raise StatusChangeRefused(self._report(report.id).status, status)

    def export(self, folder: Path, status: str | None = None) -> int:
        """Write each report to ``folder/<id>/`` (report.json and its attachments); how many.

        Decrypted reports go only into a new or empty folder of the reviewer's own, never through a symbolic
        link: in a shared folder a planted link could otherwise redirect (and overwrite) any file.
        """
        known = verify_keys(self._listed())
        _prepare_export_folder(folder)
        count = 0
        for row in self.store.summaries(status):
            detail = self._detail(row.report, known)
            self._write_report(folder / detail.id, detail)
            self.store.audit(self._audit("export", detail.id))
            count += 1
        return count

    def _write_report(self, target: Path, detail: ReportDetail) -> None:
        target.mkdir(mode=0o700)  # the folder was empty: a report's folder is always new
        files = []
        for i, attachment in enumerate(detail.attachments, start=1):
            name = f"{i:02d}-{safe_filename(attachment.filename)}"
            _write_private(target / name, attachment.data)
            files.append(_attachment_json(attachment, name))
        document: dict[str, Any] = {
            "id": detail.id,
            "day": detail.day.isoformat(),
            "status": detail.status,
            "status_label": STATUSES.get(detail.status, detail.status),
            "status_verified": detail.status_verified,
            "category": detail.category,
            "category_label": CATEGORIES.get(detail.category, detail.category),
            "subject": detail.subject,
            "details": detail.details,
            "when_where": detail.when_where,
            "attachments": files,
            "thread": [
                {"day": m.day.isoformat(), "kind": m.kind, "text": m.text, "verified": m.verified}
                for m in detail.thread
            ],
        }
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        _write_private(target / "report.json", text.encode("utf-8"))

    def purge(self, retention_days: int) -> int:
        """Delete reports closed ``retention_days`` or more days ago; each deletion is audited."""
        ids = purge_closed(self.store, self.clock(), retention_days, self._listed(signing=True))
        self.store.audit_many([self._audit("purge", report_id) for report_id in ids])
        return len(ids)

    def audit_log(self, report_id: str | None = None) -> Sequence[AuditEntry]:
        """The recorded reviewer actions (for one report, or all)."""
        self._listed()
        return self.store.audit_log(normalize_report_id(report_id) if report_id else None)


def _attachment_json(attachment: Attachment, name: str) -> dict[str, Any]:
    return {
        "file": name,
        "filename": attachment.filename,
        "media_type": attachment.media_type,
        "size": len(attachment.data),
        "warning": attachment.warning,
    }


def _prepare_export_folder(folder: Path) -> None:
    if folder.is_symlink():
        raise UnsafeExportFolder(str(folder), "symlink")
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
        return
    if not folder.is_dir():
        raise UnsafeExportFolder(str(folder), "not_a_folder")
    if folder.stat().st_uid != os.getuid():
        raise UnsafeExportFolder(str(folder), "not_owned")
    if any(folder.iterdir()):
        raise UnsafeExportFolder(str(folder), "not_empty")
    os.chmod(folder, 0o700)


def _write_private(path: Path, data: bytes) -> None:
    # Decrypted reports: readable by the reviewer's account only, whatever the umask; a new file, never
    # through a link (O_EXCL refuses an existing name, O_NOFOLLOW a link in the last component).
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(data)
