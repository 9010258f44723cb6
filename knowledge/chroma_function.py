"""Qingfeng's embedding function for Chroma, so Chroma never loads (or downloads) a model of its own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

from knowledge.embedder import Embedder


class QingfengEmbeddingFunction(EmbeddingFunction[Documents]):
    """Wraps an ``Embedder``; Qingfeng passes vectors itself, this covers any text Chroma embeds."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def __call__(self, input: Documents) -> Embeddings:
        return list(self._embedder.embed(list(input)))

    @staticmethod
    def name() -> str:
        """The name Chroma records in the collection configuration."""
        return "qingfeng"

    def get_config(self) -> dict[str, Any]:
        """Only the model fingerprint: the model itself lives outside Chroma."""
        return {"model": self._embedder.fingerprint}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> QingfengEmbeddingFunction:
        """A stand-in that knows the model's fingerprint; Qingfeng always passes the real one."""
        return QingfengEmbeddingFunction(_DetachedEmbedder(str(config.get("model", ""))))

    def default_space(self) -> str:  # type: ignore[override]
        """Vectors are normalised: cosine."""
        return "cosine"

    def is_legacy(self) -> bool:
        """Not a legacy function: it has a name and a config."""
        return False


class _DetachedEmbedder:
    """What Chroma rebuilds from a stored config: it knows the model but cannot run it."""

    def __init__(self, fingerprint: str) -> None:
        self.fingerprint = fingerprint

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        raise RuntimeError("Qingfeng embeds texts itself; open the collection through ChromaStore")
