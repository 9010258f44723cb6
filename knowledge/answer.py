"""Which articles an answer quotes, and the replies that quote none (refusals, an article that does not exist).

The reply itself is written by ``knowledge.compose``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from knowledge.lookup import LookupResult
from knowledge.model import Answer, Chunk, Hit

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


def cite_label(title: str, article: str) -> str:
    """《title》第X条 — the citation form used everywhere."""
    if article == "序言":
        return f"《{title}》序言"
    return f"《{title}》{article}"


def full_text(parts: list[Chunk]) -> str:
    """An article's text from its parts, in order."""
    return "\n".join(p.text for p in sorted(parts, key=lambda c: c.part))


class Answerer:
    """Chooses the articles to quote, and writes the replies that quote none."""

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
