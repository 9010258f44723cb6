"""Grounding for an optional language model: numbered excerpts, the prompt, and the checks on what it wrote.

Pure Python, no model library: the chain (``assistant/llm.py``) sends the excerpts and the prompt, and keeps a
model's words only when ``verify`` finds every citation, quotation, article number and title among the
excerpts, and the verdict in step with a matched situation card.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from knowledge.answer import cite_label
from knowledge.cnnum import cn_to_int
from knowledge.model import Answer, Citation

MAX_EXCERPTS = 4
EXCERPT_CHARS = 1200  # a long article is cut here; the model is checked against what it was given

SYSTEM_PROMPT = """你是“清风”廉政法规助手，为纪检监察干部和公职人员解答廉洁纪律问题。
只能依据用户消息中编号的法规摘录回答，不得使用摘录以外的知识、案例或建议。
1. 第一句直接给出结论，如“不可以。”“可以。”“需要。”“视情况。”，再用一两句话说明理由和该怎么做。
2. 每个依据在句末用摘录编号标注，如[1]、[2]；只能使用给出的编号。
3. 直接引用原文时放在「」里，「」内的文字必须与摘录原文逐字一致。
4. 不得提到摘录里没有的条号或文件名称。
5. 摘录不足以确定时，直说“现有规定不能确定”，并说明取决于什么情节。
6. 用简体中文，不超过200字，不用Markdown。"""

REWRITE_PROMPT = """把用户的追问改写成一个完整、独立的问题，补全上一个问题中的人物、事项和情节。
只输出改写后的问题，不回答，不解释，不超过60字。"""


class Failure(StrEnum):
    """Why a model's answer was not shown (counted in the log; the text never is)."""

    CONNECTION = "connection"  # refused, reset, DNS
    TIMEOUT = "timeout"  # no answer within QINGFENG_LLM_TIMEOUT
    RATE_LIMITED = "rate_limited"  # 429 with a retry-after longer than the time left
    SERVER_ERROR = "server_error"  # 5xx, or any other HTTP error
    MALFORMED = "malformed"  # a stream cut short or not in the OpenAI format
    EMPTY = "empty"  # nothing but whitespace
    CIRCUIT_OPEN = "circuit_open"  # the server failed repeatedly: not called for a while
    NO_CITATION = "no_citation"  # not one [n]: the model ignored the format
    BAD_CITATION = "bad_citation"  # [n] with no excerpt n
    INVENTED_QUOTE = "invented_quote"  # 「…」 not verbatim in the excerpt it cites
    FOREIGN_ARTICLE = "foreign_article"  # 第X条 not among the excerpts
    FOREIGN_TITLE = "foreign_title"  # 《…》 not among the excerpts
    CONTRADICTS_CARD = "contradicts_card"  # the verdict is the opposite of the matched situation card's


@dataclass(frozen=True)
class Excerpt:
    """One numbered source the model may cite."""

    number: int
    citation: Citation
    text: str  # what the model was given (the article, cut at EXCERPT_CHARS)
    names: tuple[str, ...] = ()  # what staff call the document (纪律处分条例…), also allowed in 《》

    @property
    def label(self) -> str:
        """《title》第X条."""
        return cite_label(self.citation.title, self.citation.article)


@dataclass(frozen=True)
class Grounding:
    """What a model answers from: the question, the excerpts, and the matched situation card's verdict."""

    question: str
    excerpts: tuple[Excerpt, ...]
    offline: Answer  # the offline answer: shown instead when the model's is not usable
    card_verdict: str | None = None  # yes | no | depends | penalty | info, when a situation card matched
    card_lead: str = ""

    def message(self) -> str:
        """The user message: the numbered excerpts, the checked situation if any, then the question."""
        parts = [f"[{e.number}]{e.label}\n{e.text}" for e in self.excerpts]
        text = "法规摘录：\n\n" + "\n\n".join(parts)
        if self.card_lead:
            text += f"\n\n已核对的常见情形（结论须与之一致）：{self.card_lead}"
        return f"{text}\n\n问题：{self.question}"


