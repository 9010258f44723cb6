"""Plain dataclasses that the knowledge package takes and returns."""

from __future__ import annotations

from dataclasses import dataclass, field

ARTICLE = "article"  # a chunk of regulation text
QUESTION = "question"  # a question-bank view: a question its article answers


@dataclass(frozen=True)
class DocumentInfo:
    """What the catalog says about a document beyond its text."""

    status: str = "current"  # current | superseded | partly_superseded | unofficial
    note: str = ""  # shown beside every citation of a non-current document
    weight: float = 1.0  # retrieval prior: practical rules above procedural ones
    aliases: dict[str, str] = field(
        default_factory=dict, hash=False, compare=False
    )  # article -> everyday words
    questions: dict[str, tuple[str, ...]] = field(
        default_factory=dict, hash=False, compare=False
    )  # article -> question-bank questions (extra views of the article)
    short_names: tuple[str, ...] = ()  # what staff call the document (纪律处分条例, 处分条例…), for lookups


@dataclass(frozen=True)
class Document:
    """One loaded document: its file name, title and plain text."""

    source: str
    title: str
    text: str
    digest: str
    info: DocumentInfo = field(default_factory=DocumentInfo)


@dataclass(frozen=True)
class Chunk:
    """One article (or one part of a long article) with where it stands in its document."""

    id: str
    source: str
    title: str
    chapter: str
    article: str
    text: str
    part: int = 0
    parts: int = 1
    order: int = 0
    digest: str = ""
    status: str = "current"
    note: str = ""
    weight: float = 1.0
    aliases: str = ""  # everyday words that mean this article (document expansion)
    names: str = ""  # the document's short names, "|"-separated (for lookups by number)
    kind: str = ARTICLE  # "article": regulation text; "question": a question-bank view of the article

    @property
    def key(self) -> tuple[str, str]:
        """The (document, article) pair that names the article this chunk belongs to."""
        return (self.source, self.article)


@dataclass(frozen=True)
class Hit:
    """A retrieved article with the evidence that ranked it."""

    chunk: Chunk
    score: float  # fused score used for ranking
    dense: float  # cosine similarity of the best part, 0 when not retrieved densely
    lexical: float  # BM25 score of the best part, 0 when no term matched
    parts: tuple[Chunk, ...] = ()  # every part of the article, in order
    view: float = 0.0  # cosine similarity of the article's nearest question-bank view


@dataclass(frozen=True)
class Citation:
    """One quoted article in an answer."""

    source: str
    title: str
    article: str
    chapter: str
    score: float
    text: str
    note: str = ""


@dataclass(frozen=True)
class Answer:
    """The reply to a question: the text to show and the articles it quotes."""

    question: str
    text: str
    refused: bool
    citations: tuple[Citation, ...] = ()
    blocks: tuple[
        str, ...
    ] = ()  # the head (verdict, lead, points), then one block per quote (``text`` joins them)
    # yes | no | depends | penalty | info, answering the question as asked; None when the sources do not settle it
    verdict: str | None = None
    lead: str = ""  # the first sentence shown
    card: str | None = None  # the situation card the answer came from
    suggestions: tuple[str, ...] = ()  # for a miss: nearby questions the assistant can answer (tap to ask)
    kind: str = "answer"  # "answer", or "small_talk" for a greeting, thanks or "what can you do"

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of ``qingfeng ask --json``."""
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "verdict": self.verdict,
            "lead": self.lead,
            "card": self.card,
            "citations": [
                {
                    "source": c.source,
                    "title": c.title,
                    "article": c.article,
                    "chapter": c.chapter,
                    "score": round(c.score, 4),
                }
                for c in self.citations
            ],
        }
