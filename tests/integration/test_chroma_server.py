"""The knowledge index on a real Chroma server (QINGFENG_CHROMA_URL), through the factory as a deployment runs it.

The embedder is the fast hashing fake: what is under test is the client/server store (collections, upserts,
deletes, paging, queries over HTTP), not the model.
"""

from __future__ import annotations

from pathlib import Path

from knowledge.service import KnowledgeService
from tests.fakes import HashingEmbedder, KnownWordsGate
from wiring.factory import build_knowledge
from wiring.settings import load_settings


def service(data_dir: Path, chroma_url: str, default_corpus: bool = True) -> KnowledgeService:
    settings = load_settings(
        {"data_dir": data_dir, "chroma_url": chroma_url, "include_default_corpus": default_corpus}
    )
    assert settings.chroma_url == chroma_url
    return build_knowledge(settings, embedder=HashingEmbedder(), gate=KnownWordsGate())


def test_ingest_ask_and_incremental_reingest_on_the_server(chroma_url: str, tmp_path: Path) -> None:
    library = tmp_path / "data" / "library"
    library.mkdir(parents=True)
    rules = library / "本单位规定.txt"
    rules.write_text(
        "本单位廉政规定\n第一条 本单位职工不得接受供应商宴请。\n第二条 违反本规定的，严肃处理。", "utf-8"
    )
    first = service(tmp_path / "data", chroma_url)
    report = first.ingest()
    assert not report.errors and "本单位规定.txt" in report.added and report.total_chunks > 1400
    assert first.index.is_ready()
    answer = first.ask("公车私用")
    assert not answer.refused and answer.citations
    assert first.ask("供应商宴请").citations[0].title == "本单位廉政规定"

    # A second process on the same server finds the index ready and re-embeds only what changed.
    again = service(tmp_path / "data", chroma_url)
    assert again.index.is_ready()
    unchanged = again.ingest()
    assert unchanged.embedded == 0 and not unchanged.added and not unchanged.updated
    rules.write_text("本单位廉政规定\n第一条 本单位职工不得收受供应商的购物卡。", "utf-8")
    updated = again.ingest()
    assert updated.updated == ["本单位规定.txt"] and 0 < updated.embedded < 10
    assert again.ask("供应商购物卡").citations[0].title == "本单位廉政规定"
    rules.unlink()
    removed = again.ingest()
    assert removed.removed == ["本单位规定.txt"] and removed.embedded == 0
    assert removed.total_chunks == report.total_chunks - 2
    assert all(c.title != "本单位廉政规定" for c in again.ask("供应商宴请").citations)
