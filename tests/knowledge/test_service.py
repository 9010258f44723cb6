"""The knowledge service end to end on the bundled corpus, with a fake embedder (fast)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.compose import with_label
from knowledge.errors import EmptyQuestion, QuestionTooLong
from knowledge.lc import QingfengRetriever
from knowledge.model import Hit
from knowledge.service import KnowledgeService
from tests.fakes import HashingEmbedder, KnownWordsGate, MemoryStore
from wiring.factory import build_knowledge
from wiring.settings import load_settings

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
    # Verdict first, then where the rule is; the quotes follow under their citations.
    assert answer.lead and answer.text.startswith(answer.lead)
    assert answer.verdict == "no" and answer.lead.startswith("不可以。")
    assert "《" in answer.lead and len(answer.blocks[0]) <= 350
    assert f"【1】《{first.title}》{first.article}" in answer.text
    # ask --json reports each cited article's ranking score, as before the composer was replaced.
    scores = {h.chunk.key: h.score for h in service.explain("公务用车可以私用吗").hits}
    assert all(c.score == scores[(c.source, c.article)] for c in answer.citations)


def test_superseded_documents_are_flagged_in_the_answer(service: KnowledgeService) -> None:
    chunks = service.article("wenze_tiaoli_2016_superseded.md", "第七条")
    assert chunks and chunks[0].status == "superseded"
    hit = Hit(chunk=chunks[0], score=1.0, dense=0.9, lexical=10.0, parts=tuple(chunks))
    answer = service.composer.from_articles("问责方式有哪些", [hit, hit], {"问责": 1.0})
    assert answer.citations[0].note.startswith("此为2016年版")
    assert (
        answer.text.count("（注：此为2016年版《中国共产党问责条例》，已被2019年修订版取代") == 1
    )  # said once
    current = service.article("jilv_chufen_tiaoli_2023.md", "第九十七条")
    plain = service.composer.from_articles("收礼", [Hit(current[0], 1.0, 0.9, 10.0)], {})
    assert "（注：" not in plain.text


def test_the_travel_standards_note_only_where_an_amount_is_discussed(service: KnowledgeService) -> None:
    chunks = service.article("chailvfei_guanli_banfa.md", "第七条")
    hit = Hit(chunk=chunks[0], score=1.0, dense=0.9, lexical=10.0, parts=tuple(chunks))
    assert "（注：" not in service.composer.from_articles("出差能坐飞机吗", [hit], {"飞机": 1.0}).text
    costs = service.composer.from_articles("出差住宿费标准是多少", [hit], {"住宿费": 1.0}).text
    assert costs.count("（注：住宿费等具体标准此后已有调整") == 1


def test_json_shape(service: KnowledgeService) -> None:
    data = json.loads(json.dumps(service.ask("收受礼金").to_dict(), ensure_ascii=False))
    assert set(data) == {"question", "answer", "refused", "verdict", "lead", "card", "citations"}
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


def test_langchain_retriever_returns_numbered_excerpts_and_nothing_for_a_refused_question(
    service: KnowledgeService,
) -> None:
    retriever = QingfengRetriever(service=service)
    documents = retriever.invoke("公务接待 陪餐人数")
    offline = service.ask("公务接待 陪餐人数")
    assert 1 <= len(documents) <= 4
    assert [d.metadata["number"] for d in documents] == list(range(1, len(documents) + 1))
    meta = documents[0].metadata
    assert meta["citation"] == f"《{meta['title']}》{meta['article']}"
    # The offline answer's articles come first, in its order.
    assert [d.metadata["article"] for d in documents[: len(offline.citations)]] == [
        c.article for c in offline.citations
    ]
    assert documents[0].page_content.startswith(meta["article"])
    assert service.ask("zzxqv").refused
    assert retriever.invoke("zzxqv") == []  # the gate refuses: nothing a model could answer from


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


def test_a_situation_card_answers_verdict_first_with_its_quotes(service: KnowledgeService) -> None:
    assert service.cards is not None
    card = next(c for c in service.cards.cards if c.verdict == "no" and c.points)
    answer = service.ask(card.questions[0])  # its own phrasing: as close as a question can be
    assert (answer.card, answer.verdict) == (card.id, "no")
    head = answer.blocks[0].split("\n")
    assert head[0] == answer.lead and answer.lead.startswith(card.label)
    assert answer.lead.endswith(card.lead.split("。", 1)[-1])
    assert head[1 : 1 + len(card.points)] == [f"· {p}" for p in card.points]
    for number, citation in enumerate(card.citations[: len(answer.citations)], start=1):
        assert f"【{number}】" in answer.text and f"“{citation.quote}”" in answer.text
    data = answer.to_dict()
    assert data["card"] == card.id and data["verdict"] == "no" and data["lead"] == answer.lead


def test_a_named_article_is_answered_from_the_article_not_a_card(service: KnowledgeService) -> None:
    answer = service.ask("纪律处分条例第九十七条")
    assert answer.card is None and answer.citations[0].article == "第九十七条"


@pytest.mark.parametrize(
    ("label", "lead", "shown"),
    [
        (
            "不可以",
            "不能。收受可能影响公正执行公务的礼金属违纪。",
            "不可以。收受可能影响公正执行公务的礼金属违纪。",
        ),
        ("要报批", "要。未经批准出入国（边）境要受处分。", "要报批。未经批准出入国（边）境要受处分。"),
        ("不可以", "不可以。严禁公车私用。", "不可以。严禁公车私用。"),
        (
            "视情况",
            "看谁发、发多少：管理服务对象所发的不能抢。",
            "视情况。看谁发、发多少：管理服务对象所发的不能抢。",
        ),
    ],
)
def test_a_card_lead_says_its_verdict_once(label: str, lead: str, shown: str) -> None:
    assert with_label(label, lead) == shown
