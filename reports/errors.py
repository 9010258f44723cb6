"""Errors of the anonymous report store; each says itself in Chinese (``reports/messages.py``)."""

from __future__ import annotations

from enum import StrEnum


class ReportError(Exception):
    """Base class of everything the reports package raises on purpose."""

    @property
    def user_message(self) -> str:
        """This error in Chinese, for the reporter or reviewer who met it."""
        from reports.messages import describe  # the texts import these classes

        return describe(self)


class InvalidReport(ReportError):
    """A field of the report is missing, too short or too long."""

    def __init__(self, field: str, problem: str, limit: int | None = None, length: int | None = None) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field  # category / subject / details / when_where / attachments / text
        self.problem = problem  # "empty", "too_short", "too_long", "too_many", "unknown"
        self.limit = limit
        self.length = length


class AttachmentRejected(ReportError):
    """An attachment cannot be kept: unsupported type, too large, unreadable."""

    def __init__(self, filename: str, reason: str, limit: int | None = None) -> None:
        super().__init__(f"{filename}: {reason}")
        self.filename = filename
        self.reason = reason  # "unsupported", "too_large", "too_many_pixels", "unreadable", "cannot_clean", "executable"
        self.limit = limit


class BadReceipt(ReportError):
    """No report has this receipt code (or the code is malformed)."""


class TooManyAttempts(ReportError):
    """Too many reports today, or too many wrong receipt codes: wait before trying again."""

    def __init__(self, what: str, retry_after_seconds: int | None = None) -> None:
        super().__init__(what)
        self.what = what  # "reports" or "lookups"
        self.retry_after_seconds = retry_after_seconds


class NoReviewerKeys(ReportError):
    """No reviewer public key is configured, so a report could not be encrypted to anyone."""


class KeyProblem(StrEnum):
    """What is wrong with a key file (or the receipt secret)."""

    WRONG_PASSPHRASE = "wrong passphrase"
    MISSING = "missing key file"
    MALFORMED = "malformed key file"
    EXISTS = "key file exists"
    BAD_PUBLIC_KEY = "malformed public key file"
    BAD_SECRET = "malformed server secret"


class KeyFileError(ReportError):
    """A reviewer key file is missing or malformed, the passphrase is wrong, or a new key would overwrite one."""

    def __init__(self, problem: KeyProblem, path: object = None) -> None:
        super().__init__(f"{problem}: {path}" if path is not None else str(problem))
        self.problem = problem
        self.path = path  # the file, when naming it helps (never for the reviewer's own passphrase)


class ReviewerKeyRefused(ReportError):
    """This key may not act on reports: not in the reviewers folder, or it has no signing key (version 1)."""

    def __init__(self, fingerprint: str, reason: str) -> None:
        super().__init__(f"{fingerprint}: {reason}")
        self.fingerprint = fingerprint
        self.reason = reason  # "unknown" or "cannot_sign"


class DecryptionFailed(ReportError):
    """This private key cannot open the envelope (not a recipient, or the data is damaged)."""


class UnsafeExportFolder(ReportError):
    """The export folder is not new or empty, is a symbolic link, or belongs to someone else."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason  # "not_empty", "symlink", "not_owned", "not_a_folder"


class UnknownReport(ReportError):
    """No report with this id."""


class StatusChangeRefused(ReportError):
    """Status moves only new → in_progress → closed."""

    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(f"{current} -> {wanted}")
        self.current = current
        self.wanted = wanted
