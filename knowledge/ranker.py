"""The learned ranker: a LightGBM lambdarank model over candidate features, shipped as a small text file."""

from __future__ import annotations

import threading
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from knowledge.errors import KnowledgeError
from knowledge.features import FEATURES

RANKER_FILE = "ranker.txt"


class Ranker(Protocol):
    """Scores candidate rows; higher is better."""

    def score(self, rows: np.ndarray) -> np.ndarray:
        """One score per row of ``rows`` (candidates × FEATURES)."""
        ...


def default_ranker_path() -> Path:
    """The trained model shipped with the package (scripts/train_retrieval.py writes it)."""
    return Path(str(resources.files("knowledge") / "data" / RANKER_FILE))


class LearnedRanker:
    """Loads the LightGBM model lazily; prediction runs on one thread (small batches, low latency)."""

    def __init__(self, path: Path | None = None, model: Any = None) -> None:
        self.path = path or default_ranker_path()
        self._model = model
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                import lightgbm

                if not self.path.is_file():
                    raise KnowledgeError(
                        f"ranker model missing: {self.path} (run scripts/train_retrieval.py)"
                    )
                model = lightgbm.Booster(model_file=str(self.path))
                names = tuple(model.feature_name())
                if names != FEATURES:
                    raise KnowledgeError(f"{self.path} was trained on other features; retrain it")
                self._model = model
        return self._model

    def score(self, rows: np.ndarray) -> np.ndarray:
        """LightGBM scores for ``rows``."""
        if len(rows) == 0:
            return np.zeros(0, dtype=np.float32)
        return np.asarray(self._load().predict(rows, num_threads=1), dtype=np.float32)


class FusedRanker:
    """Reciprocal-rank fusion of the four channels: the untrained baseline, and a fallback for experiments."""

    def __init__(self, k: float = 20.0) -> None:
        self.k = k

    def score(self, rows: np.ndarray) -> np.ndarray:
        """Sum of 1/(k + rank) over the dense and BM25 channels of articles and views."""
        columns = [
            FEATURES.index(n)
            for n in ("dense_article_rank", "dense_view_rank", "bm25_article_rank", "bm25_view_rank")
        ]
        ranks = np.expm1(rows[:, columns])
        return np.asarray((1.0 / (self.k + ranks + 1)).sum(axis=1), dtype=np.float32)
