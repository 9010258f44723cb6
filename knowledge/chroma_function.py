"""Qingfeng's embedding function for Chroma, so Chroma never loads (or downloads) a model of its own."""

from __future__ import annotations

from typing import Any

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
        """Chroma cannot rebuild this function alone; Qingfeng always passes it explicitly."""
        raise NotImplementedError("open the collection through knowledge.vectorstore.ChromaStore")

    def default_space(self) -> str:  # type: ignore[override]
        """Vectors are normalised: cosine."""
        return "cosine"

    def is_legacy(self) -> bool:
        """Not a legacy function: it has a name and a config."""
        return False
