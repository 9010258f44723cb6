"""The composer without a card: the words quoted when the nearest situations settled the verdict."""

from __future__ import annotations

from knowledge.compose import Composer
from knowledge.model import Chunk, Hit
from knowledge.verdict import PERMISSION

CODE = Chunk(
    id="c59",
    source="gongwuyuan_fa_2018.md",
    title="中华人民共和国公务员法",
    chapter="第九章",
    article="第五十九条",
    text=(
        "公务员应当遵纪守法，不得有下列行为：\n（一）散布有损宪法权威、中国共产党领导和国家声誉的言论；\n"
        "（十六）违反有关规定从事或者参与营利性活动，在企业或者其他营利性组织中兼任职务；"
    ),
)


def composer() -> Composer:
    parts = {(c.source, c.article): [c] for c in (CODE,)}
    return Composer(lambda source, article: parts.get((source, article), []), lambda chunk: False)


def test_an_agreed_verdict_quotes_the_card_words_unless_the_article_shares_more_with_the_question() -> None:
    question = "在职干部能注册个公司让亲戚代持吗"
    terms = {"注册": 1.0, "公司": 1.0, "代持": 1.0, "领导": 0.8}  # 领导 (an expansion) is in 中国共产党领导
    card_quote = "（十六）违反有关规定从事或者参与营利性活动，在企业或者其他营利性组织中兼任职务；"
    answer = composer().from_articles(
        question, [Hit(CODE, 1.0, 0.5, 1.0)], terms, PERMISSION, "no", {CODE.key: [card_quote]}
    )
    assert (
        answer.verdict == "no"
        and answer.lead == f"不可以。按《中华人民共和国公务员法》第五十九条：{card_quote}"
    )
    # A quote that shares none of the question's words loses to key sentences that share one.
    answer = composer().from_articles(
        "公务员能散布有损国家声誉的言论吗",
        [Hit(CODE, 1.0, 0.5, 1.0)],
        {"散布": 1.0, "言论": 1.0},
        PERMISSION,
        "no",
        {CODE.key: [card_quote]},
    )
    assert "散布" in answer.lead
