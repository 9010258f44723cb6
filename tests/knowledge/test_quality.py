"""Answer quality on the dev question set, with the real model (the acceptance bar of the Q&A issue)."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.answer import OFF_TOPIC
from knowledge.evaluation import evaluate, load_questions
from knowledge.service import KnowledgeService
from tests.knowledge.test_lookup import LOOKUPS as LOOKUP_FORMS

DEV = Path(__file__).parent / "data" / "dev_questions.jsonl"

pytestmark = pytest.mark.slow


def test_dev_set_is_honest_and_large_enough() -> None:
    questions = load_questions(DEV)
    assert sum(q.in_scope for q in questions) >= 60
    assert sum(not q.in_scope for q in questions) >= 15


# The retrieval issue's bar (it is judged on held-out sets; bench/qa.py reports those and the frozen test set):
# a correct article among the citations for 92% of in-scope questions and first for 70%, 93% of out-of-scope
# questions refused, at most 3% of in-scope questions wrongly refused.
MIN_HIT_RATE = 0.92
MIN_FIRST_RATE = 0.70
MIN_REFUSAL_RATE = 0.93
MAX_WRONG_REFUSAL_RATE = 0.03


def test_dev_set_quality(real_service: KnowledgeService) -> None:
    result = evaluate(real_service, load_questions(DEV))
    report = "\n".join(
        [str(result.summary())]
        + [f"miss: {q} -> {cited}" for q, cited in result.misses]
        + [f"wrongly refused: {q}" for q in result.false_refusals]
        + [f"answered out of scope: {q} -> {c}" for q, c in result.false_answers]
    )
    assert result.hit_rate >= MIN_HIT_RATE, report
    assert result.hits_first / result.in_scope >= MIN_FIRST_RATE, report
    assert result.refusal_rate >= MIN_REFUSAL_RATE, report
    assert result.wrong_refusal_rate <= MAX_WRONG_REFUSAL_RATE, report


def test_sample_question_cites_the_car_rules(real_service: KnowledgeService) -> None:
    answer = real_service.ask("能开单位的车送孩子上学吗")
    assert not answer.refused
    sources = {c.source for c in answer.citations}
    assert "gongwu_yongche_guanli_banfa.md" in sources or "jilv_chufen_tiaoli_2023.md" in sources


def test_consequence_question_surfaces_the_penalty_article(real_service: KnowledgeService) -> None:
    answer = real_service.ask("收了老板送的购物卡会受什么处分")
    assert any("给予" in c.text and "处分" in c.text for c in answer.citations), answer.text


@pytest.mark.parametrize("question", ["今天天气怎么样", "红烧肉怎么做", "How do I install Python?"])
def test_plainly_unrelated_questions_are_refused(real_service: KnowledgeService, question: str) -> None:
    answer = real_service.ask(question)
    assert answer.refused and not answer.citations
    assert answer.text == OFF_TOPIC and answer.suggestions == ()  # said to be off topic, nothing offered


# A sample of every form tested without the model in test_lookup, here through the whole service.
LOOKUPS = [
    case
    for case in LOOKUP_FORMS
    if case[0]
    in {
        "纪律处分条例第九十七条",
        "纪律处分条例第97条",
        "处分条例97条",
        "政务处分法34条",
        "八项规定第二条",
        "监察法实施条例第二百一十条",
        "公务员法第五十九条",
        "刑法第三百八十五条",
    }
]


@pytest.mark.parametrize(("question", "source", "article"), LOOKUPS)
def test_lookup_by_number_cites_that_article_first(
    real_service: KnowledgeService, question: str, source: str, article: str
) -> None:
    answer = real_service.ask(question)
    assert not answer.refused, answer.text
    assert (answer.citations[0].source, answer.citations[0].article) == (source, article)


def test_an_unknown_article_number_says_so(real_service: KnowledgeService) -> None:
    answer = real_service.ask("纪律处分条例第二百条")
    assert answer.refused and not answer.citations
    assert "没有第二百条" in answer.text and "158" in answer.text


# Questions that a superseded or reference-only text also speaks to, where current law answers them.
CURRENT_LAW_FIRST = [
    "公务员参与赌博会受什么处分",
    "行政机关公务员违法违纪有哪些处分",
    "公务员受了记过处分多久不能晋升",
    "科级干部出差坐飞机能坐什么舱",
    "领导出差住宿能住套间吗",
    "下基层调研能不能搞层层陪同",
    "党员干部被问责有哪些方式",
    "公务员收受礼品礼金怎么处分",
]


@pytest.mark.parametrize("question", CURRENT_LAW_FIRST)
def test_superseded_or_reference_texts_never_come_first(
    real_service: KnowledgeService, question: str
) -> None:
    explanation = real_service.explain(question)
    assert explanation.hits[0].chunk.status == "current", explanation.hits[0].chunk.key
    answer = explanation.answer
    if answer.citations:
        first = answer.citations[0]
        assert not first.note or "取代" not in first.note, (first.source, first.article)


def test_superseded_or_reference_texts_are_never_cited_alone(real_service: KnowledgeService) -> None:
    questions = [q.text for q in load_questions(DEV) if q.in_scope] + list(CURRENT_LAW_FIRST)
    questions += ["问责条例第七条", "八项规定实施细则第5条", "行政机关公务员处分条例第二十条"]
    for question in questions:
        answer = real_service.ask(question)
        statuses = [real_service.article(c.source, c.article)[0].status for c in answer.citations]
        assert not statuses or "current" in statuses, (
            question,
            [(c.source, c.article) for c in answer.citations],
        )


def test_a_looked_up_superseded_article_comes_first_with_current_law_beside_it(
    real_service: KnowledgeService,
) -> None:
    answer = real_service.ask("行政机关公务员处分条例第二十条")
    assert answer.citations[0].source == "xingzheng_jiguan_gongwuyuan_chufen_tiaoli_2007.md"
    assert answer.citations[0].article == "第二十条"
    assert answer.citations[0].note  # says it is partly superseded


def test_an_everyday_question_the_gate_doubts_gets_the_verdict_its_nearest_situations_agree_on(
    real_service: KnowledgeService,
) -> None:
    # No one card is sure, the retrieval evidence is weak (the gate alone refused it), but every nearby situation
    # about money from a subordinate says 不可以, and the answer quotes the gift article, not the banquet words.
    answer = real_service.ask("下属想调个岗位，送来两万块钱，能收吗")
    assert not answer.refused and answer.verdict == "no" and answer.card is None
    assert answer.lead.startswith("不可以。")
    assert "礼金" in answer.lead
