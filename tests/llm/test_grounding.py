"""What a model may say: every citation, quotation, article number and title among the excerpts it was given."""

from __future__ import annotations

from knowledge.grounding import EXCERPT_CHARS, Failure, grounding_for, lead_verdict, shown_prefix, verify
from knowledge.model import Answer
from tests.llm.samples import GOOD, citation, grounded


def test_a_faithful_answer_passes_and_its_citations_are_listed() -> None:
    check = verify(GOOD, grounded())
    assert check.ok and check.citations == (1, 2)


def test_excerpts_are_the_offline_articles_then_the_next_retrieved_numbered_from_one() -> None:
    g = grounded()
    assert [e.number for e in g.excerpts] == [1, 2, 3]
    assert [e.citation.article for e in g.excerpts] == ["第九十七条", "第十七条", "第十六条"]
    assert g.card_verdict == "no"
    message = g.message()
    assert "[1]《中国共产党纪律处分条例》第九十七条" in message and "问题：过年下属送购物卡能收吗" in message
    assert "已核对的常见情形" in message  # the card's verdict is given to the model


def test_a_refused_or_unquoted_answer_has_no_grounding() -> None:
    refused = Answer(question="天气", text="不在范围", refused=True)
    assert grounding_for(refused) is None
    assert grounding_for(Answer(question="你好", text="你好", refused=False, kind="small_talk")) is None


def test_long_articles_are_cut_and_checked_against_what_was_given() -> None:
    long = "第一条 " + "甲" * (EXCERPT_CHARS + 50) + "乙乙乙乙"
    answer = Answer(question="问", text="t", refused=False, citations=(citation("某办法", "第一条", long),))
    g = grounding_for(answer)
    assert g is not None and len(g.excerpts[0].text) == EXCERPT_CHARS + 1
    assert verify("视情况。「乙乙乙乙」[1]。", g).failure is Failure.INVENTED_QUOTE


def test_a_citation_of_an_excerpt_not_given_fails() -> None:
    assert verify("不可以。不得收受[9]。", grounded()).failure is Failure.BAD_CITATION
    assert verify("不可以。不得收受【4】。", grounded()).failure is Failure.BAD_CITATION


def test_no_citation_at_all_fails_the_final_check_only() -> None:
    text = "不可以。这种情况不能收。"
    assert verify(text, grounded()).failure is Failure.NO_CITATION
    assert verify(text, grounded(), final=False).ok  # it may still come


def test_quotations_must_be_verbatim_in_the_excerpt_they_cite() -> None:
    g = grounded()
    assert verify("不可以。条例规定「收受可能影响公正执行公务的礼品」[1]。", g).ok
    # Whitespace and edge punctuation aside, and pieces around an ellipsis in order.
    assert verify("不可以。“收受可能影响公正执行公务的礼品……给予警告或者严重警告处分，”[1]。", g).ok
    assert verify("不可以。「收受任何礼品一律开除」[1]。", g).failure is Failure.INVENTED_QUOTE
    # Verbatim, but in another excerpt than the one cited.
    assert verify("不可以。「严禁公车私用」[1]。", g).failure is Failure.INVENTED_QUOTE
    assert verify("不可以。「严禁公车私用」[3]。", g).ok
    # A quotation with no citation in its sentence must be in one of the excerpts.
    assert verify("不可以。「严禁公车私用」。依据见[1]。", g).ok
    assert verify("不可以。「严禁收礼」。依据见[1]。", g).failure is Failure.INVENTED_QUOTE


def test_article_numbers_and_titles_not_among_the_excerpts_fail() -> None:
    g = grounded()
    assert verify("不可以。依照第九十七条[1]。", g).ok
    assert verify("不可以。依照第97条[1]。", g).ok
    assert verify("不可以。依照第一百零八条[1]。", g).failure is Failure.FOREIGN_ARTICLE
    assert verify("不可以。《纪律处分条例》有规定[1]。", g).ok  # a short name of a given document
    assert verify("不可以。《中华人民共和国刑法》有规定[1]。", g).failure is Failure.FOREIGN_TITLE


def test_the_verdict_must_not_contradict_the_matched_card() -> None:
    assert verify("可以。少量购物卡无妨[1]。", grounded()).failure is Failure.CONTRADICTS_CARD
    assert verify("视情况。要看是否影响公正执行公务[1]。", grounded()).ok
    # Without a card the model's verdict stands on its citations.
    assert verify("可以。少量购物卡无妨[1]。", grounded(card=None)).ok
    # A prefix is checked as soon as its first sentence is complete.
    assert verify("可以。", grounded(), final=False).failure is Failure.CONTRADICTS_CARD
    assert verify("可以", grounded(), final=False).ok


def test_lead_verdicts() -> None:
    assert lead_verdict("不可以。理由") == "no"
    assert lead_verdict("不能收，应当退还。") == "no"
    assert lead_verdict("可以，但要报告。") == "yes"
    assert lead_verdict("需要。") == "yes"
    assert lead_verdict("视情况。") == "depends"
    assert lead_verdict("现有规定不能确定。") == "depends"
    assert lead_verdict("按规定处理。") is None


def test_an_empty_answer_fails() -> None:
    assert verify("  \n", grounded()).failure is Failure.EMPTY


def test_only_whole_sentences_with_nothing_open_are_shown_while_streaming() -> None:
    assert shown_prefix("不可以。购物卡属于") == "不可以。"
    assert shown_prefix("不可以。购物卡属于「消费卡。（券）") == "不可以。"
    assert (
        shown_prefix("不可以。购物卡属于「消费卡（券）」[1]。下属")
        == "不可以。购物卡属于「消费卡（券）」[1]。"
    )
    assert shown_prefix("不可以") == ""


def test_numbers_and_titles_the_excerpts_themselves_mention_are_allowed() -> None:
    text = "第五条 违反本办法的，依照《中国共产党纪律处分条例》第一百零八条处理。"
    answer = Answer(question="问", text="t", refused=False, citations=(citation("某办法", "第五条", text),))
    g = grounding_for(answer)
    assert g is not None
    assert verify("视情况。依照《中国共产党纪律处分条例》第一百零八条处理[1]。", g).ok
