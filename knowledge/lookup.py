"""Exact article lookup: "纪律处分条例第九十七条", "处分条例97条", "政务处分法34条", "八项规定第二条"."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.cnnum import NUMERAL_CHARS, cn_to_int, int_to_cn
from knowledge.model import Chunk
from knowledge.tokenizer import normalize

_NUMBER = rf"(?:\d{{1,4}}|[{NUMERAL_CHARS}]{{1,8}})"
_REFERENCE = re.compile(rf"(?P<di>第)?\s*(?P<num>{_NUMBER})\s*(?P<unit>条|项|点)(?:之\s*(?P<sub>{_NUMBER}))?")
_GLUE = "《》〈〉“”\"'‘’「」 　的中里之"  # what may stand between a document's name and the number


@dataclass(frozen=True)
class ArticleRef:
    """A reference to an article found in a question."""

    number: int
    sub: int | None  # 之一 → 1
    sources: tuple[str, ...]  # documents named (empty: the number alone)
    name: str  # the document name as written, or ""

    @property
    def label(self) -> str:
        """The article key as the chunker writes it (第九十七条, 第三百九十条之一)."""
        text = f"第{int_to_cn(self.number)}条"
        return f"{text}之{int_to_cn(self.sub)}" if self.sub else text


@dataclass(frozen=True)
class LookupResult:
    """Articles a reference names (best first), or the document it names without that article."""

    ref: ArticleRef
    articles: tuple[tuple[str, str], ...]  # (source, article)
    title: str = ""  # the named document's title, for saying that the number does not exist
    count: int = 0  # how many articles the named document has


class ArticleIndex:
    """Finds articles by number and document short name."""

    def __init__(self, chunks: Iterable[Chunk]) -> None:
        self._articles: dict[str, list[str]] = {}
        self._titles: dict[str, str] = {}
        self._weights: dict[str, tuple[bool, float]] = {}
        short_names: dict[str, tuple[str, ...]] = {}
        for chunk in chunks:
            short_names[chunk.source] = tuple(n for n in chunk.names.split("|") if n)
            labels = self._articles.setdefault(chunk.source, [])
            if chunk.article not in labels:
                labels.append(chunk.article)
            self._titles[chunk.source] = chunk.title
            self._weights[chunk.source] = (chunk.status == "current", chunk.weight)
        names: dict[str, list[str]] = {}
        for source, title in self._titles.items():
            for name in (title, *short_names.get(source, ())):
                key = normalize(name)
                if key and source not in names.setdefault(key, []):
                    names[key].append(source)
        self._names = names
        alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        self._name_pattern = re.compile(alternatives) if alternatives else None

    def parse(self, question: str) -> ArticleRef | None:
        """The first article reference in ``question``: a document name and a number, or 第N条 alone."""
        text = normalize(question)
        for match in _REFERENCE.finditer(text):
            try:
                number = cn_to_int(match["num"])
                sub = cn_to_int(match["sub"]) if match["sub"] else None
            except ValueError:
                continue
            if not 0 < number < 10000:
                continue
            name, sources = self._name_before(text, match.start())
            if not sources and not match["di"]:
                continue  # "三条烟" is not an article reference
            if not sources and match["unit"] != "条":
                continue
            return ArticleRef(number=number, sub=sub, sources=sources, name=name)
        return None

    def _name_before(self, text: str, end: int) -> tuple[str, tuple[str, ...]]:
        if self._name_pattern is None:
            return "", ()
        best: re.Match[str] | None = None
        for match in self._name_pattern.finditer(text, 0, end):
            between = text[match.end() : end]
            if all(ch in _GLUE for ch in between):
                best = match
        if best is None:
            return "", ()
        return best.group(0), tuple(self._names[best.group(0)])

    def find(self, ref: ArticleRef) -> LookupResult:
        """The articles ``ref`` names; current documents of higher weight first."""
        sources = ref.sources or tuple(self._articles)
        found: list[tuple[str, str]] = []
        for source in sources:
            label = self._match(source, ref)
            if label is not None:
                found.append((source, label))
        found.sort(key=lambda key: self._weights.get(key[0], (False, 1.0)), reverse=True)
        title, count = "", 0
        if ref.sources:
            title = self._titles.get(ref.sources[0], "")
            count = sum(len(self._articles.get(s, [])) for s in ref.sources)
        return LookupResult(ref=ref, articles=tuple(found), title=title, count=count)

    def _match(self, source: str, ref: ArticleRef) -> str | None:
        labels = self._articles.get(source, [])
        if ref.label in labels:
            return ref.label
        if ref.sub or not ref.sources:
            return None
        # Documents numbered by items (八项规定: 一、…八、; 实施细则: … 5.) answer to 第N条/第N项 as well.
        item = f"{int_to_cn(ref.number)}、"
        digits = f" {ref.number}."
        for label in labels:
            if label.startswith(item) or label.endswith(digits):
                return label
        return None
