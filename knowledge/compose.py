"""Verdict-first replies that fit a phone screen: the answer, what to do, then the key sentences quoted.

With a situation card: its label and lead, its points, and its quotes (verbatim pieces of the cited articles).
Without one: the best article's key sentence as the lead ("按《…》第X条，…"), a verdict only where the question's
form and the article's words settle it, a penalty ladder or a list where asked, then at most three excerpts.
Each source's note is said once, and a note about amounts only where an amount is discussed. The whole articles
stay behind the 📄全文 buttons.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from knowledge.answer import cite_label, full_text
from knowledge.card_matcher import CardMatch
from knowledge.excerpt import ELLIPSIS, key_sentences, ladder, list_items
from knowledge.model import Answer, Chunk, Citation, Hit
from knowledge.verdict import INFO, PENALTY, label_for, question_form, verdict_from_article

_LIST_QUESTION = re.compile(r"哪些|哪几|哪[一二三四五六七八九十]|有几种|包括什么|包括哪")
_AMOUNT = re.compile(
    r"多少|标准|金额|[0-9０-９]+\s*元|元以上|住宿费|伙食|补助|报销.{0,4}(多少|上限)|等级|几星|舱|座"
)
_DECISIVE = re.compile(r"不得|严禁|禁止|给予.{0,20}处分|应当|必须")


@dataclass(frozen=True)
class ComposeConfig:
    """How long each piece may be."""

    excerpt_chars: int = 150
    max_quotes: int = 3
    first_message: int = 900  # a third quote is dropped when the reply would be longer


ArticleParts = Callable[[str, str], list[Chunk]]


@dataclass(frozen=True)
class _Quote:
    """One source of an answer: its first part, the words quoted, its full text and its ranker score."""

    chunk: Chunk
    excerpt: str
    text: str
    score: float = 0.0  # a card's citation was not ranked


def _shared(text: str, terms: dict[str, float], question: str) -> tuple[int, int]:
    # The question's own words (weight 1; an expansion such as 领导 turns up in 中国共产党领导), then its
    # characters: "送来两万块钱，能收吗" is nearer 收受…礼金 than 接受…宴请.
    words = sum(1 for term, weight in terms.items() if weight >= 1.0 and len(term) >= 2 and term in text)
    return words, len(set(question) & set(text))


def with_label(label: str, lead: str) -> str:
    """A card's lead opening with its label, said once: "不可以。" and never "不可以。不能。"."""
    if lead.startswith(label):
        return lead
    opener, stop, rest = lead.partition("。")
    if stop and rest and len(opener) <= 6:
        # The lead's own short 不能 / 要 / 会 says what the label says: the label takes its place.
        return f"{label}。{rest}"
    return f"{label}。{lead}"


