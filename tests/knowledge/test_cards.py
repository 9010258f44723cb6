"""Situation cards: enough of them, well formed, and every quote verbatim from an article in force."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from knowledge.cards import (
    CardCitation,
    CardError,
    check_citations,
    corpus_articles,
    default_cards_dir,
    load_cards,
)
from knowledge.catalog import default_corpus_dir


@pytest.fixture(scope="module")
def corpus() -> tuple[dict[tuple[str, str], str], list[str]]:
    return corpus_articles(default_corpus_dir())


def test_at_least_150_cards_cover_the_topics_staff_ask_about() -> None:
    cards = load_cards()
    assert len(cards) >= 150
    topics = Counter(card.id.split(".")[0] for card in cards)
    for prefix in (
        "gifts",
        "banquets",
        "weddings",
        "cars",
        "travel",
        "meetings",
        "reception",
        "office",
        "parttime",
        "business",
        "retirement",
        "abroad",
        "eight",
        "gambling",
        "report",
        "appeal",
        "talk",
        "confess",
        "punish",
        "effect",
        "crime",
    ):
        assert topics[prefix] >= 1, prefix
    assert set(Counter(card.verdict for card in cards)) == {"yes", "no", "depends", "penalty", "info"}


def test_every_citation_is_in_force_and_quoted_verbatim(
    corpus: tuple[dict[tuple[str, str], str], list[str]],
) -> None:
    articles, in_force = corpus
    assert check_citations(load_cards(), articles, in_force) == []


def test_the_check_catches_an_invented_quote_and_a_superseded_source(
    corpus: tuple[dict[tuple[str, str], str], list[str]],
) -> None:
    articles, in_force = corpus
    card = load_cards()[0]
    invented = replace(
        card, citations=(CardCitation("jilv_chufen_tiaoli_2023.md", "第九十七条", "收受购物卡一律开除"),)
    )
    old = replace(card, citations=(CardCitation("wenze_tiaoli_2016_superseded.md", "第一条", "为了"),))
    missing = replace(card, citations=(CardCitation("jilv_chufen_tiaoli_2023.md", "第九百条", "收受"),))
    problems = check_citations([invented, old, missing], articles, in_force)
    assert len(problems) == 3
    assert (
        "not verbatim" in problems[0]
        and "not a document in force" in problems[1]
        and "no such article" in problems[2]
    )


def test_a_malformed_card_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(
        '[[cards]]\nid = "x.y"\ntopic = "t"\nquestions = ["a", "b", "c", "d"]\nverdict = "maybe"\n'
        'label = "也许"\nlead = "说不准"\ncitations = [{ doc = "d.md", article = "第一条", quote = "q" }]\n',
        "utf-8",
    )
    with pytest.raises(CardError, match=r"bad\.toml: x\.y: verdict"):
        load_cards(tmp_path)
    (tmp_path / "bad.toml").write_text("[[cards]\n", "utf-8")
    with pytest.raises(CardError, match=r"bad\.toml"):
        load_cards(tmp_path)


def test_cards_ship_inside_the_package() -> None:
    assert sorted(p.name for p in default_cards_dir().glob("*.toml")) == [
        "gifts_banquets.toml",
        "procedures_penalties.toml",
        "work_rules.toml",
    ]
