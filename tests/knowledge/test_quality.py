"""Answer quality on the dev question set, with the real model (the acceptance bar of the Q&A issue)."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.evaluation import evaluate, load_questions
from knowledge.service import KnowledgeService

DEV = Path(__file__).parent / "data" / "dev_questions.jsonl"

pytestmark = pytest.mark.slow


def test_dev_set_is_honest_and_large_enough() -> None:
    questions = load_questions(DEV)
    assert sum(q.in_scope for q in questions) >= 60
    assert sum(not q.in_scope for q in questions) >= 15


# The acceptance bar: a correct article among the citations for 90% of in-scope questions,
# 90% of out-of-scope questions refused, at most 5% of in-scope questions wrongly refused.
MIN_HIT_RATE = 0.90
MIN_REFUSAL_RATE = 0.90
MAX_WRONG_REFUSAL_RATE = 0.05


def test_dev_set_quality(real_service: KnowledgeService) -> None:
    result = evaluate(real_service, load_questions(DEV))
    report = "\n".join(
        [str(result.summary())]
        + [f"miss: {q} -> {cited}" for q, cited in result.misses]
        + [f"wrongly refused: {q}" for q in result.false_refusals]
        + [f"answered out of scope: {q} -> {c}" for q, c in result.false_answers]
    )
    assert result.hit_rate >= MIN_HIT_RATE, report
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
    assert "没有找到" in answer.text
