"""Plain data of the anonymous reports: categories, statuses, limits, and what goes in and out.

Nothing here identifies a reporter: there is no field for a user, a chat, a message or a time of day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from reports.errors import InvalidReport

CATEGORIES: dict[str, str] = {
    "eight_rules": "违反中央八项规定精神",
    "gifts": "违规收送礼品礼金",
    "banquets": "公款吃喝或旅游",
    "official_cars": "公车私用",
    "weddings_funerals": "违规操办婚丧喜庆",
    "formalism": "形式主义官僚主义",
    "public_interest": "侵害群众利益",
    "other": "其他",
}

STATUSES: dict[str, str] = {"new": "已受理", "in_progress": "核查中", "closed": "已办结"}
NEXT_STATUS: dict[str, str] = {"new": "in_progress", "in_progress": "closed"}

DETAILS_MIN = 10
DETAILS_MAX = 4000
SUBJECT_MAX = 200
WHEN_WHERE_MAX = 500
ADDITION_MAX = 4000
REPLY_MAX = 4000
MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024  # also the Bot API's download limit


@dataclass(frozen=True)
class Attachment:
    """One piece of evidence, already cleaned of metadata (``reports.attachments.sanitize``)."""

    filename: str
    media_type: str
    data: bytes
    # Set when metadata could not be removed, so reviewers know the file may identify its author.
    warning: str = ""


@dataclass(frozen=True)
class ReportDraft:
    """What the reporter confirmed. There is deliberately no field for who they are."""

    category: str
    details: str
    subject: str = ""
    when_where: str = ""
    attachments: tuple[Attachment, ...] = ()

    def validated(self) -> ReportDraft:
        """The draft with fields trimmed; raises ``InvalidReport`` naming the first bad field."""
        if self.category not in CATEGORIES:
            raise InvalidReport("category", "unknown")
        details, subject, when_where = self.details.strip(), self.subject.strip(), self.when_where.strip()
        check_text("details", details, DETAILS_MAX, DETAILS_MIN)
        check_text("subject", subject, SUBJECT_MAX)
        check_text("when_where", when_where, WHEN_WHERE_MAX)
        if len(self.attachments) > MAX_ATTACHMENTS:
            raise InvalidReport("attachments", "too_many", MAX_ATTACHMENTS, len(self.attachments))
        return ReportDraft(self.category, details, subject, when_where, self.attachments)


def check_text(field: str, text: str, maximum: int, minimum: int = 0) -> None:
    """Raise ``InvalidReport`` if ``text`` is shorter than ``minimum`` or longer than ``maximum``."""
    if minimum and not text:
        raise InvalidReport(field, "empty", minimum, 0)
    if len(text) < minimum:
        raise InvalidReport(field, "too_short", minimum, len(text))
    if len(text) > maximum:
        raise InvalidReport(field, "too_long", maximum, len(text))


@dataclass(frozen=True)
class Receipt:
    """Shown once to the reporter; the store keeps only a keyed slow hash of ``code``."""

    code: str  # e.g. "7KQ2-M9XD-4HTV-Z0CB-1NRW"


@dataclass(frozen=True)
class Message:
    """A dated text in a report's thread: the reporter's addition or a reviewer's reply."""

    day: dt.date
    kind: str  # "addition" or "reply"
    text: str
    # False: a reply not signed by a listed reviewer, or an entry sealed for another report (moved or forged).
    verified: bool = True


@dataclass(frozen=True)
class StatusView:
    """What the reporter sees with their receipt code."""

    status: str
    submitted: dt.date
    replies: tuple[Message, ...]
    additions: int
    # Replies or a status change that failed the signature check: not shown, only counted.
    unverified: int = 0

    @property
    def status_label(self) -> str:
        """已受理 / 核查中 / 已办结."""
        return STATUSES[self.status]


@dataclass(frozen=True)
class ReportSummary:
    """One line of the reviewers' list."""

    id: str
    day: dt.date
    status: str
    category: str
    attachments: int
    messages: int


@dataclass(frozen=True)
class ReportDetail:
    """A whole report, decrypted for a reviewer."""

    id: str
    day: dt.date
    status: str
    category: str
    subject: str
    details: str
    when_where: str
    attachments: tuple[Attachment, ...]
    thread: tuple[Message, ...]
    # False: the status column was changed without a listed reviewer's signature.
    status_verified: bool = True
