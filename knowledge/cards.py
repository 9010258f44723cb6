"""Situation cards (常见情形): curated, verdict-first answers to what staff ask most, each backed by quotes.

A card lives in ``knowledge/cards/*.toml``::

    [[cards]]
    id = "gifts.shopping-card-subordinate"
    topic = "礼品礼金"
    questions = ["过年下属送购物卡能收吗", ...]     # phrasings it answers, all with the same verdict
    verdict = "no"                                 # yes | no | depends | penalty | info
    label = "不可以"                               # shown first, at most 8 characters
    lead = "..."                                   # the answer in one plain sentence, at most 60 characters
    points = ["如已收下，及时退还或上交", ...]       # at most 3 short steps or conditions
    citations = [{ doc = "jilv_chufen_tiaoli_2023.md", article = "第九十七条", quote = "..." }]
    note = ""                                      # e.g. a figure from a standard outside the corpus

Every quote is a verbatim piece of its article ("…" joins pieces); ``check_cards`` proves it against the
corpus, and only documents in force may be cited.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from knowledge.errors import KnowledgeError

VERDICTS = ("yes", "no", "depends", "penalty", "info")
LABEL_MAX = 8
LEAD_MAX = 60
POINTS_MAX = 3
POINT_MAX = 40
QUESTIONS_MIN = 4
ELLIPSIS = "…"


class CardError(KnowledgeError):
    """A situation-card file is malformed, or a card cites what the corpus does not hold."""


@dataclass(frozen=True)
class CardCitation:
    """One article a card rests on, with the words of it that carry the answer."""

    doc: str  # corpus file name, e.g. jilv_chufen_tiaoli_2023.md
    article: str  # 第九十七条, or 一、 for a document numbered by items
    quote: str  # verbatim pieces of the article, joined by …

    def pieces(self) -> list[str]:
        """The verbatim pieces of the quote."""
        return [p.strip() for p in self.quote.split(ELLIPSIS) if p.strip()]


@dataclass(frozen=True)
class Card:
    """One everyday situation and its answer."""

    id: str
    topic: str
    questions: tuple[str, ...]
    verdict: str
    label: str
    lead: str
    points: tuple[str, ...]
    citations: tuple[CardCitation, ...]
    note: str = ""


def default_cards_dir() -> Path:
    """The situation cards shipped inside the package."""
    return Path(str(resources.files("knowledge") / "cards"))


def load_cards(folder: Path | None = None) -> list[Card]:
    """Every card of every ``*.toml`` in ``folder`` (sorted by file name); ``CardError`` names a bad one."""
    folder = folder or default_cards_dir()
    cards: list[Card] = []
    seen: set[str] = set()
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise CardError(f"{path.name}: {exc}") from None
        for raw in data.get("cards", []):
            card = _card(raw, path.name)
            if card.id in seen:
                raise CardError(f"{path.name}: {card.id}: duplicate id")
            seen.add(card.id)
            cards.append(card)
    return cards


def _card(raw: Mapping[str, object], where: str) -> Card:
    name = f"{where}: {raw.get('id', '?')}"
    try:
        questions = tuple(str(q).strip() for q in _list(raw["questions"]) if str(q).strip())
        citations = tuple(
            CardCitation(str(c["doc"]), str(c["article"]), str(c.get("quote", "")))
            for c in _list(raw["citations"])
            if isinstance(c, Mapping)
        )
        card = Card(
            id=str(raw["id"]),
            topic=str(raw["topic"]),
            questions=questions,
            verdict=str(raw["verdict"]),
            label=str(raw["label"]),
            lead=str(raw["lead"]).strip(),
            points=tuple(str(p).strip() for p in _list(raw.get("points", [])) if str(p).strip()),
            citations=citations,
            note=str(raw.get("note", "")).strip(),
        )
    except (KeyError, TypeError) as exc:
        raise CardError(f"{name}: missing or malformed {exc}") from None
    problems = shape_problems(card)
    if problems:
        raise CardError(f"{name}: {problems[0]}")
    return card


def _list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise TypeError("list")
    return value


def shape_problems(card: Card) -> list[str]:
    """What is wrong with a card's form (not its citations)."""
    problems = []
    if card.verdict not in VERDICTS:
        problems.append(f"verdict {card.verdict!r} is not one of {', '.join(VERDICTS)}")
    if len(card.questions) < QUESTIONS_MIN:
        problems.append(f"needs at least {QUESTIONS_MIN} questions")
    if not card.label or len(card.label) > LABEL_MAX:
        problems.append(f"label must have 1–{LABEL_MAX} characters")
    if not card.lead or len(card.lead) > LEAD_MAX:
        problems.append(f"lead must have 1–{LEAD_MAX} characters")
    if len(card.points) > POINTS_MAX or any(len(p) > POINT_MAX for p in card.points):
        problems.append(f"at most {POINTS_MAX} points of {POINT_MAX} characters")
    if not card.citations:
        problems.append("no citation")
    if any(not c.pieces() for c in card.citations):
        problems.append("a citation without a quote")
    return problems


_SPACE = re.compile(r"\s+")


def _squash(text: str) -> str:
    # Line breaks inside an article (its 款) are not part of what a quote must match.
    return _SPACE.sub("", text)


def check_citations(
    cards: Iterable[Card], articles: Mapping[tuple[str, str], str], in_force: Sequence[str]
) -> list[str]:
    """Every citation that is not in force, names no article, or quotes words the article does not have."""
    problems = []
    allowed = set(in_force)
    for card in cards:
        for c in card.citations:
            where = f"{card.id}: {c.doc} {c.article}"
            if c.doc not in allowed:
                problems.append(f"{where}: not a document in force")
                continue
            text = articles.get((c.doc, c.article))
            if text is None:
                problems.append(f"{where}: no such article")
                continue
            squashed = _squash(text)
            problems.extend(
                f"{where}: not verbatim: {piece[:30]}"
                for piece in c.pieces()
                if _squash(piece) not in squashed
            )
    return problems


def corpus_articles(folder: Path) -> tuple[dict[tuple[str, str], str], list[str]]:
    """Each article's full text by (file, article) in a corpus folder, and the files that are in force."""
    from knowledge.catalog import library_files
    from knowledge.chunker import chunk_document
    from knowledge.loaders import load_document

    texts: dict[tuple[str, str], list[str]] = {}
    in_force = []
    for path, info in library_files(folder):
        if info.status == "current":
            in_force.append(path.name)
        for chunk in sorted(chunk_document(load_document(path, info)), key=lambda c: (c.order, c.part)):
            if chunk.kind == "article":
                texts.setdefault(chunk.key, []).append(chunk.text)
    return {key: "\n".join(parts) for key, parts in texts.items()}, in_force
