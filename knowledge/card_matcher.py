"""Which situation card, if any, a question is about: its nearest card phrasing, with a confidence rule.

Every phrasing of every card is embedded once with the index's model (cached beside the index, keyed by the
model's fingerprint and the cards' text) and compared with the question's vector, which retrieval has already
computed. A card is taken when one of its articles is among the articles retrieval ranked first and its best
phrasing is close enough, or without that agreement only when the phrasing is very close; in both cases it must
be clearly closer than any card giving another answer. A near miss falls back to the article-based answer.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.atomic import write_atomically
from knowledge.cards import Card
from knowledge.embedder import Embedder
from knowledge.verdict import INFO, NEED, PENALTY, PERMISSION, VIOLATION, WILL, question_form

# The verdicts that can answer a question of each form: "能收吗" is never answered with a penalty card.
COMPATIBLE = {
    PENALTY: frozenset({"penalty", "depends"}),
    PERMISSION: frozenset({"yes", "no", "depends"}),
    VIOLATION: frozenset({"yes", "no", "depends"}),
    NEED: frozenset({"yes", "no", "depends"}),
    WILL: frozenset({"yes", "no", "depends"}),
    INFO: frozenset({"info", "depends"}),
}


# Words that name different situations with different rules, which sentence vectors place side by side:
# a card that speaks of one of a group and never of the word the question uses answers another question.
CONTRASTS: tuple[tuple[str, ...], ...] = (
    ("受贿", "行贿"),
    ("贪污", "挪用"),
    ("接待", "出差"),
    ("党纪", "政务"),
    ("会议", "培训"),
    ("留置", "留党察看"),
)


EMBED_BATCH = 64


@dataclass(frozen=True)
class MatchConfig:
    """When a card is taken (cosines of normalised m3e-small vectors; see scripts/calibrate_cards.py)."""

    # scripts/calibrate_cards.py prints recall and wrong matches over a grid; its leave-one-out figures flatter low
    # thresholds (a card's phrasings were written together and resemble each other): at 0.78-0.82 the held-out
    # retrieval set lost 3-5 points of right articles to wrong cards. These are the conservative values.
    accept: float = 0.86  # with one of the card's articles among the top retrieved: the phrasing this close …
    sure: float = 0.92  # … without that agreement: this close
    margin: float = 0.04  # and this much closer than any card with a different verdict
    agree_top: int = 5  # how many of the retrieved articles count for agreement
    # A question the gate refused, in the field's words, that no one card answers: when this many nearest cards
    # all give one yes/no/depends verdict, each at least this close, the verdict stands (with their articles).
    consensus_cards: int = 3
    consensus_min: float = 0.84


@dataclass(frozen=True)
class CardMatch:
    """The card a question matched, how close its nearest phrasing was, and the runner-up's closeness."""

    card: Card
    score: float
    runner_up: float
    phrasing: str


@dataclass(frozen=True)
class Consensus:
    """The one verdict the nearest cards agree on, and those cards, nearest first."""

    verdict: str
    cards: tuple[Card, ...]


# Only these are carried by agreement: a penalty or information answer needs its own card's content.
_AGREED = frozenset({"yes", "no", "depends"})


