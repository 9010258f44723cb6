"""Hybrid retrieval: BM25 and dense vectors over articles and their question-bank views, ranked by a learned model."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from knowledge.bm25 import BM25
from knowledge.embedder import Embedder
from knowledge.expansion import Expansion, QueryExpander
from knowledge.features import (
    TOP_VIEWS,
    ArticleTable,
    Signals,
    candidates,
    feature_rows,
    is_definition,
)
from knowledge.lookup import ArticleIndex
from knowledge.model import QUESTION, Chunk, Hit
from knowledge.ranker import FusedRanker, Ranker
from knowledge.token_cache import TokenCache
from knowledge.tokenizer import Tokenizer, normalize
from knowledge.vectorstore import VectorStore

CURRENT = "current"


@dataclass(frozen=True)
class RetrievalConfig:
    """Tuning knobs of the hybrid retriever."""

    candidates: int = 40  # per channel (articles and views, dense and BM25), before ranking
    expansion_weight: float = 0.8  # BM25 weight of a term added by the synonym map
    status_window: int = 5  # a non-current article first gives way to a current one within this many ranks


@dataclass(frozen=True)
class QueryAnalysis:
    """A question as the retriever understood it."""

    text: str
    expansion: Expansion
    terms: dict[str, float]  # BM25 term weights
    known_terms: tuple[str, ...]  # question terms that occur in the corpus at all
    content_words: tuple[str, ...] = ()  # distinct question terms of two or more characters


@dataclass(frozen=True)
class Retrieval:
    """Ranked articles with the question's vector and raw evidence (for the gate and for training)."""

    analysis: QueryAnalysis
    hits: list[Hit]
    vector: np.ndarray
    signals: Signals
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))  # ranker, best first


def _single_threaded_blas() -> None:
    # The query-time products are small (thousands × 512); multi-threaded OpenBLAS gains nothing on them and
    # leaves its threads spinning afterwards, which starved the embedding model (ask went from 8 to 100 ms).
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


