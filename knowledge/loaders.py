"""Read .md, .txt, .docx, .pdf and .html files into plain text documents."""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from knowledge.errors import CorruptDocument, EmptyDocument, UnsupportedDocument
from knowledge.model import Document, DocumentInfo

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".docx", ".pdf", ".html", ".htm")


def decode_text(data: bytes, path: Path) -> str:
    """Decode bytes as UTF-8 (with or without BOM), else GB18030; refuse binary data."""
    if b"\x00" in data[:4096]:
        raise CorruptDocument(path, "binary data in a text file")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CorruptDocument(path, "text is neither UTF-8 nor GBK/GB18030")


def _read_text(path: Path, data: bytes) -> str:
    return decode_text(data, path)


def _read_html(path: Path, data: bytes) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "lxml")
    for tag in soup(["script", "style", "nav", "header", "footer"]):
        tag.decompose()
    lines: list[str] = []
    title = soup.title.get_text(strip=True) if soup.title else ""
    if title:
        lines.append(f"# {title}")
    body = soup.body or soup
    for element in body.find_all(["h1", "h2", "h3", "h4", "p", "li", "div", "td"]):
        # Only leaf-ish blocks: a div holding paragraphs would repeat their text.
        if element.find(["p", "li", "div", "h1", "h2", "h3", "h4", "table"]):
            continue
        text = element.get_text(" ", strip=True)
        if not text:
            continue
        if element.name in ("h1", "h2", "h3", "h4"):
            level = int(element.name[1])
            if level == 1 and text == title:
                continue
            lines.append("#" * max(level, 2) + " " + text)
        else:
            lines.append(text)
    return "\n\n".join(lines)


def _read_docx(path: Path, data: bytes) -> str:
    import io

    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise CorruptDocument(path, f"not a valid .docx ({exc.__class__.__name__})") from exc
    lines: list[str] = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name or "").lower() if paragraph.style is not None else ""
        if style == "title":
            lines.append(f"# {text}")
        elif style.startswith("heading"):
            level = style.removeprefix("heading").strip()
            lines.append("#" * (int(level) + 1 if level.isdigit() else 2) + " " + text)
        else:
            lines.append(text)
    return "\n\n".join(lines)


def _read_pdf(path: Path, data: bytes) -> str:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CorruptDocument(path, f"not a readable PDF ({exc.__class__.__name__})") from exc
    # PDF text wraps at the page width: rejoin lines that do not start a new article or item.
    text = "\n".join(pages)
    return _unwrap_lines(text)


_BLOCK_START = re.compile(
    r"^(#|第[零〇一二两三四五六七八九十百千]+[编章节条]|[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[\.．、])"
)


def _unwrap_lines(text: str) -> str:
    out: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if out and not _BLOCK_START.match(line) and not out[-1].endswith(("。", "：", ":", "；")):
            out[-1] += line
        else:
            out.append(line)
    return "\n\n".join(out)


_READERS: dict[str, Callable[[Path, bytes], str]] = {
    ".md": _read_text,
    ".markdown": _read_text,
    ".txt": _read_text,
    ".html": _read_html,
    ".htm": _read_html,
    ".docx": _read_docx,
    ".pdf": _read_pdf,
}

_MAGIC = {".pdf": b"%PDF", ".docx": b"PK\x03\x04"}


def load_document(path: Path, info: DocumentInfo | None = None) -> Document:
    """Load one file; raise a ``DocumentError`` naming it when it cannot be read."""
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        raise UnsupportedDocument(path, f"unsupported file type {suffix or '(none)'}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorruptDocument(path, f"cannot read file ({exc.strerror})") from exc
    if not data.strip():
        raise EmptyDocument(path, "file is empty")
    magic = _MAGIC.get(suffix)
    if magic is not None and not data.startswith(magic):
        raise CorruptDocument(path, f"file content is not {suffix}")
    text = reader(path, data).replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ")
    if not text.strip():
        raise EmptyDocument(path, "no text could be extracted")
    title = _title_of(text) or path.stem
    digest = hashlib.sha256(data).hexdigest()
    return Document(source=path.name, title=title, text=text, digest=digest, info=info or DocumentInfo())


def _title_of(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("# "):
            return line[2:].strip()
        # Plain text: the first short line is the title (long lines are body text).
        return line if len(line) <= 60 and not line.endswith("。") else ""
    return ""
