"""Card matching rules that sentence vectors alone get wrong: a yes or no answers one form, contrasting words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from knowledge.card_matcher import EMBED_BATCH, CardMatcher
from knowledge.cards import Card, CardCitation
from knowledge.verdict import PENALTY, PERMISSION, WILL, question_form
from tests.fakes import HashingEmbedder

CITE = (CardCitation("jilv_chufen_tiaoli_2023.md", "第九十七条", "收受"),)


def card(card_id: str, verdict: str, *questions: str) -> Card:
    return Card(card_id, "测试", questions, verdict, "标签", "说明。", (), CITE)


def test_a_yes_or_no_answers_only_questions_of_its_own_form() -> None:
    will = card("report.told", "yes", "实名举报后纪委会告诉我结果吗")
    matcher = CardMatcher([will], HashingEmbedder())
    vector = HashingEmbedder().embed(["实名举报后纪委会告诉我结果吗"])[0]
    assert question_form("实名举报后纪委会告诉我结果吗") == WILL
    assert matcher.match(vector, [], WILL) is not None
    # The same words asked as "may I": its 会 is no answer to 能…吗.
    assert matcher.match(vector, [], PERMISSION) is None


def test_depends_and_penalty_cards_answer_across_forms_as_before() -> None:
    depends = card("gifts.friend", "depends", "朋友送的礼物能收吗")
    penalty = card("gifts.penalty", "penalty", "收了礼金会受什么处分")
    matcher = CardMatcher([depends, penalty], HashingEmbedder())
    embed = HashingEmbedder().embed
    assert matcher.match(embed(["朋友送的礼物能收吗"])[0], [], PERMISSION) is not None
    found = matcher.match(embed(["收了礼金会受什么处分"])[0], [], PENALTY)
    assert found is not None and found.card.id == "gifts.penalty"


def test_a_card_about_a_contrasting_situation_is_not_taken() -> None:
    giving = card("crime.bribe-giving", "penalty", "行贿一百万会判几年")
    both = card("crime.both", "penalty", "受贿和行贿哪个判得重")
    matcher = CardMatcher([giving, both], HashingEmbedder())
    assert matcher.conflicts("受贿一百万会判几年").tolist() == [True, False]
    assert matcher.conflicts("行贿一百万会判几年").tolist() == [False, False]
    assert matcher.conflicts("公车能私用吗").tolist() == [False, False]
    vector = HashingEmbedder().embed(["受贿一百万会判几年"])[0]
    found = matcher.match(vector, [], PENALTY, "受贿一百万会判几年")
    assert found is None or found.card.id != "crime.bribe-giving"


class BatchRecorder(HashingEmbedder):
    """Remembers the size of every batch it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.batches.append(len(texts))
        return super().embed(texts)


def test_phrasings_are_embedded_in_small_batches() -> None:
    # One batch of all 2,000+ phrasings, padded to the longest, took 2 GB at start-up.
    cards = [card(f"c.{i}", "no", *(f"第{i}种情形的第{j}个问法能收吗" for j in range(9))) for i in range(30)]
    embedder = BatchRecorder()
    matcher = CardMatcher(cards, embedder)
    matcher.prepare()
    assert sum(embedder.batches) == 270 and max(embedder.batches) <= EMBED_BATCH
    vector = HashingEmbedder().embed(["第7种情形的第3个问法能收吗"])[0]
    assert (found := matcher.match(vector, [], PERMISSION)) is not None and found.card.id == "c.7"


def test_nearest_cards_that_all_agree_settle_a_verdict() -> None:
    embed = HashingEmbedder().embed
    agreeing = [card(f"gifts.{n}", "no", f"下属送来{n}能收吗") for n in ("礼金", "购物卡", "加油卡")]
    question = "下属送来礼金购物卡加油卡能收吗"
    vector = embed([question])[0]
    matcher = CardMatcher(agreeing, HashingEmbedder())
    cosines = matcher.scores(vector, PERMISSION)
    matcher.config = replace(matcher.config, consensus_min=float(cosines.min()) - 0.01)
    found = matcher.consensus(vector, PERMISSION, question)
    assert found is not None and found.verdict == "no" and len(found.cards) == 3
    # Not when one of the nearest says otherwise, nor when one is further than the floor.
    split = CardMatcher([*agreeing[:2], card("gifts.yes", "yes", "下属送来加油卡能收吗")], HashingEmbedder())
    split.config = matcher.config
    assert split.consensus(vector, PERMISSION, question) is None
    far = replace(matcher.config, consensus_min=float(cosines.min()) + 0.01)
    matcher.config = far
    assert matcher.consensus(vector, PERMISSION, question) is None
    # A penalty or information answer is never carried by agreement alone.
    penalties = CardMatcher([card(c.id, "penalty", *c.questions) for c in agreeing], HashingEmbedder())
    penalties.config = replace(far, consensus_min=-1.0)
    assert penalties.consensus(vector, PENALTY, question) is None
