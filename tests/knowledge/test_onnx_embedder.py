"""The ONNX runtime of the embedding model: the same vectors as sentence-transformers, exported once, safely."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import knowledge.onnx_embedder as onnx_embedder
from knowledge.embedder import SentenceTransformerEmbedder, find_default_model
from knowledge.errors import ModelNotFound
from knowledge.onnx_embedder import OnnxEmbedder, exported
from tests.conftest import CORPUS
from wiring.factory import build_embedder
from wiring.settings import load_settings


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache holding a fresh export of m3e-small (made by the first embedder that needs it)."""
    folder = tmp_path_factory.mktemp("models")
    OnnxEmbedder(find_default_model(), folder).warm()
    return folder


def _texts() -> list[str]:
    # Real passages, short to longer than the model's 512 tokens (truncated the same way by both runtimes).
    text = max(CORPUS.glob("*.md"), key=lambda p: p.stat().st_size).read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return [
        *lines[:20],
        "过年下属送购物卡能收吗",
        "公车私用",
        text[:300],
        text[:700],
        text[:3000],
    ]  # the last: over 512 tokens


@pytest.mark.slow
def test_vectors_match_sentence_transformers(cache: Path) -> None:
    folder = find_default_model()
    fast = OnnxEmbedder(folder, cache)
    reference = SentenceTransformerEmbedder(folder)
    texts = _texts()
    ours, theirs = fast.embed(texts), reference.embed(texts)
    assert ours.shape == theirs.shape == (len(texts), 512) and ours.dtype == np.float32
    assert np.abs(ours - theirs).max() < 1e-5
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    # One text alone gives the vector it gets in a padded batch.
    assert np.abs(fast.embed([texts[-1]])[0] - ours[-1]).max() < 1e-5
    assert fast.fingerprint == reference.fingerprint  # same model, same vectors: an index stays valid


@pytest.mark.slow
def test_the_export_is_made_once_and_reused(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(folder: Path, target: Path) -> None:
        raise AssertionError("exported twice")

    monkeypatch.setattr(onnx_embedder, "export", refuse)
    embedder = OnnxEmbedder(find_default_model(), cache)
    assert embedder.embed(["公务接待"]).shape == (1, 512)
    kept = [p.name for p in cache.iterdir() if not p.name.startswith(".")]
    assert len(kept) == 1 and kept[0].startswith(embedder.fingerprint)


@pytest.mark.slow
def test_idle_workers_sleep_rather_than_spin(cache: Path) -> None:
    # Spinning ORT workers took the 2-vCPU server's cores from the event loop (the LLM chain's p95 tail).
    embedder = OnnxEmbedder(find_default_model(), cache, threads=2)
    options = embedder._load().get_session_options()
    assert options.intra_op_num_threads == 2
    for key in ("session.intra_op.allow_spinning", "session.inter_op.allow_spinning"):
        assert options.get_session_config_entry(key) == "0"


def test_a_failed_export_leaves_nothing_to_reuse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def half_then_fail(folder: Path, target: Path) -> None:
        target.mkdir(parents=True)
        (target / "model.onnx").write_bytes(b"half")
        raise RuntimeError("killed")

    monkeypatch.setattr(onnx_embedder, "export", half_then_fail)
    with pytest.raises(RuntimeError):
        exported(find_default_model(), tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [".lock"]


def _folder(tmp_path: Path, modules: list[dict[str, str]], pooling: dict[str, bool] | None = None) -> Path:
    tmp_path.mkdir()
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "modules.json").write_text(json.dumps(modules))
    if pooling is not None:
        (tmp_path / "1_Pooling").mkdir()
        (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    return tmp_path


def test_pooling_is_read_as_sentence_transformers_reads_it(tmp_path: Path) -> None:
    transformer = {"type": "sentence_transformers.models.Transformer", "path": ""}
    pool = {"type": "sentence_transformers.models.Pooling", "path": "1_Pooling"}
    norm = {"type": "sentence_transformers.models.Normalize", "path": "2_Normalize"}
    cls = _folder(tmp_path / "a", [transformer, pool, norm], {"pooling_mode_cls_token": True})
    assert onnx_embedder._pooling(cls) == ("cls", True)
    mean = _folder(tmp_path / "b", [transformer, pool], {"pooling_mode_mean_tokens": True})
    assert onnx_embedder._pooling(mean) == ("mean", False)
    assert onnx_embedder._pooling(find_default_model()) == ("mean", False)  # no modules.json: mean


@pytest.mark.parametrize(
    ("extra", "pooling"),
    [
        (
            {"type": "sentence_transformers.models.Dense", "path": "2_Dense"},
            {"pooling_mode_mean_tokens": True},
        ),
        (None, {"pooling_mode_weightedmean_tokens": True}),
        (None, {"pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": True}),
    ],
)
def test_a_model_it_cannot_run_is_refused_with_the_way_out(
    tmp_path: Path, extra: dict[str, str] | None, pooling: dict[str, bool]
) -> None:
    modules = [
        {"type": "sentence_transformers.models.Transformer", "path": ""},
        {"type": "sentence_transformers.models.Pooling", "path": "1_Pooling"},
        *([extra] if extra else []),
    ]
    with pytest.raises(ModelNotFound, match="use torch"):
        onnx_embedder._pooling(_folder(tmp_path / "m", modules, pooling))


def test_the_runtime_is_a_setting(tmp_path: Path) -> None:
    onnx = build_embedder(load_settings({"data_dir": tmp_path, "model_cache": tmp_path / "models"}))
    assert isinstance(onnx, OnnxEmbedder) and onnx.cache == tmp_path / "models"
    torch = build_embedder(load_settings({"data_dir": tmp_path, "embedding_runtime": "torch"}))
    assert isinstance(torch, SentenceTransformerEmbedder)
    with pytest.raises(ValueError):
        load_settings({"data_dir": tmp_path, "embedding_runtime": "gpu"})
