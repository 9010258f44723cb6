"""Okapi BM25 over pre-tokenized chunks, with weighted query terms."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np


class BM25:
    """An inverted index scoring documents by Okapi BM25."""

    def __init__(self, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self.size = len(documents)
        lengths = np.array([len(doc) for doc in documents], dtype=np.float32)
        self._avg = float(lengths.mean()) if self.size else 0.0
        self._norm = k1 * (1 - b + b * lengths / (self._avg or 1.0))
        postings: dict[str, list[tuple[int, int]]] = {}
        for index, doc in enumerate(documents):
            for term, tf in Counter(doc).items():
                postings.setdefault(term, []).append((index, tf))
        self._postings = {
            term: (
                np.array([i for i, _ in items], dtype=np.int32),
                np.array([tf for _, tf in items], dtype=np.float32),
            )
            for term, items in postings.items()
        }

    def idf(self, term: str) -> float:
        """Inverse document frequency (the non-negative BM25+ form), 0 for unknown terms."""
        postings = self._postings.get(term)
        if postings is None:
            return 0.0
        df = len(postings[0])
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def scores(self, query: Mapping[str, float]) -> np.ndarray:
        """BM25 score of every document for ``query`` (term -> weight)."""
        out = np.zeros(self.size, dtype=np.float32)
        for term, weight in query.items():
            postings = self._postings.get(term)
            if postings is None:
                continue
            ids, tfs = postings
            out[ids] += weight * self.idf(term) * tfs * (self.k1 + 1) / (tfs + self._norm[ids])
        return out
