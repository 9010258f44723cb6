"""The relevance gate: decides from absolute scores whether the corpus answers a question at all."""

from __future__ import annotations

import math
from dataclasses import dataclass

from knowledge.model import Hit
from knowledge.retriever import QueryAnalysis


@dataclass(frozen=True)
class GateConfig:
    """A linear score over absolute evidence, never over fused ranks (RRF discards scores).

    The weights were fitted by logistic regression on the dev set's features (m3e-small, bundled corpus);
    the threshold trades wrong refusals against answering out-of-scope questions.
    """

    dense_weight: float = 0.454  # cosine similarity of the best of the top-3 articles
    lexical_weight: float = 3.288  # log(1 + BM25) of the best of the top-3 articles
    unknown_weight: float = -0.726  # share of the question's words the corpus never uses
    # The question names a neighbouring field (社保, 交警…) and nothing of public office.
    off_topic_weight: float = -4.0
    bias: float = -9.588
    threshold: float = -1.3  # midway between the lowest in-scope dev score and the highest non-off-topic OOS
    min_dense: float = 0.0  # optional hard floor on the cosine (0: off)


@dataclass(frozen=True)
class GateDecision:
    """Whether to answer, and the evidence behind it."""

    answer: bool
    score: float
    dense: float
    lexical: float
    unknown_share: float
    off_topic: tuple[str, ...] = ()


class RelevanceGate:
    """Refuses when the best articles are neither close in meaning nor backed by shared regulation terms."""

    def __init__(self, config: GateConfig | None = None) -> None:
        self.config = config or GateConfig()

    def decide(self, analysis: QueryAnalysis, hits: list[Hit]) -> GateDecision:
        """Judge the top hits for ``analysis``."""
        cfg = self.config
        if not hits:
            return GateDecision(False, float("-inf"), 0.0, 0.0, 1.0, analysis.expansion.off_topic)
        dense = max(h.dense for h in hits[:3])
        lexical = max(h.lexical for h in hits[:3])
        words = analysis.content_words
        unknown = sum(1 for w in words if w not in analysis.known_terms) / len(words) if words else 1.0
        score = (
            cfg.dense_weight * dense
            + cfg.lexical_weight * math.log1p(lexical)
            + cfg.unknown_weight * unknown
            + cfg.off_topic_weight * bool(analysis.expansion.off_topic)
            + cfg.bias
        )
        answer = score > cfg.threshold and dense >= cfg.min_dense
        return GateDecision(answer, score, dense, lexical, unknown, analysis.expansion.off_topic)
