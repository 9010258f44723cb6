"""Question forms, article verdicts and excerpts: the pieces of a verdict-first answer."""

from __future__ import annotations

import pytest

from knowledge.answer import in_field
from knowledge.excerpt import key_sentences, ladder, list_items, table_lines
from knowledge.verdict import (
    INFO,
    NEED,
    PENALTY,
    PERMISSION,
    VIOLATION,
    WILL,
    question_form,
    verdict_from_article,
)


@pytest.mark.parametrize(
    ("question", "form"),
    [
        ("过年下属送购物卡能收吗", PERMISSION),
        ("周末开单位的公车回乡下看我妈，行不行？", PERMISSION),
        ("收了会怎样", PENALTY),
        ("周末打麻将一把十块钱，会受什么处分", PENALTY),
        ("贪污了三百多万，会判多重", PENALTY),
        ("这也算受贿吗", VIOLATION),
        ("挪用了十万公款，够得上犯罪吗", VIOLATION),
        ("收到纪委的函询，要写书面说明吗", NEED),
        ("施工方硬塞给我一张加油卡，能要吗", PERMISSION),  # 能要: may I take it, not must I
        ("老板给的红包可以要吗", PERMISSION),
        ("八项规定的主要内容是什么", INFO),  # 什么 ends an open question, though it ends in 么
        ("接待清单要写什么", INFO),
        ("申请复核或者申诉，会不会被加重处分", WILL),  # whether a rule applies, not which penalty
        ("实名举报以后，纪委会告诉我受没受理吗", WILL),
        ("收下属红包会被处分吗", PENALTY),
        ("公务员参与赌博，一般给什么政务处分", PENALTY),
        ("八项规定是哪八项", INFO),
        ("普通科员出差坐高铁，能坐什么座", INFO),  # an open question, though it says 能
        ("科员出差住宿最多报多少", INFO),
    ],
)
def test_question_forms(question: str, form: str) -> None:
    assert question_form(question) == form


def test_article_verdicts_answer_the_question_as_asked() -> None:
    forbid = "严禁公车私用、私车公养。"
    assert verdict_from_article(PERMISSION, forbid, False) == "no"
    assert verdict_from_article(VIOLATION, forbid, False) == "yes"
    assert verdict_from_article(PENALTY, forbid, False) == "penalty"
    assert verdict_from_article(PERMISSION, "可以在收到决定后一个月内申请复审。", False) == "yes"
    conditional = "收受可能影响公正执行公务的礼品、礼金，情节较轻的，给予警告处分。"
    assert verdict_from_article(PERMISSION, conditional, True, "老同学送了两瓶酒能收吗") == "depends"
    assert verdict_from_article(PERMISSION, conditional, True, "下属送了两瓶酒能收吗") == "no"
    assert verdict_from_article(None, forbid, False) is None


ARTICLE = (
    "第九十七条 收受可能影响公正执行公务的礼品、礼金、消费卡（券）等财物，情节较轻的，给予警告或者严重警告处分；"
    "情节较重的，给予撤销党内职务或者留党察看处分；情节严重的，给予开除党籍处分。\n"
    "收受其他明显超出正常礼尚往来的礼品、礼金等财物的，依照前款规定处理。"
)


def test_penalty_ladder_in_one_line() -> None:
    assert ladder(ARTICLE) == (
        "情节较轻的：警告或者严重警告；情节较重的：撤销党内职务或者留党察看；情节严重的：开除党籍"
    )
    assert ladder("第一条 为了规范管理，制定本办法。") == ""


def test_key_sentences_keep_what_the_question_is_about_and_mark_cuts() -> None:
    excerpt = key_sentences(ARTICLE, {"礼尚往来": 1.0}, limit=150)
    assert excerpt.startswith("…") and "明显超出正常礼尚往来" in excerpt
    assert "第九十七条" not in key_sentences(ARTICLE, {"礼金": 1.0})


def test_list_items_and_table_rows() -> None:
    text = "第八条 党纪处分的种类：\n（一）警告；\n（二）严重警告；\n（三）撤销党内职务；"
    assert list_items(text) == ["（一）警告；", "（二）严重警告；", "（三）撤销党内职务；"]
    table = "交通工具级　别 | 火车 | 飞机\n部级及相当职务人员 | 软席 | 头等舱\n其余人员 | 硬席 | 经济舱"
    assert table_lines(table).split("\n") == [
        "部级及相当职务人员——火车：软席；飞机：头等舱。",
        "其余人员——火车：硬席；飞机：经济舱。",
    ]


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ("供应商请我们科室去云南玩一趟，费用全包，能去吗", True),  # a miss is a miss, not "off topic"
        ("下属想调个岗位，送来两万块钱，能收吗", True),
        ("过年下属送购物卡能收吗", True),
        ("今天天气怎么样", False),
        ("红烧肉怎么做", False),
        ("公积金封存了还能贷款吗", False),
    ],
)
def test_in_field_tells_a_miss_from_a_question_off_topic(question: str, field: bool) -> None:
    assert in_field(question) is field
