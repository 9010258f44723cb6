"""Cutting an article down to what answers the question: key sentences, penalty ladders, list items, tables."""

from __future__ import annotations

import re

ELLIPSIS = "…"
_ARTICLE_PREFIX = re.compile(r"^第[一二三四五六七八九十百零〇]+条(之[一二三四五六七八九十]+)?[\s　]*")
_SENTENCE_END = re.compile(r"(?<=[。；！？])")
_ITEM = re.compile(r"^（[一二三四五六七八九十]+）")
_LADDER = re.compile(
    r"(有下列行为之一|情节较轻|情节较重|情节严重|情节特别严重)的，(给予|予以|处)(.+?)(?:处分)?(?=[；。：]|$)"
)
_FIRST_STEP = "有下列行为之一"
_TABLE_SEPARATOR = re.compile(r"^[\s|:：\-—]+$")


def body(text: str) -> str:
    """An article's text without its leading 第X条 label."""
    return _ARTICLE_PREFIX.sub("", text.strip(), count=1)


def sentences(text: str) -> list[str]:
    """The article's sentences and clauses (split at 。；！？ and line breaks), label removed."""
    out: list[str] = []
    for line in body(text).split("\n"):
        out.extend(s.strip() for s in _SENTENCE_END.split(line) if s.strip())
    return out


def key_sentences(
    text: str, terms: dict[str, float], limit: int = 150, prefer: re.Pattern[str] | None = None
) -> str:
    """The one or two sentences that carry the answer, in article order, "…" where text was left out."""
    parts = sentences(table_lines(text))
    if not parts:
        return ""

    def weight(i: int) -> float:
        s = parts[i]
        score = sum(w for t, w in terms.items() if len(t) >= 2 and t in s)
        if prefer is not None and prefer.search(s):
            score += 1.5
        return score - 0.01 * i  # ties go to the earlier sentence

    ranked = sorted(range(len(parts)), key=weight, reverse=True)
    keep = [ranked[0]]
    covered = {t for t in terms if len(t) >= 2 and t in parts[ranked[0]]}
    for i in ranked[1:3]:
        adds = {t for t in terms if len(t) >= 2 and t in parts[i]} - covered
        # A second sentence only when it brings question words the first lacks, and both fit.
        if adds and weight(i) > 0 and sum(len(parts[k]) for k in keep) + len(parts[i]) <= limit:
            keep.append(i)
            break
    keep.sort()
    out = ""
    previous = -1
    for i in keep:
        if i != previous + 1:
            out += ELLIPSIS
        out += parts[i]
        previous = i
    if previous != len(parts) - 1:
        out += ELLIPSIS
    if len(out) > limit:
        out = out[: limit - 1].rstrip("，、；") + ELLIPSIS
    return out.lstrip(ELLIPSIS) if keep[0] == 0 else out


def ladder(text: str) -> str:
    """A penalty article's ladder in one line: "情节较轻的：警告或者严重警告；情节较重的：…", or ""."""
    steps = [
        f"{'一般' if m.group(1) == _FIRST_STEP else m.group(1) + '的'}：{m.group(3).strip()}"
        for m in _LADDER.finditer(body(text))
    ]
    return "；".join(steps) if len(steps) >= 2 else ""


def list_items(text: str, limit: int = 40) -> list[str]:
    """An article's enumerated items （一）（二）…, each shortened to ``limit`` characters."""
    items = []
    for line in body(text).split("\n"):
        line = line.strip()
        if _ITEM.match(line):
            items.append(line if len(line) <= limit else line[: limit - 1] + ELLIPSIS)
    return items


def table_lines(text: str) -> str:
    """Text with " | "-separated table rows rewritten as one readable line per row."""
    lines = text.split("\n")
    out: list[str] = []
    header: list[str] | None = None
    for line in lines:
        if " | " not in line:
            header = None
            out.append(line)
            continue
        cells = [c.strip().replace("　", "") for c in line.strip().strip("|").split("|")]
        if _TABLE_SEPARATOR.match(line):
            continue
        if header is None:
            header = cells
            continue
        pairs = [
            f"{h}：{c}" for h, c in zip(header[1:], cells[1:], strict=False) if c and c not in {"—", "-"}
        ]
        out.append(f"{cells[0]}——" + "；".join(pairs) + "。")
    return "\n".join(out)
