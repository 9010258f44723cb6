"""Answers as Telegram HTML: every piece of user or corpus text escaped, long replies split at articles."""

from __future__ import annotations

from html import escape

from knowledge.answer import cite_label
from knowledge.model import Answer, Citation

MAX_MESSAGE = 4096  # Telegram's limit for one message's text


def _article_block(block: str) -> str:
    # A heading in bold; remarks in brackets (a source's note, a line about how the answer was made) in italics.
    lines = block.split("\n")
    out = []
    for number, line in enumerate(lines):
        if line.startswith("（"):
            out.append(f"<i>{escape(line)}</i>")
        elif number == 0:
            out.append(f"<b>{escape(line)}</b>")
        else:
            out.append(escape(line))
    return "\n".join(out)


def answer_html(answer: Answer, previous: str | None = None) -> list[str]:
    """The reply as one or more HTML messages, each ≤ 4096 characters, split between articles."""
    blocks = list(answer.blocks or (answer.text,))
    head = escape(blocks[0])
    if answer.verdict and answer.lead and "。" in answer.lead:
        # The verdict (不可以 / 可以 / 视情况 …) stands out: it is what the reader needs first.
        verdict = escape(answer.lead.split("。", 1)[0] + "。")
        if head.startswith(verdict):
            head = f"<b>{verdict}</b>{head[len(verdict) :]}"
    if previous:
        head = f"<i>（结合上一个问题“{escape(_shorten(previous, 60))}”理解）</i>\n{head}"
    pieces = [head] + [_article_block(b) for b in blocks[1:]]
    return pack(pieces)


def article_html(citation: Citation, text: str) -> list[str]:
    """The full text of one cited article."""
    heading = cite_label(citation.title, citation.article)
    if citation.chapter:
        heading += f"（{citation.chapter}）"
    pieces = [f"<b>{escape(heading)}</b>"] + [escape(p) for p in text.split("\n") if p.strip()]
    if citation.note:
        pieces.append(f"<i>（注：{escape(citation.note)}）</i>")
    return pack(pieces, joiner="\n")


def pack(pieces: list[str], joiner: str = "\n\n", limit: int = MAX_MESSAGE) -> list[str]:
    """Join pieces into as few messages as fit under ``limit``; a piece too long alone is cut at lines."""
    return _greedy([part for piece in pieces for part in _fit(piece, limit)], joiner, limit)


def _greedy(parts: list[str], joiner: str, limit: int) -> list[str]:
    # Every part is at most ``limit`` long: join neighbours while they fit.
    messages: list[str] = []
    current = ""
    for part in parts:
        candidate = f"{current}{joiner}{part}" if current else part
        if len(candidate) <= limit:
            current = candidate
        else:
            messages.append(current)
            current = part
    if current:
        messages.append(current)
    return messages


def _fit(piece: str, limit: int) -> list[str]:
    if len(piece) <= limit:
        return [piece]
    lines: list[str] = []
    for line in piece.split("\n"):
        while len(line) > limit:
            # A single line longer than a message: cut it, taking care not to split an HTML entity or tag.
            cut = _safe_cut(line, limit)
            lines.append(line[:cut])
            line = line[cut:]
        lines.append(line)
    return _greedy(lines, "\n", limit)


def _safe_cut(line: str, limit: int) -> int:
    cut = limit
    amp, lt = line.rfind("&", 0, cut), line.rfind("<", 0, cut)
    if amp > line.rfind(";", 0, cut):
        cut = amp
    if lt > line.rfind(">", 0, cut):
        cut = min(cut, lt)
    return cut or limit


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
