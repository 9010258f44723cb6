"""Fakes for the heavy interfaces: a deterministic embedder and an in-memory vector store."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import Engine

from knowledge.gate import GateDecision
from knowledge.model import Chunk


class HashingEmbedder:
    """Character-bigram hashing into a fixed-size vector: deterministic, instant, meaning-free."""

    def __init__(self, dim: int = 256, name: str = "hashing") -> None:
        self.dim = dim
        self.name = name
        self.calls = 0
        self.embedded = 0

    @property
    def fingerprint(self) -> str:
        """Changes with the name, so tests can simulate a model swap."""
        return f"{self.name}-{self.dim}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One normalised vector per text."""
        self.calls += 1
        self.embedded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for a, b in itertools.pairwise(text):
                h = int.from_bytes(hashlib.blake2b((a + b).encode(), digest_size=4).digest(), "little")
                out[row, h % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out


class MemoryStore:
    """A vector store in a dict: exact cosine search."""

    def __init__(self) -> None:
        self._model: str | None = None
        self._chunks: dict[str, Chunk] = {}
        self._vectors: dict[str, np.ndarray] = {}

    def model(self) -> str | None:
        """Fingerprint of the stored vectors."""
        return self._model

    def reset(self, model: str) -> None:
        """Drop everything."""
        self._model = model
        self._chunks.clear()
        self._vectors.clear()

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Insert or replace."""
        for chunk, vector in zip(chunks, vectors, strict=True):
            self._chunks[chunk.id] = chunk
            self._vectors[chunk.id] = vector

    def delete(self, ids: Sequence[str]) -> None:
        """Remove."""
        for chunk_id in ids:
            self._chunks.pop(chunk_id, None)
            self._vectors.pop(chunk_id, None)

    def count(self) -> int:
        """How many chunks."""
        return len(self._chunks)

    def chunks(self) -> list[Chunk]:
        """All chunks."""
        return list(self._chunks.values())

    def export(self) -> tuple[list[Chunk], np.ndarray]:
        """All chunks with their vectors."""
        ids = list(self._chunks)
        if not ids:
            return [], np.zeros((0, 0), dtype=np.float32)
        return [self._chunks[i] for i in ids], np.stack([self._vectors[i] for i in ids])

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """Exact nearest neighbours."""
        scored = [(cid, float(v @ vector)) for cid, v in self._vectors.items()]
        return sorted(scored, key=lambda item: -item[1])[:k]

    def close(self) -> None:
        """Nothing to release."""


class KnownWordsGate:
    """Answers when any question word occurs in the corpus: hashing vectors carry no meaning to judge by."""

    def decide(self, retrieval: Any) -> GateDecision:
        """Answer iff the retrieval found hits and the question shares a word with the corpus."""
        known = bool(retrieval.hits) and bool(retrieval.analysis.known_terms)
        return GateDecision(known, float(known), 0.0, 0.0, 0.0)


def migrated(url: str) -> Engine:
    """An engine on ``url`` with every table at the newest schema, as the services get it."""
    from wiring.database import open_engine, upgrade

    engine = open_engine(url)
    upgrade(engine)
    return engine