def grounding_for(
    offline: Answer,
    more: Sequence[tuple[Citation, str]] = (),
    names: dict[str, tuple[str, ...]] | None = None,
) -> Grounding | None:
    """The excerpts for a question the offline answer answered (its quoted articles, then ``more``); None if refused.

    ``more``: further retrieved articles with their full text, best first; ``names``: per document, its short names.
    """
    if offline.refused or offline.kind != "answer" or not offline.citations:
        return None
    chosen: list[tuple[Citation, str]] = [(c, c.text) for c in offline.citations]
    seen = {(c.source, c.article) for c, _ in chosen}
    for citation, text in more:
        if len(chosen) >= MAX_EXCERPTS:
            break
        if (citation.source, citation.article) not in seen:
            seen.add((citation.source, citation.article))
            chosen.append((citation, text))
    excerpts = tuple(
        Excerpt(n, c, _cut(text), (names or {}).get(c.source, ()))
        for n, (c, text) in enumerate(chosen[:MAX_EXCERPTS], start=1)
    )
    card = offline.card is not None
    return Grounding(
        question=offline.question,
        excerpts=excerpts,
        offline=offline,
        card_verdict=offline.verdict if card else None,
        card_lead=offline.lead if card else "",
    )


def _cut(text: str) -> str:
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"


_CITE = re.compile(r"[\[［【]\s*(\d{1,3})\s*[\]］】]")
_QUOTE = re.compile(r"「([^「」]*)」|“([^“”]*)”")
_ARTICLE = re.compile(r"第\s*([零〇一二两三四五六七八九十百千\d]+)\s*条")
_TITLE = re.compile(r"《([^《》]{1,60})》")
_SENTENCE_END = "。！？!?\n"
_ELLIPSIS = re.compile(r"…+|\.{3,}|⋯+")
_EDGE = "，。；：、,.;: \u3000"
_NO = re.compile(
    r"^(答[:：])?(不可以|不能|不得|不行|不允许|不准|不许|禁止|严禁|不应|不宜|不属于|不算|不构成|不需要|不用|无需|不必|否)"
)
_DEPENDS = re.compile(r"^(答[:：])?(视情况|要看|取决于|不一定|分情况|现有规定不能确定)")
_YES = re.compile(r"^(答[:：])?(可以|能|允许|需要|要|应当|必须|属于|算|构成|是|会)")


@dataclass(frozen=True)
class Check:
    """The outcome of ``verify``: None when every check passed, else the first failure found."""

    failure: Failure | None
    citations: tuple[int, ...] = ()  # the excerpt numbers the text cites, in order of first use

    @property
    def ok(self) -> bool:
        """Whether the text may be shown."""
        return self.failure is None


def lead_verdict(text: str) -> str | None:
    """yes | no | depends for the first sentence of an answer, or None when it says none of these."""
    lead = text.strip()
    for end in _SENTENCE_END + "，,":
        lead = lead.split(end, 1)[0]
    if _DEPENDS.search(lead):
        return "depends"
    if _NO.search(lead):
        return "no"
    if _YES.search(lead):
        return "yes"
    return None


def verify(text: str, grounding: Grounding, final: bool = True) -> Check:
    """Check a model's answer (or, with ``final=False``, a prefix of it) against the excerpts it was given."""
    if final and not text.strip():
        return Check(Failure.EMPTY)
    by_number = {e.number: e for e in grounding.excerpts}
    cited: list[int] = []
    for match in _CITE.finditer(text):
        number = int(match.group(1))
        if number not in by_number:
            return Check(Failure.BAD_CITATION)
        if number not in cited:
            cited.append(number)
    for match in _QUOTE.finditer(text):
        quoted = match.group(1) if match.group(1) is not None else match.group(2)
        sources = _quote_sources(text, match.start(), match.end(), by_number)
        if not any(_verbatim(quoted, e.text) for e in sources):
            return Check(Failure.INVENTED_QUOTE)
    failure = _foreign(text, grounding)
    if failure is not None:
        return Check(failure)
    lead_complete = final or any(end in text for end in _SENTENCE_END)
    if lead_complete and _contradicts(lead_verdict(text), grounding.card_verdict):
        return Check(Failure.CONTRADICTS_CARD)
    if final and not cited:
        return Check(Failure.NO_CITATION)
    return Check(None, tuple(cited))


