"""Hybrid retrieval: BM25 over jieba tokens plus dense vectors, fused by reciprocal rank."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from knowledge.bm25 import BM25
from knowledge.embedder import Embedder
from knowledge.expansion import Expansion, QueryExpander
from knowledge.model import Chunk, Hit
from knowledge.tokenizer import Tokenizer
from knowledge.vectorstore import VectorStore


@dataclass(frozen=True)
class RetrievalConfig:
    """Tuning knobs of the hybrid retriever."""

    candidates: int = 60  # per retriever, before fusion
    rrf_k: int = 20  # sharper than the usual 60: the first few ranks of each list carry most signal here
    expansion_weight: float = 0.8  # BM25 weight of a term added by the synonym map
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    penalty_boost: float = 1.25  # consequence questions: articles that set a penalty
    penalty_prior: float = 1.1  # any question: staff mostly need the article that prohibits and punishes
    dense_with_expansion: bool = True  # also show the synonym terms to the dense model


@dataclass(frozen=True)
class QueryAnalysis:
    """A question as the retriever understood it."""

    text: str
    expansion: Expansion
    terms: dict[str, float]  # BM25 term weights
    known_terms: tuple[str, ...]  # question terms that occur in the corpus at all
    content_words: tuple[str, ...] = ()  # distinct question terms of two or more characters


class HybridRetriever:
    """Ranks articles for a question; returns ``Hit`` objects with absolute scores kept for the gate."""

    def __init__(
        self,
        store: VectorStore,
        embedder: Embedder,
        tokenizer: Tokenizer,
        expander: QueryExpander,
        config: RetrievalConfig | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.expander = expander
        self.config = config or RetrievalConfig()
        self._lock = threading.Lock()
        self._chunks: list[Chunk] = []
        self._by_id: dict[str, int] = {}
        self._bm25: BM25 | None = None
        self._penalty: np.ndarray = np.zeros(0, dtype=bool)
        self._weights: np.ndarray = np.zeros(0, dtype=np.float32)

    def refresh(self) -> None:
        """(Re)load every chunk from the store and rebuild the lexical index."""
        chunks = sorted(self.store.chunks(), key=lambda c: (c.source, c.order, c.part))
        tokens = [self.tokenizer.tokens(f"{c.chapter} {c.aliases} {c.text}") for c in chunks]
        pattern = self.expander.penalty_pattern
        with self._lock:
            self._chunks = chunks
            self._by_id = {c.id: i for i, c in enumerate(chunks)}
            self._bm25 = BM25(tokens)
            self._penalty = np.array([bool(pattern.search(c.text)) for c in chunks], dtype=bool)
            self._weights = np.array([c.weight for c in chunks], dtype=np.float32)

    @property
    def chunks(self) -> list[Chunk]:
        """Every indexed chunk, in document order."""
        if self._bm25 is None:
            self.refresh()
        return self._chunks

    def is_penalty(self, chunk: Chunk) -> bool:
        """Whether the chunk sets a penalty (处分 or 刑罚)."""
        index = self._by_id.get(chunk.id)
        return bool(self._penalty[index]) if index is not None else False

    def analyse(self, question: str) -> QueryAnalysis:
        """Tokenize and expand a question."""
        if self._bm25 is None:
            self.refresh()
        assert self._bm25 is not None
        expansion = self.expander.expand(question)
        terms: dict[str, float] = {}
        tokens = self.tokenizer.tokens(question)
        for token in tokens:
            terms[token] = 1.0
        for phrase in expansion.terms:
            for token in self.tokenizer.tokens(phrase):
                terms.setdefault(token, self.config.expansion_weight)
        words = tuple(dict.fromkeys(t for t in tokens if len(t) >= 2))
        known = tuple(t for t in tokens if self._bm25.idf(t) > 0)
        return QueryAnalysis(
            text=question, expansion=expansion, terms=terms, known_terms=known, content_words=words
        )

    def lexical_scores(self, analysis: QueryAnalysis) -> np.ndarray:
        """BM25 score of every chunk."""
        assert self._bm25 is not None
        return self._bm25.scores(analysis.terms)

    def dense_scores(self, analysis: QueryAnalysis) -> dict[int, float]:
        """Cosine similarity of the nearest chunks, by chunk index."""
        text = analysis.text
        if self.config.dense_with_expansion and analysis.expansion.terms:
            text = f"{text}（{' '.join(analysis.expansion.terms)}）"
        vector = self.embedder.embed([text])[0]
        out: dict[int, float] = {}
        for chunk_id, similarity in self.store.search(vector, self.config.candidates):
            index = self._by_id.get(chunk_id)
            if index is not None:
                out[index] = similarity
        return out

    def search(self, question: str, k: int = 10, analysis: QueryAnalysis | None = None) -> list[Hit]:
        """The ``k`` best articles for ``question``, parts of one article merged."""
        analysis = analysis or self.analyse(question)
        cfg = self.config
        lexical = self.lexical_scores(analysis)
        dense = self.dense_scores(analysis)

        fused: dict[int, float] = defaultdict(float)
        lexical_top = [int(i) for i in np.argsort(-lexical)[: cfg.candidates] if lexical[i] > 0]
        for rank, index in enumerate(lexical_top):
            fused[index] += cfg.lexical_weight / (cfg.rrf_k + rank + 1)
        for rank, index in enumerate(sorted(dense, key=lambda i: -dense[i])):
            fused[index] += cfg.dense_weight / (cfg.rrf_k + rank + 1)

        consequence = analysis.expansion.consequence
        for index in fused:
            fused[index] *= float(self._weights[index])
            if self._penalty[index]:
                fused[index] *= cfg.penalty_boost if consequence else cfg.penalty_prior

        # Merge the parts of one article: the article ranks by its best part.
        articles: dict[tuple[str, str], list[int]] = defaultdict(list)
        for index in sorted(fused, key=lambda i: -fused[i]):
            articles[self._chunks[index].key].append(index)
        hits: list[Hit] = []
        for indexes in articles.values():
            best = indexes[0]
            hits.append(
                Hit(
                    chunk=self._chunks[best],
                    score=fused[best],
                    dense=max(dense.get(i, 0.0) for i in indexes),
                    lexical=float(max(lexical[i] for i in indexes)),
                    parts=tuple(self._chunks[i] for i in indexes),
                )
            )
            if len(hits) >= k:
                break
        return hits

    def article_chunks(self, source: str, article: str) -> list[Chunk]:
        """Every part of one article, in order (for quoting it in full)."""
        return [c for c in self.chunks if c.source == source and c.article == article]
