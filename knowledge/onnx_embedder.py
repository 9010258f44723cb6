"""The embedding model run by ONNX Runtime: exported once from its folder, the same vectors, no torch at run time.

Why: on a two-core machine torch spends most of a query's 12–25 ms in its own dispatch (more from a worker
thread), and its import costs seconds in every process. ONNX Runtime gives the same vectors (max difference
~1e-7 on m3e-small) in about 4 ms per question and builds the index about 1.7 times faster. The export needs
torch and onnx once per model (a few seconds); it is kept in a cache folder under the model's fingerprint.
"""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from common.atomic import publish_folder
from common.filelock import exclusive
from knowledge.embedder import model_fingerprint, offline_transformers, release_freed_memory
from knowledge.errors import ModelNotFound

EXPORT_FORMAT = 1  # bump when the exported files change shape
POOLING_MODES = {
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
}


def _pooling(folder: Path) -> tuple[str, bool]:
    """The folder's pooling and whether it normalises, as sentence-transformers would run it."""
    modules_file = folder / "modules.json"
    if not modules_file.is_file():
        return "mean", False  # a plain transformers folder: sentence-transformers adds mean pooling
    pooling, normalise = "mean", False
    for module in json.loads(modules_file.read_text(encoding="utf-8")):
        kind = str(module.get("type", "")).rsplit(".", 1)[-1]
        if kind == "Transformer":
            continue
        if kind == "Normalize":
            normalise = True
        elif kind == "Pooling":
            config = json.loads((folder / module.get("path", "") / "config.json").read_text(encoding="utf-8"))
            modes = [mode for key, mode in POOLING_MODES.items() if config.get(key)]
            others = [
                k for k, v in config.items() if k.startswith("pooling_mode_") and v and k not in POOLING_MODES
            ]
            if len(modes) != 1 or others:
                raise ModelNotFound(
                    f"{folder}: pooling {config} is not supported by the onnx runtime; use torch"
                )
            pooling = modes[0]
        else:
            raise ModelNotFound(f"{folder}: module {kind} is not supported by the onnx runtime; use torch")
    return pooling, normalise


def _max_length(folder: Path, tokenizer: Any, config: Any) -> int:
    # As sentence-transformers decides it: its own config first, else the tokenizer's, never past the positions.
    limit = int(getattr(config, "max_position_embeddings", 512) or 512)
    st_config = folder / "sentence_bert_config.json"
    if st_config.is_file():
        value = json.loads(st_config.read_text(encoding="utf-8")).get("max_seq_length")
        if value:
            return min(int(value), limit)
    declared = int(getattr(tokenizer, "model_max_length", limit) or limit)
    return min(declared, limit)


def export(folder: Path, target: Path) -> None:
    """Write ``model.onnx``, ``tokenizer.json`` and ``export.json`` for ``folder`` into the new folder ``target``."""
    offline_transformers()
    import torch
    from transformers import AutoModel, AutoTokenizer

    pooling, normalise = _pooling(folder)
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    if not getattr(tokenizer, "is_fast", False):
        raise ModelNotFound(f"{folder}: no fast tokenizer, which the onnx runtime needs; use torch")
    model = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()
    sample = tokenizer(["过年下属送购物卡能收吗", "公车私用"], padding=True, return_tensors="pt")
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *tensors: Any) -> Any:
            return self.inner(**dict(zip(names, tensors, strict=True))).last_hidden_state

    target.mkdir(parents=True)
    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "hidden"]}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on shapes: the export is checked by its tests
        torch.onnx.export(
            LastHiddenState(model),
            tuple(sample[n] for n in names),
            str(target / "model.onnx"),
            input_names=names,
            output_names=["hidden"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    tokenizer.backend_tokenizer.save(str(target / "tokenizer.json"))
    meta = {
        "format": EXPORT_FORMAT,
        "fingerprint": model_fingerprint(folder),
        "inputs": names,
        "pooling": pooling,
        "normalise": normalise,
        "max_length": _max_length(folder, tokenizer, model.config),
        "pad_id": int(tokenizer.pad_token_id or 0),
    }
    (target / "export.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def exported(folder: Path, cache: Path) -> Path:
    """The export of ``folder`` in ``cache``, made now if missing (one process at a time, never half-written)."""
    final = cache / f"{model_fingerprint(folder)}-onnx{EXPORT_FORMAT}"
    if (final / "export.json").is_file():
        return final
    with exclusive(cache / ".lock"):
        if not (final / "export.json").is_file():
            publish_folder(final, lambda target: export(folder, target))
    return final


class OnnxEmbedder:
    """A sentence-transformers folder run by ONNX Runtime (see the module's docstring)."""

    def __init__(self, folder: Path, cache: Path, batch_size: int = 32, threads: int | None = None) -> None:
        if not (folder / "config.json").is_file():
            raise ModelNotFound(f"{folder} is not a sentence-transformers/transformers model folder")
        self.folder = folder
        self.cache = cache
        self.batch_size = batch_size
        self._threads = threads
        # The same model gives the same vectors whichever runtime runs it: the fingerprint is the folder's.
        self._fingerprint = model_fingerprint(folder)
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self._meta: dict[str, Any] = {}

    @property
    def fingerprint(self) -> str:
        """Identifies the model folder's contents."""
        return self._fingerprint

    def _load(self) -> Any:
        with self._lock:
            if self._session is None:
                import onnxruntime
                from tokenizers import Tokenizer

                where = exported(self.folder, self.cache)
                meta = json.loads((where / "export.json").read_text(encoding="utf-8"))
                tokenizer = Tokenizer.from_file(str(where / "tokenizer.json"))
                tokenizer.no_padding()
                tokenizer.enable_truncation(int(meta["max_length"]))
                options = onnxruntime.SessionOptions()
                if self._threads:
                    options.intra_op_num_threads = self._threads
                options.log_severity_level = 3
                # ORT's worker threads busy-wait between runs by default. On a 2-vCPU server that steals the
                # cores the event loop and the retrieval thread need: a question's wall time ran at 1.5-2x its
                # CPU time and the LLM chain's p95 overhead went from 23 ms to 35 ms (bench/llm.py). Sleeping
                # workers still share a batch's work, so index builds keep both cores.
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                options.add_session_config_entry("session.inter_op.allow_spinning", "0")
                # Index batches come in many shapes, and ORT keeps a memory plan for each one it has seen: ingest
                # peaked at 1.3 GB with them, 0.9 GB without (and was no slower).
                options.enable_mem_pattern = False
                self._session = onnxruntime.InferenceSession(
                    str(where / "model.onnx"), options, providers=["CPUExecutionProvider"]
                )
                self._tokenizer, self._meta = tokenizer, meta
        return self._session

    def warm(self) -> None:
        """Load (and if need be export) the model now rather than on the first question."""
        self._load()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Encode ``texts`` into normalised vectors (the caller sizes the batches, see KnowledgeIndex)."""
        session = self._load()
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self._meta["pad_id"], dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        types = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
            types[row, : len(encoding.ids)] = encoding.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        hidden = session.run(None, {name: feeds[name] for name in self._meta["inputs"]})[0]
        vectors = _pool(hidden, mask, self._meta["pooling"])
        # Qingfeng always wants unit vectors (cosine = dot product), normalised in the model or not.
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.maximum(norms, 1e-12)
        if len(texts) > 1:
            release_freed_memory()
        return np.asarray(vectors, dtype=np.float32)


def _pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    if mode == "cls":
        return hidden[:, 0]
    weights = mask[..., None].astype(hidden.dtype)
    if mode == "max":
        return np.where(weights > 0, hidden, -1e9).max(axis=1)
    return (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
