"""The real index of the bundled corpus, built once per model and knowledge package and cached for every run.

``python -m tests.index_cache`` builds it (the test session starts this in the background when the cache is
cold, so the build runs beside the tests that need no index instead of holding up the first one that does).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("QINGFENG_TEST_CACHE", ROOT / ".cache" / "tests"))


def index_key() -> str:
    """The model's fingerprint and every file of the knowledge package, hashed."""
    from knowledge.embedder import find_default_model, model_fingerprint

    digest = hashlib.sha256(model_fingerprint(find_default_model()).encode())
    for path in sorted((ROOT / "knowledge").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


def cached_index() -> Path:
    """Where the index for the current model and knowledge package is (or will be) cached."""
    return CACHE / f"index-{index_key()}"


@contextlib.contextmanager
def cache_lock() -> Iterator[None]:
    """Held while the cache is built or read: parallel workers build it once, the others wait, then copy."""
    import fcntl

    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / "index.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def store(data_dir: Path, cached: Path) -> None:
    """Copy ``data_dir``'s index into the cache (beside it, then renamed: a killed run leaves nothing partial)."""
    partial = Path(tempfile.mkdtemp(dir=CACHE, prefix="partial-"))
    shutil.copytree(data_dir / "index", partial / "index")
    os.replace(partial / "index", cached)
    shutil.rmtree(partial, ignore_errors=True)


def build() -> None:
    """Build and cache the index unless it is cached already."""
    from wiring.factory import build_knowledge
    from wiring.settings import load_settings

    with cache_lock():
        cached = cached_index()
        if cached.is_dir():
            return
        with tempfile.TemporaryDirectory() as folder:
            service = build_knowledge(load_settings({"data_dir": Path(folder)}))
            report = service.ensure_ready()
            assert report is None or not report.errors
            service.warm()  # also embeds the cards' phrasings into the index folder
            service.index.store.close()
            store(Path(folder), cached)


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    build()
