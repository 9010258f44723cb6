"""The relevance gate: decides from absolute scores whether the corpus answers a question at all."""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.model import Hit
from knowledge.retriever import QueryAnalysis


@dataclass(frozen=True)
class GateConfig:
    """Thresholds, calibrated on the dev set (see bench/qa.py --calibrate)."""

    # Cosine similarity of the best article: m3e puts unrelated Chinese text around 0.6-0.7.
    min_dense: float = 0.74
    # Without regulation vocabulary in the question, demand a closer dense match.
    strong_dense: float = 0.82
    # BM25 score of the best article that counts as real lexical evidence.
    min_lexical: float = 6.0
    # Share of the question's terms that the corpus knows at all.
    min_known_share: float = 0.34


@dataclass(frozen=True)
class GateDecision:
    """Whether to answer, and the evidence behind it."""

    answer: bool
    reason: str
    dense: float
    lexical: float
    known_share: float


class RelevanceGate:
    """Refuses when the best article is neither close in meaning nor backed by shared regulation terms."""

    def __init__(self, config: GateConfig | None = None) -> None:
        self.config = config or GateConfig()

    def decide(self, analysis: QueryAnalysis, hits: list[Hit], question_terms: int) -> GateDecision:
        """Judge the top hits for ``analysis``; ``question_terms`` counts the question's content terms."""
        cfg = self.config
        if not hits:
            return GateDecision(False, "no_hits", 0.0, 0.0, 0.0)
        dense = max(h.dense for h in hits[:3])
        lexical = max(h.lexical for h in hits[:3])
        known = len(analysis.known_terms)
        share = known / question_terms if question_terms else 0.0
        domain = bool(analysis.expansion.matched)
        if dense < cfg.min_dense:
            return GateDecision(False, "dense_low", dense, lexical, share)
        if share < cfg.min_known_share and not domain:
            return GateDecision(False, "unknown_terms", dense, lexical, share)
        if lexical >= cfg.min_lexical or domain or dense >= cfg.strong_dense:
            return GateDecision(True, "ok", dense, lexical, share)
        return GateDecision(False, "weak_evidence", dense, lexical, share)
