"""Split a regulation into one chunk per article (第X条) or numbered item, keeping its chapter path."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace

from knowledge.cnnum import NUMERAL_CHARS, cn_to_int
from knowledge.model import QUESTION, Chunk, Document

# Bump when chunking changes so that `qingfeng ingest` re-chunks every document.
CHUNKER_VERSION = "4"
MAX_PART_CHARS = 500

_N = f"[{NUMERAL_CHARS}]+"
_ARTICLE = re.compile(rf"^第({_N})条(之({_N}))?(?=[\s:：]|[^\s规的、至和或及中第所])\s*")
_STRUCTURE = re.compile(rf"^第({_N})([编章节])(?:\s+|$)(.{{0,30}})$")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_CN_ITEM = re.compile(r"^([一二三四五六七八九十]+)、\s*")
_NUM_ITEM = re.compile(r"^(\d{1,3})([\.．、])\s*")
_METADATA_LINE = re.compile(r"^[（(]?\s*\d{4}年|^[（(].*[)）]$")
_SUBITEM = re.compile(r"(?=（[一二三四五六七八九十]+）)")
_SENTENCE_END = re.compile(r"(?<=[。；])")

_LEVELS = {"编": 0, "章": 1, "节": 2}


@dataclass
class _Unit:
    """An article, item or section being collected, before it is split into parts."""

    label: str
    chapter: str
    lines: list[str] = field(default_factory=list)


def _body_lines(doc: Document) -> list[str]:
    lines = [line.strip() for line in doc.text.splitlines()]
    lines = [line for line in lines if line]
    # Drop the title line: it is carried by every chunk as metadata.
    if lines and (lines[0].startswith("# ") or lines[0] == doc.title):
        lines = lines[1:]
    return lines


def _structure_heading(line: str) -> tuple[int, str] | None:
    """Return (level, heading) when the line is a 编/章/节 heading, markdown or plain."""
    md = _MD_HEADING.match(line)
    text = md.group(2).strip() if md else line
    match = _STRUCTURE.match(text)
    if match and not text.endswith(("。", "；", "，")):
        return _LEVELS[match.group(2)], re.sub(r"\s+", " ", text)
    return None


def _article_label(line: str, previous: tuple[int, int] | None) -> tuple[str, tuple[int, int]] | None:
    """Return the label and (number, suffix) when the line opens the next article."""
    match = _ARTICLE.match(line)
    if not match:
        return None
    number = cn_to_int(match.group(1))
    suffix = cn_to_int(match.group(3)) if match.group(3) else 0
    key = (number, suffix)
    if previous is not None:
        last_number, last_suffix = previous
        # Articles run in order: the next number, or a 之一-style insertion after the same number.
        # A line that breaks the sequence is a cross-reference at the start of a paragraph.
        sequential = (number == last_number and suffix == last_suffix + 1) or (
            last_number < number <= last_number + 3 and suffix == 0
        )
        if not sequential:
            return None
    label = f"第{match.group(1)}条" + (f"之{match.group(3)}" if match.group(3) else "")
    return label, key


def _is_article_document(lines: list[str]) -> bool:
    previous: tuple[int, int] | None = None
    first: tuple[int, int] | None = None
    found = 0
    for line in lines:
        result = _article_label(line, previous)
        if result:
            previous = result[1]
            first = first or previous
            found += 1
    # One article counts when it is 第一条 (a short notice); otherwise demand a sequence.
    return found >= 2 or first == (1, 0)


def _chapter_path(levels: dict[int, str]) -> str:
    return " ".join(levels[level] for level in sorted(levels))


def _article_units(lines: list[str]) -> list[_Unit]:
    units: list[_Unit] = []
    levels: dict[int, str] = {}
    previous: tuple[int, int] | None = None
    preamble = _Unit(label="序言", chapter="")
    current: _Unit | None = None
    for line in lines:
        heading = _structure_heading(line)
        if heading is not None:
            level, text = heading
            levels = {lv: t for lv, t in levels.items() if lv < level}
            levels[level] = text
            continue
        if _MD_HEADING.match(line):
            # Other markdown headings (e.g. 附件) stay with the text as plain lines.
            line = _MD_HEADING.sub(r"\2", line)
        article = _article_label(line, previous)
        if article is not None:
            label, previous = article
            current = _Unit(label=label, chapter=_chapter_path(levels), lines=[line])
            units.append(current)
        elif current is not None:
            current.lines.append(line)
        elif not _METADATA_LINE.match(line):
            preamble.lines.append(line)
    if sum(len(line) for line in preamble.lines) >= 20:
        units.insert(0, preamble)
    return units


def _item_units(lines: list[str]) -> list[_Unit]:
    """Chunk a document without 第X条: numbered items under their headings, or whole sections."""
    units: list[_Unit] = []
    heading = ""
    current: _Unit | None = None
    preamble = _Unit(label="序言", chapter="")
    for line in lines:
        md = _MD_HEADING.match(line)
        short = len(line) <= 30 and not line.endswith(("。", "；"))
        if md or (_CN_ITEM.match(line) and short):
            heading = re.sub(r"\s+", " ", md.group(2).strip() if md else line)
            current = None
            continue
        num = _NUM_ITEM.match(line) or (_CN_ITEM.match(line) if not heading else None)
        if num is not None:
            marker = line[: num.end()].strip()
            label = f"{heading} {marker}" if heading else marker
            current = _Unit(label=label, chapter=heading, lines=[line])
            units.append(current)
        elif current is not None:
            current.lines.append(line)
        elif heading:
            current = _Unit(label=heading, chapter=heading, lines=[line])
            units.append(current)
        elif not _METADATA_LINE.match(line):
            preamble.lines.append(line)
    if sum(len(line) for line in preamble.lines) >= 20:
        units.insert(0, preamble)
    return units


def _pieces(paragraph: str) -> list[str]:
    """Break one over-long paragraph at 项 markers, else at sentence ends."""
    if len(paragraph) <= MAX_PART_CHARS:
        return [paragraph]
    pieces = [p for p in _SUBITEM.split(paragraph) if p]
    if len(pieces) == 1:
        pieces = [p for p in _SENTENCE_END.split(paragraph) if p]
    out: list[str] = []
    for piece in pieces:
        if len(piece) > MAX_PART_CHARS:
            out.extend(piece[i : i + MAX_PART_CHARS] for i in range(0, len(piece), MAX_PART_CHARS))
        else:
            out.append(piece)
    return out


def split_parts(lines: list[str]) -> list[str]:
    """Pack paragraphs (款) into parts of at most MAX_PART_CHARS; a 款 is split only when too long."""
    parts: list[str] = []
    current = ""
    for paragraph in lines:
        for index, piece in enumerate(_pieces(paragraph)):
            # Pieces of one split paragraph rejoin without a line break; whole paragraphs keep theirs.
            joiner = "" if index else "\n"
            if current and len(current) + len(piece) > MAX_PART_CHARS:
                parts.append(current)
                current = piece
            else:
                current = current + joiner + piece if current else piece
    if current:
        parts.append(current)
    return parts


def chunk_document(doc: Document) -> list[Chunk]:
    """Split ``doc`` into chunks: one per article or item, long ones in parts that keep the label."""
    lines = _body_lines(doc)
    units = _article_units(lines) if _is_article_document(lines) else _item_units(lines)
    if not units and lines:
        # Nothing numbered and too short for a preamble: the whole text is one chunk.
        units = [_Unit(label="全文", chapter="", lines=lines)]
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for order, unit in enumerate(units):
        seen[unit.label] = seen.get(unit.label, 0) + 1
        label = unit.label
        key = label if seen[label] == 1 else f"{label}~{seen[label]}"
        parts = split_parts(unit.lines)
        for index, text in enumerate(parts):
            chunks.append(
                Chunk(
                    id=f"{doc.source}#{key}#{index}",
                    source=doc.source,
                    title=doc.title,
                    chapter=unit.chapter,
                    article=label,
                    text=text,
                    part=index,
                    parts=len(parts),
                    order=order,
                    digest=doc.digest,
                    status=doc.info.status,
                    note=doc.info.note,
                    weight=doc.info.weight,
                    aliases=doc.info.aliases.get(label, ""),
                    names="|".join(doc.info.short_names),
                )
            )
    return chunks


def question_views(chunks: list[Chunk], bank: dict[str, tuple[str, ...]]) -> list[Chunk]:
    """One extra chunk per bank question, carrying its article's key, title and chapter."""
    first: dict[str, Chunk] = {}
    for chunk in chunks:
        first.setdefault(chunk.article, chunk)
    views: list[Chunk] = []
    for article, questions in bank.items():
        base = first.get(article)
        if base is None:
            continue  # a question keyed to an article the text does not have (checked by tests)
        for question in questions:
            digest = hashlib.sha1(f"{article}|{question}".encode()).hexdigest()[:12]
            views.append(
                replace(
                    base,
                    id=f"{base.source}#q#{digest}",
                    text=question,
                    part=0,
                    parts=1,
                    kind=QUESTION,
                    aliases="",
                )
            )
    return views
