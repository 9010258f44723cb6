"""The knowledge service: what the CLI and the bot call to ingest documents and answer questions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from knowledge.answer import Answerer, full_text, in_field
from knowledge.card_matcher import CardMatch, CardMatcher
from knowledge.compose import Composer
from knowledge.errors import EmptyQuestion, IndexNotReady, QuestionTooLong
from knowledge.gate import Gate, GateDecision
from knowledge.grounding import MAX_EXCERPTS, Grounding, grounding_for
from knowledge.index import IngestReport, KnowledgeIndex, ProgressFactory
from knowledge.lookup import LookupResult
from knowledge.model import Answer, Chunk, Citation, DocumentInfo, Hit
from knowledge.retriever import CURRENT, HybridRetriever, Retrieval
from knowledge.smalltalk import small_talk
from knowledge.verdict import question_form

MAX_QUESTION_CHARS = 1000
SUGGEST_MIN = 0.75  # a card this close to a missed question is worth offering as a question to tap
_NO_EVIDENCE = GateDecision(answer=False, score=0.0, dense=0.0, lexical=0.0, unknown_share=0.0)
_SEARCHABLE = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


@dataclass(frozen=True)
class Explanation:
    """An answer with the retrieval evidence behind it (for benchmarks and debugging)."""

    answer: Answer
    hits: list[Hit]
    gate: GateDecision
    lookup: LookupResult | None = None  # the question named an article by number
    card: CardMatch | None = None  # the situation card the answer came from


class KnowledgeService:
    """Answers questions from the indexed regulations; keeps the index in step with the library."""

    def __init__(
        self,
        index: KnowledgeIndex,
        retriever: HybridRetriever,
        gate: Gate,
        answerer: Answerer,
        library: Sequence[Path],
        top_k: int = 3,
        cards: CardMatcher | None = None,
        composer: Composer | None = None,
    ) -> None:
        self.index = index
        self.retriever = retriever
        self.gate = gate
        self.answerer = answerer
        self.library = list(library)
        self.top_k = top_k
        self.cards = cards
        self.composer = composer or Composer(retriever.article_chunks, retriever.is_penalty)

    def library_files(self) -> list[tuple[Path, DocumentInfo]]:
        """Every document of the configured library folders."""
        from knowledge.catalog import library_files

        files: list[tuple[Path, DocumentInfo]] = []
        for folder in self.library:
            files.extend(library_files(folder))
        return files

    def ingest(self, progress: ProgressFactory | None = None) -> IngestReport:
        """Sync the index with the library, then reload the retriever."""
        report = self.index.sync(self.library_files(), progress=progress)
        self.retriever.refresh()
        return report

    def ensure_ready(self, progress: ProgressFactory | None = None) -> IngestReport | None:
        """Build the index when it is empty or from another model; otherwise do nothing."""
        if self.index.is_ready():
            return None
        return self.ingest(progress)

    def warm(self) -> None:
        """Load the model, the lexical index and the tokenizer before the first question."""
        if not self.index.is_ready():
            raise IndexNotReady("index is empty or was built with another embedding model")
        if not self.retriever.ready:
            self.retriever.refresh()
        if self.cards is not None:
            self.cards.prepare()
        self.explain("公务用车")

    def explain(self, question: str) -> Explanation:
        """Answer ``question`` and return the evidence too."""
        question = _clean(question)
        chat = small_talk(question)
        if chat is not None:
            return Explanation(self.answerer.small_talk(question, chat), [], _NO_EVIDENCE)
        analysis = self.retriever.analyse(question)
        retrieval = self.retriever.retrieve(question, k=20, analysis=analysis)
        hits = retrieval.hits
        decision = self.gate.decide(retrieval)
        found = None
        ref = self.retriever.lookup.parse(question)
        if ref is not None:
            found = self.retriever.lookup.find(ref)
            if found.articles:
                # A named article is what was asked for: it goes first, whatever the gate thinks.
                top = hits[0].score + 1.0 if hits else 1.0
                named = [self.retriever.hit_for(key, top, retrieval.signals) for key in found.articles]
                first = [h for h in named if h is not None]
                keys = {h.chunk.key for h in first}
                hits = first + [h for h in hits if h.chunk.key not in keys]
                decision = replace(decision, answer=True)
            elif ref.sources:
                return Explanation(self.answerer.no_such_article(question, found), hits, decision, found)
        # What kind of answer is asked for: it limits the cards that may answer and decides the verdict.
        form = question_form(question)
        if self.cards is not None and not (found is not None and found.articles):
            # A question that names an article is answered from that article, never from a card.
            match = self.cards.match(retrieval.vector, [h.chunk.key for h in hits], form, question)
            if match is not None and (decision.answer or match.score >= self.cards.config.sure):
                carded = self.composer.from_card(question, match)
                if carded is not None:
                    return Explanation(carded, hits, decision, found, match)
        if not decision.answer:
            agreed = self._agreed(question, form, retrieval, analysis.terms)
            if agreed is not None:
                return Explanation(agreed, hits, decision, found)
            return Explanation(
                self.answerer.refuse(question, self._suggestions(retrieval)), hits, decision, found
            )
        chosen = self.answerer.select(hits[:20], analysis.expansion.consequence, self.retriever.is_penalty)
        if found is not None and found.articles and hits[0] not in chosen:
            chosen = [hits[0], *chosen]
        if chosen and all(h.chunk.status != CURRENT for h in chosen):
            # A superseded or reference-only text is never cited alone when current law is among the candidates.
            current = next((h for h in hits[:10] if h.chunk.status == CURRENT), None)
            if current is not None:
                looked_up = found is not None and bool(found.articles)
                chosen = [*chosen[:1], current, *chosen[1:]] if looked_up else [current, *chosen]
        chosen = chosen[: self.top_k]
        answer = self.composer.from_articles(question, chosen, analysis.terms, form)
        return Explanation(answer, hits, decision, found)

    def _agreed(
        self, question: str, form: str | None, retrieval: Retrieval, terms: dict[str, float]
    ) -> Answer | None:
        # The gate judges retrieval evidence, and everyday words ("下属想调个岗位，送来两万块钱，能收吗") can leave it
        # weak. When the question speaks of the field and the nearest situations all give one verdict, that verdict
        # is the answer, quoted from the articles those situations cite (ranked as retrieval ranked them).
        if self.cards is None or not in_field(question):
            return None
        agreement = self.cards.consensus(retrieval.vector, form, question)
        if agreement is None:
            return None
        quoted: dict[tuple[str, str], list[str]] = {}
        for card in agreement.cards:
            for citation in card.citations:
                quoted.setdefault((citation.doc, citation.article), []).append(citation.quote)
        keys = list(quoted)
        rank = {h.chunk.key: n for n, h in enumerate(retrieval.hits)}
        keys.sort(key=lambda key: rank.get(key, len(rank)))
        ranked = {h.chunk.key: h for h in retrieval.hits}
        chosen = [
            hit
            for key in keys
            if (hit := ranked.get(key) or self.retriever.hit_for(key, 0.0, retrieval.signals)) is not None
        ]
        if not chosen:
            return None
        return self.composer.from_articles(
            question, chosen[: self.top_k], terms, form, agreement.verdict, quoted
        )

    def _suggestions(self, retrieval: Retrieval) -> list[str]:
        # The nearest situations, each by its first phrasing: questions the assistant answers well.
        if self.cards is None:
            return []
        near = self.cards.nearest(retrieval.vector, k=3)
        return [card.questions[0] for card, score in near if score >= SUGGEST_MIN]

    def grounding(self, explanation: Explanation) -> Grounding | None:
        """The numbered excerpts a model may answer from: the answer's articles, then the next current ones retrieved.

        None when the offline reply quotes nothing (a refusal, small talk): such a question never reaches a model.
        """
        more: list[tuple[Citation, str]] = []
        for hit in explanation.hits[: MAX_EXCERPTS + 2]:
            chunk = hit.chunk
            if chunk.status != CURRENT:
                continue  # a superseded text only beside current law, as the offline answer does
            text = full_text(self.retriever.article_chunks(*chunk.key)) or chunk.text
            citation = Citation(
                chunk.source, chunk.title, chunk.article, chunk.chapter, hit.score, text, chunk.note
            )
            more.append((citation, text))
        names: dict[str, tuple[str, ...]] = {}
        keys = [(c.source, c.article) for c in explanation.answer.citations]
        for source, article in [*keys, *(h.chunk.key for h in explanation.hits[: MAX_EXCERPTS + 2])]:
            if source not in names:
                parts = self.retriever.article_chunks(source, article)
                names[source] = tuple(n for n in (parts[0].names.split("|") if parts else ()) if n)
        return grounding_for(explanation.answer, more, names)

    def ask(self, question: str) -> Answer:
        """Answer a question with cited articles, or refuse plainly when the corpus has no answer."""
        return self.explain(question).answer

    def article(self, source: str, article: str) -> list[Chunk]:
        """Every part of one article, for showing it in full."""
        return self.retriever.article_chunks(source, article)


def _clean(question: str) -> str:
    question = (question or "").strip()
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionTooLong(len(question), MAX_QUESTION_CHARS)
    if not _SEARCHABLE.search(question):
        raise EmptyQuestion("the question holds no Chinese, letters or digits")
    return question
