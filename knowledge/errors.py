"""Errors raised by the knowledge package; each says itself in Chinese (``knowledge/messages.py``)."""

from __future__ import annotations

from pathlib import Path


class KnowledgeError(Exception):
    """Base class for every error of the knowledge package."""

    @property
    def user_message(self) -> str:
        """This error in Chinese, for the person who met it."""
        from knowledge.messages import describe  # the texts import these classes

        return describe(self)


class DocumentError(KnowledgeError):
    """A document could not be read; ``path`` names the file."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason


class UnsupportedDocument(DocumentError):
    """The file type is not one Qingfeng can read."""


class CorruptDocument(DocumentError):
    """The file claims a supported type but cannot be parsed."""


class EmptyDocument(DocumentError):
    """The file holds no text."""


class DuplicateSource(DocumentError):
    """Two documents in the library share one file name."""


class QuestionError(KnowledgeError):
    """The question itself cannot be answered as typed."""


class EmptyQuestion(QuestionError):
    """The question is empty or holds no searchable text."""


class QuestionTooLong(QuestionError):
    """The question is longer than ``limit`` characters."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"question of {length} characters exceeds {limit}")
        self.length = length
        self.limit = limit


class IndexNotReady(KnowledgeError):
    """The index is empty, or was built with another embedding model."""


class ModelNotFound(KnowledgeError):
    """No local embedding model folder could be found."""
