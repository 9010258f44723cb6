"""The question bank and the out-of-scope set: well keyed, large enough, and apart from the evaluation sets."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from knowledge.catalog import QUESTIONS_DIR, library_files, load_bank
from knowledge.chunker import chunk_document, question_views
from knowledge.evaluation import load_questions
from knowledge.loaders import load_document
from knowledge.tokenizer import normalize
from tests.conftest import CORPUS, ROOT

OUT_OF_SCOPE = ROOT / "knowledge" / "data" / "out_of_scope"
EVALUATION_SETS = [
    ROOT / "tests" / "knowledge" / "data" / "dev_questions.jsonl",
    ROOT / "bench" / "holdout_questions.jsonl",
    ROOT / "bench" / "frozen_test_questions.jsonl",
]


@pytest.fixture(scope="module")
def documents() -> dict[str, tuple[str, set[str]]]:
    out: dict[str, tuple[str, set[str]]] = {}
    for path, info in library_files(CORPUS):
        labels = {c.article for c in chunk_document(load_document(path, info))}
        out[path.stem] = (info.status, labels)
    return out


def bank_questions() -> list[tuple[str, str, str]]:
    rows = []
    for path in sorted((CORPUS / QUESTIONS_DIR).glob("*.tsv")):
        for article, questions in load_bank(path).items():
            rows.extend((path.stem, article, q) for q in questions)
    return rows


def out_of_scope() -> list[str]:
    return [
        line.strip()
        for path in sorted(OUT_OF_SCOPE.glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


def test_every_bank_question_is_keyed_to_an_article_of_its_document(documents) -> None:
    for stem, article, question in bank_questions():
        assert stem in documents, f"questions/{stem}.tsv has no document"
        assert article in documents[stem][1], f"{stem}: {article} ({question})"


def test_the_bank_covers_current_documents_only_and_is_large_enough(documents) -> None:
    rows = bank_questions()
    assert len(rows) >= 3000
    for stem, _, _ in rows:
        assert documents[stem][0] == "current", f"{stem} is not in force: no bank questions"
    per_article = Counter((stem, article) for stem, article, _ in rows)
    assert sum(1 for n in per_article.values() if n >= 6) >= 300  # the most asked-about articles
    assert sum(1 for n in per_article.values() if n >= 3) >= 0.9 * len(per_article)


def test_no_question_is_in_the_bank_twice() -> None:
    counts = Counter(normalize(q) for _, _, q in bank_questions())
    assert [q for q, n in counts.items() if n > 1] == []


def test_out_of_scope_set_is_large_and_apart_from_the_bank() -> None:
    outside = out_of_scope()
    assert len(outside) >= 1500
    assert len(set(outside)) == len(outside)
    bank = {normalize(q) for _, _, q in bank_questions()}
    assert not bank & {normalize(q) for q in outside}


@pytest.mark.parametrize("path", EVALUATION_SETS, ids=lambda p: p.name)
def test_evaluation_sets_share_no_question_with_the_training_data(path: Path) -> None:
    training = {normalize(q) for _, _, q in bank_questions()} | {normalize(q) for q in out_of_scope()}
    shared = [q.text for q in load_questions(path) if normalize(q.text) in training]
    assert shared == []


def test_bank_questions_become_views_of_their_article() -> None:
    path, info = next((p, i) for p, i in library_files(CORPUS) if p.name == "lianjie_zilv_zhunze_2015.md")
    chunks = chunk_document(load_document(path, info))
    views = question_views(chunks, info.questions)
    assert len(views) == sum(len(q) for q in info.questions.values())
    first = {c.article: c for c in chunks}
    for view in views:
        assert view.kind == "question"
        assert view.title == first[view.article].title
        assert view.id.startswith(f"{view.source}#q#")
    assert len({v.id for v in views}) == len(views)
