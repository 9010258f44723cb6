"""Vector stores behind one small interface; Chroma (embedded or client/server) is the real one."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import numpy as np

from knowledge.embedder import Embedder
from knowledge.model import Chunk

COLLECTION = "qingfeng_articles"
MODEL_KEY = "qingfeng_model"
READ_PAGE = 1000


class VectorStore(Protocol):
    """Stores chunks with their vectors and finds the nearest ones."""

    def model(self) -> str | None:
        """The embedding-model fingerprint the stored vectors came from, None when empty."""
        ...

    def reset(self, model: str) -> None:
        """Drop every vector and start over for ``model``."""
        ...

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Insert or replace chunks by id."""
        ...

    def delete(self, ids: Sequence[str]) -> None:
        """Remove chunks by id."""
        ...

    def count(self) -> int:
        """How many chunks are stored."""
        ...

    def chunks(self) -> list[Chunk]:
        """Every stored chunk."""
        ...

    def export(self) -> tuple[list[Chunk], np.ndarray]:
        """Every stored chunk with its vector (one row each, in the same order)."""
        ...

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The ``k`` nearest chunk ids with their cosine similarity, best first."""
        ...

    def close(self) -> None:
        """Release the store."""
        ...


def chunk_to_metadata(chunk: Chunk) -> dict[str, str | int | float]:
    """Flatten a chunk's fields (all but id and text) into store metadata."""
    return {
        "source": chunk.source,
        "title": chunk.title,
        "chapter": chunk.chapter,
        "article": chunk.article,
        "part": chunk.part,
        "parts": chunk.parts,
        "order": chunk.order,
        "digest": chunk.digest,
        "status": chunk.status,
        "note": chunk.note,
        "weight": chunk.weight,
        "aliases": chunk.aliases,
        "kind": chunk.kind,
        "names": chunk.names,
    }


def chunk_from_record(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    """Rebuild a chunk from what the store kept."""
    return Chunk(
        id=chunk_id,
        source=str(meta["source"]),
        title=str(meta["title"]),
        chapter=str(meta.get("chapter", "")),
        article=str(meta["article"]),
        text=text,
        part=int(meta.get("part", 0)),
        parts=int(meta.get("parts", 1)),
        order=int(meta.get("order", 0)),
        digest=str(meta.get("digest", "")),
        status=str(meta.get("status", "current")),
        note=str(meta.get("note", "")),
        weight=float(meta.get("weight", 1.0)),
        aliases=str(meta.get("aliases", "")),
        kind=str(meta.get("kind", "article")),
        names=str(meta.get("names", "")),
    )


def _batches(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class ChromaStore:
    """Chroma: a PersistentClient under the data dir, or a Chroma server when given a URL."""

    def __init__(
        self,
        embedder: Embedder,
        path: Path | None = None,
        url: str | None = None,
        token: str | None = None,
    ) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        from knowledge.chroma_function import QingfengEmbeddingFunction

        settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if url:
            parsed = urlparse(url)
            headers = {"Authorization": f"Bearer {token}"} if token else None
            self._client = chromadb.HttpClient(
                host=parsed.hostname or "localhost",
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                headers=headers,
                settings=settings,
            )
        else:
            assert path is not None, "an embedded Chroma needs a path"
            path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(path=str(path), settings=settings)
        # Our own function: Chroma must never fall back to (and download) its default model.
        self._function: Any = QingfengEmbeddingFunction(embedder)
        self._collection = self._open()

    def _open(self) -> Any:
        from chromadb.errors import NotFoundError

        try:
            return self._client.get_collection(COLLECTION, embedding_function=self._function)
        except (NotFoundError, ValueError):
            return None

    def model(self) -> str | None:
        """The fingerprint recorded when the collection was created."""
        if self._collection is None:
            return None
        return (self._collection.metadata or {}).get(MODEL_KEY)

    def reset(self, model: str) -> None:
        """Delete the collection and create it anew for ``model``."""
        if self._collection is not None:
            self._client.delete_collection(COLLECTION)
        self._collection = self._client.create_collection(
            COLLECTION,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={MODEL_KEY: model},
            embedding_function=self._function,
        )

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Write chunks in batches (Chroma caps the batch size)."""
        assert self._collection is not None, "reset(model) before the first upsert"
        batch = min(2000, int(self._client.get_max_batch_size()))
        for start in range(0, len(chunks), batch):
            part = chunks[start : start + batch]
            self._collection.upsert(
                ids=[c.id for c in part],
                embeddings=vectors[start : start + batch],
                documents=[c.text for c in part],
                metadatas=[chunk_to_metadata(c) for c in part],
            )

    def delete(self, ids: Sequence[str]) -> None:
        """Delete chunks by id."""
        if self._collection is None or not ids:
            return
        for part in _batches(list(ids), 2000):
            self._collection.delete(ids=list(part))

    def count(self) -> int:
        """How many chunks are stored (without reading them)."""
        return 0 if self._collection is None else self._collection.count()

    def chunks(self) -> list[Chunk]:
        """Read back every chunk (text and metadata, not vectors)."""
        return self._read(with_vectors=False)[0]

    def export(self) -> tuple[list[Chunk], np.ndarray]:
        """Every chunk with its stored vector, for exact in-memory scoring."""
        return self._read(with_vectors=True)

    def _read(self, with_vectors: bool) -> tuple[list[Chunk], np.ndarray]:
        # Paged: one large get() costs hundreds of MB in the client, and not all of it comes back.
        if self._collection is None:
            return [], np.zeros((0, 0), dtype=np.float32)
        include = ["documents", "metadatas", "embeddings"] if with_vectors else ["documents", "metadatas"]
        chunks: list[Chunk] = []
        pages: list[np.ndarray] = []
        total = self._collection.count()
        for offset in range(0, total, READ_PAGE):
            records = self._collection.get(include=include, limit=READ_PAGE, offset=offset)
            chunks.extend(
                chunk_from_record(i, d or "", dict(m or {}))
                for i, d, m in zip(
                    records["ids"], records["documents"] or [], records["metadatas"] or [], strict=True
                )
            )
            if with_vectors:
                embeddings = records["embeddings"]
                page = np.asarray(embeddings if embeddings is not None else [], dtype=np.float32)
                pages.append(page.reshape(len(records["ids"]), -1))
        if not pages:
            return chunks, np.zeros((len(chunks), 0), dtype=np.float32)
        return chunks, np.vstack(pages)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """Nearest chunks by cosine similarity (Chroma returns cosine distance)."""
        if self._collection is None:
            return []
        count = self._collection.count()
        if count == 0:
            return []
        result = self._collection.query(
            query_embeddings=np.asarray([vector], dtype=np.float32),
            n_results=min(k, count),
            include=["distances"],
        )
        ids = result["ids"][0]
        distances = (result["distances"] or [[]])[0]
        return [(i, 1.0 - float(d)) for i, d in zip(ids, distances, strict=True)]

    def close(self) -> None:
        """Drop the client's cached system so the files are released."""
        self._collection = None
        with contextlib.suppress(AttributeError):  # an HttpClient holds no local system
            self._client.clear_system_cache()