class Composer:
    """Builds ``Answer`` objects from a matched card or from ranked articles."""

    def __init__(
        self, parts: ArticleParts, is_penalty: Callable[[Chunk], bool], config: ComposeConfig | None = None
    ):
        self.parts = parts
        self.is_penalty = is_penalty
        self.config = config or ComposeConfig()

    def from_card(self, question: str, match: CardMatch) -> Answer | None:
        """The card's answer with its quotes; None if none of its articles is in the index."""
        card = match.card
        quotes: list[_Quote] = []
        for citation in card.citations:
            chunks = self.parts(citation.doc, citation.article)
            if chunks:
                quotes.append(_Quote(chunks[0], citation.quote, full_text(chunks)))
        if not quotes:
            return None
        lead = with_label(card.label, card.lead)
        head = [lead, *(f"· {p}" for p in card.points)]
        if card.note:
            head.append(f"（说明：{card.note}）")
        amounts = bool(_AMOUNT.search(question)) or any(_AMOUNT.search(q.excerpt) for q in quotes)
        return self._answer(question, head, quotes, card.verdict, lead, card.id, amounts)

    def from_articles(
        self,
        question: str,
        chosen: Sequence[Hit],
        terms: dict[str, float],
        form: str | None = None,
        agreed: str | None = None,
        quoted: Mapping[tuple[str, str], Sequence[str]] | None = None,
    ) -> Answer:
        """A lead from the best article's key sentence, the verdict where it is settled, then the excerpts.

        ``form``: the question's form (``knowledge.verdict.question_form``), worked out from it when not given;
        ``agreed``: a verdict the nearest situation cards agree on, which the articles then only support;
        ``quoted``: per (document, article), other words that may be quoted (cards' quotes of it); the one that
        shares most of the question's words is shown (on a tie, a card's quote before the key sentences).
        """
        form = form if form is not None else question_form(question)
        # Current law beside a superseded text always stays: such a text is never cited alone.
        first_is_current = chosen[0].chunk.status == "current"
        quotes: list[_Quote] = []
        for number, hit in enumerate(chosen[: self.config.max_quotes]):
            text = full_text(self.parts(*hit.chunk.key) or [hit.chunk])
            found = key_sentences(text, terms, self.config.excerpt_chars, _DECISIVE)
            # A card's quote was chosen by a reader; the key sentences only when they share more of the question.
            excerpt = max(
                [*(quoted or {}).get(hit.chunk.key, ()), found], key=lambda q: _shared(q, terms, question)
            )
            if number and first_is_current and not any(len(t) >= 2 and t in excerpt for t in terms):
                continue  # a further article that shares no word with the question only lengthens the reply
            quotes.append(_Quote(hit.chunk, excerpt, text, hit.score))
        top, top_text, excerpt = quotes[0].chunk, quotes[0].text, quotes[0].excerpt
        penalty_article = self.is_penalty(top)
        verdict = agreed or verdict_from_article(form, excerpt, penalty_article, question)
        criminal = top.source.startswith("xingfa") or "刑" in top.title
        label = label_for(form, verdict, criminal)
        where = cite_label(top.title, top.article)
        steps = ladder(top_text) if form == PENALTY else ""
        items = list_items(top_text) if form == INFO and _LIST_QUESTION.search(question) else []
        if steps:
            sentence = f"按{where}，{steps}。"
        elif items:
            sentence = f"按{where}，包括："
        else:
            sentence = f"按{where}：{excerpt.strip(ELLIPSIS)}"
        lead = f"{label}。{sentence}" if label else sentence
        head = [lead, *items[:10]]
        amounts = bool(_AMOUNT.search(question))
        return self._answer(question, head, quotes, verdict, lead, None, amounts)

    def _answer(
        self,
        question: str,
        head: list[str],
        quotes: list[_Quote],
        verdict: str | None,
        lead: str,
        card: str | None,
        amounts: bool,
    ) -> Answer:
        blocks = ["\n".join(head)]
        citations: list[Citation] = []
        noted: set[str] = set()
        for number, quote in enumerate(quotes, start=1):
            chunk = quote.chunk
            heading = f"【{number}】{cite_label(chunk.title, chunk.article)}"
            block = [heading, f"“{quote.excerpt}”"]
            # A source's note once per answer; a note about standards and amounts only where one is discussed.
            if chunk.note and chunk.source not in noted and (chunk.status != "current" or amounts):
                block.append(f"（注：{chunk.note}）")
                noted.add(chunk.source)
            candidate = "\n\n".join([*blocks, "\n".join(block)])
            if number > 2 and len(candidate) > self.config.first_message:
                break  # the rest of the sources stay behind the buttons of the quotes shown
            blocks.append("\n".join(block))
            citations.append(
                Citation(
                    source=chunk.source,
                    title=chunk.title,
                    article=chunk.article,
                    chapter=chunk.chapter,
                    score=quote.score,
                    text=quote.text,
                    note=chunk.note,
                )
            )
        return Answer(
            question=question,
            text="\n\n".join(blocks),
            refused=False,
            citations=tuple(citations),
            blocks=tuple(blocks),
            verdict=verdict,
            lead=lead,
            card=card,
        )
