"""The reviewers' side of anonymous reports: list, read, reply, move the status, export, purge.

A ``Reviewer`` holds one unlocked private key. Every action is written to the audit table with the day and
the fingerprint of the reviewer's public key, nothing more.
"""

from __future__ import annotations

import builtins
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reports.crypto import fingerprint, open_json, open_sealed, seal_json
from reports.errors import DecryptionFailed, StatusChangeRefused, UnknownReport, UnsafeExportFolder
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
from reports.service import DayClock, Recipients, china_today, open_text, purge_closed, resolve_recipients
from reports.service import unpack_attachment as _unpack
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
        private_key: bytes,
        public_key: bytes,
        clock: DayClock = china_today,
        recipients: Recipients = (),
    ) -> None:
        self.store = store
        self.private_key = private_key
        self.public_key = public_key
        self.fingerprint = fingerprint(public_key)
        self.clock = clock
        # Replies are sealed to every reviewer (so colleagues can read the thread), this one included.
        self.recipients = recipients

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
        self.store.audit(self._audit("list"))
        summaries = []
        for row in self.store.summaries(status):
            try:
                category = str(open_json(row.body, self.private_key).get("category", ""))
            except DecryptionFailed:
                category = ""  # sealed before this reviewer's key was added
            report = row.report
            summaries.append(
                ReportSummary(report.id, report.day, report.status, category, row.attachments, row.messages)
            )
        return summaries

    def show(self, report_id: str) -> ReportDetail:
        """A whole report decrypted; ``UnknownReport``, or ``DecryptionFailed`` if not sealed to this key."""
        report = self._report(report_id)
        self.store.audit(self._audit("show", report.id))
        return self._detail(report)

    def _detail(self, report: StoredReport) -> ReportDetail:
        thread = self.store.entries(report.id)
        if not thread or thread[0].kind != "report":
            raise DecryptionFailed("report body missing")
        body = open_json(thread[0].envelope, self.private_key)
        messages = tuple(Message(e.day, e.kind, open_text(e.envelope, self.private_key)) for e in thread[1:])
        files = tuple(
            _unpack(open_sealed(envelope, self.private_key)) for envelope in self.store.attachments(report.id)
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
        )

    def reply(self, report_id: str, text: str) -> None:
        """Answer the reporter: sealed to the report's reply key and to every reviewer."""
        text = text.strip()
        check_text("text", text, REPLY_MAX, 1)
        report = self._report(report_id)
        keys = [report.reply_public, self.public_key, *resolve_recipients(self.recipients)]
        envelope = seal_json({"text": text}, keys)
        self.store.add_entry(
            report.id, "reply", self.clock(), envelope, audit_entry=self._audit("reply", report.id)
        )

    def set_status(self, report_id: str, status: str) -> None:
        """Move a report one step along new → in_progress → closed; ``StatusChangeRefused`` otherwise."""
        report = self._report(report_id)
        if status not in STATUSES or NEXT_STATUS.get(report.status) != status:
            raise StatusChangeRefused(report.status, status)
        audit_entry = self._audit(f"status:{status}", report.id)
        if not self.store.set_status(report.id, report.status, status, self.clock(), audit_entry):
            # Another reviewer moved it in the meantime: report what it is now.
            raise StatusChangeRefused(self._report(report.id).status, status)

    def export(self, folder: Path, status: str | None = None) -> int:
        """Write each report to ``folder/<id>/`` (report.json and its attachments); how many.

        Decrypted reports go only into a new or empty folder of the reviewer's own, never through a symbolic
        link: in a shared folder a planted link could otherwise redirect (and overwrite) any file.
        """
        _prepare_export_folder(folder)
        count = 0
        for row in self.store.summaries(status):
            detail = self._detail(row.report)
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
            "category": detail.category,
            "category_label": CATEGORIES.get(detail.category, detail.category),
            "subject": detail.subject,
            "details": detail.details,
            "when_where": detail.when_where,
            "attachments": files,
            "thread": [{"day": m.day.isoformat(), "kind": m.kind, "text": m.text} for m in detail.thread],
        }
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        _write_private(target / "report.json", text.encode("utf-8"))

    def purge(self, retention_days: int) -> int:
        """Delete reports closed ``retention_days`` or more days ago; each deletion is audited."""
        ids = purge_closed(self.store, self.clock(), retention_days)
        self.store.audit_many([self._audit("purge", report_id) for report_id in ids])
        return len(ids)

    def audit_log(self, report_id: str | None = None) -> Sequence[AuditEntry]:
        """The recorded reviewer actions (for one report, or all)."""
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
