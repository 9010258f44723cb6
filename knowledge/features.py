"""Ranking features of candidate articles for a question: one row per candidate, same at training and run time."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

FEATURES = (
    "dense_article",
    "dense_article_gap",
    "dense_article_rank",
    "dense_view",
    "dense_view_gap",
    "dense_view_rank",
    "dense_view_second",
    "views_in_top",
    "bm25_article",
    "bm25_article_share",
    "bm25_article_rank",
    "bm25_view",
    "bm25_view_share",
    "bm25_view_rank",
    "has_views",
    "document_named",
    "chapter_overlap",
    "alias_overlap",
    "text_overlap",
    "consequence",
    "is_penalty",
    "consequence_penalty",
    "status_current",
    "status_superseded",
    "status_partly",
    "status_unofficial",
    "weight",
    "is_definition",
    "position",
    "length",
    "question_length",
    "views_total",
    "document_view_gap",
    "document_votes",
)
_DEFINITION = re.compile(r"是指|所称|包括下列|以下简称|适用本")
TOP_VIEWS = 20  # a view among the question's nearest this many counts for its article


@dataclass(frozen=True)
class ArticleTable:
    """Per-article facts that do not depend on the question (arrays indexed by article number)."""

    status: np.ndarray  # str per article
    weight: np.ndarray
    penalty: np.ndarray  # bool
    definition: np.ndarray  # bool
    position: np.ndarray  # order within its document, 0..1
    length: np.ndarray  # log of the article's characters
    document: np.ndarray  # document number of every article
    texts: tuple[str, ...]  # article text (all parts)
    chapters: tuple[str, ...]
    aliases: tuple[str, ...]
    names: tuple[tuple[str, ...], ...]  # the document's title and short names, normalised


@dataclass(frozen=True)
class Signals:
    """Raw retrieval evidence for one question, per article (arrays of the article count)."""

    dense_article: np.ndarray
    dense_view: np.ndarray
    dense_view_second: np.ndarray
    views_in_top: np.ndarray
    document_votes: np.ndarray  # per document: its views among the question's nearest TOP_VIEWS
    views_total: np.ndarray  # per article: its bank questions in play (how often it is asked about)
    bm25_article: np.ndarray
    bm25_view: np.ndarray


def ranks(values: np.ndarray) -> np.ndarray:
    """0 for the largest value, 1 for the next…"""
    order = np.argsort(-values, kind="stable")
    out = np.empty(len(values), dtype=np.float32)
    out[order] = np.arange(len(values), dtype=np.float32)
    return out


def candidates(signals: Signals, per_channel: int) -> np.ndarray:
    """Articles among the best ``per_channel`` of any channel."""
    chosen: set[int] = set()
    for values in (signals.dense_article, signals.dense_view, signals.bm25_article, signals.bm25_view):
        top = np.argsort(-values, kind="stable")[:per_channel]
        chosen.update(int(i) for i in top if values[i] > 0)
    return np.array(sorted(chosen), dtype=np.int64)


def _overlap(words: tuple[str, ...], text: str) -> float:
    return sum(1 for w in words if w in text) / len(words) if words else 0.0


def feature_rows(
    signals: Signals,
    table: ArticleTable,
    chosen: np.ndarray,
    question: str,
    words: tuple[str, ...],
    consequence: bool,
) -> np.ndarray:
    """The feature matrix (candidates × FEATURES) for ``chosen`` articles."""
    s = signals
    dense_a_rank = ranks(s.dense_article)
    dense_v_rank = ranks(s.dense_view)
    bm25_a_rank = ranks(s.bm25_article)
    bm25_v_rank = ranks(s.bm25_view)
    max_da = float(s.dense_article.max(initial=0.0))
    max_dv = float(s.dense_view.max(initial=0.0))
    max_ba = float(s.bm25_article.max(initial=0.0)) or 1.0
    max_bv = float(s.bm25_view.max(initial=0.0)) or 1.0
    documents = int(table.document.max(initial=0)) + 1
    document_best = np.zeros(documents, dtype=np.float32)
    np.maximum.at(document_best, table.document, s.dense_view)
    # Column by column over the candidates (a per-row loop cost ~3 ms a question); only the text overlaps are
    # computed per article. Same float32 arithmetic as before: the trained ranker sees identical rows.
    a = chosen
    q = question
    f32 = np.float32
    status = table.status[a]
    penalty = table.penalty[a].astype(bool)
    names = [float(any(n in q for n in table.names[i])) for i in a]
    columns = (
        s.dense_article[a],
        s.dense_article[a] - f32(max_da),
        np.log1p(dense_a_rank[a]),
        s.dense_view[a],
        s.dense_view[a] - f32(max_dv),
        np.log1p(dense_v_rank[a]),
        s.dense_view_second[a],
        s.views_in_top[a],
        np.log1p(s.bm25_article[a]),
        s.bm25_article[a] / f32(max_ba),
        np.log1p(bm25_a_rank[a]),
        np.log1p(s.bm25_view[a]),
        s.bm25_view[a] / f32(max_bv),
        np.log1p(bm25_v_rank[a]),
        s.views_total[a] > 0,
        names,
        [_overlap(words, table.chapters[i]) for i in a],
        [_overlap(words, table.aliases[i]) for i in a],
        [_overlap(words, table.texts[i]) for i in a],
        np.full(len(a), float(consequence)),
        penalty,
        penalty & consequence,
        status == "current",
        status == "superseded",
        status == "partly_superseded",
        status == "unofficial",
        table.weight[a],
        table.definition[a],
        table.position[a],
        table.length[a],
        np.full(len(a), np.log1p(len(q))),
        np.log1p(s.views_total[a]),
        document_best[table.document[a]] - f32(max_dv),
        s.document_votes[table.document[a]],
    )
    rows = np.zeros((len(chosen), len(FEATURES)), dtype=np.float32)
    for column, values in enumerate(columns):
        rows[:, column] = values
    return rows


def is_definition(text: str) -> bool:
    """Whether an article defines terms or scope rather than setting a rule."""
    return bool(_DEFINITION.search(text))
