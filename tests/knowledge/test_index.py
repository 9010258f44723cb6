"""Incremental ingest against the real embedded Chroma (with a fake embedder)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.catalog import library_files
from knowledge.errors import CorruptDocument, DuplicateSource
from knowledge.index import KnowledgeIndex
from knowledge.vectorstore import ChromaStore
from tests.conftest import CORPUS
from tests.fakes import HashingEmbedder

SMALL = ["guonei_gongwu_jiedai_guiding.md", "gongwu_yongche_guanli_banfa.md", "lianjie_zilv_zhunze_2015.md"]


@pytest.fixture
def library(tmp_path: Path) -> Path:
    folder = tmp_path / "library"
    folder.mkdir()
    for name in SMALL:
        shutil.copy(CORPUS / name, folder / name)
    return folder


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ChromaStore]:
    chroma = ChromaStore(HashingEmbedder(), path=tmp_path / "index")
    yield chroma
    chroma.close()


def _sources(store: ChromaStore) -> dict[str, int]:
    counts: dict[str, int] = {}
    for chunk in store.chunks():
        counts[chunk.source] = counts.get(chunk.source, 0) + 1
    return counts


def test_first_ingest_adds_everything(library: Path, store: ChromaStore) -> None:
    embedder = HashingEmbedder()
    index = KnowledgeIndex(store, embedder)
    report = index.sync(library_files(library))
    assert sorted(report.added) == sorted(SMALL)
    assert report.rebuilt and not report.model_changed
    assert _sources(store) == {
        "guonei_gongwu_jiedai_guiding.md": 26,
        "gongwu_yongche_guanli_banfa.md": 31,
        "lianjie_zilv_zhunze_2015.md": 9,
    }
    assert embedder.embedded == 66
    assert index.is_ready()


def test_unchanged_documents_are_not_embedded_again(library: Path, store: ChromaStore) -> None:
    embedder = HashingEmbedder()
    index = KnowledgeIndex(store, embedder)
    index.sync(library_files(library))
    embedder.embedded = 0
    report = index.sync(library_files(library))
    assert sorted(report.unchanged) == sorted(SMALL)
    assert embedder.embedded == 0
    assert report.added == report.updated == report.removed == []


def test_changed_document_is_replaced_and_removed_one_deleted(library: Path, store: ChromaStore) -> None:
    embedder = HashingEmbedder()
    index = KnowledgeIndex(store, embedder)
    index.sync(library_files(library))
    # Change one article's text and drop the last two articles of the car rules.
    path = library / "gongwu_yongche_guanli_banfa.md"
    text = path.read_text(encoding="utf-8")
    cut = text.index("第三十条")
    path.write_text(text[:cut].replace("严禁公车私用", "严禁公车私用（测试修改）"), encoding="utf-8")
    (library / "lianjie_zilv_zhunze_2015.md").unlink()
    embedder.embedded = 0
    report = index.sync(library_files(library))
    assert report.updated == ["gongwu_yongche_guanli_banfa.md"]
    assert report.removed == ["lianjie_zilv_zhunze_2015.md"]
    assert report.unchanged == ["guonei_gongwu_jiedai_guiding.md"]
    assert embedder.embedded == 29
    counts = _sources(store)
    assert counts == {"guonei_gongwu_jiedai_guiding.md": 26, "gongwu_yongche_guanli_banfa.md": 29}
    car = {c.article: c.text for c in store.chunks() if c.source == "gongwu_yongche_guanli_banfa.md"}
    assert "第三十条" not in car and "（测试修改）" in car["第十六条"]


def test_new_document_is_added(library: Path, store: ChromaStore) -> None:
    index = KnowledgeIndex(store, HashingEmbedder())
    index.sync(library_files(library))
    shutil.copy(CORPUS / "baxiang_guiding_2012.md", library / "baxiang_guiding_2012.md")
    report = index.sync(library_files(library))
    assert report.added == ["baxiang_guiding_2012.md"]
    assert _sources(store)["baxiang_guiding_2012.md"] == 9


def test_corrupt_file_is_reported_and_index_stays_intact(library: Path, store: ChromaStore) -> None:
    index = KnowledgeIndex(store, HashingEmbedder())
    index.sync(library_files(library))
    before = _sources(store)
    (library / "broken.pdf").write_bytes(b"\x00\x01garbage" * 50)
    # A document that was indexed and is now corrupt keeps its last good version.
    (library / "lianjie_zilv_zhunze_2015.md").write_bytes(b"\xff\xfe\x00\x00" * 10)
    report = index.sync(library_files(library))
    names = sorted(e.path.name for e in report.errors)
    assert names == ["broken.pdf", "lianjie_zilv_zhunze_2015.md"]
    assert all(isinstance(e, CorruptDocument) for e in report.errors)
    assert _sources(store) == before


def test_duplicate_file_names_are_refused(library: Path, store: ChromaStore, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(library / SMALL[0], other / SMALL[0])
    index = KnowledgeIndex(store, HashingEmbedder())
    report = index.sync(library_files(library) + library_files(other))
    assert [type(e) for e in report.errors] == [DuplicateSource]


def test_model_change_rebuilds_all_vectors(library: Path, tmp_path: Path) -> None:
    path = tmp_path / "index"
    first = ChromaStore(HashingEmbedder(name="a"), path=path)
    KnowledgeIndex(first, HashingEmbedder(name="a")).sync(library_files(library))
    first.close()
    new_model = HashingEmbedder(name="b")
    second = ChromaStore(new_model, path=path)
    index = KnowledgeIndex(second, new_model)
    assert not index.is_ready()
    report = index.sync(library_files(library))
    assert report.rebuilt and report.model_changed
    assert new_model.embedded == 66
    assert second.model() == new_model.fingerprint
    second.close()


def test_index_survives_reopening(library: Path, tmp_path: Path) -> None:
    path = tmp_path / "index"
    embedder = HashingEmbedder()
    first = ChromaStore(embedder, path=path)
    KnowledgeIndex(first, embedder).sync(library_files(library))
    first.close()
    again = ChromaStore(embedder, path=path)
    assert KnowledgeIndex(again, embedder).is_ready()
    hits = again.search(embedder.embed(["公务用车"])[0], 3)
    assert len(hits) == 3 and all(-1.0 <= score <= 1.0001 for _, score in hits)
    again.close()
