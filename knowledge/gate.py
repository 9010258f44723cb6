"""The relevance gate: a learned classifier deciding whether the corpus answers a question at all."""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from knowledge.errors import KnowledgeError
from knowledge.features import FEATURES

GATE_FILE = "gate.json"
EVIDENCE = (
    "top_score",
    "margin",
    "dense_article",
    "dense_view",
    "dense_view_second",
    "views_in_top",
    "bm25_article",
    "bm25_view",
    "unknown_share",
    "content_words",
    "question_length",
)


def default_gate_path() -> Path:
    """The trained gate shipped with the package (scripts/train_retrieval.py writes it)."""
    return Path(str(resources.files("knowledge") / "data" / GATE_FILE))


@dataclass(frozen=True)
class GateConfig:
    """Where the trained gate lives and, optionally, a threshold that overrides its own."""

    path: Path | None = None
    threshold: float | None = None  # probability in scope above which to answer; None: the trained one


@dataclass(frozen=True)
class GateDecision:
    """Whether to answer, and the evidence behind it."""

    answer: bool
    score: float  # probability that the corpus answers the question
    dense: float
    lexical: float
    unknown_share: float
    evidence: dict[str, float] = field(default_factory=dict, compare=False)


class Gate(Protocol):
    """Decides whether the corpus answers a question, from its retrieval."""

    def decide(self, retrieval: Any) -> GateDecision:
        """Answer or refuse, with the evidence."""
        ...


def evidence(retrieval: Any) -> np.ndarray:
    """The gate's evidence features for a ``Retrieval`` (see EVIDENCE)."""
    analysis, scores = retrieval.analysis, retrieval.scores
    words = analysis.content_words
    unknown = sum(1 for w in words if w not in analysis.known_terms) / len(words) if words else 1.0
    s = retrieval.signals
    top = float(scores[0]) if len(scores) else -10.0
    margin = float(scores[0] - scores[1]) if len(scores) > 1 else 0.0
    best = int(np.argmax(s.dense_view)) if len(s.dense_view) else None
    dense_view = float(s.dense_view[best]) if best is not None else 0.0
    second = float(s.dense_view_second[best]) if best is not None else 0.0
    return np.array(
        [
            top,
            margin,
            float(s.dense_article.max(initial=0.0)),
            dense_view,
            second,
            float(s.views_in_top.max(initial=0.0)),
            math.log1p(float(s.bm25_article.max(initial=0.0))),
            math.log1p(float(s.bm25_view.max(initial=0.0))),
            unknown,
            float(len(words)),
            math.log1p(len(analysis.text)),
        ],
        dtype=np.float32,
    )


class LogisticModel:
    """A standardised logistic regression stored as plain numbers."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.mean = np.asarray(data["mean"], dtype=np.float32)
        self.scale = np.asarray(data["scale"], dtype=np.float32)
        self.weights = np.asarray(data["weights"], dtype=np.float32)
        self.bias = float(data["bias"])
        self.threshold = float(data["threshold"])
        self.embedding = bool(data.get("embedding", False))

    def probability(self, x: np.ndarray) -> float:
        """P(in scope) for one feature vector."""
        z = float(((x - self.mean) / self.scale) @ self.weights) + self.bias
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


class RelevanceGate:
    """Refuses when a trained classifier, over the question's meaning and the retrieval evidence, says so.

    Two models ship: one that also reads the question's embedding (used only with the embedding model it was
    trained with) and one over the retrieval evidence alone (any other model).
    """

    def __init__(self, config: GateConfig | None = None, fingerprint: str | None = None) -> None:
        self.config = config or GateConfig()
        self.fingerprint = fingerprint
        self._model: LogisticModel | None = None
        self._lock = threading.Lock()

    def _load(self) -> LogisticModel:
        with self._lock:
            if self._model is None:
                path = self.config.path or default_gate_path()
                try:
                    data = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError) as exc:
                    raise KnowledgeError(f"gate model unreadable: {path} ({exc})") from exc
                if tuple(data.get("evidence", ())) != EVIDENCE or tuple(data.get("features", ())) != FEATURES:
                    raise KnowledgeError(f"{path} was trained on other features; retrain it")
                use_full = data.get("model") == self.fingerprint and "full" in data
                self._model = LogisticModel(data["full"] if use_full else data["evidence_only"])
        return self._model

    @property
    def uses_embedding(self) -> bool:
        """Whether the loaded model reads the question's embedding."""
        return self._load().embedding

    def decide(self, retrieval: Any) -> GateDecision:
        """Judge a ``Retrieval``."""
        if not retrieval.hits:
            return GateDecision(False, 0.0, 0.0, 0.0, 1.0)
        model = self._load()
        facts = evidence(retrieval)
        x = np.concatenate([facts, retrieval.vector]) if model.embedding else facts
        probability = model.probability(x)
        threshold = self.config.threshold if self.config.threshold is not None else model.threshold
        return GateDecision(
            answer=probability > threshold,
            score=probability,
            dense=float(facts[EVIDENCE.index("dense_article")]),
            lexical=float(retrieval.hits[0].lexical),
            unknown_share=float(facts[EVIDENCE.index("unknown_share")]),
            evidence=dict(zip(EVIDENCE, (float(v) for v in facts), strict=True)),
        )
