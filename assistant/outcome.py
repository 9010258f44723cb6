"""What a model-backed answer yields: partial texts while it streams, then the answer and how it came about.

Plain dataclasses with no model library, so channels and the chat service can name them without importing one.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.model import Answer


@dataclass(frozen=True)
class Partial:
    """The verified part of an answer still streaming: whole sentences only."""

    text: str


@dataclass(frozen=True)
class LLMOutcome:
    """Which model was configured, whether its answer was shown, and why not (a ``Failure`` value, or "gated")."""

    model: str
    verified: bool
    fallback: str | None = None

    def to_dict(self) -> dict[str, object]:
        """The ``"llm"`` object of ``qingfeng ask --json``."""
        return {"model": self.model, "verified": self.verified, "fallback": self.fallback}


@dataclass(frozen=True)
class LLMAnswer:
    """The answer the user sees (the model's, or the offline one) and how it came about."""

    answer: Answer
    outcome: LLMOutcome
    first_token: float | None = None  # seconds from the request to the model's first token (None: none came)
    model_seconds: float = 0.0  # seconds the model server took, first byte sent to last token received
