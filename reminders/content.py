"""What a reminder says: per-holiday templates, filled in and quoted from the regulation corpus."""

from __future__ import annotations

import html
import re
import string
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from reminders.errors import TemplateError

if TYPE_CHECKING:
    from knowledge.model import Chunk

MAX_MESSAGE = 4096  # Telegram's limit for one message's text
QUOTE_CHARS = 300  # a cited article longer than this is trimmed at a sentence or 款 boundary
_QUOTE_STEPS = (QUOTE_CHARS, 220, 150, 100, 60)  # ever shorter quotes until the message fits
ELLIPSIS = "……"
PLACEHOLDERS = frozenset({"year", "holiday", "dates", "days"})
GENERIC = "generic"

_TEXT_FIELDS = ("title", "intro", "closing")
_BOUNDARY = re.compile(r"[。；]|\n")
_SAMPLE = {"year": 2000, "holiday": "节日", "dates": "1月1日", "days": 1}


class ArticleLookup(Protocol):
    """Finds one article of the corpus: ``(source file, article label) -> (document title, full text)``."""

    def __call__(self, source: str, article: str) -> tuple[str, str] | None:
        """The document title and the article's full text, or None when the corpus has no such article."""
        ...


@dataclass(frozen=True)
class Template:
    """One holiday's reminder text with ``{year}``/``{holiday}``/``{dates}``/``{days}`` placeholders."""

    key: str
    title: str
    intro: str
    risks: tuple[str, ...]
    citations: tuple[tuple[str, str], ...]  # (source file, article label as the chunker gives it)
    closing: str


@dataclass(frozen=True)
class Reminder:
    """A reminder ready to send: plain text, Telegram HTML, and the citations that could not be quoted."""

    title: str
    text: str
    html: str
    missing_citations: tuple[tuple[str, str], ...] = ()


def default_templates_dir() -> Path:
    """The templates shipped inside the package."""
    return Path(str(resources.files("reminders") / "templates"))


def load_templates(folder: Path | None = None) -> dict[str, Template]:
    """Every ``*.toml`` template in ``folder`` (default: the bundled ones), keyed by file stem."""
    folder = folder or default_templates_dir()
    if not folder.is_dir():
        raise TemplateError(f"{folder}：模板目录不存在")
    templates = {path.stem: load_template(path) for path in sorted(folder.glob("*.toml"))}
    if not templates:
        raise TemplateError(f"{folder}：目录中没有 *.toml 模板")
    return templates