class HybridRetriever:
    """Ranks articles for a question; returns ``Hit`` objects with absolute scores kept for the gate."""

    def __init__(
        self,
        store: VectorStore,
        embedder: Embedder,
        tokenizer: Tokenizer,
        expander: QueryExpander,
        config: RetrievalConfig | None = None,
        ranker: Ranker | None = None,
        token_cache: TokenCache | None = None,
    ) -> None:
        self.store = store
        self.token_cache = token_cache or TokenCache(None)
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.expander = expander
        self.config = config or RetrievalConfig()
        self.ranker: Ranker = ranker or FusedRanker()
        self._lock = threading.Lock()
        self._ready = False

    def refresh(self) -> None:
        """(Re)load every chunk and vector from the store and rebuild the lexical indexes."""
        _single_threaded_blas()
        records, vectors = self.store.export()
        order = sorted(
            range(len(records)), key=lambda i: (records[i].source, records[i].order, records[i].part)
        )
        # The parts of each article, in document order; the articles in that order are the per-article arrays.
        parts: dict[tuple[str, str], list[Chunk]] = {}
        article_rows = []
        for i in order:
            if records[i].kind != QUESTION:
                article_rows.append(i)
                parts.setdefault(records[i].key, []).append(records[i])
        keys = list(parts)
        key_index = {key: n for n, key in enumerate(keys)}
        view_rows = [i for i in order if records[i].kind == QUESTION and records[i].key in key_index]
        chunks = [records[i] for i in article_rows]
        views = [records[i] for i in view_rows]
        chunk_article = np.array([key_index[c.key] for c in chunks], dtype=np.int64)
        view_article = np.array([key_index[v.key] for v in views], dtype=np.int64)
        chunk_vectors = vectors[article_rows]
        view_vectors = vectors[view_rows]

        penalty = self.expander.penalty_pattern
        first = {key: article[0] for key, article in parts.items()}
        per_doc: dict[str, int] = defaultdict(int)
        for key in keys:
            per_doc[key[0]] += 1
        seen_in_doc: dict[str, int] = defaultdict(int)
        positions = []
        for key in keys:
            positions.append(seen_in_doc[key[0]] / max(1, per_doc[key[0]] - 1))
            seen_in_doc[key[0]] += 1
        document_number = {source: i for i, source in enumerate(sorted({k[0] for k in keys}))}
        document = np.array([document_number[k[0]] for k in keys], dtype=np.int64)
        full = ["\n".join(c.text for c in parts[k]) for k in keys]
        table = ArticleTable(
            status=np.array([first[k].status for k in keys]),
            weight=np.array([first[k].weight for k in keys], dtype=np.float32),
            penalty=np.array([bool(penalty.search(t)) for t in full], dtype=bool),
            definition=np.array([is_definition(t) for t in full], dtype=bool),
            position=np.array(positions, dtype=np.float32),
            length=np.log1p(np.array([len(t) for t in full], dtype=np.float32)),
            document=document,
            texts=tuple(normalize(t) for t in full),
            chapters=tuple(normalize(first[k].chapter) for k in keys),
            aliases=tuple(normalize(first[k].aliases) for k in keys),
            names=tuple(
                tuple(normalize(n) for n in (first[k].title, *first[k].names.split("|")) if n) for k in keys
            ),
        )
        texts = [f"{c.chapter} {c.aliases} {c.text}" for c in chunks] + [v.text for v in views]
        terms = self.token_cache.tokens(self.tokenizer, texts)
        bm25_articles = BM25(terms[: len(chunks)])
        bm25_views = BM25(terms[len(chunks) :])
        lookup = ArticleIndex(chunks)
        with self._lock:
            self._chunks = chunks
            self._views = views
            self._keys = keys
            self._key_index = key_index
            self._chunk_article = chunk_article
            self._view_article = view_article
            self._chunk_vectors = chunk_vectors
            self._view_vectors = view_vectors
            self._bm25 = bm25_articles
            self._bm25_views = bm25_views
            self._table = table
            self._lookup = lookup
            self._parts = parts
            self._ready = True

    @property
    def ready(self) -> bool:
        """Whether the chunks and indexes are loaded."""
        return self._ready

    def _ensure(self) -> None:
        if not self._ready:
            self.refresh()

    @property
    def chunks(self) -> list[Chunk]:
        """Every indexed article chunk (not question views), in document order."""
        self._ensure()
        return self._chunks

    @property
    def views(self) -> list[Chunk]:
        """Every question-bank view."""
        self._ensure()
        return self._views

    @property
    def lookup(self) -> ArticleIndex:
        """Finds articles by document name and number."""
        self._ensure()
        return self._lookup

    @property
    def keys(self) -> list[tuple[str, str]]:
        """Every article's (source, article), in the order of the per-article arrays."""
        self._ensure()
        return self._keys

    @property
    def view_article(self) -> np.ndarray:
        """The article number (index into ``keys``) of every view."""
        self._ensure()
        return self._view_article

    def is_penalty(self, chunk: Chunk) -> bool:
        """Whether the chunk's article sets a penalty (处分 or 刑罚)."""
        self._ensure()
        index = self._key_index.get(chunk.key)
        return bool(self._table.penalty[index]) if index is not None else False

    def analyse(self, question: str) -> QueryAnalysis:
        """Tokenize and expand a question."""
        self._ensure()
        expansion = self.expander.expand(question)
        terms: dict[str, float] = {}
        tokens = self.tokenizer.tokens(question)
        for token in tokens:
            terms[token] = 1.0
        for phrase in expansion.terms:
            for token in self.tokenizer.tokens(phrase):
                terms.setdefault(token, self.config.expansion_weight)
        words = tuple(dict.fromkeys(t for t in tokens if len(t) >= 2))
        known = tuple(t for t in tokens if self._bm25.idf(t) > 0 or self._bm25_views.idf(t) > 0)
        return QueryAnalysis(
            text=question, expansion=expansion, terms=terms, known_terms=known, content_words=words
        )

    def embed(self, question: str) -> np.ndarray:
        """The question's vector (the bare question: it meets bank questions as their twin)."""
        return self.embedder.embed([question])[0]

    def signals(
        self, analysis: QueryAnalysis, vector: np.ndarray, view_mask: np.ndarray | None = None
    ) -> Signals:
        """Per-article evidence; ``view_mask`` (bool per view) hides views, for honest training."""
        self._ensure()
        n = len(self._keys)
        dense_article = np.full(n, -1.0, dtype=np.float32)
        if len(self._chunks):
            np.maximum.at(dense_article, self._chunk_article, self._chunk_vectors @ vector)
        lexical = self._bm25.scores(analysis.terms)
        bm25_article = np.zeros(n, dtype=np.float32)
        np.maximum.at(bm25_article, self._chunk_article, lexical)

        dense_view = np.zeros(n, dtype=np.float32)
        second = np.zeros(n, dtype=np.float32)
        in_top = np.zeros(n, dtype=np.float32)
        votes = np.zeros(int(self._table.document.max(initial=0)) + 1, dtype=np.float32)
        bm25_view = np.zeros(n, dtype=np.float32)
        views_total = np.zeros(n, dtype=np.float32)
        if len(self._views):
            cos = self._view_vectors @ vector
            view_lexical = self._bm25_views.scores(analysis.terms)
            owners = self._view_article
            shown = view_mask if view_mask is not None else np.ones(len(owners), dtype=bool)
            views_total = np.bincount(owners[shown], minlength=n).astype(np.float32)
            if view_mask is not None:
                cos = np.where(view_mask, cos, -1.0)
                view_lexical = np.where(view_mask, view_lexical, 0.0)
            order = np.argsort(-cos, kind="stable")
            for rank, v in enumerate(order):
                a = owners[v]
                c = max(float(cos[v]), 0.0)
                if c <= 0.0:
                    break
                if c > dense_view[a]:
                    second[a] = dense_view[a]
                    dense_view[a] = c
                elif c > second[a]:
                    second[a] = c
                if rank < TOP_VIEWS:
                    in_top[a] += 1
                    votes[self._table.document[a]] += 1
                if rank >= 400 and dense_view[a] > 0:
                    break  # far below the best: the rest cannot become anyone's best or second
            np.maximum.at(bm25_view, owners, view_lexical.astype(np.float32))
        return Signals(
            dense_article=np.maximum(dense_article, 0.0),
            dense_view=dense_view,
            dense_view_second=second,
            views_in_top=in_top,
            document_votes=votes,
            views_total=views_total,
            bm25_article=bm25_article,
            bm25_view=bm25_view,
        )

    def rank(self, analysis: QueryAnalysis, signals: Signals) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Candidate article numbers, their feature rows and their ranker scores (unsorted)."""
        chosen = candidates(signals, self.config.candidates)
        rows = feature_rows(
            signals,
            self._table,
            chosen,
            normalize(analysis.text),
            analysis.content_words,
            analysis.expansion.consequence,
        )
        return chosen, rows, self.ranker.score(rows)

    def retrieve(self, question: str, k: int = 20, analysis: QueryAnalysis | None = None) -> Retrieval:
        """Rank the articles for ``question``: the ``k`` best as hits, with the evidence behind them."""
        analysis = analysis or self.analyse(question)
        vector = self.embed(question)
        signals = self.signals(analysis, vector)
        chosen, _, scores = self.rank(analysis, signals)
        order = list(np.argsort(-scores, kind="stable"))
        order = self._current_first([int(chosen[i]) for i in order], order)
        hits = [self._hit(int(chosen[i]), float(scores[i]), signals) for i in order[:k]]
        return Retrieval(analysis, hits, vector, signals, scores[order] if len(order) else scores)

    def _current_first(self, articles: list[int], order: list[int]) -> list[int]:
        """A superseded or reference-only article never stands first when a current one is close behind."""
        status = self._table.status
        if not articles or status[articles[0]] == CURRENT:
            return order
        window = self.config.status_window
        for position in range(1, min(window, len(articles))):
            if status[articles[position]] == CURRENT:
                return [order[position], *order[:position], *order[position + 1 :]]
        return order

    def _hit(self, article: int, score: float, signals: Signals) -> Hit:
        key = self._keys[article]
        parts = self._parts[key]
        return Hit(
            chunk=parts[0],
            score=score,
            dense=float(signals.dense_article[article]),
            lexical=float(signals.bm25_article[article]),
            parts=tuple(parts),
            view=float(signals.dense_view[article]),
        )

    def hit_for(self, key: tuple[str, str], score: float, signals: Signals) -> Hit | None:
        """A hit for a named article (exact lookups), with its evidence for the question."""
        self._ensure()
        index = self._key_index.get(key)
        return None if index is None else self._hit(index, score, signals)

    def search(self, question: str, k: int = 10, analysis: QueryAnalysis | None = None) -> list[Hit]:
        """The ``k`` best articles for ``question``."""
        return self.retrieve(question, k, analysis).hits

    def article_chunks(self, source: str, article: str) -> list[Chunk]:
        """Every part of one article, in order (for quoting it in full)."""
        self._ensure()
        return list(self._parts.get((source, article), []))
