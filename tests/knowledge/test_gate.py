"""The learned relevance gate: the shipped model loads, reads the right evidence and decides by probability."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from knowledge.errors import KnowledgeError
from knowledge.expansion import QueryExpander
from knowledge.features import FEATURES, Signals
from knowledge.gate import EVIDENCE, GateConfig, RelevanceGate, default_gate_path, evidence
from knowledge.model import Chunk, Hit
from knowledge.retriever import QueryAnalysis, Retrieval


def retrieval(question: str, dense: float, lexical: float, dim: int = 512) -> Retrieval:
    expander = QueryExpander()
    analysis = QueryAnalysis(
        text=question,
        expansion=expander.expand(question),
        terms={},
        known_terms=("公车",),
        content_words=("公车",),
    )
    n = 3
    signals = Signals(
        dense_article=np.array([dense, dense / 2, 0.1], dtype=np.float32),
        dense_view=np.array([dense, dense / 2, 0.1], dtype=np.float32),
        dense_view_second=np.array([dense - 0.05, 0.0, 0.0], dtype=np.float32),
        views_in_top=np.array([3, 1, 0], dtype=np.float32),
        document_votes=np.array([4], dtype=np.float32),
        views_total=np.array([8, 3, 0], dtype=np.float32),
        bm25_article=np.array([lexical, 0.0, 0.0], dtype=np.float32)[:n],
        bm25_view=np.array([lexical, 0.0, 0.0], dtype=np.float32)[:n],
    )
    chunk = Chunk(id="a#1#0", source="a.md", title="条例", chapter="", article="第一条", text="……")
    hit = Hit(chunk=chunk, score=1.0, dense=dense, lexical=lexical)
    vector = np.zeros(dim, dtype=np.float32)
    vector[0] = 1.0
    return Retrieval(analysis, [hit], vector, signals, np.array([2.0, 0.5], dtype=np.float32))


def test_shipped_gate_matches_the_features_in_code() -> None:
    data = json.loads(default_gate_path().read_text(encoding="utf-8"))
    assert tuple(data["evidence"]) == EVIDENCE
    assert tuple(data["features"]) == FEATURES
    assert len(data["evidence_only"]["weights"]) == len(EVIDENCE)
    assert len(data["full"]["weights"]) > len(EVIDENCE)  # evidence plus the question's embedding
    # The threshold refuses at most 2% of the dev set's in-scope questions; the bank's own out-of-fold
    # figures stay within the bar.
    cv = data["full"]["cv"]
    assert cv["dev_wrongly_refused"] <= 0.03
    assert cv["bank_wrongly_refused"] <= 0.02
    assert cv["out_of_scope_refused"] >= 0.9


def test_evidence_vector_has_one_value_per_name() -> None:
    facts = evidence(retrieval("开公车回老家行吗", 0.9, 20.0))
    assert facts.shape == (len(EVIDENCE),)
    assert facts[EVIDENCE.index("top_score")] == pytest.approx(2.0)
    assert facts[EVIDENCE.index("margin")] == pytest.approx(1.5)


def test_another_embedding_model_uses_the_evidence_only_gate() -> None:
    gate = RelevanceGate(GateConfig(), fingerprint="some-other-model")
    assert not gate.uses_embedding
    strong = gate.decide(retrieval("开公车回老家行吗", 0.95, 30.0))
    weak = gate.decide(retrieval("开公车回老家行吗", 0.2, 0.0))
    assert strong.score > weak.score


def test_threshold_setting_overrides_the_trained_one() -> None:
    sample = retrieval("开公车回老家行吗", 0.6, 5.0)
    always = RelevanceGate(GateConfig(threshold=0.0), fingerprint="x").decide(sample)
    never = RelevanceGate(GateConfig(threshold=1.0), fingerprint="x").decide(sample)
    assert always.answer and not never.answer
    assert always.score == never.score


def test_no_hits_is_a_refusal() -> None:
    empty = retrieval("开公车回老家行吗", 0.6, 5.0)
    empty = Retrieval(empty.analysis, [], empty.vector, empty.signals, empty.scores)
    assert not RelevanceGate().decide(empty).answer


def test_a_gate_trained_on_other_features_is_refused(tmp_path: Path) -> None:
    data = json.loads(default_gate_path().read_text(encoding="utf-8"))
    data["evidence"] = ["something_else"]
    path = tmp_path / "gate.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(KnowledgeError):
        RelevanceGate(GateConfig(path=path)).decide(retrieval("开公车回老家行吗", 0.6, 5.0))
