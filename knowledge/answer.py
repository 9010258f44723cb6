"""Extractive answers: where the rule is, then the 1–3 best articles quoted and cited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from knowledge.lookup import LookupResult
from knowledge.model import Answer, Chunk, Citation, Hit

REFUSAL = (
    "抱歉，知识库中没有找到能直接回答这个问题的规定。\n"
    "可以试试：写明具体行为（如收受礼品礼金、接受宴请、公车使用、出差住宿标准、操办婚丧喜庆）"
    "和身份（党员、公职人员、领导干部），或直接问某部法规的某一条，例如“纪律处分条例第九十七条”。"
)


@dataclass(frozen=True)
class AnswerConfig:
    """How much to quote."""

    max_citations: int = 3
    max_score_gap: float = (
        2.0  # a 2nd/3rd article is quoted only when its ranker score is this close to the 1st
    )
    quote_chars: int = 360  # longer articles are trimmed to their most relevant 款


def cite_label(title: str, article: str) -> str:
    """《title》第X条 — the citation form used everywhere."""
    if article == "序言":
        return f"《{title}》序言"
    return f"《{title}》{article}"


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n") if p.strip()]


def trim_article(text: str, terms: dict[str, float], limit: int) -> str:
    """Keep a long article's most relevant 款 (and its first 款 when room allows), marking cuts with ……."""
    if len(text) <= limit:
        return text
    paragraphs = _paragraphs(text)
    if len(paragraphs) == 1:
        return text[:limit] + "……"

    def relevance(paragraph: str) -> float:
        return sum(weight for term, weight in terms.items() if term in paragraph)

    best = max(range(len(paragraphs)), key=lambda i: (relevance(paragraphs[i]), -i))
    keep = {best}
    if best != 0 and len(paragraphs[0]) + len(paragraphs[best]) <= limit:
        keep.add(0)
    for neighbour in (best + 1, best - 1):
        size = sum(len(paragraphs[i]) for i in keep)
        if 0 <= neighbour < len(paragraphs) and size + len(paragraphs[neighbour]) <= limit:
            keep.add(neighbour)
    out: list[str] = []
    previous = -1
    for index in sorted(keep):
        if index != previous + 1:
            out.append("……")
        piece = paragraphs[index]
        out.append(piece if len(piece) <= limit else piece[:limit] + "……")
        previous = index
    if previous != len(paragraphs) - 1:
        out.append("……")
    return "\n".join(out)


def full_text(parts: list[Chunk]) -> str:
    """An article's text from its parts, in order."""
    return "\n".join(p.text for p in sorted(parts, key=lambda c: c.part))


class Answerer:
    """Turns ranked hits into an ``Answer``."""

    def __init__(self, config: AnswerConfig | None = None) -> None:
        self.config = config or AnswerConfig()

    def select(self, hits: list[Hit], consequence: bool, is_penalty: Callable[[Chunk], bool]) -> list[Hit]:
        """The 1–3 articles to quote; a consequence question always gets a penalty article."""
        if not hits:
            return []
        top = hits[0].score
        chosen = [h for h in hits[: self.config.max_citations] if h.score >= top - self.config.max_score_gap]
        if consequence and not any(is_penalty(h.chunk) for h in chosen):
            penalty = next((h for h in hits[self.config.max_citations :] if is_penalty(h.chunk)), None)
            if penalty is not None:
                chosen = [*chosen[: self.config.max_citations - 1], penalty]
        return chosen

    def compose(
        self,
        question: str,
        chosen: list[Hit],
        article_parts: dict[tuple[str, str], list[Chunk]],
        terms: dict[str, float],
    ) -> Answer:
        """Write the reply: a lead line, then each article quoted with its citation and any note."""
        citations: list[Citation] = []
        blocks: list[str] = []
        for number, hit in enumerate(chosen, start=1):
            chunk = hit.chunk
            text = full_text(article_parts.get(chunk.key) or [chunk])
            quote = trim_article(text, terms, self.config.quote_chars)
            label = cite_label(chunk.title, chunk.article)
            heading = f"【{number}】{label}" + (f"（{chunk.chapter}）" if chunk.chapter else "")
            block = [heading, quote]
            if chunk.note:
                block.append(f"（注：{chunk.note}）")
            blocks.append("\n".join(block))
            citations.append(
                Citation(
                    source=chunk.source,
                    title=chunk.title,
                    article=chunk.article,
                    chapter=chunk.chapter,
                    score=hit.score,
                    text=text,
                    note=chunk.note,
                )
            )
        names = "、".join(cite_label(c.title, c.article) for c in citations[:2])
        more = "等" if len(citations) > 2 else ""
        lead = f"这个问题在{names}{more}中有规定："
        return Answer(
            question=question,
            text="\n\n".join([lead, *blocks]),
            refused=False,
            citations=tuple(citations),
            blocks=(lead, *blocks),
        )

    def no_such_article(self, question: str, found: LookupResult) -> Answer:
        """The reply when a question names an article number its document does not have."""
        ref = found.ref
        text = (
            f"知识库收录的《{found.title}》中没有{ref.label}（共收录{found.count}条）。"
            "请核对条号，或直接描述想问的情形。"
        )
        return Answer(question=question, text=text, refused=True, blocks=(text,))

    def refuse(self, question: str) -> Answer:
        """The reply when nothing in the corpus answers."""
        return Answer(question=question, text=REFUSAL, refused=True, blocks=(REFUSAL,))
