"""Measure answer quality on a question set: top-3 hit rate, refusals in and out of scope."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.service import KnowledgeService


@dataclass(frozen=True)
class Question:
    """One evaluation question with the articles that correctly answer it (none: out of scope)."""

    text: str
    gold: frozenset[tuple[str, str]]
    topic: str = ""

    @property
    def in_scope(self) -> bool:
        """Whether the corpus answers it."""
        return bool(self.gold)


def load_questions(path: Path) -> list[Question]:
    """Read a JSON Lines file of {"q", "gold": [{"source", "article"}], "topic"}."""
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        gold = frozenset((g["source"], g["article"]) for g in row.get("gold", []))
        questions.append(Question(text=row["q"], gold=gold, topic=row.get("topic", "")))
    return questions


@dataclass
class Evaluation:
    """Results over a question set."""

    in_scope: int = 0
    out_of_scope: int = 0
    hits_top3: int = 0  # in-scope answered with a gold article among the citations
    hits_first: int = 0  # in-scope answered with a gold article cited first
    retrieved_top3: int = 0  # a gold article in the retriever's top 3, whatever the gate said
    wrongly_refused: int = 0
    refused_out_of_scope: int = 0
    misses: list[tuple[str, list[str]]] = field(default_factory=list)
    false_refusals: list[str] = field(default_factory=list)
    false_answers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def hit_rate(self) -> float:
        """Share of in-scope questions answered with a correct article cited."""
        return self.hits_top3 / self.in_scope if self.in_scope else 0.0

    @property
    def refusal_rate(self) -> float:
        """Share of out-of-scope questions refused."""
        return self.refused_out_of_scope / self.out_of_scope if self.out_of_scope else 0.0

    @property
    def wrong_refusal_rate(self) -> float:
        """Share of in-scope questions wrongly refused."""
        return self.wrongly_refused / self.in_scope if self.in_scope else 0.0

    def summary(self) -> dict[str, float | int]:
        """The headline numbers."""
        return {
            "in_scope": self.in_scope,
            "out_of_scope": self.out_of_scope,
            "top3_hit_rate": round(self.hit_rate, 4),
            "first_hit_rate": round(self.hits_first / self.in_scope, 4) if self.in_scope else 0.0,
            "retrieval_top3_rate": round(self.retrieved_top3 / self.in_scope, 4) if self.in_scope else 0.0,
            "out_of_scope_refused": round(self.refusal_rate, 4),
            "in_scope_wrongly_refused": round(self.wrong_refusal_rate, 4),
        }


def evaluate(service: KnowledgeService, questions: list[Question]) -> Evaluation:
    """Ask every question and score the answers against the gold articles."""
    result = Evaluation()
    for question in questions:
        explanation = service.explain(question.text)
        answer = explanation.answer
        cited = {(c.source, c.article) for c in answer.citations}
        top3 = [h.chunk.key for h in explanation.hits[:3]]
        if question.in_scope:
            result.in_scope += 1
            if set(top3) & question.gold:
                result.retrieved_top3 += 1
            if answer.refused:
                result.wrongly_refused += 1
                result.false_refusals.append(question.text)
            elif cited & question.gold:
                result.hits_top3 += 1
                first = answer.citations[0]
                result.hits_first += (first.source, first.article) in question.gold
            else:
                result.misses.append((question.text, [f"{s}:{a}" for s, a in cited]))
        else:
            result.out_of_scope += 1
            # A greeting answered as such cites nothing: it is not an answer either.
            if answer.refused or not answer.citations:
                result.refused_out_of_scope += 1
            else:
                first = answer.citations[0]
                result.false_answers.append((question.text, f"{first.source}:{first.article}"))
    return result
