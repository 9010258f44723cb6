"""The knowledge service end to end on the bundled corpus, with a fake embedder (fast)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.services import build_knowledge
from bot.settings import load_settings
from knowledge.errors import EmptyQuestion, QuestionTooLong
from knowledge.lc import QingfengRetriever
from knowledge.model import Hit
from knowledge.service import KnowledgeService
from tests.fakes import HashingEmbedder, KnownWordsGate, MemoryStore

# Hashing vectors have no meaning: the trained gate (calibrated for m3e) does not apply.
FAKE_GATE = KnownWordsGate()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeService:
    data = tmp_path_factory.mktemp("data")
    settings = load_settings({"data_dir": data})
    svc = build_knowledge(settings, embedder=HashingEmbedder(), store=MemoryStore(), gate=FAKE_GATE)
    report = svc.ingest()
    assert not report.errors and report.total_chunks > 1400
    return svc


def test_answers_cite_the_article_with_title_and_chapter(service: KnowledgeService) -> None:
    answer = service.ask("公务用车可以私用吗")
    assert not answer.refused
    assert 1 <= len(answer.citations) <= 3
    first = answer.citations[0]
    assert first.source.endswith(".md") and first.article.startswith("第")
    lead = answer.text.splitlines()[0]
    assert lead.startswith("这个问题在《") and "》第" in lead
    assert f"【1】《{first.title}》{first.article}" in answer.text


def test_superseded_documents_are_flagged_in_the_answer(service: KnowledgeService) -> None:
    chunks = service.article("wenze_tiaoli_2016_superseded.md", "第七条")
    assert chunks and chunks[0].status == "superseded"
    hit = Hit(chunk=chunks[0], score=1.0, dense=0.9, lexical=10.0, parts=tuple(chunks))
    answer = service.answerer.compose("问责方式有哪些", [hit], {chunks[0].key: chunks}, {"问责": 1.0})
    assert answer.citations[0].note.startswith("此为2016年版")
    assert "（注：此为2016年版《中国共产党问责条例》，已被2019年修订版取代" in answer.text
    current = service.article("jilv_chufen_tiaoli_2023.md", "第九十七条")
    plain = service.answerer.compose("收礼", [Hit(current[0], 1.0, 0.9, 10.0)], {current[0].key: current}, {})
    assert "（注：" not in plain.text


def test_json_shape(service: KnowledgeService) -> None:
    data = json.loads(json.dumps(service.ask("收受礼金").to_dict(), ensure_ascii=False))
    assert set(data) == {"question", "answer", "refused", "citations"}
    assert set(data["citations"][0]) == {"source", "title", "article", "chapter", "score"}


@pytest.mark.parametrize("question", ["", "   ", "😀😀😀", "？？！！", "\n\t"])
def test_empty_or_symbol_only_questions(service: KnowledgeService, question: str) -> None:
    with pytest.raises(EmptyQuestion):
        service.ask(question)


def test_very_long_question(service: KnowledgeService) -> None:
    with pytest.raises(QuestionTooLong) as info:
        service.ask("公车" * 2500)
    assert info.value.length == 5000


def test_emoji_around_a_real_question_still_answers(service: KnowledgeService) -> None:
    assert not service.ask("😀 公务用车 私用 😀").refused


def test_langchain_retriever_returns_cited_articles(service: KnowledgeService) -> None:
    retriever = QingfengRetriever(retriever=service.retriever, k=2)
    documents = retriever.invoke("公务接待 陪餐人数")
    assert len(documents) == 2
    meta = documents[0].metadata
    assert meta["citation"] == f"《{meta['title']}》{meta['article']}"
    assert documents[0].page_content.startswith(meta["article"])


def test_user_documents_in_library_are_indexed(tmp_path: Path) -> None:
    library = tmp_path / "data" / "library"
    library.mkdir(parents=True)
    (library / "本单位规定.txt").write_text(
        "本单位廉政规定\n第一条 本单位职工不得接受供应商宴请。\n第二条 违反本规定的，严肃处理。",
        encoding="gbk",
    )
    svc = build_knowledge(
        load_settings({"data_dir": tmp_path / "data", "include_default_corpus": False}),
        embedder=HashingEmbedder(),
        store=MemoryStore(),
        gate=FAKE_GATE,
    )
    report = svc.ingest()
    assert report.added == ["本单位规定.txt"]
    answer = svc.ask("供应商宴请")
    assert answer.citations[0].title == "本单位廉政规定"
    assert answer.citations[0].article == "第一条"
