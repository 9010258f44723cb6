"""Incremental ingest: keep the vector store in step with the library's documents."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from knowledge.chunker import CHUNKER_VERSION, chunk_document, question_views
from knowledge.embedder import Embedder
from knowledge.errors import DocumentError, DuplicateSource
from knowledge.loaders import load_document
from knowledge.model import QUESTION, Chunk, DocumentInfo
from knowledge.vectorstore import VectorStore

ProgressFactory = Callable[[int], "Progress"]


class Progress:
    """Counts embedded chunks; the default shows nothing."""

    def update(self, n: int) -> None:
        """Advance by ``n`` chunks."""

    def close(self) -> None:
        """Finish."""


def tqdm_progress(total: int) -> Progress:
    """A tqdm bar on stderr, for long ingests in a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, unit="条", desc="嵌入", file=sys.stderr, disable=total < 64)


def passage_text(chunk: Chunk) -> str:
    """What the dense model sees for a chunk: its document and chapter give the article its topic."""
    if chunk.kind == QUESTION:
        # A question view is matched question to question: the bare question is its best twin.
        return chunk.text
    aliases = f"（{chunk.aliases}）" if chunk.aliases else ""
    return f"{chunk.title} {chunk.chapter}{aliases}\n{chunk.text}"


def version_digest(data_digest: str, info: DocumentInfo) -> str:
    """Changes when the file, the chunker or the catalog entry changes: any of them means re-ingest."""
    aliases = "|".join(f"{k}={v}" for k, v in sorted(info.aliases.items()))
    bank = "|".join(f"{k}={'/'.join(v)}" for k, v in sorted(info.questions.items()))
    key = (
        f"{data_digest}|{CHUNKER_VERSION}|{info.status}|{info.note}|{info.weight}|{aliases}|"
        f"{'/'.join(info.short_names)}|{bank}"
    )
    return hashlib.sha256(key.encode()).hexdigest()[:32]


@dataclass
class IngestReport:
    """What one ingest did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[DocumentError] = field(default_factory=list)
    embedded: int = 0
    total_chunks: int = 0
    rebuilt: bool = False
    model_changed: bool = False


class KnowledgeIndex:
    """Brings a vector store in line with a set of files, embedding only what changed."""

    def __init__(
        self, store: VectorStore, embedder: Embedder, batch_size: int = 128, max_batch_chars: int = 4096
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.batch_size = batch_size
        self.max_batch_chars = max_batch_chars

    def is_ready(self) -> bool:
        """True when the store holds vectors from the current model."""
        return self.store.model() == self.embedder.fingerprint and self.store.count() > 0

    def sync(
        self,
        files: Sequence[tuple[Path, DocumentInfo]],
        progress: ProgressFactory | None = None,
    ) -> IngestReport:
        """Add new documents, replace changed ones, delete removed ones; bad files are reported, not fatal."""
        report = IngestReport()
        stored_model = self.store.model()
        if stored_model != self.embedder.fingerprint:
            # Vectors of two models must never be mixed: start over.
            report.rebuilt = True
            report.model_changed = stored_model is not None
            self.store.reset(self.embedder.fingerprint)

        existing: dict[str, tuple[str, set[str]]] = {}
        for chunk in self.store.chunks():
            digest, ids = existing.setdefault(chunk.source, (chunk.digest, set()))
            ids.add(chunk.id)

        seen: dict[str, Path] = {}
        keep_sources: set[str] = set()
        new_chunks: list[Chunk] = []
        stale_ids: list[str] = []
        for path, info in files:
            name = path.name
            if name in seen:
                report.errors.append(DuplicateSource(path, f"same file name as {seen[name]}"))
                continue
            seen[name] = path
            keep_sources.add(name)
            try:
                data_digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError as exc:
                report.errors.append(DocumentError(path, f"cannot read file ({exc.strerror})"))
                continue
            digest = version_digest(data_digest, info)
            old = existing.get(name)
            if old is not None and old[0] == digest:
                report.unchanged.append(name)
                continue
            try:
                doc = load_document(path, info)
                chunks = chunk_document(doc)
                chunks += question_views(chunks, info.questions)
            except DocumentError as exc:
                # The previous version (if any) stays in the index untouched.
                report.errors.append(exc)
                continue
            chunks = [replace(c, digest=digest) for c in chunks]
            new_chunks.extend(chunks)
            (report.updated if old is not None else report.added).append(name)
            if old is not None:
                stale_ids.extend(old[1] - {c.id for c in chunks})

        for source, (_, ids) in existing.items():
            if source not in keep_sources:
                report.removed.append(source)
                stale_ids.extend(ids)

        self._embed_and_store(new_chunks, progress)
        report.embedded = len(new_chunks)
        # Delete after writing: a crash in between leaves extra chunks, never a gap.
        self.store.delete(stale_ids)
        report.total_chunks = self.store.count()
        return report

    def _embed_and_store(self, chunks: list[Chunk], progress: ProgressFactory | None) -> None:
        if not chunks:
            return
        # Similar lengths in one batch waste less padding: about a third faster on CPU. A batch is also capped by
        # its padded size, so that long articles go a few at a time (attention memory grows with length squared)
        # while short bank questions go many at a time.
        ordered = sorted(((passage_text(c), c) for c in chunks), key=lambda pair: len(pair[0]))
        bar = progress(len(ordered)) if progress else Progress()
        try:
            start = 0
            while start < len(ordered):
                end = start + 1
                while (
                    end < len(ordered)
                    and end - start < self.batch_size
                    and (end - start + 1) * len(ordered[end][0]) <= self.max_batch_chars
                ):
                    end += 1
                texts, batch = zip(*ordered[start:end], strict=True)
                self.store.upsert(list(batch), self.embedder.embed(list(texts)))
                bar.update(len(batch))
                start = end
        finally:
            bar.close()