class CardMatcher:
    """Nearest-phrasing matching of questions to situation cards."""

    def __init__(
        self,
        cards: Sequence[Card],
        embedder: Embedder,
        cache_dir: Path | None = None,
        config: MatchConfig | None = None,
    ) -> None:
        self.cards = list(cards)
        self.embedder = embedder
        self.cache_dir = cache_dir
        self.config = config or MatchConfig()
        self._phrasings = [q for card in self.cards for q in card.questions]
        self._owner = np.array(
            [i for i, card in enumerate(self.cards) for _ in card.questions], dtype=np.int64
        )
        self._matrix: np.ndarray | None = None
        texts = ["".join((*card.questions, card.lead)) for card in self.cards]
        # Per contrasting word, the cards that speak of it.
        self._speaks = {
            w: np.array([w in t for t in texts], dtype=bool) for group in CONTRASTS for w in group
        }
        # Which phrasings may answer a question of each form. A yes or a no transfers only between questions of
        # one form: "会被开除吗" answered 会 says nothing for "还能留在单位吗", nor "能收吗" for "要退吗".
        forms = [question_form(q) for q in self._phrasings]
        verdicts = [self.cards[int(i)].verdict for i in self._owner]
        self._fits = {
            form: np.array(
                [
                    v in allowed and (v not in ("yes", "no") or f == form)
                    for v, f in zip(verdicts, forms, strict=True)
                ],
                dtype=bool,
            )
            for form, allowed in COMPATIBLE.items()
        }

    def digest(self) -> str:
        """What the cached vectors depend on: the model and every phrasing."""
        text = json.dumps([self.embedder.fingerprint, self._phrasings], ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]

    def prepare(self) -> None:
        """Embed every phrasing (or load them from the cache)."""
        if self._matrix is not None or not self._phrasings:
            return
        path = self.cache_dir / f"cards-{self.digest()}.npy" if self.cache_dir else None
        if path is not None and path.exists():
            matrix = np.load(path)
            if matrix.shape[0] == len(self._phrasings):
                self._matrix = matrix
                return
        # In small batches: the embedder pads a batch to its longest text and holds all of it at once (one batch
        # of every phrasing took 2 GB more at start-up).
        matrix = np.concatenate(
            [
                np.asarray(self.embedder.embed(self._phrasings[at : at + EMBED_BATCH]), dtype=np.float32)
                for at in range(0, len(self._phrasings), EMBED_BATCH)
            ]
        )
        if path is not None:
            buffer = io.BytesIO()
            np.save(buffer, matrix)
            write_atomically(path, buffer.getvalue())
        self._matrix = matrix

    def scores(self, vector: np.ndarray, form: str | None = None) -> np.ndarray:
        """Each card's closeness to ``vector``: the cosine of its nearest phrasing that fits ``form``."""
        self.prepare()
        if self._matrix is None or not len(self._matrix):
            return np.full(len(self.cards), -1.0, dtype=np.float32)
        return self.per_card(self._matrix @ np.asarray(vector, dtype=np.float32), form)

    def per_card(self, sims: np.ndarray, form: str | None = None) -> np.ndarray:
        """Per-card best of per-phrasing cosines ``sims``, counting only phrasings whose answer fits ``form``."""
        fits = self._fits.get(form or "")
        if fits is not None:
            sims = np.where(fits, sims, -1.0)
        best = np.full(len(self.cards), -1.0, dtype=np.float32)
        np.maximum.at(best, self._owner, sims.astype(np.float32))
        return best

    def conflicts(self, question: str) -> np.ndarray:
        """Cards about a contrasting situation: the question says 受贿 and the card only ever 行贿, say."""
        out = np.zeros(len(self.cards), dtype=bool)
        for group in CONTRASTS:
            if not any(w in question for w in group):
                continue
            speaks_asked = np.zeros(len(self.cards), dtype=bool)
            speaks_other = np.zeros(len(self.cards), dtype=bool)
            for w in group:
                if w in question:
                    speaks_asked |= self._speaks[w]
                else:
                    speaks_other |= self._speaks[w]
            out |= speaks_other & ~speaks_asked
        return out

    def candidates(self, sims: np.ndarray, form: str | None, question: str) -> tuple[np.ndarray, np.ndarray]:
        """From per-phrasing cosines: per-card scores of the cards that may answer, and of every card as a rival."""
        allowed = np.where(self.conflicts(question), -1.0, self.per_card(sims, form))
        return allowed, self.per_card(sims)

    def nearest(self, vector: np.ndarray, k: int = 3) -> list[tuple[Card, float]]:
        """The ``k`` closest cards, closest first."""
        best = self.scores(vector)
        order = np.argsort(-best, kind="stable")[:k]
        return [(self.cards[int(i)], float(best[int(i)])) for i in order]

    def match(
        self,
        vector: np.ndarray,
        retrieved: Sequence[tuple[str, str]] = (),
        form: str | None = None,
        question: str = "",
    ) -> CardMatch | None:
        """The card the question is about, or None when no card is close and clear enough.

        ``retrieved``: the (document, article) keys retrieval ranked first, best first; ``form``: what kind of
        answer the question asks for (``knowledge.verdict.question_form``).
        """
        self.prepare()
        if self._matrix is None or not len(self._matrix):
            return None
        sims = self._matrix @ np.asarray(vector, dtype=np.float32)  # once: filtered and rival scores share it
        best, rivals = self.candidates(sims, form, question)
        found = self.decide(best, retrieved, form=form, rivals=rivals)
        if found is None:
            return None
        card, score, rival = found
        return CardMatch(self.cards[card], score, rival, self._nearest_phrasing(card, vector))

    def consensus(self, vector: np.ndarray, form: str | None, question: str = "") -> Consensus | None:
        """The verdict the nearest cards that may answer ``form`` all give, when each is close; else None."""
        self.prepare()
        allowed = COMPATIBLE.get(form or "")
        if self._matrix is None or not len(self._matrix) or allowed is None:
            return None
        sims = self._matrix @ np.asarray(vector, dtype=np.float32)
        best, _ = self.candidates(sims, form, question)
        best = np.where([card.verdict in allowed for card in self.cards], best, -1.0)
        nearest = np.argsort(-best, kind="stable")[: self.config.consensus_cards]
        if len(nearest) < self.config.consensus_cards or best[nearest[-1]] < self.config.consensus_min:
            return None
        cards = tuple(self.cards[int(i)] for i in nearest)
        verdicts = {card.verdict for card in cards}
        if len(verdicts) != 1 or not verdicts <= _AGREED:
            return None
        return Consensus(verdicts.pop(), cards)

    def decide(
        self,
        best: np.ndarray,
        retrieved: Sequence[tuple[str, str]],
        config: MatchConfig | None = None,
        form: str | None = None,
        rivals: np.ndarray | None = None,
    ) -> tuple[int, float, float] | None:
        """The rule on per-card scores: (card index, its score, the best other-verdict score) or None."""
        config = config or self.config
        allowed = COMPATIBLE.get(form or "")
        if allowed is not None:
            best = np.where([card.verdict in allowed for card in self.cards], best, -1.0)
        order = np.argsort(-best, kind="stable")
        top_keys = set(retrieved[: config.agree_top])
        # Rivals are every card, before the form and contrast filters: a close card that says otherwise
        # means the question is ambiguous, even when that card could not answer it itself.
        pool = best if rivals is None else np.maximum(best, rivals)
        closest = np.argsort(-pool, kind="stable")[:20]
        for position in order[:5]:
            card = self.cards[int(position)]
            score = float(best[position])
            if score < config.accept:
                return None  # the rest are further still
            agrees = any((c.doc, c.article) in top_keys for c in card.citations)
            if not agrees and score < config.sure:
                continue
            rival = max(
                (float(pool[i]) for i in closest if self.cards[int(i)].verdict != card.verdict),
                default=-1.0,
            )
            if score - rival < config.margin:
                return None  # another card says otherwise just as plausibly
            return int(position), score, rival
        return None

    def _nearest_phrasing(self, card: int, vector: np.ndarray) -> str:
        assert self._matrix is not None
        rows = np.flatnonzero(self._owner == card)
        return self._phrasings[int(rows[np.argmax(self._matrix[rows] @ vector)])]