def load_template(path: Path) -> Template:
    """Read and validate one template file; raise ``TemplateError`` naming the file and the field."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{path}：无法读取模板（{exc}）") from exc

    def fail(message: str) -> TemplateError:
        return TemplateError(f"{path}：{message}")

    texts: dict[str, str] = {}
    for name in _TEXT_FIELDS:
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            raise fail(f"字段 {name} 缺失或为空（应为非空字符串）")
        texts[name] = value.strip()
    risks = data.get("risks")
    if not isinstance(risks, list) or not risks:
        raise fail("字段 risks 缺失或为空（应为非空字符串列表）")
    if not all(isinstance(risk, str) and risk.strip() for risk in risks):
        raise fail("字段 risks 的每一项都应为非空字符串")
    raw_citations = data.get("citations")
    if not isinstance(raw_citations, list):
        raise fail("字段 citations 缺失（应为 { source = ..., article = ... } 表的列表）")
    citations: list[tuple[str, str]] = []
    for number, entry in enumerate(raw_citations, start=1):
        source = entry.get("source") if isinstance(entry, dict) else None
        article = entry.get("article") if isinstance(entry, dict) else None
        if not (isinstance(source, str) and source.strip() and isinstance(article, str) and article.strip()):
            raise fail(f"citations 第{number}项须有非空的 source 和 article")
        citations.append((source.strip(), article.strip()))
    template = Template(
        key=path.stem,
        title=texts["title"],
        intro=texts["intro"],
        risks=tuple(risk.strip() for risk in risks),
        citations=tuple(citations),
        closing=texts["closing"],
    )
    for name, text in _template_texts(template):
        _check_placeholders(text, fail, name)
    return template


def template_for(templates: dict[str, Template], key: str) -> Template:
    """The template for a holiday key, or the generic one when the holiday has none."""
    found = templates.get(key) or templates.get(GENERIC)
    if found is None:
        raise TemplateError(f"没有 {key} 模板，也没有通用模板 {GENERIC}")
    return found


def _template_texts(template: Template) -> list[tuple[str, str]]:
    pieces = [("title", template.title), ("intro", template.intro), ("closing", template.closing)]
    pieces += [(f"risks[{i}]", risk) for i, risk in enumerate(template.risks)]
    return pieces


def _check_placeholders(text: str, fail: Callable[[str], TemplateError], name: str) -> None:
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(text) if field is not None]
    except ValueError as exc:
        raise fail(f"字段 {name}：花括号不成对（{exc}）；原样的花括号请写作 {{{{ 和 }}}}") from exc
    for field in fields:
        if field not in PLACEHOLDERS:
            allowed = " ".join(f"{{{p}}}" for p in sorted(PLACEHOLDERS))
            raise fail(f"字段 {name}：未知占位符 {{{field}}}（可用：{allowed}）")
    try:
        text.format_map(_SAMPLE)
    except (KeyError, ValueError, IndexError, AttributeError) as exc:
        raise fail(f"字段 {name}：无法填充占位符（{exc}）") from exc


def trim_quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """``text`` itself when short enough, else its longest start ending at a sentence or 款 within ``limit``, then ……."""
    if len(text) <= limit:
        return text
    cut = 0
    for match in _BOUNDARY.finditer(text, 0, limit + 1):
        # A newline ends a 款 and is dropped; 。 and ； stay with their sentence.
        cut = match.start() if match.group() == "\n" else match.end()
    if cut == 0:
        cut = limit
    return text[:cut].rstrip() + ELLIPSIS


def _quote_body(article: str, text: str) -> str:
    """The article text without its leading label (the heading already names it)."""
    text = text.strip()
    if text.startswith(article) and len(text) > len(article):
        rest = text[len(article) :]
        if rest[0] in " \t:：":
            return rest.lstrip(" \t:：")
    return text


def telegram_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def render(
    template: Template,
    *,
    year: int,
    holiday_name: str,
    dates_text: str,
    days: int,
    lookup: ArticleLookup,
) -> Reminder:
    """Fill the template, number the risks and quote each cited article verbatim from the corpus."""
    values: dict[str, object] = {"year": year, "holiday": holiday_name, "dates": dates_text, "days": days}
    try:
        title = template.title.format_map(values)
        intro = template.intro.format_map(values)
        risks = [risk.format_map(values) for risk in template.risks]
        closing = template.closing.format_map(values)
    except (KeyError, ValueError, IndexError, AttributeError) as exc:
        raise TemplateError(f"模板 {template.key}：无法填充占位符（{exc}）") from exc

    found: list[tuple[str, str]] = []  # (heading, article body)
    missing: list[tuple[str, str]] = []
    for source, article in template.citations:
        result = lookup(source, article)
        if result is None or not result[1].strip():
            missing.append((source, article))
            continue
        doc_title, text = result
        found.append((f"《{doc_title}》{article}", _quote_body(article, text)))

    for limit in (*_QUOTE_STEPS, 0):
        quotes = [(heading, trim_quote(body, limit)) for heading, body in found] if limit else []
        text, markup = _compose(title, intro, risks, quotes, closing)
        if telegram_length(markup) <= MAX_MESSAGE:
            return Reminder(title=title, text=text, html=markup, missing_citations=tuple(missing))
    raise TemplateError(f"模板 {template.key}：提醒内容超过一条消息的长度上限（{MAX_MESSAGE}字）")


def _compose(
    title: str, intro: str, risks: list[str], quotes: list[tuple[str, str]], closing: str
) -> tuple[str, str]:
    esc = _escape
    plain = [title, intro]
    markup = [f"<b>{esc(title)}</b>", esc(intro)]
    numbered = [f"{number}. {risk}" for number, risk in enumerate(risks, start=1)]
    plain.append("\n".join(["节日期间重点防范：", *numbered]))
    markup.append("\n".join(["<b>节日期间重点防范</b>", *(esc(line) for line in numbered)]))
    if quotes:
        plain.append("\n\n".join(["相关规定：", *(f"{heading}\n{body}" for heading, body in quotes)]))
        blocks = [f"<b>{esc(heading)}</b>\n<blockquote>{esc(body)}</blockquote>" for heading, body in quotes]
        markup.append("\n".join(["<b>相关规定</b>", *blocks]))
    plain.append(closing)
    markup.append(esc(closing))
    return "\n\n".join(plain), "\n\n".join(markup)


def render_custom(title: str, text: str) -> Reminder:
    """An operator's own reminder, escaped for Telegram HTML; raise ``TemplateError`` if empty or too long."""
    title, text = title.strip(), text.strip()
    if not title or not text:
        raise TemplateError("自定义提醒的标题和正文都不能为空")
    plain = f"{title}\n\n{text}"
    markup = f"<b>{_escape(title)}</b>\n\n{_escape(text)}"
    if telegram_length(markup) > MAX_MESSAGE:
        raise TemplateError(
            f"自定义提醒“{title}”过长：{telegram_length(markup)}字，超过一条消息的上限{MAX_MESSAGE}字"
        )
    return Reminder(title=title, text=plain, html=markup)


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def lookup_from_chunks(chunks: Iterable[Chunk]) -> ArticleLookup:
    """An ``ArticleLookup`` over chunks (e.g. the chunker's output): parts of one article rejoined in order."""
    articles: dict[tuple[str, str], tuple[int, str, list[Chunk]]] = {}
    for chunk in chunks:
        key = (chunk.source, chunk.article)
        entry = articles.get(key)
        if entry is None:
            articles[key] = (chunk.order, chunk.title, [chunk])
        elif entry[0] == chunk.order:  # a repeated label elsewhere in the document is another article
            entry[2].append(chunk)
    table = {
        key: (doc_title, "\n".join(c.text for c in sorted(parts, key=lambda c: c.part)))
        for key, (_, doc_title, parts) in articles.items()
    }

    def lookup(source: str, article: str) -> tuple[str, str] | None:
        return table.get((source, article))

    return lookup


def corpus_lookup(folder: Path | None = None) -> ArticleLookup:
    """An ``ArticleLookup`` chunked straight from a corpus folder (default: the bundled one); no index needed."""
    from knowledge.catalog import default_corpus_dir, is_supported, library_files
    from knowledge.chunker import chunk_document
    from knowledge.loaders import load_document

    chunks: list[Chunk] = []
    for path, info in library_files(folder or default_corpus_dir()):
        if is_supported(path):
            chunks.extend(chunk_document(load_document(path, info)))
    return lookup_from_chunks(chunks)