def _quote_sources(text: str, start: int, end: int, by_number: dict[int, Excerpt]) -> list[Excerpt]:
    # The excerpt a quotation cites: the first [n] after it in its sentence, else the last one before it;
    # a quotation with no citation in its sentence must be verbatim in one of the excerpts.
    sentence_end = min((i for i in (text.find(c, end) for c in _SENTENCE_END) if i >= 0), default=len(text))
    after = _CITE.search(text, end, sentence_end)
    if after is not None:
        return [by_number[int(after.group(1))]]
    sentence_start = max(text.rfind(c, 0, start) for c in _SENTENCE_END) + 1
    before = list(_CITE.finditer(text, sentence_start, start))
    if before:
        return [by_number[int(before[-1].group(1))]]
    return list(by_number.values())


def _verbatim(quoted: str, source: str) -> bool:
    # Whitespace aside, each piece between ellipses appears in the source, in order; edge punctuation is free.
    haystack = re.sub(r"\s+", "", source)
    pieces = [p.strip(_EDGE) for p in _ELLIPSIS.split(re.sub(r"\s+", "", quoted))]
    pieces = [p for p in pieces if p]
    if not pieces:
        return False
    at = 0
    for piece in pieces:
        found = haystack.find(piece, at)
        if found < 0:
            return False
        at = found + len(piece)
    return True


def _article_number(label: str) -> int | None:
    try:
        return cn_to_int(label)
    except ValueError:
        return None


def _foreign(text: str, grounding: Grounding) -> Failure | None:
    allowed: set[int] = set()
    for excerpt in grounding.excerpts:
        for source in (excerpt.citation.article, excerpt.text):
            for match in _ARTICLE.finditer(source):
                number = _article_number(match.group(1))
                if number is not None:
                    allowed.add(number)
    for match in _ARTICLE.finditer(text):
        number = _article_number(match.group(1))
        if number is None or number not in allowed:
            return Failure.FOREIGN_ARTICLE
    titles = [t for e in grounding.excerpts for t in (e.citation.title, *e.names) if t]
    titles += [m.group(1).strip() for e in grounding.excerpts for m in _TITLE.finditer(e.text)]
    for match in _TITLE.finditer(text):
        named = match.group(1).strip()
        if not any(named == t or (len(named) >= 4 and named in t) for t in titles):
            return Failure.FOREIGN_TITLE
    return None


def _contradicts(said: str | None, card: str | None) -> bool:
    # Only a flat opposite counts: a card's 不可以 answered 可以 (or the reverse), or 视情况 answered 可以.
    if said is None or card is None:
        return False
    return {said, card} == {"yes", "no"} or (card == "depends" and said == "yes")


def renumbered(text: str, cited: Sequence[int]) -> str:
    """The text with its citations numbered 1, 2, … in order of first use (``cited``), as its sources are listed."""
    number = {old: new for new, old in enumerate(cited, start=1)}
    return _CITE.sub(lambda m: f"[{number.get(int(m.group(1)), int(m.group(1)))}]", text)


def shown_prefix(text: str) -> str:
    """The part of a streamed answer that is safe to show: whole sentences, no quotation or citation left open."""
    cut = 0
    depth = 0
    for i, ch in enumerate(text):
        if ch in "「“[［【":
            depth += 1
        elif ch in "」”]］】":
            depth = max(0, depth - 1)
        elif ch in _SENTENCE_END and depth == 0:
            cut = i + 1
    return text[:cut].rstrip()
